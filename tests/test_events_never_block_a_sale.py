"""Analytics never block a sale: with the events table broken, orders, caps, cart adds and accepts go through."""
import logging
from datetime import datetime, timedelta, timezone

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import text

from plugin import models
from plugin.storage.post_purchase import (
    PostPurchaseItem,
    PostPurchaseOffer,
    PostPurchaseResponse,
    PostPurchaseTrigger,
)
from shop import OrderingAdapter


@pytest.fixture
def shop(database_url, make_shop):
    """A "first 10" 3-bag set, a shoe-care thank-you offer with a downsell, and a checkout as the README has it."""
    adapter = OrderingAdapter()
    app, db, tsuide, _ = make_shop(database_url, adapter=adapter)
    adapter.customer_id = "c-1"
    with app.app_context():
        bundle = models.Bundle(label="3袋セット", pricing_mode="percent_off", pricing_value=1_000, global_cap=10,
                               items=[models.RuleItem(product_id="healthfood", quantity=3)])
        db.session.add(bundle)
        db.session.add(PostPurchaseOffer(
            kind="add_on", label="シューケアセット", pricing_mode="percent_off", pricing_value=2_000,
            items=[PostPurchaseItem(product_id=pid, quantity=1, position=i)
                   for i, pid in enumerate(["spray", "brush", "cleaner"])],
            triggers=[PostPurchaseTrigger(product_id="sneakers")],
            downsell=PostPurchaseOffer(kind="add_on", label="防水スプレーだけでも", pricing_value=1_000,
                                       items=[PostPurchaseItem(product_id="spray")],
                                       triggers=[PostPurchaseTrigger(product_id="sneakers")]),
        ))
        db.session.commit()
        bundle_id = str(bundle.id)

    @app.post("/checkout/<order_id>")
    def checkout(order_id):  # the README's checkout: the shop's order and the plugin's writes, one transaction
        quote = tsuide.quote()
        db.session.execute(text("INSERT INTO shop_orders (id) VALUES (:id)"), {"id": order_id})
        tsuide.redeem(order_id, quote, adapter.customer_id)
        db.session.commit()
        return {"total": quote.total}

    return app, db, adapter, bundle_id


def break_the_events_table(shop):
    app, db, *_ = shop
    with app.app_context():
        db.session.execute(text("ALTER TABLE tsuide_events RENAME TO tsuide_events_lost"))
        db.session.commit()


def csrf(client) -> str:
    body = client.get("/tsuide/api/cart").json
    return BeautifulSoup(body["panel_html"], "html.parser").select_one("[data-tsuide-csrf]")["data-tsuide-csrf"]


def test_the_order_commits_and_caps_are_counted_without_the_events_table(shop, caplog):
    app, db, adapter, bundle_id = shop
    break_the_events_table(shop)
    adapter.lines = {"healthfood": 3}
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="tsuide"):
        for order_id in ("O-1", "O-2"):
            response = client.post(f"/checkout/{order_id}")
            assert response.status_code == 200 and response.json == {"total": 8_100}
    with app.app_context():
        assert db.session.execute(text("SELECT id FROM shop_orders ORDER BY id")).scalars().all() == ["O-1", "O-2"]
        assert db.session.get(models.Rule, int(bundle_id)).redeemed == 2
        assert sorted(r.order_id for r in db.session.query(models.Redemption)) == ["O-1", "O-2"]
    failures = [r for r in caplog.records if "recording events failed" in r.getMessage()]
    assert len(failures) == 1  # logged once, not once per order


def test_adding_an_offer_to_the_cart_works_without_the_events_table(shop):
    app, db, adapter, bundle_id = shop
    adapter.lines = {"healthfood": 1}
    client = app.test_client()
    token = csrf(client)
    break_the_events_table(shop)
    response = client.post("/tsuide/api/cart/items", json={"bundle_id": bundle_id}, headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.json
    assert adapter.lines == {"healthfood": 3} and response.json["total"]["amount"] == 8_100


def test_thank_you_offers_are_shown_accepted_and_declined_without_the_events_table(shop):
    app, db, adapter, _ = shop
    now = datetime.now(timezone.utc)
    adapter.place("A-1", [("sneakers", 1)], now - timedelta(minutes=1))
    adapter.place("A-2", [("sneakers", 1)], now - timedelta(minutes=1))
    break_the_events_table(shop)
    client = app.test_client()
    body = client.get("/tsuide/api/orders/A-1/offer").json
    assert body["state"] == "offer"
    token = BeautifulSoup(body["panel_html"], "html.parser").select_one("[data-tsuide-csrf]")["data-tsuide-csrf"]
    response = client.post("/tsuide/api/orders/A-1/offer/accept", headers={"X-CSRFToken": token},
                           json={"offer_id": body["offer"]["id"], "idempotency_key": "no-events-key-1"})
    assert response.status_code == 200 and response.json["state"] == "accepted"
    assert adapter.charges == [("A-1", 2_800, "no-events-key-1")]
    response = client.post("/tsuide/api/orders/A-2/offer/decline", headers={"X-CSRFToken": token},
                           json={"offer_id": body["offer"]["id"]})
    assert response.status_code == 200 and response.json["offer"]["downsell"] is True
    with app.app_context():
        assert sorted((r.order_id, r.status) for r in db.session.query(PostPurchaseResponse)) == [
            ("A-1", "accepted"), ("A-2", "declined")]
