"""Races on PostgreSQL for the 定期 switch: two accepts at once start one subscription; a key never starts twice."""
import threading
from datetime import datetime, timedelta, timezone

import pytest
from bs4 import BeautifulSoup

from plans import healthfood_plan
from plugin.storage.post_purchase import PostPurchaseOffer, PostPurchaseResponse
from shop import SubscribingAdapter, WorkerKilled

pytestmark = pytest.mark.postgresql


@pytest.fixture
def shop(postgres_url, make_shop):
    adapter = SubscribingAdapter()
    app, db, tsuide, _ = make_shop(postgres_url, adapter=adapter,
                                   SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 25, "max_overflow": 0})
    adapter.customer_id = "c-1"
    adapter.place("A-0", [("healthfood", 1)], datetime.now(timezone.utc) - timedelta(minutes=1))
    with app.app_context():
        offer = healthfood_plan()
        db.session.add(offer)
        db.session.commit()
        offer_id = str(offer.id)
    return app, db, adapter, offer_id


def client_with_token(app):
    client = app.test_client()
    body = client.get("/tsuide/api/orders/A-0/offer").json
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


def test_two_accepts_at_once_with_their_own_keys_start_one_subscription(shop):
    """Two tabs of the same thank-you page, each with its own key, pressed at the same moment."""
    app, db, adapter, offer_id = shop
    adapter.charge_delay = 0.3

    def click(index):
        client, token = client_with_token(app)
        response = client.post("/tsuide/api/orders/A-0/offer/accept",
                               json={"offer_id": offer_id, "idempotency_key": f"tab-{index}-key"},
                               headers={"X-CSRFToken": token})
        return response.status_code, response.json.get("state")

    outcomes = run_together(2, click)
    assert outcomes == [(200, "accepted")] * 2
    assert adapter.start_calls == 1
    assert len(adapter.subscriptions) == 1
    with app.app_context():
        assert db.session.query(PostPurchaseResponse).filter_by(status="accepted").count() == 1
        assert db.session.get(PostPurchaseOffer, int(offer_id)).accepted == 1


def test_the_same_key_sent_10_times_at_once_starts_once(shop):
    app, db, adapter, offer_id = shop
    adapter.charge_delay = 0.3

    def click(_):
        client, token = client_with_token(app)
        response = client.post("/tsuide/api/orders/A-0/offer/accept",
                               json={"offer_id": offer_id, "idempotency_key": "same-key-0001"},
                               headers={"X-CSRFToken": token})
        return response.status_code, response.json.get("state")

    assert run_together(10, click) == [(200, "accepted")] * 10
    assert adapter.start_calls == 1
    (order_id, product_id, plan, key), = adapter.subscriptions
    assert (order_id, product_id, key, plan.recurring_price) == ("A-0", "healthfood", "same-key-0001", 2_700)


def test_a_retry_with_the_same_key_after_an_interrupted_start_never_starts_twice(shop):
    """The worker died after the shop started the subscription; settlers and a retried click race."""
    app, db, adapter, offer_id = shop
    client, token = client_with_token(app)
    adapter.dies = "after"
    with pytest.raises(WorkerKilled):
        client.post("/tsuide/api/orders/A-0/offer/accept", json={"offer_id": offer_id, "idempotency_key": "dead-key-01"},
                    headers={"X-CSRFToken": token})
    with app.app_context():
        db.session.query(PostPurchaseResponse).update(
            {"claimed_at": datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(minutes=5)})
        db.session.commit()
    adapter.charge_delay = 0.3

    def look_or_retry(index):
        client, token = client_with_token(app)
        if index % 2:
            return client.get("/tsuide/api/orders/A-0/offer").json["state"]
        response = client.post("/tsuide/api/orders/A-0/offer/accept",
                               json={"offer_id": offer_id, "idempotency_key": "dead-key-01"},
                               headers={"X-CSRFToken": token})
        return response.json.get("state")

    states = run_together(8, look_or_retry)
    assert set(states) <= {"processing", "accepted", None} and "accepted" in states
    assert adapter.start_calls == 2  # the killed call and one retry, under the same key
    assert len(adapter.subscriptions) == 1
    with app.app_context():
        assert [(r.status, r.idempotency_key) for r in db.session.query(PostPurchaseResponse)] == [
            ("accepted", "dead-key-01")]
        assert db.session.get(PostPurchaseOffer, int(offer_id)).accepted == 1
