"""Thank-you page offers: one click, charged once, a downsell after a decline, honest expiry."""
from datetime import datetime, timedelta, timezone

import pytest
from bs4 import BeautifulSoup

from plugin.storage.post_purchase import (
    PostPurchaseItem,
    PostPurchaseOffer,
    PostPurchaseResponse,
    PostPurchaseTrigger,
)
from shop import OrderingAdapter

def now() -> datetime:
    """The time when a test runs, not when the module was imported: orders sit inside the 15-minute window even
    when a loaded machine takes minutes to reach a test."""
    return datetime.now(timezone.utc)


def shoe_care_offer(**terms):
    """After sneakers: the shoe-care set at 20% off; after a decline, just the spray at 10% off."""
    downsell = PostPurchaseOffer(
        kind="add_on", label="防水スプレーだけでも", label_en="Just the spray", pricing_mode="percent_off",
        pricing_value=1_000, items=[PostPurchaseItem(product_id="spray", quantity=1)],
        triggers=[PostPurchaseTrigger(product_id="sneakers")],
    )
    return PostPurchaseOffer(
        kind="add_on", label="シューケアセット", label_en="Shoe-care set", pricing_mode="percent_off",
        pricing_value=2_000, accept_label="追加する", decline_label="今回は見送る",
        items=[PostPurchaseItem(product_id=pid, quantity=1, position=i)
               for i, pid in enumerate(["spray", "brush", "cleaner"])],
        triggers=[PostPurchaseTrigger(product_id="sneakers")], downsell=downsell, **terms,
    )


@pytest.fixture
def shop(database_url, make_shop):
    adapter = OrderingAdapter()
    app, db, tsuide, _ = make_shop(database_url, adapter=adapter)
    adapter.customer_id = "c-1"
    adapter.place("A-1", [("sneakers", 1)], now() - timedelta(minutes=2))
    return app, db, tsuide, adapter


def add_offer(shop, offer):
    app, db, *_ = shop
    with app.app_context():
        db.session.add(offer)
        db.session.commit()
        return str(offer.id), str(offer.downsell.id) if offer.downsell else None


def token_and_offer(client, order_id="A-1", language="ja"):
    body = client.get(f"/tsuide/api/orders/{order_id}/offer", headers={"Accept-Language": language}).json
    token = BeautifulSoup(body["panel_html"], "html.parser").select_one("[name=csrf_token]")["value"]
    return token, body


def test_the_offer_shows_exactly_what_changes(shop):
    app, db, tsuide, adapter = shop
    offer_id, _ = add_offer(shop, shoe_care_offer())
    body = app.test_client().get("/tsuide/api/orders/A-1/offer", headers={"Accept-Language": "ja"}).json
    assert body["state"] == "offer"
    assert body["offer"]["id"] == offer_id
    assert [item["product_id"] for item in body["offer"]["add"]] == ["spray", "brush", "cleaner"]
    assert body["offer"]["charge"] == {"amount": 2_800, "display": "￥2,800"}  # 3,500 less 20%
    assert body["offer"]["new_total"]["amount"] == 12_000 + 2_800
    panel = BeautifulSoup(body["panel_html"], "html.parser")
    assert panel.select_one(".tsuide-thank-you__title").get_text() == "シューケアセット"
    assert "今回のお支払い方法で追加決済：￥2,800" in panel.get_text()
    assert "新しいご注文合計 ￥14,800" in panel.get_text()
    assert [b.get_text() for b in panel.select("button")] == ["追加する", "今回は見送る"]
    assert 0 < int(panel.select_one("[data-tsuide-countdown]")["data-tsuide-seconds-left"]) <= 13 * 60


def test_accepting_amends_the_order_and_charges_once(shop):
    app, db, tsuide, adapter = shop
    offer_id, _ = add_offer(shop, shoe_care_offer())
    client = app.test_client()
    token, _ = token_and_offer(client)
    for _ in range(3):  # a double click and a retry
        response = client.post("/tsuide/api/orders/A-1/offer/accept",
                               json={"offer_id": offer_id, "idempotency_key": "key-0001-abcd"},
                               headers={"X-CSRFToken": token, "Accept-Language": "en"})
        assert response.status_code == 200, response.json
        assert response.json["state"] == "accepted"
        assert response.json["order"]["total"]["amount"] == 14_800
    assert adapter.amend_calls == 1
    assert adapter.charges == [("A-1", 2_800, "key-0001-abcd")]
    assert response.json["message"] == "Added to your order. New order total ¥14,800."
    # A second tab with its own key charges nothing more either.
    response = client.post("/tsuide/api/orders/A-1/offer/accept",
                           json={"offer_id": offer_id, "idempotency_key": "key-0002-abcd"},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200 and adapter.charges == [("A-1", 2_800, "key-0001-abcd")]
    with app.app_context():
        assert [(r.status, r.charge) for r in db.session.query(PostPurchaseResponse)] == [("accepted", 2_800)]


def test_a_failed_charge_records_nothing_and_a_retry_works(shop):
    app, db, tsuide, adapter = shop
    offer_id, _ = add_offer(shop, shoe_care_offer(global_cap=100))
    client = app.test_client()
    token, _ = token_and_offer(client)
    adapter.charge_fails = True
    response = client.post("/tsuide/api/orders/A-1/offer/accept",
                           json={"offer_id": offer_id, "idempotency_key": "key-0001-abcd"},
                           headers={"X-CSRFToken": token, "Accept-Language": "ja"})
    assert response.status_code == 402
    assert response.json["error"]["message"] == "決済が完了しなかったため、請求は行われていません。もう一度お試しください。"
    with app.app_context():
        assert db.session.query(PostPurchaseResponse).count() == 0
        assert db.session.get(PostPurchaseOffer, int(offer_id)).accepted == 0
    adapter.charge_fails = False
    response = client.post("/tsuide/api/orders/A-1/offer/accept",
                           json={"offer_id": offer_id, "idempotency_key": "key-0001-abcd"},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert adapter.charges == [("A-1", 2_800, "key-0001-abcd")]


def test_decline_shows_the_downsell_once_and_then_nothing(shop):
    app, db, tsuide, adapter = shop
    offer_id, downsell_id = add_offer(shop, shoe_care_offer())
    client = app.test_client()
    token, _ = token_and_offer(client)
    response = client.post("/tsuide/api/orders/A-1/offer/decline", json={"offer_id": offer_id},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert response.json["offer"]["id"] == downsell_id and response.json["offer"]["downsell"] is True
    assert response.json["offer"]["charge"]["amount"] == 1_350  # the spray, 10% off
    response = client.post("/tsuide/api/orders/A-1/offer/decline", json={"offer_id": downsell_id},
                           headers={"X-CSRFToken": token})
    assert response.json["state"] == "none" and response.json["panel_html"] == ""
    # The next order of the same shopper is not offered the declined set again.
    adapter.place("A-2", [("sneakers", 1)], now())
    assert client.get("/tsuide/api/orders/A-2/offer").json["state"] == "none"


def test_the_downsell_can_be_accepted(shop):
    app, db, tsuide, adapter = shop
    offer_id, downsell_id = add_offer(shop, shoe_care_offer())
    client = app.test_client()
    token, _ = token_and_offer(client)
    client.post("/tsuide/api/orders/A-1/offer/decline", json={"offer_id": offer_id}, headers={"X-CSRFToken": token})
    response = client.post("/tsuide/api/orders/A-1/offer/accept",
                           json={"offer_id": downsell_id, "idempotency_key": "key-0003-abcd"},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert adapter.orders["A-1"].total == 12_000 + 1_350


def test_after_expiry_accept_is_410_and_the_panel_is_gone(shop):
    app, db, tsuide, adapter = shop
    offer_id, _ = add_offer(shop, shoe_care_offer())
    adapter.place("OLD", [("sneakers", 1)], now() - timedelta(minutes=16))
    client = app.test_client()
    token, _ = token_and_offer(client)
    assert client.get("/tsuide/api/orders/OLD/offer").json["state"] == "expired"
    response = client.post("/tsuide/api/orders/OLD/offer/accept",
                           json={"offer_id": offer_id, "idempotency_key": "key-0004-abcd"},
                           headers={"X-CSRFToken": token, "Accept-Language": "en"})
    assert response.status_code == 410
    assert response.json["error"]["message"] == "This offer has expired."
    assert adapter.amend_calls == 0
    with app.test_request_context():
        assert str(tsuide.thank_you_panel("OLD")) == ""


def test_another_shoppers_order_gets_404(shop):
    app, db, tsuide, adapter = shop
    offer_id, _ = add_offer(shop, shoe_care_offer())
    adapter.place("THEIRS", [("sneakers", 1)], now(), customer_id="someone-else")
    client = app.test_client()
    token, _ = token_and_offer(client)
    assert client.get("/tsuide/api/orders/THEIRS/offer").status_code == 404
    response = client.post("/tsuide/api/orders/THEIRS/offer/accept",
                           json={"offer_id": offer_id, "idempotency_key": "key-0005-abcd"},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 404 and adapter.amend_calls == 0
    with app.test_request_context():
        assert str(tsuide.thank_you_panel("THEIRS")) == ""


def test_an_upsell_over_the_budget_ratio_is_not_offered(shop):
    app, db, tsuide, adapter = shop
    add_offer(shop, PostPurchaseOffer(
        kind="upgrade", label="3袋セット", pricing_mode="percent_off", pricing_value=1_000,
        replaces_product_id="healthfood", items=[PostPurchaseItem(product_id="healthfood", quantity=3)],
        triggers=[PostPurchaseTrigger(product_id="healthfood")],
    ))
    adapter.place("SMALL", [("healthfood", 1)], now())  # 8,100 - 3,000 = 5,100 to pay on a 3,000 order
    adapter.place("BIG", [("healthfood", 1), ("lens", 1)], now())  # on a 31,000 order it is fine
    client = app.test_client()
    assert client.get("/tsuide/api/orders/SMALL/offer").json["state"] == "none"
    body = client.get("/tsuide/api/orders/BIG/offer").json
    assert body["state"] == "offer"
    assert body["offer"]["remove"] == [{"product_id": "healthfood", "quantity": 1}]
    assert body["offer"]["add"] == [{"product_id": "healthfood", "quantity": 3}]
    assert body["offer"]["charge"]["amount"] == 5_100  # only the difference


@pytest.mark.parametrize(("segment", "orders_count", "shown"), [
    ("new", 1, True), ("new", 2, False), ("returning", 2, True), ("loyal", 4, False), ("loyal", 5, True),
])
def test_targeting_by_customer_segment(shop, segment, orders_count, shown):
    app, db, tsuide, adapter = shop
    add_offer(shop, shoe_care_offer(segment=segment))
    adapter.orders_count = orders_count
    state = app.test_client().get("/tsuide/api/orders/A-1/offer").json["state"]
    assert state == ("offer" if shown else "none")


def test_targeting_by_order_total_and_schedule(shop):
    app, db, tsuide, adapter = shop
    add_offer(shop, shoe_care_offer(min_order_total=20_000))
    add_offer(shop, PostPurchaseOffer(
        kind="add_on", label="来週から", pricing_mode="percent_off", pricing_value=500,
        starts_at=(now() + timedelta(days=7)).replace(tzinfo=None),
        items=[PostPurchaseItem(product_id="socks")], triggers=[PostPurchaseTrigger(category="shoes")],
    ))
    assert app.test_client().get("/tsuide/api/orders/A-1/offer").json["state"] == "none"


def test_the_no_javascript_forms_post_and_come_back(shop):
    app, db, tsuide, adapter = shop
    offer_id, downsell_id = add_offer(shop, shoe_care_offer())
    client = app.test_client()
    token, _ = token_and_offer(client)
    response = client.post("/tsuide/api/orders/A-1/offer/decline",
                           data={"offer_id": offer_id, "csrf_token": token, "next": "/orders/A-1/thanks"})
    assert response.status_code == 303 and response.headers["Location"] == "/orders/A-1/thanks"
    response = client.post("/tsuide/api/orders/A-1/offer/accept",
                           data={"offer_id": downsell_id, "idempotency_key": "form-key-0001", "csrf_token": token,
                                 "next": "/orders/A-1/thanks"})
    assert response.status_code == 303
    assert adapter.charges == [("A-1", 1_350, "form-key-0001")]


def test_accept_needs_a_csrf_token_and_a_key(shop):
    app, db, tsuide, adapter = shop
    offer_id, _ = add_offer(shop, shoe_care_offer())
    client = app.test_client()
    token, _ = token_and_offer(client)
    assert client.post("/tsuide/api/orders/A-1/offer/accept",
                       json={"offer_id": offer_id, "idempotency_key": "key-0006-abcd"}).status_code == 400
    response = client.post("/tsuide/api/orders/A-1/offer/accept", json={"offer_id": offer_id},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 400 and "idempotency_key" in response.json["error"]["fields"]
    assert adapter.amend_calls == 0


def test_the_email_block_is_self_contained_with_an_absolute_link(shop):
    app, db, tsuide, adapter = shop
    add_offer(shop, shoe_care_offer())
    app.add_url_rule("/orders/<order_id>/thanks", "thanks", lambda order_id: "thanks")
    app.config.update(TSUIDE_THANK_YOU_ENDPOINT="thanks", TSUIDE_TIMEZONE="Asia/Tokyo")
    with app.test_request_context(base_url="https://shop.example", headers={"Accept-Language": "ja"}):
        html = str(tsuide.email_offer_html("A-1"))
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one("a")["href"].startswith("https://shop.example/orders/A-1/thanks?tsuide_offer=")
    assert "<style" not in html and "<script" not in html and "class=" not in html
    assert "シューケアセット" in soup.get_text() and "￥2,800" in soup.get_text()
    with app.test_request_context(base_url="https://shop.example"):
        adapter.place("OLD", [("sneakers", 1)], now() - timedelta(hours=25))  # past the e-mail's 24 hours
        assert str(tsuide.email_offer_html("OLD")) == ""


def test_accepts_declines_and_cart_adds_are_recorded_for_the_analytics(shop):
    from plugin.models import Event

    app, db, tsuide, adapter = shop
    offer_id, downsell_id = add_offer(shop, shoe_care_offer())
    client = app.test_client()
    token, _ = token_and_offer(client)
    client.post("/tsuide/api/orders/A-1/offer/decline", json={"offer_id": offer_id}, headers={"X-CSRFToken": token})
    client.post("/tsuide/api/orders/A-1/offer/accept", json={"offer_id": downsell_id, "idempotency_key": "key-0009-abcd"},
                headers={"X-CSRFToken": token})
    with app.app_context():
        events = [(e.kind, e.rule_id, e.order_id, e.page) for e in db.session.query(Event).order_by(Event.id)]
        visitors = {e.visitor_id for e in db.session.query(Event)}
    assert events == [("decline", f"pp:{offer_id}", "A-1", "thank-you"), ("accept", f"pp:{downsell_id}", "A-1", "thank-you")]
    assert len(visitors) == 1 and None not in visitors


# -- edges the suite must hold (each one caught a one-line bug in a mutation run) ---------------------------

def test_an_offer_deleted_in_the_admin_is_neither_shown_nor_charged(shop):
    app, db, tsuide, adapter = shop
    offer_id, _ = add_offer(shop, shoe_care_offer())
    client = app.test_client()
    token, body = token_and_offer(client)
    assert body["state"] == "offer"
    adapter.admin = True
    deleted = client.delete(f"/tsuide/admin/api/post-purchase-offers/{offer_id}", headers={"X-CSRFToken": token})
    assert deleted.status_code == 200, deleted.json
    assert client.get("/tsuide/api/orders/A-1/offer").json["state"] == "none"
    with app.test_request_context():
        assert str(tsuide.thank_you_panel("A-1")) == ""
    response = client.post("/tsuide/api/orders/A-1/offer/accept",
                           json={"offer_id": offer_id, "idempotency_key": "deleted-key-01"},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 409 and adapter.amend_calls == 0 and adapter.charges == []


def test_a_multi_item_add_on_is_not_offered_when_one_of_its_items_was_just_bought(shop):
    app, db, tsuide, adapter = shop
    add_offer(shop, shoe_care_offer())  # spray, brush and cleaner
    adapter.place("WITH-BRUSH", [("sneakers", 1), ("brush", 1)], now() - timedelta(minutes=1))
    client = app.test_client()
    assert client.get("/tsuide/api/orders/WITH-BRUSH/offer").json["state"] == "none"
    assert client.get("/tsuide/api/orders/A-1/offer").json["state"] == "offer"


@pytest.mark.parametrize(("declined_days_ago", "shown"), [(30 + 1 / 24, True), (30 - 1 / 24, False)])
def test_a_decline_hides_the_offer_for_exactly_the_decline_days(shop, declined_days_ago, shown):
    app, db, tsuide, adapter = shop
    offer_id, _ = add_offer(shop, shoe_care_offer())
    with app.app_context():  # the same shopper declined it on an earlier order
        db.session.add(PostPurchaseResponse(
            order_id="EARLIER", offer_id=int(offer_id), customer_id="c-1", status="declined",
            created_at=(now() - timedelta(days=declined_days_ago)).replace(tzinfo=None)))
        db.session.commit()
    state = app.test_client().get("/tsuide/api/orders/A-1/offer").json["state"]  # TSUIDE_DECLINE_DAYS = 30
    assert state == ("offer" if shown else "none")


@pytest.mark.parametrize(("minimum", "shown"), [(12_000, True), (12_001, False)])
def test_an_order_exactly_at_the_minimum_total_gets_the_offer_and_one_yen_under_does_not(shop, minimum, shown):
    app, db, tsuide, adapter = shop
    add_offer(shop, shoe_care_offer(min_order_total=minimum))  # A-1 is a 12,000 order
    assert app.test_client().get("/tsuide/api/orders/A-1/offer").json["state"] == ("offer" if shown else "none")


def test_the_last_first_n_slot_taken_between_the_check_and_the_claim_is_not_sold_twice(shop, monkeypatch):
    from plugin.storefront import thank_you

    app, db, tsuide, adapter = shop
    offer_id, _ = add_offer(shop, shoe_care_offer(global_cap=1))
    client = app.test_client()
    token, body = token_and_offer(client)
    assert body["offer"]["left"] == 1
    checked = thank_you._offered

    def another_shopper_takes_the_last_slot(*args):
        amendment = checked(*args)  # the check passed: one left
        with app.app_context():  # ...and right now someone else's accept commits
            db.session.get(PostPurchaseOffer, int(offer_id)).accepted = 1
            db.session.commit()
        return amendment

    monkeypatch.setattr(thank_you, "_offered", another_shopper_takes_the_last_slot)
    response = client.post("/tsuide/api/orders/A-1/offer/accept",
                           json={"offer_id": offer_id, "idempotency_key": "last-slot-key"},
                           headers={"X-CSRFToken": token, "Accept-Language": "en"})
    assert response.status_code == 410
    assert response.json["error"]["message"] == "Sorry, this offer has just sold out."
    assert adapter.amend_calls == 0
    with app.app_context():
        assert db.session.query(PostPurchaseResponse).count() == 0
        assert db.session.get(PostPurchaseOffer, int(offer_id)).accepted == 1


@pytest.mark.parametrize("token", [None, "stale-token"])
def test_a_form_post_without_a_valid_csrf_token_never_charges(shop, token):
    app, db, tsuide, adapter = shop
    offer_id, _ = add_offer(shop, shoe_care_offer())
    client = app.test_client()
    token_and_offer(client)  # the shopper has a session and a token; a forged form does not send it
    form = {"offer_id": offer_id, "idempotency_key": "forged-form-01", "next": "/orders/A-1/thanks"}
    if token:
        form["csrf_token"] = token
    response = client.post("/tsuide/api/orders/A-1/offer/accept", data=form)
    assert response.status_code in (303, 400)
    assert adapter.amend_calls == 0 and adapter.charges == []
    with app.app_context():
        assert db.session.query(PostPurchaseResponse).count() == 0
    response = client.post("/tsuide/api/orders/A-1/offer/decline", data={"offer_id": offer_id})
    assert client.get("/tsuide/api/orders/A-1/offer").json["state"] == "offer"  # the decline did not count
