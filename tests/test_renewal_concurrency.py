"""Races on PostgreSQL for renewal add-ons: one key adds once, however many requests press it at once."""
import time
from datetime import datetime, timedelta, timezone

import pytest

from plugin import CartLine, models
from plugin.storage.events import Event
from plugin.storage.subscriptions import RenewalAnswer
from shop import SubscribingAdapter, WorkerKilled
from test_renewal_offers import _token, subscription
from test_subscribe_concurrency import run_together

pytestmark = pytest.mark.postgresql


@pytest.fixture
def shop(postgres_url, make_shop):
    adapter = SubscribingAdapter()
    app, db, tsuide, _ = make_shop(postgres_url, adapter=adapter,
                                   SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 25, "max_overflow": 0})
    with app.app_context():
        db.session.add(models.Bundle(label="青汁と靴下", pricing_mode="amount_off", pricing_value=500,
                                     items=[models.RuleItem(product_id=pid, quantity=1) for pid in ("healthfood", "socks")]))
        db.session.commit()
    with app.test_request_context():
        [offer] = tsuide.renewal_offers(subscription()).offers
    return app, db, adapter, offer.token


def press(app, token):
    client = app.test_client()
    csrf = _token(client)

    def click(_):
        response = client.post("/tsuide/api/renewals/add", json={"token": token}, headers={"X-CSRFToken": csrf})
        return response.status_code

    return click


def outcome(app, db):
    with app.app_context():
        rows = [(a.status, a.charge) for a in db.session.query(RenewalAnswer)]
        events = db.session.query(Event).filter_by(kind="add", page="renewal").count()
    return rows, events


def test_two_adds_at_once_with_the_same_key_add_once(shop):
    app, db, adapter, token = shop
    adapter.charge_delay = 0.3
    assert run_together(2, press(app, token)) == [200, 200]
    assert adapter.add_calls == 1
    assert adapter.next_deliveries == {"S-1": [CartLine("socks", 1, 500)]}
    assert outcome(app, db) == ([("added", 500)], 1)


def test_ten_at_once_add_once(shop):
    app, db, adapter, token = shop
    adapter.charge_delay = 0.2
    assert run_together(10, press(app, token)) == [200] * 10
    assert adapter.add_calls == 1
    assert outcome(app, db) == ([("added", 500)], 1)


def test_after_a_dead_worker_many_retries_at_once_take_the_lease_over_once(shop):
    app, db, adapter, token = shop
    adapter.dies = "after"
    with pytest.raises(WorkerKilled):
        press(app, token)(0)
    with app.app_context():
        db.session.query(RenewalAnswer).update(
            {"claimed_at": datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(minutes=5)})
        db.session.commit()
    adapter.charge_delay = 0.3
    assert run_together(8, press(app, token)) == [200] * 8
    assert adapter.add_calls == 2  # the killed call and one retry, under the same key
    assert adapter.next_deliveries == {"S-1": [CartLine("socks", 1, 500)]}
    assert outcome(app, db) == ([("added", 500)], 1)


def test_a_slow_add_past_its_lease_and_the_one_that_took_it_over_add_once_and_record_once(shop):
    """Not dead, only slow: the lease runs out while the shop still works, another request takes it over; both
    calls reach the shop under one key (it adds once), and only one of them marks the claim and records it."""
    app, db, adapter, token = shop
    app.config["TSUIDE_CLAIM_LEASE_SECONDS"] = 0.2
    adapter.charge_delay = 0.6

    def click(index):
        if index:
            time.sleep(0.35)  # after the first request's lease ran out, while its shop call still runs
        return press(app, token)(index)

    assert run_together(2, click) == [200, 200]
    assert adapter.add_calls == 2
    assert adapter.next_deliveries == {"S-1": [CartLine("socks", 1, 500)]}
    assert outcome(app, db) == ([("added", 500)], 1)
