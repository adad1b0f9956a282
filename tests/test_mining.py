"""Mining what is bought together: the pure counting, and ``flask tsuide mine`` on SQLite and PostgreSQL."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
from shop import MemoryAdapter
from sqlalchemy import Column, Date, Integer, MetaData, String, Table, insert, select, text

from plugin.insights import mining
from plugin import models
from plugin.storage.mining import MinedPair, MiningRun

# -- the pure counting ---------------------------------------------------------------------------------------

# The textbook example: five baskets. "bread" twice in order 1 still counts once.
TEXTBOOK = [
    ("1", "bread", 2), ("1", "milk", 1), ("1", "bread", 1),
    ("2", "bread", 1), ("2", "diapers", 1), ("2", "beer", 6), ("2", "eggs", 12),
    ("3", "milk", 1), ("3", "diapers", 1), ("3", "beer", 6), ("3", "cola", 1),
    ("4", "bread", 1), ("4", "milk", 1), ("4", "diapers", 1), ("4", "beer", 6),
    ("5", "bread", 1), ("5", "milk", 1), ("5", "diapers", 1), ("5", "cola", 1),
]


def by_pair(result):
    return {(p.product_a, p.product_b): p for p in result.pairs}


def test_textbook_baskets_give_the_hand_computed_figures():
    result = mining.mine(reversed(TEXTBOOK))  # lines of one order need not be adjacent
    assert (result.orders, result.lines) == (5, 19)
    pairs = by_pair(result)
    # Seen in at least 2 of the 5 orders; each pair once, its products in code-point order.
    assert sorted(pairs) == [
        ("beer", "bread"), ("beer", "diapers"), ("beer", "milk"), ("bread", "diapers"), ("bread", "milk"),
        ("cola", "diapers"), ("cola", "milk"), ("diapers", "milk"),
    ]
    beer_diapers = pairs["beer", "diapers"]
    assert beer_diapers.orders_together == 3
    assert beer_diapers.support == pytest.approx(3 / 5)
    assert beer_diapers.confidence_ab == pytest.approx(1.0)  # every beer basket has diapers
    assert beer_diapers.confidence_ba == pytest.approx(3 / 4)  # 3 of the 4 diaper baskets have beer
    assert beer_diapers.lift == pytest.approx(0.6 / (0.6 * 0.8))  # 1.25
    bread_milk = pairs["bread", "milk"]
    assert (bread_milk.orders_together, bread_milk.confidence_ab, bread_milk.confidence_ba) == (3, 0.75, 0.75)
    assert bread_milk.lift == pytest.approx(0.6 / (0.8 * 0.8))  # 0.9375: together less often than chance
    assert mining.mine(TEXTBOOK, min_support=3).pairs == tuple(
        pairs[key] for key in [("beer", "diapers"), ("bread", "diapers"), ("bread", "milk"), ("diapers", "milk")]
    )


def test_sorted_streaming_counts_the_same_as_baskets_in_any_order():
    lines = sorted(TEXTBOOK, key=lambda line: line[0])
    assert mining.count_pairs(mining.sorted_baskets(lines), lines=len(lines)) == mining.mine(TEXTBOOK)


# -- a synthetic history with planted pairs ------------------------------------------------------------------

START = date(2026, 1, 1)


def synthetic_history(orders: int = 2_000, seed: int = 7):
    """Lines (order id, product id, quantity, placed on): random products from 50, camera + sdcard planted
    in about 15% of orders and serum + toner in about 10%."""
    rng = random.Random(seed)
    catalogue = [f"p{n:02d}" for n in range(50)]
    lines = []
    for number in range(orders):
        order_id = f"o{number:05d}"
        products = rng.sample(catalogue, rng.randint(1, 4))
        if rng.random() < 0.15:
            products += ["camera", "sdcard"]
        if rng.random() < 0.10:
            products += ["serum", "toner"]
        placed_on = START + timedelta(days=number % 100)
        lines += [(order_id, product, rng.randint(1, 3), placed_on) for product in products]
    rng.shuffle(lines)
    return lines


def expected_pair(lines, a, b):
    """Support, confidences and lift of (a, b), counted plainly from the lines."""
    baskets: dict[str, set[str]] = {}
    for order_id, product, _, _ in lines:
        baskets.setdefault(order_id, set()).add(product)
    total = len(baskets)
    with_a = sum(a in basket for basket in baskets.values())
    with_b = sum(b in basket for basket in baskets.values())
    both = sum(a in basket and b in basket for basket in baskets.values())
    return both, both / total, both / with_a, both / with_b, (both / total) / ((with_a / total) * (with_b / total))


def test_planted_pairs_have_the_top_lift_and_the_expected_figures():
    lines = synthetic_history()
    result = mining.mine((order_id, product, quantity) for order_id, product, quantity, _ in lines)
    assert result.orders == 2_000 and result.lines == len(lines)
    top = sorted(result.pairs, key=lambda p: (-p.lift, -p.support))[:2]
    assert [(p.product_a, p.product_b) for p in top] == [("serum", "toner"), ("camera", "sdcard")]
    for pair in top:
        both, support, confidence_ab, confidence_ba, lift = expected_pair(lines, pair.product_a, pair.product_b)
        assert (pair.orders_together, pair.support, pair.confidence_ab, pair.confidence_ba) == (
            both, pytest.approx(support), 1.0, 1.0  # planted together: each only ever comes with the other
        )
        assert pair.lift == pytest.approx(lift)
    camera = by_pair(result)["camera", "sdcard"]
    assert 0.13 < camera.support < 0.17 and camera.lift == pytest.approx(1 / camera.support)
    random_pair = by_pair(result)["p01", "p02"]
    assert random_pair.lift < 3  # random products meet about as often as chance has it


# -- flask tsuide mine ------------------------------------------------------------------------------------------


class MiningAdapter(MemoryAdapter):
    """A shop that also hands over its past orders."""

    def __init__(self, history=()):
        super().__init__()
        self.history = list(history)

    def order_lines(self, since):
        return (
            (order_id, product, quantity) for order_id, product, quantity, placed_on in self.history
            if since is None or placed_on >= since.date()
        )


def mine(app, *args):
    return app.test_cli_runner().invoke(args=["tsuide", "mine", *args])


def stored_pairs(app, db):
    with app.app_context():
        rows = db.session.execute(select(MinedPair.__table__).order_by(MinedPair.product_a, MinedPair.product_b))
        return [row._asdict() for row in rows]


def stored_runs(app, db):
    with app.app_context():
        return db.session.execute(select(MiningRun.__table__).order_by(MiningRun.id)).mappings().all()


def without_run(pairs):
    return [{key: value for key, value in pair.items() if key != "run_id"} for pair in pairs]


def create_shop_table(app, db, lines):
    """The shop's own order lines, with names that need quoting (a reserved word, a space, capitals)."""
    table = Table(
        "Shop Order Lines", MetaData(),
        Column("id", Integer, primary_key=True),
        Column("order", String(20), nullable=False),
        Column("Product Id", String(20), nullable=False),
        Column("qty", Integer, nullable=False),
        Column("placed_on", Date, nullable=False),
    )
    with app.app_context():
        table.create(db.engine)
        with db.engine.begin() as connection:
            connection.execute(insert(table), [
                {"order": o, "Product Id": p, "qty": q, "placed_on": d} for o, p, q, d in lines
            ])
    return table


TABLE_ARGS = ["--table", "Shop Order Lines", "--order-column", "order", "--product-column", "Product Id",
              "--quantity-column", "qty"]


def test_mine_from_the_adapter_and_from_a_table_stores_the_same_pairs(database_url, make_shop):
    lines = synthetic_history()
    # A returned line (quantity 0) is left out on both paths.
    returned = ("o00000", "camera-bag", 0, START)
    app, db, _, _ = make_shop(database_url, adapter=MiningAdapter(lines + [returned]))
    create_shop_table(app, db, lines + [returned])

    result = mine(app)
    assert result.exit_code == 0, result.output
    assert f"Mined 2,000 orders, {len(lines):,} lines: kept" in result.output
    from_adapter = stored_pairs(app, db)

    result = mine(app, *TABLE_ARGS)
    assert result.exit_code == 0, result.output
    from_table = stored_pairs(app, db)

    expected = mining.mine((o, p, q) for o, p, q, _ in lines)
    assert f"kept {len(expected.pairs):,} pairs" in result.output
    assert without_run(from_table) == without_run(from_adapter)  # bit for bit, on SQLite and in PostgreSQL's SQL
    assert without_run(from_table) == [
        {"product_a": p.product_a, "product_b": p.product_b, "orders_together": p.orders_together,
         "support": p.support, "confidence_ab": p.confidence_ab, "confidence_ba": p.confidence_ba, "lift": p.lift}
        for p in expected.pairs
    ]
    runs = stored_runs(app, db)
    assert [(run["source"], run["orders"], run["lines"], run["pairs"], run["min_support"]) for run in runs] == [
        ("adapter order_lines()", 2_000, len(lines), len(expected.pairs), 2),
        ("table Shop Order Lines", 2_000, len(lines), len(expected.pairs), 2),
    ]
    assert all(run["started_at"] <= run["finished_at"] for run in runs)
    assert {pair["run_id"] for pair in from_table} == {runs[-1]["id"]}


def test_since_and_min_support_narrow_the_history(database_url, make_shop):
    lines = synthetic_history()
    app, db, _, _ = make_shop(database_url, adapter=MiningAdapter(lines))
    create_shop_table(app, db, lines)
    recent = [line for line in lines if line[3] >= date(2026, 3, 1)]
    expected = mining.mine(((o, p, q) for o, p, q, _ in recent), min_support=5)

    for args in ([], [*TABLE_ARGS, "--date-column", "placed_on"]):
        result = mine(app, *args, "--since", "2026-03-01", "--min-support", "5")
        assert result.exit_code == 0, result.output
        assert f"Mined {expected.orders:,} orders, {len(recent):,} lines: kept {len(expected.pairs):,} pairs" in (
            result.output
        )
        assert [(p["product_a"], p["product_b"], p["orders_together"]) for p in stored_pairs(app, db)] == [
            (p.product_a, p.product_b, p.orders_together) for p in expected.pairs
        ]
    assert min(p.orders_together for p in expected.pairs) >= 5
    assert [run["since"] for run in stored_runs(app, db)] == [datetime(2026, 3, 1)] * 2


def test_a_rerun_replaces_the_pairs(database_url, make_shop):
    adapter = MiningAdapter([(f"o{n}", product, 1, START) for n in range(3) for product in ("cup", "saucer")])
    app, db, _, _ = make_shop(database_url, adapter=adapter)
    assert mine(app).exit_code == 0
    assert [(p["product_a"], p["product_b"], p["orders_together"]) for p in stored_pairs(app, db)] == [
        ("cup", "saucer", 3)
    ]

    adapter.history = [(f"o{n}", product, 1, START) for n in range(4) for product in ("pen", "ink", "paper")]
    result = mine(app)
    assert result.exit_code == 0, result.output
    assert "Mined 4 orders, 12 lines: kept 3 pairs" in result.output
    pairs = stored_pairs(app, db)
    assert [(p["product_a"], p["product_b"], p["orders_together"], p["support"]) for p in pairs] == [
        ("ink", "paper", 4, 1.0), ("ink", "pen", 4, 1.0), ("paper", "pen", 4, 1.0),
    ]
    assert len(stored_runs(app, db)) == 2 and {p["run_id"] for p in pairs} == {stored_runs(app, db)[-1]["id"]}


def test_a_failed_run_leaves_the_last_pairs(database_url, make_shop):
    adapter = MiningAdapter([(f"o{n}", product, 1, START) for n in range(3) for product in ("cup", "saucer")])
    app, db, _, _ = make_shop(database_url, adapter=adapter)
    assert mine(app).exit_code == 0
    before = stored_pairs(app, db)

    def broken(since):
        yield ("o1", "pen", 1)
        raise ConnectionError("the shop's order service went away")

    adapter.order_lines = broken
    result = mine(app)
    assert result.exit_code != 0
    assert stored_pairs(app, db) == before
    assert len(stored_runs(app, db)) == 1


def test_mining_from_the_adapter_needs_order_lines(database_url, make_shop):
    app, db, _, _ = make_shop(database_url)
    result = mine(app)
    assert result.exit_code == 1
    assert "MemoryAdapter does not implement order_lines(since)" in result.output
    assert "--table" in result.output


def test_a_table_or_column_that_does_not_exist_is_a_clear_error(database_url, make_shop):
    app, db, _, _ = make_shop(database_url, adapter=MiningAdapter())
    create_shop_table(app, db, [("o1", "cup", 1, START), ("o1", "saucer", 1, START)])

    result = mine(app, "--table", "shop_lines; DROP TABLE tsuide_rules")
    assert result.exit_code == 1
    assert "there is no table or view named 'shop_lines; DROP TABLE tsuide_rules'" in result.output

    result = mine(app, "--table", "Shop Order Lines", "--order-column", "order", "--product-column", "sku",
                  "--quantity-column", "qty; --", "--since", "2026-01-01")
    assert result.exit_code == 1
    assert "--product-column 'sku' is not a column of 'Shop Order Lines'" in result.output
    assert "--quantity-column 'qty; --' is not a column" in result.output
    assert "--since with --table needs --date-column" in result.output
    assert "(its columns: Product Id, id, order, placed_on, qty)" in result.output
    with app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM tsuide_rules")).scalar_one() == 0
        assert db.session.execute(text("SELECT count(*) FROM tsuide_mining_runs")).scalar_one() == 0


def test_integer_ids_in_the_shop_table_are_stored_as_text(database_url, make_shop):
    app, db, _, _ = make_shop(database_url, adapter=MiningAdapter())
    table = Table("order_items", MetaData(), Column("order_no", Integer), Column("product_no", Integer))
    with app.app_context():
        table.create(db.engine)
        with db.engine.begin() as connection:
            connection.execute(insert(table), [
                {"order_no": o, "product_no": p} for o in range(3) for p in (9, 10)
            ] + [{"order_no": 3, "product_no": None}])
    result = mine(app, "--table", "order_items", "--order-column", "order_no", "--product-column", "product_no")
    assert result.exit_code == 0, result.output
    # Text order, the same in Python and in PostgreSQL ("10" < "9").
    assert [(p["product_a"], p["product_b"], p["orders_together"]) for p in stored_pairs(app, db)] == [("10", "9", 3)]


def test_mined_pairs_become_cart_offers_and_gap_fillers(database_url, make_shop):
    """Sneakers and the spray share most orders: a cart of sneakers is offered the spray, priced by quoting."""
    today = date.today()
    history = [(f"O-{n}", "sneakers", 1, today) for n in range(40)] + [(f"O-{n}", "spray", 1, today)
                                                                          for n in range(30)]
    history += [(f"P-{n}", "socks", 1, today) for n in range(60)]
    app, db, tsuide, adapter = make_shop(database_url, adapter=MiningAdapter(history))
    adapter.lines = {"sneakers": 1}
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert tsuide.quote().offers == ()  # nothing mined yet, and no rule touches sneakers
    result = app.test_cli_runner().invoke(args=["tsuide", "mine"])
    assert result.exit_code == 0, result.output
    with app.test_request_context(headers={"Accept-Language": "en"}):
        [offer] = tsuide.quote().offers  # the cache saw the new pairs on the next request
    assert (offer.kind, offer.add[0].product_id, offer.saving, offer.new_total) == ("bought_together", "spray", 0,
                                                                                   13_500)
    with app.app_context():
        db.session.add(models.ShippingRule(label="Free", currency="JPY", threshold=13_000, fee=600))
        db.session.commit()
    adapter.lines = {"sneakers": 1}
    with app.test_request_context():
        quote = tsuide.quote()
    assert [(filler.product.id, filler.remaining_after) for filler in quote.gap_fillers] == [("spray", 0)]
    app.config["TSUIDE_MINED_MIN_LIFT"] = 100.0  # a shop that wants only very strong pairs
    with app.test_request_context():
        assert tsuide.quote().offers == ()


def test_each_cart_product_brings_its_own_mined_companion(database_url, make_shop):
    """Companions are looked up for every product in the cart (and fetched with the cart's products), in
    whatever order the lines come: a cart of sneakers and a camera is offered the spray and the SD card."""
    today = date.today()
    history = [(f"O-{n}", "sneakers", 1, today) for n in range(40)] + [(f"O-{n}", "spray", 1, today)
                                                                          for n in range(30)]
    history += [(f"C-{n}", "camera", 1, today) for n in range(40)] + [(f"C-{n}", "sdcard", 1, today)
                                                                        for n in range(30)]
    history += [(f"P-{n}", "socks", 1, today) for n in range(60)]
    app, db, tsuide, adapter = make_shop(database_url, adapter=MiningAdapter(history))
    result = app.test_cli_runner().invoke(args=["tsuide", "mine"])
    assert result.exit_code == 0, result.output
    for lines in ({"sneakers": 1, "camera": 1}, {"camera": 1, "sneakers": 1}):
        adapter.lines = dict(lines)
        with app.test_request_context(headers={"Accept-Language": "en"}):
            offers = tsuide.quote().offers
        assert sorted((offer.kind, offer.add[0].product_id) for offer in offers) == [
            ("bought_together", "sdcard"), ("bought_together", "spray")], lines


def test_an_admin_turns_a_mined_pair_into_a_bundle_the_cart_then_offers(database_url, make_shop):
    today = date.today()
    history = [(f"O-{n}", "camera", 1, today) for n in range(20)] + [(f"O-{n}", "tripod", 1, today)
                                                                        for n in range(15)]
    history += [(f"P-{n}", "socks", 1, today) for n in range(20)]
    adapter = MiningAdapter(history)
    app, db, tsuide, _ = make_shop(database_url, adapter=adapter, WTF_CSRF_ENABLED=False)
    adapter.admin = True
    assert mine(app).exit_code == 0
    client = app.test_client()
    page = client.get("/tsuide/admin/pairs", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "Camera + Tripod" in page and "セットにする" in page
    listed = client.get("/tsuide/admin/api/mined-pairs").json["items"]
    assert (listed[0]["product_a"], listed[0]["product_b"], listed[0]["orders_together"]) == ("camera", "tripod", 15)
    response = client.post("/tsuide/admin/pairs/promote", data={"product_a": "tripod", "product_b": "camera"})
    assert response.status_code == 302
    with app.app_context():
        bundle = db.session.query(models.Bundle).one()
        assert (bundle.label, bundle.pricing_mode, bundle.pricing_value) == ("Camera + Tripod", "percent_off", 1000)
    adapter.lines = {"camera": 1}
    with app.test_request_context():
        offer = tsuide.quote().offers[0]
    assert (offer.kind, offer.rule_id, offer.saving) == ("complete_bundle", str(bundle.id), 7_100)  # 10% of 71,000
    assert client.post("/tsuide/admin/api/mined-pairs/promote",
                       json={"product_a": "camera", "product_b": "socks"}).status_code == 404
