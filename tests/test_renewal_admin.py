"""The admin's Renewal add-ons page and API: which rules and mined pairs feed them, on/off, and their results."""
from datetime import date

import pytest
from bs4 import BeautifulSoup

from plugin import models
from plugin.storage.audit import AuditEntry
from plugin.storage.subscriptions import RenewalAnswer
from plugin.storefront import renewals
from shop import MemoryAdapter, SubscribingAdapter, csrf_client
from test_renewal_offers import _token, subscription

PAGE, API = "/tsuide/admin/renewals", "/tsuide/admin/api/renewals"


@pytest.fixture
def shop(database_url, make_shop):
    adapter = SubscribingAdapter()
    adapter.admin = True
    app, db, tsuide, _ = make_shop(database_url, adapter=adapter)
    with app.app_context():
        juice = models.Bundle(label="青汁と靴下", pricing_mode="amount_off", pricing_value=500,
                              items=[models.RuleItem(product_id=pid, quantity=1) for pid in ("healthfood", "socks")])
        spray = models.Bundle(label="Spray pair", pricing_mode="amount_off", pricing_value=100,
                              items=[models.RuleItem(product_id=pid, quantity=1) for pid in ("spray", "brush")])
        db.session.add_all([juice, spray])
        db.session.commit()
        ids = str(juice.id), str(spray.id)
    return app, db, tsuide, adapter, ids


def suggested(app, tsuide):
    with app.test_request_context():
        renewal = tsuide.renewal_offers(subscription())
    return renewal.enabled, [offer.offer.rule_id for offer in renewal.offers]


def test_by_default_every_rule_feeds_renewals_and_the_page_says_so(shop):
    app, db, tsuide, adapter, (juice, spray) = shop
    client = csrf_client(app)
    response = client.get(PAGE)
    assert response.status_code == 200
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert page.select_one('nav a[aria-current="page"]').get_text() == "定期便の追加提案"
    ticked = {box["value"]: box.has_attr("checked") for box in page.select('input[name="feeds"]')}
    assert ticked == {juice: True, spray: True}
    assert page.select_one('input[name="renewal_offers"]').has_attr("checked")
    assert "靴下" in page.select_one(f'tr[data-rule="{juice}"]').get_text()
    body = client.get(API).json
    assert (body["available"], body["renewal_offers"], body["renewal_pairs"], body["renewal_excluded_rules"]) == (
        True, True, True, [])
    assert [(s["rule_id"], s["feeds"], s["product_ids"]) for s in body["sources"]] == [
        (juice, True, ["healthfood", "socks"]), (spray, True, ["spray", "brush"])]
    assert suggested(app, tsuide) == (True, [juice])


def test_unticking_a_rule_leaves_it_out_of_renewals_and_is_audited(shop):
    app, db, tsuide, adapter, (juice, spray) = shop
    client = csrf_client(app)
    form = {"renewal_offers": "on", "renewal_pairs": "on", "listed_rules": [juice, spray], "feeds": [spray]}
    response = client.post(PAGE, data=form)
    assert response.status_code == 303 and "notice=settings" in response.headers["Location"]
    body = client.get(API).json
    assert body["renewal_excluded_rules"] == [juice]
    assert [(s["rule_id"], s["feeds"]) for s in body["sources"]] == [(juice, False), (spray, True)]
    assert suggested(app, tsuide) == (True, [])
    with app.app_context():
        entry = db.session.query(AuditEntry).filter_by(entity="settings").one()
        assert entry.after["renewal_excluded_rules"] == [juice] and entry.before["renewal_excluded_rules"] == []
    client.post(PAGE, data=dict(form, feeds=[juice, spray]))
    assert suggested(app, tsuide) == (True, [juice])


def test_switched_off_nothing_is_suggested_and_a_token_from_before_adds_nothing(shop):
    app, db, tsuide, adapter, (juice, spray) = shop
    with app.test_request_context():
        [offer] = tsuide.renewal_offers(subscription()).offers
    client = csrf_client(app)
    assert client.post(PAGE, data={"listed_rules": [juice, spray], "feeds": [juice, spray]}).status_code == 303
    assert client.get(API).json["renewal_offers"] is False
    assert [s["feeds"] for s in client.get(API).json["sources"]] == [False, False]
    assert suggested(app, tsuide) == (False, [])
    with app.test_request_context():
        assert str(tsuide.renewal_panel(subscription())) == ""
    shopper = app.test_client()
    response = shopper.post("/tsuide/api/renewals/add", json={"token": offer.token},
                            headers={"X-CSRFToken": _token(shopper)})
    assert response.status_code == 410
    assert adapter.add_calls == 0


def test_mined_pairs_feed_renewals_only_while_the_setting_says_so(shop):
    app, db, tsuide, adapter, ids = shop
    with app.test_request_context():
        assert renewals.feeds_renewals(tsuide, "pair:socks") is True
    csrf_client(app).post(PAGE, data={"renewal_offers": "on", "listed_rules": list(ids), "feeds": list(ids)})
    with app.test_request_context():
        assert renewals.feeds_renewals(tsuide, "pair:socks") is False
        assert renewals.feeds_renewals(tsuide, ids[0]) is True


def test_results_count_adds_what_they_charged_pending_and_declines_per_source(shop):
    """By hand: rule J added twice (¥500 + ¥700), one pending (¥500, not counted as added), one declined;
    the pair of socks added once (¥900); an old answer without a rule is counted on its own row."""
    app, db, tsuide, adapter, (juice, spray) = shop
    rows = [(juice, "added", 500), (juice, "added", 700), (juice, "pending", 500), (juice, "declined", 0),
            ("pair:socks", "added", 900), (None, "added", 100)]
    with app.app_context():
        for index, (rule_id, status, charge) in enumerate(rows):
            db.session.add(RenewalAnswer(subscription_id="S-1", delivery_on=date(2030, 1, 1), product_ids=["socks"],
                                         status=status, charge=charge, rule_id=rule_id,
                                         idempotency_key=None if status == "declined" else f"k-{index}"))
        db.session.commit()
    client = csrf_client(app)
    body = client.get(API).json
    assert [(r["rule_id"], r["adds"], r["added_amount"], r["pending"], r["declines"]) for r in body["results"]] == [
        (juice, 2, 1_200, 1, 1), ("pair:socks", 1, 900, 0, 0), (None, 1, 100, 0, 0)]
    assert body["results"][0]["label"] == "青汁と靴下"
    assert body["totals"] == {"adds": 4, "added_amount": 2_200, "pending": 1, "declines": 1}
    page = BeautifulSoup(client.get(PAGE).get_data(as_text=True), "html.parser")
    cells = [td.get_text() for td in page.select(f'tr[data-result="{juice}"] td')]
    assert cells == ["青汁と靴下", "2", "￥1,200", "1", "1"]


def test_the_page_is_closed_to_non_admins_and_says_when_the_adapter_cannot_add(database_url, make_shop):
    adapter = MemoryAdapter()
    app, *_ = make_shop(database_url, adapter=adapter)
    assert app.test_client().get(PAGE).status_code == 403
    assert app.test_client().get(API).status_code == 403
    adapter.admin = True
    client = csrf_client(app)
    page = BeautifulSoup(client.get(PAGE).get_data(as_text=True), "html.parser")
    assert page.select_one("#renewals-off") is not None
    assert client.get(API).json["available"] is False


def test_a_forged_rule_id_in_the_form_is_a_400_and_changes_nothing(shop):
    app, db, tsuide, adapter, ids = shop
    client = csrf_client(app)
    response = client.post(PAGE, data={"renewal_offers": "on", "listed_rules": ["1; drop"], "feeds": []})
    assert response.status_code == 400
    assert client.get(API).json["renewal_excluded_rules"] == []
    assert client.put("/tsuide/admin/api/settings", json={"renewal_excluded_rules": ["x"]}).status_code == 400
    assert client.put("/tsuide/admin/api/settings", json={"renewal_pairs": "yes"}).status_code == 400
