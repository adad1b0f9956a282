"""A charge interrupted inside amend_order (the worker killed for a timeout) is settled, never left pending.

The worker dies inside the shop's ``amend_order``, before or after the payment provider charged, and leaves
its claim pending. While the claim's lease runs the panel says "processing"; once it has run out, whoever
looks next retries the charge once under the same idempotency key and marks the claim accepted, or
releases it with its "first N" slot.
"""
from datetime import datetime, timedelta, timezone

import pytest
from bs4 import BeautifulSoup

from plugin import models
from plugin.storage.post_purchase import (
    PostPurchaseItem,
    PostPurchaseOffer,
    PostPurchaseResponse,
    PostPurchaseTrigger,
)
from plugin.storefront import thank_you
from shop import OrderingAdapter

def now() -> datetime:
    """The time when a test runs, not when the module was imported: orders sit inside the 15-minute window even
    when a loaded machine takes minutes to reach a test."""
    return datetime.now(timezone.utc)
LEASE = 30
KEY = "killed-key-0001"


@pytest.fixture
def shop(database_url, make_shop):
    """Orders A-1 and B-1 of sneakers, and a "first 1" shoe-care set at 20% off (2,800)."""
    adapter = OrderingAdapter()
    app, db, tsuide, _ = make_shop(database_url, adapter=adapter, TSUIDE_CLAIM_LEASE_SECONDS=LEASE)
    adapter.customer_id = "c-1"
    adapter.place("A-1", [("sneakers", 1)], now() - timedelta(minutes=2))
    adapter.place("B-1", [("sneakers", 1)], now() - timedelta(minutes=2))
    with app.app_context():
        offer = PostPurchaseOffer(
            kind="add_on", label="先着1名様 シューケアセット", pricing_mode="percent_off", pricing_value=2_000,
            global_cap=1, items=[PostPurchaseItem(product_id=pid, quantity=1, position=i)
                                 for i, pid in enumerate(["spray", "brush", "cleaner"])],
            triggers=[PostPurchaseTrigger(product_id="sneakers")],
        )
        db.session.add(offer)
        db.session.commit()
        offer_id = str(offer.id)
    return app, db, adapter, offer_id


def offer_body(client, order_id="A-1"):
    return client.get(f"/tsuide/api/orders/{order_id}/offer", headers={"Accept-Language": "en"}).json


def token(body) -> str:
    return BeautifulSoup(body["panel_html"], "html.parser").select_one("[data-tsuide-csrf]")["data-tsuide-csrf"]


def accept(client, offer_id, key, csrf, order_id="A-1"):
    return client.post(f"/tsuide/api/orders/{order_id}/offer/accept", json={"offer_id": offer_id, "idempotency_key": key},
                       headers={"X-CSRFToken": csrf, "Accept-Language": "en"})


def killed_accept(shop, client, when: str) -> str:
    """Accept A-1's offer while the worker is killed inside amend_order ("before" or "after" charging)."""
    app, db, adapter, offer_id = shop
    csrf = token(offer_body(client))
    adapter.dies = when
    with pytest.raises(SystemExit):
        accept(client, offer_id, KEY, csrf)
    return csrf


def age_the_claim(shop, seconds=LEASE + 1):
    """Time passes: the claim was made (or its lease last taken) ``seconds`` ago."""
    app, db, *_ = shop
    with app.app_context():
        claim = db.session.query(PostPurchaseResponse).one()
        claim.claimed_at -= timedelta(seconds=seconds)
        db.session.commit()


def claims_and_count(shop):
    app, db, adapter, offer_id = shop
    with app.app_context():
        return ([(r.order_id, r.status, r.idempotency_key) for r in db.session.query(PostPurchaseResponse)],
                db.session.get(PostPurchaseOffer, int(offer_id)).accepted)


def accepts(shop):
    app, db, *_ = shop
    with app.app_context():
        return [(e.rule_id, e.order_id, e.amount) for e in db.session.query(models.Event).filter_by(kind="accept")]


def test_while_the_lease_runs_the_panel_says_processing_never_added(shop):
    app, db, adapter, offer_id = shop
    client = app.test_client()
    killed_accept(shop, client, "after")
    age_the_claim(shop, LEASE - 5)
    body = offer_body(client)
    assert body["state"] == "processing"
    text = BeautifulSoup(body["panel_html"], "html.parser").get_text()
    assert "We are adding this to your order" in text and "Added to your order" not in text
    assert claims_and_count(shop) == ([("A-1", "pending", KEY)], 1)
    assert adapter.amend_calls == 1  # nobody retries while the lease runs


def test_an_interrupted_charge_that_went_through_is_marked_accepted_without_a_second_charge(shop):
    app, db, adapter, offer_id = shop
    client = app.test_client()
    killed_accept(shop, client, "after")  # the provider charged, then the worker died
    age_the_claim(shop)
    body = offer_body(client)
    assert body["state"] == "accepted"
    assert body["order"]["total"]["amount"] == 12_000 + 2_800
    assert "Added to your order. New order total ¥14,800." in body["panel_html"]
    # Retried once, with the very lines, charge and key of the claim; charged once.
    assert adapter.amend_calls == 2 and adapter.calls[1] == adapter.calls[0]
    assert adapter.calls[1][3:] == (2_800, KEY)
    assert adapter.charges == [("A-1", 2_800, KEY)]
    assert claims_and_count(shop) == ([("A-1", "accepted", KEY)], 1)
    assert accepts(shop) == [(f"pp:{offer_id}", "A-1", 2_800)]
    assert offer_body(client)["state"] == "accepted" and adapter.amend_calls == 2  # settled: never again


def test_an_interrupted_charge_that_fails_on_retry_is_released_with_its_first_n_slot(shop):
    app, db, adapter, offer_id = shop
    client = app.test_client()
    csrf = killed_accept(shop, client, "before")  # the worker died before the provider charged
    assert offer_body(client, "B-1")["state"] == "none"  # the only "first 1" slot is taken meanwhile
    age_the_claim(shop)
    adapter.charge_fails = True
    body = offer_body(client)
    assert body["state"] == "offer" and body["offer"]["left"] == 1  # released: the offer and its slot are back
    assert adapter.amend_calls == 2 and adapter.calls[1] == adapter.calls[0]
    assert adapter.charges == []
    assert claims_and_count(shop) == ([], 0)
    assert accepts(shop) == []
    adapter.charge_fails = False
    response = accept(client, offer_id, "fresh-key-0002", csrf)
    assert response.status_code == 200 and response.json["state"] == "accepted"
    assert adapter.charges == [("A-1", 2_800, "fresh-key-0002")]
    assert claims_and_count(shop) == ([("A-1", "accepted", "fresh-key-0002")], 1)


def test_a_retry_of_the_same_key_waits_during_the_lease_and_settles_after_it(shop, monkeypatch):
    app, db, adapter, offer_id = shop
    monkeypatch.setattr(thank_you, "CLAIM_WAIT_SECONDS", 0.2)
    client = app.test_client()
    csrf = killed_accept(shop, client, "before")
    response = accept(client, offer_id, KEY, csrf)  # the shopper clicks again: the claim's lease still runs
    assert response.status_code == 409
    assert response.json["error"]["message"] == "Your order is being updated. Please wait a moment."
    assert adapter.amend_calls == 1
    age_the_claim(shop)
    response = accept(client, offer_id, KEY, csrf)
    assert response.status_code == 200 and response.json["state"] == "accepted"
    assert response.json["order"]["total"]["amount"] == 14_800
    assert adapter.amend_calls == 2 and adapter.charges == [("A-1", 2_800, KEY)]
    assert claims_and_count(shop) == ([("A-1", "accepted", KEY)], 1)


def test_the_thank_you_panel_helper_settles_too(shop):
    app, db, adapter, offer_id = shop
    client = app.test_client()
    killed_accept(shop, client, "after")
    age_the_claim(shop)
    tsuide = app.extensions["tsuide"]
    with app.test_request_context(headers={"Accept-Language": "en"}):
        html = str(tsuide.thank_you_panel("A-1"))
    assert "Added to your order. New order total ¥14,800." in html
    assert claims_and_count(shop) == ([("A-1", "accepted", KEY)], 1)
