"""Renewal add-ons: the next delivery's suggestions, priced by the engine, added once, declines respected."""
from datetime import date, datetime, timedelta, timezone

import pytest
from bs4 import BeautifulSoup

from plugin import CartLine, Subscription, models
from plugin.engine.subscriptions import priced_items
from plugin.storage.subscriptions import RenewalAnswer
from shop import MemoryAdapter, SubscribingAdapter

SOON = (datetime.now(timezone.utc) + timedelta(days=10)).date()


def subscription(lines=(("healthfood", 1, 2_700),), next_delivery_on=SOON):
    return Subscription("S-1", tuple(CartLine(*line) for line in lines), next_delivery_on, "c-1")


@pytest.fixture
def shop(database_url, make_shop):
    adapter = SubscribingAdapter()
    app, db, tsuide, _ = make_shop(database_url, adapter=adapter)
    with app.app_context():  # green juice and socks together: ¥500 off the pair
        db.session.add(models.Bundle(label="青汁と靴下", label_en="Juice and socks", pricing_mode="amount_off",
                                     pricing_value=500, items=[models.RuleItem(product_id=pid, quantity=1)
                                                               for pid in ("healthfood", "socks")]))
        db.session.commit()
    return app, db, tsuide, adapter


def panel(app, tsuide, sub, language="ja"):
    with app.test_request_context(headers={"Accept-Language": language}):
        return BeautifulSoup(str(tsuide.renewal_panel(sub)), "html.parser")


def csrf(app, client):
    body = client.get("/tsuide/api/cart").json  # any page that carries the token
    return BeautifulSoup(body["panel_html"], "html.parser")


def test_the_next_delivery_gets_the_related_product_priced_for_that_delivery(shop):
    app, db, tsuide, adapter = shop
    with app.test_request_context():
        renewal = tsuide.renewal_offers(subscription())
    [offer] = renewal.offers
    assert [line.product_id for line in offer.offer.add] == ["socks"]
    assert (offer.list_price, offer.price, offer.saving) == (1_000, 500, 500)
    assert sum(line.subtotal for line in offer.items) == offer.price
    page = panel(app, tsuide, subscription())
    assert "次回のお届け（" in page.get_text() and "￥500" in page.get_text()
    assert page.select("button")[0].get_text() == "次回のお届けに￥500で追加する"


def test_one_click_adds_once_at_the_price_shown(shop):
    app, db, tsuide, adapter = shop
    client = app.test_client()
    with app.test_request_context():
        [offer] = tsuide.renewal_offers(subscription()).offers
    for _ in range(3):  # a double click and the e-mail's link opened again
        response = client.post("/tsuide/api/renewals/add", json={"token": offer.token},
                               headers={"X-CSRFToken": _token(client)})
        assert response.status_code == 200, response.json
    assert adapter.add_calls == 1
    assert adapter.next_deliveries == {"S-1": [CartLine("socks", 1, 500)]}
    assert response.json["price"]["amount"] == 500
    with app.test_request_context():  # never suggested again for that delivery
        assert tsuide.renewal_offers(subscription()).offers == ()
        assert tsuide.renewal_offers(subscription()).added == ("socks",)


def _token(client):
    from flask_wtf.csrf import generate_csrf
    app = client.application
    with client.session_transaction() as session, app.test_request_context():
        from flask import session as request_session
        token = generate_csrf()
        session.update(request_session)
    return token


def test_a_forged_or_closed_token_adds_nothing(shop):
    app, db, tsuide, adapter = shop
    client = app.test_client()
    with app.test_request_context():
        [offer] = tsuide.renewal_offers(subscription()).offers
        [late] = tsuide.renewal_offers(subscription(next_delivery_on=SOON)).offers
    forged = offer.token[:-3] + ("AAA" if not offer.token.endswith("AAA") else "BBB")
    token = _token(client)
    assert client.post("/tsuide/api/renewals/add", json={"token": forged}, headers={"X-CSRFToken": token}).status_code == 404
    app.config["TSUIDE_RENEWAL_CUTOFF_DAYS"] = 11  # closed since yesterday... but the token says when it closes
    with app.test_request_context():
        assert tsuide.renewal_offers(subscription()).offers == ()
    app.config["TSUIDE_RENEWAL_CUTOFF_DAYS"] = 2
    assert adapter.add_calls == 0


def test_never_what_the_delivery_holds_or_what_is_out_of_stock(shop):
    app, db, tsuide, adapter = shop
    with app.test_request_context():
        assert tsuide.renewal_offers(subscription(lines=(("healthfood", 1, 2_700), ("socks", 1, 1_000)))).offers == ()
    adapter.catalogue["socks"] = adapter.catalogue["socks"].__class__(
        **{**adapter.catalogue["socks"].__dict__, "in_stock": False})
    with app.test_request_context():
        assert tsuide.renewal_offers(subscription()).offers == ()


def test_a_decline_is_respected(shop):
    app, db, tsuide, adapter = shop
    client = app.test_client()
    with app.test_request_context():
        [offer] = tsuide.renewal_offers(subscription()).offers
    response = client.post("/tsuide/api/renewals/decline", json={"token": offer.token},
                           headers={"X-CSRFToken": _token(client)})
    assert response.status_code == 200
    with app.test_request_context():
        assert tsuide.renewal_offers(subscription()).offers == ()
    with app.app_context():
        assert [(a.status, a.product_ids) for a in db.session.query(RenewalAnswer)] == [("declined", ["socks"])]


def test_a_refused_add_records_nothing_and_may_be_retried(shop):
    app, db, tsuide, adapter = shop
    client = app.test_client()
    with app.test_request_context():
        [offer] = tsuide.renewal_offers(subscription()).offers
    adapter.charge_fails = True
    token = _token(client)
    assert client.post("/tsuide/api/renewals/add", json={"token": offer.token},
                       headers={"X-CSRFToken": token}).status_code == 402
    adapter.charge_fails = False
    assert client.post("/tsuide/api/renewals/add", json={"token": offer.token},
                       headers={"X-CSRFToken": token}).status_code == 200
    assert adapter.next_deliveries == {"S-1": [CartLine("socks", 1, 500)]}


def test_the_email_link_opens_a_page_and_a_get_adds_nothing(shop):
    app, db, tsuide, adapter = shop
    with app.test_request_context(headers={"Accept-Language": "ja"}):
        html = str(tsuide.renewal_email_html(subscription()))
    link = BeautifulSoup(html, "html.parser").select_one("a")["href"]
    assert link.startswith("http://localhost/tsuide/renewals/")
    page = app.test_client().get(link.replace("http://localhost", ""))
    assert page.status_code == 200
    assert "次回のお届けに￥500で追加する" in page.get_data(as_text=True)
    assert adapter.add_calls == 0


def test_the_form_works_without_javascript(shop):
    app, db, tsuide, adapter = shop
    client = app.test_client()
    token = _token(client)
    with app.test_request_context():
        [offer] = tsuide.renewal_offers(subscription()).offers
    response = client.post("/tsuide/api/renewals/add", data={"token": offer.token, "csrf_token": token,
                                                             "next": "/next-delivery"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/next-delivery")
    assert adapter.add_calls == 1


def test_without_add_to_next_delivery_the_feature_is_off(database_url, make_shop):
    app, db, tsuide, _ = make_shop(database_url, adapter=MemoryAdapter())
    with app.test_request_context():
        assert tsuide.renewal_offers(subscription()).enabled is False
        assert str(tsuide.renewal_panel(subscription())) == ""


def test_priced_items_add_up_exactly():
    lines = (CartLine("a", 3, 1_000), CartLine("b", 1, 500))
    items = priced_items(lines, 3_001)
    assert sum(line.subtotal for line in items) == 3_001
    assert {line.product_id for line in items} == {"a", "b"}
    assert all(line.quantity >= 1 for line in items)
