"""The shopper's JSON API: prices come from the server, refusals leave the cart as it was."""
from datetime import datetime, timedelta

import pytest
from plugin import models

ADD = "/tsuide/api/cart/items"


@pytest.fixture
def shop(database_url, make_shop):
    app, db, tsuide, adapter = make_shop(database_url)
    with app.app_context():
        db.session.add_all([
            models.Bundle(label="3袋セット", label_en="3-bag set", pricing_mode="percent_off", pricing_value=1_000,
                          items=[models.RuleItem(product_id="healthfood", quantity=3)]),
            models.Bundle(label="シューケア3点", label_en="Shoe-care trio", pricing_mode="fixed_price",
                          pricing_value=2_900, items=[models.RuleItem(product_id=pid, quantity=1, position=i)
                                                      for i, pid in enumerate(["spray", "brush", "cleaner"])]),
            models.ShippingRule(label="送料無料", currency="JPY", threshold=5_000, fee=600),
        ])
        db.session.commit()
    return app, db, tsuide, adapter


@pytest.fixture
def client(shop):
    return shop[0].test_client()


def csrf_headers(client, language="ja"):
    """A token bound to the client's session, as the panel's data-tsuide-csrf carries it."""
    response = client.get("/tsuide/api/cart", headers={"Accept-Language": language})
    token = response.json["panel_html"].split('data-tsuide-csrf="')[1].split('"')[0]
    return {"X-CSRFToken": token, "Accept-Language": language}


def rule_id(shop, label):
    app, db, *_ = shop
    with app.app_context():
        return str(db.session.query(models.Rule).filter_by(label=label).one().id)


def test_get_cart_returns_the_quote_with_display_amounts(shop, client):
    shop[3].lines = {"healthfood": 1}
    body = client.get("/tsuide/api/cart", headers={"Accept-Language": "ja"}).json
    assert body["total"] == {"amount": 3_600, "display": "￥3,600"}
    assert body["free_shipping"]["remaining"] == {"amount": 2_000, "display": "￥2,000"}
    [offer] = body["offers"]
    assert (offer["label"], offer["saving"]["amount"], offer["new_total"]["amount"]) == ("3袋セット", 900, 8_100)
    assert "あと￥2,000で送料無料" in body["panel_html"]


def test_adding_a_bundle_puts_in_what_is_missing_and_answers_with_the_new_quote(shop, client):
    adapter = shop[3]
    adapter.lines = {"healthfood": 1}
    headers = csrf_headers(client, "en")
    response = client.post(ADD, json={"bundle_id": rule_id(shop, "3袋セット")}, headers=headers)
    assert response.status_code == 200, response.json
    assert adapter.lines == {"healthfood": 3}
    assert response.json["total"]["amount"] == 8_100
    assert response.json["discounts"][0]["label"] == "3-bag set"
    assert response.json["message"] == "Added to your cart."


def test_a_price_sent_by_the_client_is_ignored(shop, client):
    adapter = shop[3]
    headers = csrf_headers(client)
    response = client.post(ADD, json={"items": [{"product_id": "spray", "quantity": 2, "unit_price": 1,
                                                 "price": 1}], "total": 1}, headers=headers)
    assert response.status_code == 200
    assert adapter.lines == {"spray": 2}
    assert response.json["subtotal"]["amount"] == 3_000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "_schema"),
        ({"bundle_id": "1", "items": [{"product_id": "spray"}]}, "_schema"),
        ({"items": []}, "items"),
        ({"items": [{"quantity": 1}]}, "items"),
        ({"items": [{"product_id": "spray", "quantity": 0}]}, "items"),
        ({"items": [{"product_id": "spray", "quantity": "lots"}]}, "items"),
        ({"bundle_id": ""}, "bundle_id"),
        ([1, 2], "_schema"),
    ],
)
def test_malformed_bodies_get_400_with_the_field_named(shop, client, body, field):
    adapter = shop[3]
    adapter.lines = {"healthfood": 1}
    response = client.post(ADD, json=body, headers=csrf_headers(client))
    assert response.status_code == 400
    assert response.json["error"]["message"] == "入力内容をご確認ください。"
    assert field in response.json["error"]["fields"]
    assert adapter.lines == {"healthfood": 1}


def test_an_unknown_bundle_is_404_and_the_cart_is_unchanged(shop, client):
    adapter = shop[3]
    adapter.lines = {"healthfood": 1}
    response = client.post(ADD, json={"bundle_id": "99999"}, headers=csrf_headers(client, "en"))
    assert response.status_code == 404
    assert response.json["error"]["message"] == "This offer does not exist."
    assert adapter.lines == {"healthfood": 1}


def test_an_out_of_stock_product_is_refused(shop, client):
    adapter = shop[3]
    response = client.post(ADD, json={"items": [{"product_id": "scarf"}]}, headers=csrf_headers(client, "en"))
    assert response.status_code == 409
    assert response.json["error"]["message"] == "Scarf is out of stock."
    assert adapter.lines == {}


def test_an_unknown_product_is_refused(shop, client):
    response = client.post(ADD, json={"items": [{"product_id": "nope"}]}, headers=csrf_headers(client, "en"))
    assert response.status_code == 404
    assert shop[3].lines == {}


@pytest.mark.parametrize("change", ["paused", "ended", "not_started"])
def test_a_paused_or_expired_rule_is_gone(shop, client, change):
    app, db, tsuide, adapter = shop
    adapter.lines = {"spray": 1}
    with app.app_context():
        rule = db.session.query(models.Rule).filter_by(label="シューケア3点").one()
        if change == "paused":
            rule.paused = True
        elif change == "ended":
            rule.ends_at = datetime.utcnow() - timedelta(minutes=1)  # noqa: DTZ003 stored naive UTC
        else:
            rule.starts_at = datetime.utcnow() + timedelta(days=1)  # noqa: DTZ003
        db.session.commit()
        bundle_id = str(rule.id)
    response = client.post(ADD, json={"bundle_id": bundle_id}, headers=csrf_headers(client, "en"))
    assert response.status_code == 410
    assert response.json["error"]["message"] == "This offer is no longer available."
    assert adapter.lines == {"spray": 1}


def test_a_bundle_already_in_the_cart_is_not_added_again(shop, client):
    adapter = shop[3]
    adapter.lines = {"healthfood": 3}
    response = client.post(ADD, json={"bundle_id": rule_id(shop, "3袋セット")}, headers=csrf_headers(client, "en"))
    assert response.status_code == 409
    assert adapter.lines == {"healthfood": 3}


def test_a_write_without_the_csrf_token_is_refused(shop, client):
    response = client.post(ADD, json={"items": [{"product_id": "spray"}]}, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "reload the page" in response.json["error"]["message"]
    assert shop[3].lines == {}
    response = client.post(ADD, json={"items": [{"product_id": "spray"}]}, headers={"X-CSRFToken": "forged"})
    assert response.status_code == 400
    assert shop[3].lines == {}


def test_the_form_without_javascript_posts_and_comes_back(shop, client):
    app, db, tsuide, adapter = shop
    adapter.lines = {"spray": 1}
    token = csrf_headers(client)["X-CSRFToken"]
    response = client.post(ADD, data={"bundle_id": rule_id(shop, "シューケア3点"), "csrf_token": token,
                                      "next": "/cart?from=panel"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/cart?from=panel"
    assert adapter.lines == {"spray": 1, "brush": 1, "cleaner": 1}
    with client.session_transaction() as session:
        assert ("success", "カートに追加しました。") in session["_flashes"]


def test_a_refused_form_comes_back_with_the_reason_and_never_leaves_the_shop(shop, client):
    token = csrf_headers(client)["X-CSRFToken"]
    response = client.post(ADD, data={"product_id": "scarf", "csrf_token": token, "next": "https://evil.example/"},
                           headers={"Referer": "https://evil.example/x"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    with client.session_transaction() as session:
        assert ("error", "Scarfは在庫切れです。") in session["_flashes"]


def test_beacons_are_stored_per_offer_and_visitor(shop, client):
    app, db, tsuide, adapter = shop
    adapter.lines = {"healthfood": 1}
    token = csrf_headers(client)["X-CSRFToken"]
    shown = client.get("/tsuide/api/cart").json["beacon_token"]  # the panel shows the 3-bag set
    set_id = rule_id(shop, "3袋セット")
    response = client.post("/tsuide/api/events", data={"kind": "impression", "offers": [set_id, "gap:socks", "99"],
                                                       "csrf_token": token, "beacon_token": shown})
    assert response.status_code == 204  # socks and rule 99 were not shown: those are left out
    assert client.post("/tsuide/api/events", data={"kind": "click", "offers": set_id, "csrf_token": token,
                                                   "beacon_token": shown}).status_code == 204
    with app.app_context():
        rows = db.session.query(models.Event).order_by(models.Event.id).all()
        assert [(row.kind, row.rule_id, row.page) for row in rows] == [
            ("impression", set_id, "cart"), ("click", set_id, "cart")
        ]
        assert len({row.visitor_id for row in rows}) == 1 and rows[0].visitor_id


def test_a_bad_beacon_is_400_and_stores_nothing(shop, client):
    app, db, *_ = shop
    token = csrf_headers(client)["X-CSRFToken"]
    response = client.post("/tsuide/api/events", data={"kind": "purchase", "offers": "3", "csrf_token": token})
    assert response.status_code == 400
    assert "kind" in response.json["error"]["fields"]
    for forged in ("²", "pp:²", "=HYPERLINK(1)", "gap:" + "x" * 61):
        response = client.post("/tsuide/api/events", data={"kind": "impression", "offers": forged,
                                                           "csrf_token": token, "beacon_token": "x"})
        assert response.status_code == 400 and "offers" in response.json["error"]["fields"], forged
    response = client.post("/tsuide/api/events", data={"kind": "impression", "offers": "3", "csrf_token": token})
    assert response.status_code == 400 and "beacon_token" in response.json["error"]["fields"]
    with app.app_context():
        assert db.session.query(models.Event).count() == 0


def test_a_shops_own_error_pages_do_not_replace_the_apis_json(shop, client):
    app = shop[0]
    app.register_error_handler(404, lambda error: ("<h1>Shop's own 404 page</h1>", 404))
    app.register_error_handler(400, lambda error: ("<h1>Shop's own 400 page</h1>", 400))
    response = client.post(ADD, json={"bundle_id": "99999"}, headers=csrf_headers(client, "en"))
    assert response.status_code == 404
    assert response.json["error"]["message"] == "This offer does not exist."
    response = client.post(ADD, json={"items": []}, headers=csrf_headers(client, "en"))
    assert response.status_code == 400 and "items" in response.json["error"]["fields"]


def test_an_offer_added_from_the_panel_is_recorded_for_the_analytics(shop, client):
    app, db, tsuide, adapter = shop
    adapter.lines = {"healthfood": 1}
    client.post(ADD, json={"bundle_id": rule_id(shop, "3袋セット")}, headers=csrf_headers(client))
    with app.app_context():
        assert [(e.kind, e.rule_id, e.page) for e in db.session.query(models.Event)] == [
            ("add", rule_id(shop, "3袋セット"), "cart")
        ]
