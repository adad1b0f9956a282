"""Races on PostgreSQL: separate connections accepting at once never pass a cap or charge twice."""
import threading
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

pytestmark = pytest.mark.postgresql
def now() -> datetime:
    """The time when a test runs, not when the module was imported: orders sit inside the 15-minute window even
    when a loaded machine takes minutes to reach a test."""
    return datetime.now(timezone.utc)


@pytest.fixture
def shop(postgres_url, make_shop):
    adapter = OrderingAdapter()
    app, db, tsuide, _ = make_shop(postgres_url, adapter=adapter,
                                   SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 25, "max_overflow": 0})
    adapter.customer_id = "c-1"
    with app.app_context():
        offer = PostPurchaseOffer(
            kind="add_on", label="先着100名様 シューケアセット", pricing_mode="percent_off", pricing_value=2_000,
            global_cap=100, items=[PostPurchaseItem(product_id=pid, position=i, quantity=1)
                                   for i, pid in enumerate(["spray", "brush", "cleaner"])],
            triggers=[PostPurchaseTrigger(product_id="sneakers")],
        )
        db.session.add(offer)
        db.session.commit()
        offer_id = str(offer.id)
    return app, db, adapter, offer_id


def client_with_token(app):
    client = app.test_client()
    body = client.get("/tsuide/api/orders/A-0/offer").json
    # The panel carries the token in every state: another worker may have accepted A-0 already.
    token = BeautifulSoup(body["panel_html"], "html.parser").select_one("[data-tsuide-csrf]")["data-tsuide-csrf"]
    return client, token


def run_together(count, work):
    start = threading.Barrier(count)
    results = [None] * count

    def run(index):
        start.wait()
        results[index] = work(index)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_exactly_the_first_100_shoppers_get_a_first_100_offer(shop):
    app, db, adapter, offer_id = shop
    orders = 130
    for number in range(orders):
        adapter.place(f"A-{number}", [("sneakers", 1)], now() - timedelta(minutes=1))
    adapter.charge_delay = 0.002
    workers = 20

    def shopper(worker):
        client, token = client_with_token(app)
        outcomes = []
        for number in range(worker, orders, workers):
            response = client.post(f"/tsuide/api/orders/A-{number}/offer/accept",
                                   json={"offer_id": offer_id, "idempotency_key": f"order-{number}-key"},
                                   headers={"X-CSRFToken": token, "Accept-Language": "en"})
            outcomes.append((response.status_code, response.json.get("error", {}).get("message")))
        return outcomes

    outcomes = [outcome for worker in run_together(workers, shopper) for outcome in worker]
    accepted = [outcome for outcome in outcomes if outcome[0] == 200]
    refused = [outcome for outcome in outcomes if outcome[0] != 200]
    assert len(accepted) == 100
    assert set(refused) == {(410, "Sorry, this offer has just sold out.")}
    assert len(refused) == 30
    assert len(adapter.charges) == 100
    with app.app_context():
        assert db.session.get(PostPurchaseOffer, int(offer_id)).accepted == 100
        assert db.session.query(PostPurchaseResponse).filter_by(status="accepted").count() == 100


def test_the_same_key_sent_20_times_at_once_charges_once(shop):
    app, db, adapter, offer_id = shop
    adapter.place("A-0", [("sneakers", 1)], now() - timedelta(minutes=1))
    adapter.charge_delay = 0.3  # the payment provider is slow: the other 19 arrive while it works

    def click(_):
        client, token = client_with_token(app)
        response = client.post("/tsuide/api/orders/A-0/offer/accept",
                               json={"offer_id": offer_id, "idempotency_key": "same-key-0001"},
                               headers={"X-CSRFToken": token})
        return response.status_code, response.json.get("state")

    outcomes = run_together(20, click)
    assert outcomes == [(200, "accepted")] * 20
    assert adapter.amend_calls == 1
    assert adapter.charges == [("A-0", 2_800, "same-key-0001")]
    assert adapter.orders["A-0"].total == 14_800


def test_two_settlers_of_an_interrupted_charge_never_charge_twice(shop):
    """A worker died inside amend_order; its claim's lease ran out; 10 shoppers' pages look at once."""
    from shop import WorkerKilled

    app, db, adapter, offer_id = shop
    adapter.place("A-0", [("sneakers", 1)], now() - timedelta(minutes=1))
    client, token = client_with_token(app)
    adapter.dies = "before"
    with pytest.raises(WorkerKilled):
        client.post("/tsuide/api/orders/A-0/offer/accept", json={"offer_id": offer_id, "idempotency_key": "dead-key-01"},
                    headers={"X-CSRFToken": token})
    with app.app_context():
        db.session.query(PostPurchaseResponse).update({"claimed_at": datetime.now(timezone.utc).replace(tzinfo=None)
                                                       - timedelta(minutes=5)})
        db.session.commit()
    adapter.charge_delay = 0.3  # the retried charge is slow: the others look while it runs

    def look(_):
        return app.test_client().get("/tsuide/api/orders/A-0/offer").json["state"]

    states = run_together(10, look)
    assert set(states) <= {"processing", "accepted"} and "accepted" in states
    assert adapter.amend_calls == 2  # the killed call and one retry
    assert adapter.charges == [("A-0", 2_800, "dead-key-01")]
    with app.app_context():
        assert [(r.status, r.idempotency_key) for r in db.session.query(PostPurchaseResponse)] == [
            ("accepted", "dead-key-01")]
        assert db.session.get(PostPurchaseOffer, int(offer_id)).accepted == 1
