"""A renewal add left pending by a dead worker: the lease runs out, and the next request completes it, once.

As README "Renewal add-ons" says: an add is claimed (pending, its key unique) before the shop's
``add_to_next_delivery`` is called; while the claim's lease (``TSUIDE_CLAIM_LEASE_SECONDS``) runs, another
request for the same key waits and never calls the shop; once it ran out, the next request takes the lease
over and asks the shop again under the same key with the claim's own items, then marks it added (or releases
it if the shop refuses).
"""
from datetime import datetime, timedelta, timezone

import pytest

from plugin import CartLine, models
from plugin.storage.events import Event
from plugin.storage.subscriptions import RenewalAnswer
from plugin.storefront import renewals
from shop import SubscribingAdapter, WorkerKilled
from test_renewal_offers import _token, subscription


@pytest.fixture
def shop(database_url, make_shop):
    adapter = SubscribingAdapter()
    app, db, tsuide, _ = make_shop(database_url, adapter=adapter)
    with app.app_context():
        bundle = models.Bundle(label="青汁と靴下", label_en="Juice and socks", pricing_mode="amount_off",
                               pricing_value=500, items=[models.RuleItem(product_id=pid, quantity=1)
                                                         for pid in ("healthfood", "socks")])
        db.session.add(bundle)
        db.session.commit()
        rule_id = str(bundle.id)
    return app, db, tsuide, adapter, rule_id


def offer_token(app, tsuide):
    with app.test_request_context():
        [offer] = tsuide.renewal_offers(subscription()).offers
    return offer.token


def post(client, token):
    return client.post("/tsuide/api/renewals/add", json={"token": token}, headers={"X-CSRFToken": _token(client)})


def killed(app, adapter, when):
    """An add whose worker was killed inside the shop's add_to_next_delivery (before or after it added)."""
    client = app.test_client()
    token = offer_token(app, app.extensions["tsuide"])
    adapter.dies = when
    with pytest.raises(WorkerKilled):
        post(client, token)
    return client, token


def age_claims(app, db, seconds=60):
    with app.app_context():
        db.session.query(RenewalAnswer).update(
            {"claimed_at": datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(seconds=seconds)})
        db.session.commit()


def answers(app, db):
    with app.app_context():
        return [(a.status, a.idempotency_key.split(":")[-1], a.items, a.charge)
                for a in db.session.query(RenewalAnswer).order_by(RenewalAnswer.id)]


def add_events(app, db):
    with app.app_context():
        return [(e.rule_id, e.amount, e.page) for e in db.session.query(Event).filter_by(kind="add")]


def test_during_the_lease_a_second_request_waits_and_never_calls_the_shop(shop, monkeypatch):
    app, db, tsuide, adapter, rule_id = shop
    client, token = killed(app, adapter, "after")
    monkeypatch.setattr(renewals, "CLAIM_WAIT_SECONDS", 0.2)
    response = post(client, token)
    assert response.status_code == 409, response.json
    assert adapter.add_calls == 1
    assert answers(app, db) == [("pending", "socks", [["socks", 1, 500]], 500)]


def test_after_the_lease_an_add_that_went_through_is_marked_added_without_adding_twice(shop):
    app, db, tsuide, adapter, rule_id = shop
    client, token = killed(app, adapter, "after")
    age_claims(app, db, seconds=31)  # TSUIDE_CLAIM_LEASE_SECONDS is 30
    response = post(client, token)
    assert response.status_code == 200, response.json
    assert response.json["price"]["amount"] == 500
    assert adapter.add_calls == 2  # the killed call and one retry, under the same key
    assert [call[2] for call in adapter.calls] == [adapter.calls[0][2]] * 2
    assert adapter.next_deliveries == {"S-1": [CartLine("socks", 1, 500)]}
    assert answers(app, db) == [("added", "socks", [["socks", 1, 500]], 500)]
    assert add_events(app, db) == [(rule_id, 500, "renewal")]
    assert post(client, token).status_code == 200  # and again: answered from the claim, the shop not asked
    assert adapter.add_calls == 2
    assert add_events(app, db) == [(rule_id, 500, "renewal")]


def test_a_lease_not_quite_run_out_is_not_taken_over(shop, monkeypatch):
    app, db, tsuide, adapter, rule_id = shop
    client, token = killed(app, adapter, "after")
    age_claims(app, db, seconds=25)
    monkeypatch.setattr(renewals, "CLAIM_WAIT_SECONDS", 0.1)
    assert post(client, token).status_code == 409
    assert adapter.add_calls == 1


def test_an_add_killed_before_the_shop_added_is_completed_by_the_retry(shop):
    app, db, tsuide, adapter, rule_id = shop
    client, token = killed(app, adapter, "before")
    assert adapter.next_deliveries == {}
    age_claims(app, db)
    with app.test_request_context():  # while pending, the panel never suggests it again
        assert tsuide.renewal_offers(subscription()).offers == ()
    assert post(client, token).status_code == 200
    assert adapter.next_deliveries == {"S-1": [CartLine("socks", 1, 500)]}
    assert answers(app, db)[0][0] == "added"


def test_the_retry_asks_for_the_claimed_items_not_the_new_tokens(shop):
    """The rule's price changed after the claim: the retry adds what was claimed, at the price then shown."""
    app, db, tsuide, adapter, rule_id = shop
    client, token = killed(app, adapter, "before")
    with app.app_context():
        bundle = db.session.get(models.Bundle, int(rule_id))
        bundle.pricing_value = 300
        db.session.commit()
    age_claims(app, db)
    with app.test_request_context():  # a fresh token, as a reloaded page would post: same products, same key
        fresh = renewals._serializer().dumps({"s": "S-1", "d": subscription().next_delivery_on.isoformat(),
                                              "r": rule_id, "i": [["socks", 1, 700]],
                                              "u": int(renewals.closes_at(subscription().next_delivery_on).timestamp())})
    response = post(client, fresh)
    assert response.status_code == 200
    assert response.json["price"]["amount"] == 500
    assert adapter.calls[-1][1] == (CartLine("socks", 1, 500),)
    assert adapter.next_deliveries == {"S-1": [CartLine("socks", 1, 500)]}


def test_a_retry_the_shop_refuses_releases_the_claim_and_a_later_add_starts_afresh(shop):
    app, db, tsuide, adapter, rule_id = shop
    client, token = killed(app, adapter, "before")
    age_claims(app, db)
    adapter.charge_fails = True
    assert post(client, token).status_code == 402
    assert answers(app, db) == []
    assert add_events(app, db) == []
    adapter.charge_fails = False
    assert post(client, token).status_code == 200
    assert answers(app, db) == [("added", "socks", [["socks", 1, 500]], 500)]
    assert adapter.add_calls == 3


def test_a_claim_without_recorded_items_is_released_not_retried(shop):
    """A claim made before claims kept their lines (migration 0014) cannot be retried as it was: released."""
    app, db, tsuide, adapter, rule_id = shop
    client, token = killed(app, adapter, "before")
    with app.app_context():
        db.session.query(RenewalAnswer).update({"items": None})
        db.session.commit()
    age_claims(app, db)
    assert post(client, token).status_code == 402
    assert adapter.add_calls == 1
    assert answers(app, db) == []


def test_looking_at_the_next_delivery_completes_an_add_whose_worker_died(shop):
    app, db, tsuide, adapter, rule_id = shop
    killed(app, adapter, "before")
    with app.test_request_context():  # during the lease: shown as added, the shop not asked again
        assert tsuide.renewal_offers(subscription()).added == ("socks",)
    assert adapter.add_calls == 1
    age_claims(app, db)
    with app.test_request_context():
        renewal = tsuide.renewal_offers(subscription())
    assert (renewal.offers, renewal.added) == ((), ("socks",))
    assert adapter.add_calls == 2
    assert adapter.next_deliveries == {"S-1": [CartLine("socks", 1, 500)]}
    assert answers(app, db) == [("added", "socks", [["socks", 1, 500]], 500)]
    with app.test_request_context():
        tsuide.renewal_offers(subscription())
    assert adapter.add_calls == 2


def test_looking_after_a_refused_retry_suggests_it_again(shop):
    app, db, tsuide, adapter, rule_id = shop
    killed(app, adapter, "before")
    age_claims(app, db)
    adapter.charge_fails = True
    with app.test_request_context():
        renewal = tsuide.renewal_offers(subscription())
    assert [offer.offer.rule_id for offer in renewal.offers] == [rule_id] and renewal.added == ()
    assert answers(app, db) == []
