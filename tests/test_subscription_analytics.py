"""定期 in the analytics: subscriptions started and their value over the minimum commitment, against the holdout.

The figures come from the doc (README "Analytics", plugin/insights/analytics.py): a subscription's value is
first price + recurring price × (minimum deliveries − 1), the first price alone without a minimum; per group,
subscriptions, subscribers, that value in all and per visitor, and offers minus holdout per visitor (Welch).
Every expected number below is worked out by hand.
"""
import csv
import io
import math
from datetime import datetime, timezone

import pytest
from bs4 import BeautifulSoup

from plugin import CartLine, Product, models
from plugin.engine.rules import PricingMode
from plugin.engine.subscriptions import CycleUnit, PlanTerms, price_plan
from shop import csrf_client

API, PAGE = "/tsuide/admin/api/analytics", "/tsuide/admin/analytics"
DAY = datetime(2026, 11, 10, 3, 0)
RANGE = "?start=2026-11-01&end=2026-11-30"
TERMS = dict(payment=(("ja", "発送時"), ("en", "On shipping")), cancel=(("ja", "マイページ"), ("en", "My page")))


def plan(min_deliveries):
    """Green juice at ¥3,000, each later delivery 10% off (¥2,700)."""
    terms = PlanTerms(every=1, unit=CycleUnit.MONTH, min_deliveries=min_deliveries, **TERMS)
    return price_plan("7", terms, PricingMode.PERCENT_OFF, 1_000, (CartLine("healthfood", 1, 3_000),),
                      {"healthfood": Product("healthfood", "青汁", 3_000)}, DAY.replace(tzinfo=timezone.utc),
                      "healthfood")


def test_the_value_over_the_minimum_commitment_is_first_plus_recurring_times_the_rest():
    assert plan(3).commitment_total == 3_000 + 2_700 * 2 == 8_400
    assert plan(None).commitment_total == 3_000
    assert plan(1).commitment_total == 3_000


@pytest.fixture
def report(admin_shop):
    app, db, tsuide, adapter = admin_shop

    def add(kind, visitor, **values):
        db.session.add(models.Event(kind=kind, visitor_id=visitor, created_at=DAY, **values))

    with app.app_context():
        # Saw offers: v1 switched on the thank-you page (min 3: ¥8,400), v2 bought 定期 at the checkout with no
        # minimum (¥3,000), v3 only looked, v4 bought once.
        for visitor in ("v1", "v2", "v3", "v4"):
            add("view", visitor)
        for visitor in ("v1", "v2", "v4"):
            add("order", visitor, order_id=f"O-{visitor}", amount=3_000)
        add("accept", "v4", rule_id="pp:8", order_id="O-v4", amount=2_800)  # an add-on: revenue, not a 定期
        add("accept", "v1", rule_id="pp:7", order_id="O-v1", amount=0, variant="B")
        add("subscribe", "v1", rule_id="pp:7", order_id="O-v1", amount=8_400, variant="B", page="thank-you")
        add("subscribe", "v2", order_id="O-v2", amount=3_000, page="checkout")
        # Holdout: h1 bought 定期 at the checkout (min 3: ¥8,400), h2 only looked.
        add("view", "h1", variant="holdout")
        add("order", "h1", order_id="O-h1", amount=3_000, variant="holdout")
        add("subscribe", "h1", order_id="O-h1", amount=8_400, variant="holdout", page="checkout")
        add("view", "h2", variant="holdout")
        # A subscribe event alone makes nobody a visitor; one outside the range does not count.
        add("subscribe", "stray", order_id="O-x", amount=99_999, page="checkout")
        db.session.add(models.Event(kind="subscribe", visitor_id="v3", amount=50_000, page="checkout",
                                    created_at=datetime(2026, 12, 5)))
        db.session.commit()
    client = csrf_client(app)
    return client, client.get(API + RANGE)


def test_groups_count_subscriptions_and_their_value_per_visitor(report):
    client, response = report
    assert response.status_code == 200
    groups = response.json["groups"]
    offers, holdout = groups["offers"], groups["holdout"]
    assert (offers["visitors"], offers["subscriptions"], offers["subscribers"], offers["commitment_value"]) == (
        4, 2, 2, 11_400)
    assert offers["commitment_per_visitor"] == 2_850.0  # 11,400 / 4
    assert offers["subscriptions_per_visitor"] == 0.5
    assert (holdout["visitors"], holdout["subscriptions"], holdout["subscribers"], holdout["commitment_value"]) == (
        2, 1, 1, 8_400)
    assert holdout["commitment_per_visitor"] == 4_200.0
    # subscribe events are not revenue, nor an add-on's accept a 定期's value
    assert offers["revenue"] == 9_000 + 2_800 and holdout["revenue"] == 3_000


def test_offers_minus_holdout_per_visitor_is_welchs_difference(report):
    client, response = report
    difference = response.json["subscriptions"]["commitment_per_visitor"]
    # offers: values 8,400, 3,000, 0, 0 -> mean 2,850, sample variance (5,550² + 150² + 2 × 2,850²) / 3
    # holdout: 8,400, 0 -> mean 4,200, variance 2 × 4,200² / 1
    variance_offers = (5_550 ** 2 + 150 ** 2 + 2 * 2_850 ** 2) / 3
    variance_holdout = 2 * 4_200 ** 2
    assert variance_offers == 15_690_000
    error = math.sqrt(variance_offers / 4 + variance_holdout / 2)
    assert difference["difference"] == pytest.approx(-1_350)
    assert difference["low"] == pytest.approx(-1_350 - 1.959964 * error, rel=1e-6)
    assert difference["high"] == pytest.approx(-1_350 + 1.959964 * error, rel=1e-6)


def test_the_offer_row_counts_its_subscriptions(report):
    client, response = report
    [offer] = [o for o in response.json["offers"] if o["offer_id"] == "pp:7"]
    [row] = offer["variants"]
    assert (row["variant"], row["subscriptions"], row["commitment_value"]) == ("B", 1, 8_400)


def test_the_csv_carries_the_subscription_figures_of_the_groups_and_offer_rows(report):
    client, _ = report
    response = client.get(PAGE + ".csv" + RANGE)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    groups = {row["offer"]: row for row in rows if row["section"] == "group"}
    assert [(groups[name]["subscriptions"], groups[name]["subscribers"], groups[name]["commitment_value"],
             groups[name]["commitment_per_visitor"]) for name in ("offers", "holdout")] == [
        ("2", "2", "11400", "2850.00"), ("1", "1", "8400", "4200.00")]
    [switch] = [row for row in rows if row["section"] == "offer" and row["offer_id"] == "pp:7"]
    assert (switch["variant"], switch["subscriptions"], switch["commitment_value"]) == ("B", "1", "8400")
    [add_on] = [row for row in rows if row["section"] == "offer" and row["offer_id"] == "pp:8"]
    assert (add_on["subscriptions"], add_on["commitment_value"]) == ("0", "0")


def test_the_page_shows_the_subscriptions_against_the_holdout(report):
    client, _ = report
    response = client.get(PAGE + RANGE)
    assert response.status_code == 200
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    section = page.select_one("[data-subscriptions]")
    cells = {row["data-subscription-group"]: [td.get_text(strip=True) for td in row.select("td")]
             for row in section.select("tr[data-subscription-group]")}
    assert cells == {"offers": ["4", "2", "￥11,400", "￥2,850"], "holdout": ["2", "1", "￥8,400", "￥4,200"]}
    # −1,350 ± 1.96 × √(15,690,000 / 4 + 35,280,000 / 2) = −1,350 ± 9,101
    assert "−￥1,350（95%区間 −￥10,451〜+￥7,751" in section.select_one("[data-commitment-difference]").get_text()
    assert section.select_one("svg") is not None


def test_a_checkout_subscription_is_recorded_with_its_value_and_the_visitors_group(admin_shop):
    app, db, tsuide, adapter = admin_shop
    with app.test_request_context():
        tsuide.record_subscription("O-9", plan(3))
        db.session.commit()
    app.config["TSUIDE_HOLDOUT_PERCENT"] = 100  # everybody held out
    with app.test_request_context():
        tsuide.record_subscription("O-10", plan(None))
        db.session.commit()
    with app.app_context():
        rows = [(e.order_id, e.amount, e.page, e.variant, e.rule_id)
                for e in db.session.query(models.Event).filter_by(kind="subscribe").order_by(models.Event.id)]
    assert rows == [("O-9", 8_400, "checkout", None, None), ("O-10", 3_000, "checkout", "holdout", None)]


def test_an_offer_variant_sums_the_value_of_every_subscription_it_started(admin_shop):
    app, db, tsuide, adapter = admin_shop
    with app.app_context():
        for visitor, value in (("a", 8_400), ("b", 3_000)):
            db.session.add(models.Event(kind="view", visitor_id=visitor, created_at=DAY))
            db.session.add(models.Event(kind="accept", visitor_id=visitor, rule_id="pp:9", variant="A", amount=0,
                                        page="thank-you", created_at=DAY))
            db.session.add(models.Event(kind="subscribe", visitor_id=visitor, rule_id="pp:9", variant="A",
                                        amount=value, page="thank-you", created_at=DAY))
        db.session.commit()
    body = csrf_client(app).get(API + RANGE).json
    [row] = [o for o in body["offers"] if o["offer_id"] == "pp:9"][0]["variants"]
    assert (row["subscriptions"], row["commitment_value"]) == (2, 11_400)
