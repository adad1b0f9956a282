"""The analytics dashboard: figures per offer and variant, the holdout comparison, charts and CSV."""
import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from plugin import RuleError, models
from plugin.insights.experiments import two_proportion_test, welch_test_values, wilson_interval

PAGE = "/tsuide/admin/analytics"
API = "/tsuide/admin/api/analytics"
DAY = datetime(2026, 11, 10, 3, 0)  # 12:00 in Tokyo
RANGE = {"start": "2026-11-01", "end": "2026-11-30"}


def planted(kit_id: str) -> list[models.Event]:
    """400 visitors saw each variant: A took 40 times, B 80 times; 100 of 1,000 visitors were held out.

    Offer-takers bought a 10,000 order; other visitors who saw offers bought 5,000 one time in ten;
    the holdout bought 5,000 one time in ten too.
    """
    events = []

    def add(kind, visitor, **values):
        events.append(models.Event(kind=kind, visitor_id=visitor, created_at=DAY, **values))

    for number in range(1_000):
        visitor = f"v{number}"
        held = number >= 900
        add("view", visitor, variant="holdout" if held else None)
        if held:
            if number % 10 == 0:
                add("order", visitor, order_id=f"O{number}", amount=5_000, variant="holdout")
            continue
        if number < 800:
            variant = "A" if number < 400 else "B"
            index = number % 400
            add("impression", visitor, rule_id=kit_id, variant=variant)
            if index < 120:
                add("click", visitor, rule_id=kit_id, variant=variant)
            if index < (40 if variant == "A" else 80):
                add("add", visitor, rule_id=kit_id, variant=variant, order_id=f"O{number}")
                add("order", visitor, order_id=f"O{number}", amount=10_000)
                continue
        if number % 10 == 5:
            add("order", visitor, order_id=f"O{number}", amount=5_000)
    add("impression", "v0", rule_id=kit_id, variant="A")  # a second impression: still one visitor
    add("impression", "late", rule_id=kit_id, variant="A")
    events[-1].created_at = datetime(2026, 12, 5)  # outside the range
    return events


@pytest.fixture
def shop(admin_shop):
    app, db, tsuide, adapter = admin_shop
    with app.app_context():
        kit = models.Bundle(label="カメラとレンズ", pricing_mode="percent_off", pricing_value=1_000,
                            items=[models.RuleItem(product_id="camera"), models.RuleItem(product_id="lens")])
        db.session.add(kit)
        db.session.commit()
        db.session.add_all(planted(str(kit.id)))
        db.session.commit()
        return app, db, tsuide, adapter, str(kit.id)


def expected_visitor_revenue():
    treated, holdout = [], []
    for number in range(1_000):
        if number >= 900:
            holdout.append(5_000 if number % 10 == 0 else 0)
        elif number < 800 and number % 400 < (40 if number < 400 else 80):
            treated.append(10_000)
        else:
            treated.append(5_000 if number % 10 == 5 else 0)
    return treated, holdout


def test_the_api_reports_each_variant_and_names_the_winner(shop):
    app, db, tsuide, adapter, kit_id = shop
    body = app.test_client().get(API, query_string=RANGE).json
    [offer] = body["offers"]
    assert (offer["offer_id"], offer["label"], offer["page"]) == (kit_id, "カメラとレンズ", "cart")
    a, b = offer["variants"]
    assert (a["variant"], a["seen"], a["clicks"], a["takes"], a["attributed_revenue"]) == ("A", 400, 120, 40, 400_000)
    assert (b["variant"], b["seen"], b["clicks"], b["takes"], b["attributed_revenue"]) == ("B", 400, 120, 80, 800_000)
    assert (a["take_rate"], b["take_rate"], b["revenue_per_visitor"]) == (0.1, 0.2, 2_000)
    assert (b["take_rate_low"], b["take_rate_high"]) == pytest.approx(wilson_interval(80, 400))
    verdict = offer["verdict"]
    assert verdict["winner"] == "B"
    [comparison] = verdict["comparisons"]
    test = two_proportion_test(80, 400, 40, 400)
    assert comparison["p_value"] == pytest.approx(test.p_value) and comparison["p_value"] < 0.001


def test_the_holdout_comparison_is_welchs_test_on_revenue_per_visitor(shop):
    app, *_ = shop
    body = app.test_client().get(API, query_string=RANGE).json
    treated, holdout = expected_visitor_revenue()
    assert body["groups"]["offers"]["visitors"] == 900 and body["groups"]["holdout"]["visitors"] == 100
    assert body["groups"]["offers"]["revenue"] == sum(treated)
    assert body["groups"]["holdout"]["buyers"] == 10
    expected = welch_test_values(treated, holdout)
    measured = body["incremental"]["revenue_per_visitor"]
    assert measured["difference"] == pytest.approx(expected.difference)
    assert measured["p_value"] == pytest.approx(expected.p_value)
    assert (measured["low"], measured["high"]) == pytest.approx((expected.interval_low, expected.interval_high))
    per_buyer = welch_test_values([v for v in treated if v], [v for v in holdout if v])
    assert body["incremental"]["revenue_per_buyer"]["difference"] == pytest.approx(per_buyer.difference)
    [day] = [day for day in body["days"] if day["visitors"]]
    assert (day["day"], day["visitors"], day["holdout_visitors"], day["takes"]) == ("2026-11-10", 900, 100, 120)
    assert (day["new_visitors"], day["new_holdout_visitors"]) == (900, 100)
    assert body["groups"]["offers"]["average_order_value"] == sum(treated) / body["groups"]["offers"]["orders"]


def test_the_chart_ends_at_the_tables_revenue_per_visitor_when_visitors_come_back(shop):
    app, db, tsuide, adapter, kit_id = shop
    with app.app_context():  # every visitor who saw offers comes back the next day, and buys nothing more
        db.session.add_all([models.Event(kind="view", visitor_id=f"v{n}", created_at=DAY + timedelta(days=1))
                            for n in range(900)])
        db.session.commit()
    response = app.test_client().get(PAGE, query_string={"start": "2026-11-10", "end": "2026-11-11"},
                                     headers={"Accept-Language": "en"})
    body = app.test_client().get(API, query_string={"start": "2026-11-10", "end": "2026-11-11"}).json
    assert [day["visitors"] for day in body["days"]] == [900, 900]
    assert [day["new_visitors"] for day in body["days"]] == [900, 0]
    expected = body["groups"]["offers"]["revenue_per_visitor"]  # over the same 900 visitors, not 1,800
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    points = page.select('svg.tsuide-chart--line circle title')
    assert [title.get_text().split(": ")[-1] for title in points][:2] == [f"¥{expected:,.0f}"] * 2


def test_with_too_few_visitors_there_is_no_winner(shop):
    app, db, tsuide, adapter, kit_id = shop
    with app.app_context():
        db.session.query(models.Event).filter(models.Event.visitor_id.in_([f"v{n}" for n in range(100, 400)])).delete()
        db.session.commit()
    offer = app.test_client().get(API, query_string=RANGE).json["offers"][0]
    assert offer["verdict"]["winner"] is None and offer["verdict"]["message"] == "not enough data yet"


def test_the_page_draws_the_charts_and_says_who_won(shop):
    app, db, tsuide, adapter, kit_id = shop
    response = app.test_client().get(PAGE, query_string=RANGE, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert "B" in page.select_one(f'[data-offer="{kit_id}"] [data-verdict]').get_text()
    comparison = page.select_one(f'[data-offer="{kit_id}"] [data-comparison="A"]').get_text()
    assert comparison.startswith("B against A: take rate +10.0 points") and "p < 0.001" in comparison
    assert len(page.select("svg.tsuide-chart--line")) == 1
    bars = page.select(f'[data-offer="{kit_id}"] svg.tsuide-chart--bar rect[data-label]')
    assert [bar["data-label"] for bar in bars] == ["A", "B"]
    cells = [cell.get_text() for cell in page.select('[data-group="holdout"] td')]
    assert cells == ["100", "10", "10.0%", "¥50,000", "¥500", "¥5,000", "¥5,000"]
    assert re.search(r"p [=<] 0\.\d{3}", page.select_one("[data-incremental]").get_text())
    assert page.select_one("[data-csv]")["href"].endswith("start=2026-11-01&end=2026-11-30")


def test_the_csv_has_the_same_figures(shop):
    app, db, tsuide, adapter, kit_id = shop
    client = app.test_client()
    response = client.get(f"{PAGE}.csv", query_string=RANGE)
    assert response.mimetype == "text/csv"
    assert "tsuide-analytics-2026-11-01-2026-11-30.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    offer_rows = [row for row in rows if row["section"] == "offer"]
    assert [(r["variant"], r["visitors"], r["takes"], r["take_rate"], r["attributed_revenue"], r["verdict"],
             r["leader_minus_this"]) for r in offer_rows] == [("A", "400", "40", "0.1000", "400000", "B", "0.1000"),
                                                              ("B", "400", "80", "0.2000", "800000", "B", "")]
    assert float(offer_rows[0]["p_value_holm"]) == pytest.approx(two_proportion_test(80, 400, 40, 400).p_value, rel=1e-5)
    groups = {row["offer"]: row for row in rows if row["section"] == "group"}
    assert groups["holdout"]["visitors"] == "100" and groups["holdout"]["attributed_revenue"] == "50000"


def test_a_range_outside_the_events_shows_nothing_yet(shop):
    app, *_ = shop
    body = app.test_client().get(API, query_string={"start": "2025-01-01", "end": "2025-01-31"}).json
    assert body["offers"] == [] and body["incremental"] is None and len(body["days"]) == 31
    page = app.test_client().get(PAGE, query_string={"start": "2025-01-01", "end": "2025-01-31"},
                                 headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "No offer was seen in these days." in page and "not enough data yet" in page


@pytest.mark.parametrize("query, field", [
    ({"start": "2026-13-01"}, "start"),
    ({"start": "2026-11-30", "end": "2026-11-01"}, "end"),
    ({"start": "2024-01-01", "end": "2026-01-01"}, "end"),
    ({"days": "7"}, "days"),
])
def test_a_bad_range_is_a_400_naming_the_field(shop, query, field):
    app, *_ = shop
    client = app.test_client()
    response = client.get(API, query_string=query)
    assert response.status_code == 400 and field in response.json["error"]["fields"]
    page = client.get(PAGE, query_string=query)
    assert page.status_code == 400
    shown = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    assert shown.select_one(f".ta-range #{field}-error").get_text()  # what is wrong, next to the range
    assert bool(shown.select('.ta-range [aria-invalid="true"]')) is (field != "days")


def test_the_dashboard_is_closed_until_the_shop_opens_it(shop):
    app, db, tsuide, adapter, kit_id = shop
    adapter.admin = False
    client = app.test_client()
    assert client.get(PAGE).status_code == 403
    assert client.get(f"{PAGE}.csv").status_code == 403
    assert client.get(API).status_code == 403


def test_the_default_range_is_the_last_four_weeks(shop):
    app, *_ = shop
    body = app.test_client().get(API).json
    assert len(body["days"]) == 28
    assert datetime.fromisoformat(body["end"]) - datetime.fromisoformat(body["start"]) == timedelta(days=27)


def test_odd_offer_ids_stored_before_do_not_break_the_dashboard_and_csv_cells_never_run(shop):
    app, db, tsuide, adapter, kit_id = shop
    with app.app_context():
        db.session.add_all([models.Event(kind="impression", visitor_id="x", rule_id=offer, created_at=DAY)
                            for offer in ("²", "pp:²", "=HYPERLINK(\"http://evil\")")])
        db.session.commit()
    client = app.test_client()
    assert client.get(API, query_string=RANGE).status_code == 200
    assert client.get(PAGE, query_string=RANGE).status_code == 200
    rows = list(csv.DictReader(io.StringIO(client.get(f"{PAGE}.csv", query_string=RANGE).get_data(as_text=True))))
    assert not any(row[name].startswith(("=", "+", "-", "@")) for row in rows for name in ("offer_id", "offer"))


def test_a_far_date_is_a_400_not_a_500(shop):
    app, *_ = shop
    for query in ({"end": "9999-12-31"}, {"start": "9999-12-20"}, {"start": "1900-01-01"}):
        assert app.test_client().get(API, query_string=query).status_code == 400


def test_a_variant_cannot_be_named_holdout_and_accepts_never_count_as_the_holdout(shop):
    app, db, tsuide, adapter, kit_id = shop
    with app.app_context():
        kit = db.session.get(models.Bundle, int(kit_id))
        kit.variants = [models.Variant(name="A"), models.Variant(name="Holdout", position=1)]
        with pytest.raises(RuleError):
            db.session.commit()
        db.session.rollback()
        db.session.add(models.Event(kind="accept", visitor_id="v1", rule_id="pp:1", variant="holdout",
                                    amount=2_000, created_at=DAY))
        db.session.commit()
    groups = app.test_client().get(API, query_string=RANGE).json["groups"]
    assert groups["holdout"]["visitors"] == 100 and groups["offers"]["revenue"] == 2_000 + sum(
        expected_visitor_revenue()[0])


def test_days_are_the_shops_local_days_across_a_daylight_saving_change(database_url, make_shop):
    app, db, tsuide, adapter = make_shop(database_url, TSUIDE_TIMEZONE="America/New_York")
    adapter.admin = True
    with app.app_context():  # 00:30 on 1 November (EDT), and 23:30 the same day (EST, after the change)
        db.session.add_all([models.Event(kind="view", visitor_id=visitor, created_at=moment) for visitor, moment in
                            (("early", datetime(2026, 11, 1, 4, 30)), ("late", datetime(2026, 11, 2, 4, 30)))])
        db.session.commit()
    body = app.test_client().get(API, query_string={"start": "2026-10-31", "end": "2026-11-02"}).json
    assert [(day["day"], day["visitors"]) for day in body["days"]] == [
        ("2026-10-31", 0), ("2026-11-01", 2), ("2026-11-02", 0)]
    assert body["groups"]["offers"]["visitors"] == 2
