"""Beacons count only offers the server showed that visitor, once a visitor, offer, kind and day."""
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup

from plugin import models
from plugin.storefront import beacons

EVENTS = "/tsuide/api/events"
SCAM = "gap:Call-0120-000-000-for-your-refund"


@pytest.fixture
def shop(database_url, make_shop):
    """A spray in the cart: the shoe-care trio is offered, the brush and the cleaner close the shipping gap."""
    app, db, tsuide, adapter = make_shop(database_url)
    with app.app_context():
        trio = models.Bundle(label="シューケア3点", pricing_mode="fixed_price", pricing_value=2_900,
                             items=[models.RuleItem(product_id=pid, quantity=1, position=i)
                                    for i, pid in enumerate(["spray", "brush", "cleaner"])])
        other = models.Bundle(label="3袋セット", pricing_mode="percent_off", pricing_value=1_000,
                              items=[models.RuleItem(product_id="healthfood", quantity=3)])
        db.session.add_all([trio, other, models.ShippingRule(label="送料無料", currency="JPY", threshold=5_000,
                                                             fee=600)])
        db.session.commit()
        ids = str(trio.id), str(other.id)
    adapter.lines = {"spray": 1}
    return app, db, adapter, *ids


class Browser:
    """A shopper's browser: its panel's CSRF and beacon tokens, and sendBeacon."""

    def __init__(self, app):
        self.client = app.test_client()
        body = self.client.get("/tsuide/api/cart").json
        panel = BeautifulSoup(body["panel_html"], "html.parser")
        self.csrf = panel.select_one("[data-tsuide-csrf]")["data-tsuide-csrf"]
        self.beacon_token = panel.select_one("[data-tsuide-body]")["data-tsuide-beacon-token"]
        assert body["beacon_token"] == self.beacon_token  # the JSON carries the same token
        self.shown = [offer["rule_id"] for offer in body["offers"]] + [
            f"gap:{filler['product_id']}" for filler in body["gap_fillers"]]

    def beacon(self, kind, offers, beacon_token=None):
        response = self.client.post(EVENTS, data={"kind": kind, "offers": offers, "csrf_token": self.csrf,
                                                  "beacon_token": beacon_token or self.beacon_token})
        assert response.status_code == 204
        return response


def stored(shop):
    app, db, *_ = shop
    with app.app_context():
        return [(e.kind, e.rule_id) for e in db.session.query(models.Event).order_by(models.Event.id)]


def test_only_offers_the_panel_showed_are_recorded(shop):
    app, db, adapter, trio_id, other_id = shop
    browser = Browser(app)
    assert sorted(browser.shown) == sorted([trio_id, "gap:brush", "gap:cleaner"])
    browser.beacon("impression", [trio_id, "gap:brush", "gap:cleaner", SCAM, "pair:socks", other_id])
    assert stored(shop) == [("impression", trio_id), ("impression", "gap:brush"), ("impression", "gap:cleaner")]


def test_made_up_offers_never_reach_the_dashboard(shop):
    app, db, adapter, trio_id, other_id = shop
    adapter.admin = True
    dashboard = app.test_client().get("/tsuide/admin/analytics").get_data(as_text=True)
    browser = Browser(app)
    for number in range(100):  # the finding: 300 beacons of 10 made-up offers each grew the page to 5 MB
        browser.beacon(["impression", "click", "dismiss"][number % 3],
                       [f"gap:送料無料までの一品-{number}-{n}" for n in range(9)] + [SCAM])
    assert stored(shop) == []
    after = app.test_client().get("/tsuide/admin/analytics").get_data(as_text=True)
    assert "Call-0120" not in after and len(after) == len(dashboard)


def test_a_token_counts_only_for_the_visitor_it_was_rendered_for_and_only_for_a_day(shop, monkeypatch):
    app, db, adapter, trio_id, other_id = shop
    mine, theirs = Browser(app), Browser(app)
    theirs.beacon("impression", [trio_id], beacon_token=mine.beacon_token)  # someone else's panel
    theirs.beacon("impression", [trio_id], beacon_token=mine.beacon_token[:-2] + "xx")  # tampered with
    theirs.beacon("impression", [trio_id], beacon_token="eyJvZmZlcnMiOlsiZ2FwOnNjYW0iXX0")  # made up
    assert stored(shop) == []
    monkeypatch.setattr(beacons, "TOKEN_MAX_AGE", -1)  # the panel was rendered over a day ago
    mine.beacon("click", [trio_id])
    assert stored(shop) == []
    monkeypatch.undo()
    mine.beacon("click", [trio_id])
    assert stored(shop) == [("click", trio_id)]


def test_beacons_are_stored_once_a_visitor_offer_kind_and_day(shop):
    app, db, adapter, trio_id, other_id = shop
    browser, other = Browser(app), Browser(app)
    for _ in range(20):
        browser.beacon("impression", [trio_id, trio_id, "gap:brush"])
        browser.beacon("click", [trio_id])
    browser.beacon("dismiss", [trio_id])
    other.beacon("impression", [trio_id])
    assert sorted(stored(shop)) == sorted([("impression", trio_id), ("impression", "gap:brush"), ("click", trio_id),
                                           ("dismiss", trio_id), ("impression", trio_id)])
    with app.app_context():  # a day passes
        for event in db.session.query(models.Event):
            event.created_at -= timedelta(days=1)
        db.session.commit()
    browser.beacon("impression", [trio_id])
    assert len(stored(shop)) == 6


def test_a_thank_you_beacon_counts_for_the_order_its_panel_was_for(database_url, make_shop):
    from datetime import datetime, timezone

    from plugin.storage.post_purchase import PostPurchaseItem, PostPurchaseOffer, PostPurchaseTrigger
    from shop import OrderingAdapter

    adapter = OrderingAdapter()
    app, db, tsuide, _ = make_shop(database_url, adapter=adapter)
    adapter.customer_id = "c-1"
    adapter.place("A-1", [("sneakers", 1)], datetime.now(timezone.utc) - timedelta(minutes=1))
    with app.app_context():
        offer = PostPurchaseOffer(kind="add_on", label="防水スプレー", pricing_value=1_000,
                                  items=[PostPurchaseItem(product_id="spray")],
                                  triggers=[PostPurchaseTrigger(product_id="sneakers")])
        db.session.add(offer)
        db.session.commit()
        offer_id = f"pp:{offer.id}"
    client = app.test_client()
    body = client.get("/tsuide/api/orders/A-1/offer").json
    panel = BeautifulSoup(body["panel_html"], "html.parser")
    token = panel.select_one("[data-tsuide-body]")["data-tsuide-beacon-token"]
    csrf = panel.select_one("[data-tsuide-csrf]")["data-tsuide-csrf"]
    for offers in ([offer_id, "pp:999"], ["pp:999"]):
        client.post(EVENTS, data={"kind": "impression", "page": "thank-you", "offers": offers, "csrf_token": csrf,
                                  "beacon_token": token})
    with app.app_context():
        assert [(e.kind, e.rule_id, e.page) for e in db.session.query(models.Event)] == [
            ("impression", offer_id, "thank-you")]


@pytest.mark.parametrize("offer", ["gap:\x00", "pair:a\ud800", "gap:a\x1fb"])
def test_an_offer_id_no_database_could_store_is_a_400_not_a_503(shop, offer):
    app, *_ = shop
    browser = Browser(app)
    response = browser.client.post(EVENTS, json={"kind": "impression", "offers": [offer],
                                                 "beacon_token": browser.beacon_token},
                                   headers={"X-CSRFToken": browser.csrf})
    assert response.status_code == 400
    assert "offers" in response.get_data(as_text=True)
    assert stored(shop) == []
