"""Rules in the shop's database: migrations, validation on save, the per-worker cache, caps."""
import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, inspect, text

from plugin import CapReached, RuleError, models


def health_set(**terms):
    terms = {"label": "3袋セット", "label_en": "3-bag set", **terms}
    return models.Bundle(
        pricing_mode="percent_off", pricing_value=1_000, items=[models.RuleItem(product_id="healthfood", quantity=3)],
        **terms,
    )


@pytest.fixture
def shop(database_url, make_shop):
    return make_shop(database_url)


def count_queries(engine):
    seen = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_db_upgrade_creates_only_tsuide_tables(database_url, make_shop):
    app, db, tsuide, adapter = make_shop(database_url, migrate_tables=False)
    with app.app_context():
        db.session.execute(text("INSERT INTO shop_orders (id) VALUES ('A-1')"))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["tsuide", "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "revision 0013_buy_get_limits" in result.output
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        assert {"tsuide_rules", "tsuide_rule_items", "tsuide_redemptions", "tsuide_state"} <= tables
        assert "alembic_version" not in tables  # the shop's own Alembic table is left alone
        assert {t for t in tables if not t.startswith("tsuide_")} == {"shop_orders"}
        assert db.session.execute(text("SELECT id FROM shop_orders")).scalars().all() == ["A-1"]
    result = app.test_cli_runner().invoke(args=["tsuide", "db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        # Only the empty version table stays, saying the plugin is at "base".
        assert set(inspect(db.engine).get_table_names()) == {"shop_orders", "tsuide_alembic_version"}
        assert db.session.execute(text("SELECT id FROM shop_orders")).scalars().all() == ["A-1"]


def test_migrations_match_the_models(shop):
    app, db, *_ = shop
    with app.app_context(), db.engine.connect() as connection:
        ours = lambda name, kind, parents: kind != "table" or name.startswith("tsuide_")  # noqa: E731
        context = MigrationContext.configure(
            connection, opts={"include_name": ours, "version_table": "tsuide_alembic_version", "compare_type": True}
        )
        assert compare_metadata(context, models.Base.metadata) == []


def test_a_rule_saved_in_the_database_prices_the_cart(shop):
    app, db, tsuide, adapter = shop
    with app.app_context():
        db.session.add(health_set())
        db.session.add(models.ShippingRule(label="送料無料", currency="JPY", threshold=5_000, fee=600))
        db.session.commit()
    adapter.lines = {"healthfood": 3}
    with app.test_request_context(headers={"Accept-Language": "en"}):
        quote = tsuide.quote()
    assert (quote.subtotal, quote.discount_total, quote.shipping_fee, quote.total) == (9_000, 900, 0, 8_100)
    assert quote.discounts[0].label == "3-bag set"


def test_bad_rule_data_is_refused_with_every_field_named_and_nothing_written(shop):
    app, db, *_ = shop
    with app.app_context():
        db.session.add(models.Bundle(label="", pricing_mode="fixed_price", pricing_value=-100, items=[]))
        with pytest.raises(RuleError) as caught:
            db.session.commit()
        assert {"label", "items", "value"} <= caught.value.errors.keys()
        db.session.rollback()
        assert db.session.query(models.Rule).count() == 0
        assert db.session.get(models.State, 1).version == 1


def test_overlapping_volume_discounts_are_refused_on_save(shop):
    app, db, *_ = shop
    tiers = lambda: [models.RuleStep(threshold=2, percent_bp=1_000), models.RuleStep(threshold=3, percent_bp=2_000)]  # noqa: E731
    with app.app_context():
        db.session.add(models.VolumeRule(label="Accessories", categories=[models.RuleCategory(category="accessories")],
                                         steps=tiers()))
        db.session.commit()
        db.session.add(models.VolumeRule(label="Again", categories=[models.RuleCategory(category="accessories")],
                                         steps=tiers()))
        with pytest.raises(RuleError, match="accessories already counts toward volume discount 'Accessories'"):
            db.session.commit()
        db.session.rollback()
        assert db.session.query(models.VolumeRule).count() == 1


def test_a_warm_quote_makes_one_query(shop):
    app, db, tsuide, adapter = shop
    with app.app_context():
        db.session.add_all([
            health_set(),
            health_set(label="お一人様1回", per_customer_cap=1, priority=-1),
            health_set(label="先着100名", global_cap=100, priority=-2),
        ])
        db.session.commit()
    adapter.lines = {"healthfood": 3}
    for customer in (None, "c-1"):
        adapter.customer_id = customer
        with app.test_request_context():
            tsuide.quote()  # cold: loads the rules
            queries = count_queries(db.engine)
            quote = tsuide.quote()
        assert quote.total == 8_100
        assert len(queries) == 1, queries


def test_a_change_in_another_worker_is_seen_on_the_next_request(database_url, make_shop):
    app_a, db_a, tsuide_a, adapter_a = make_shop(database_url)
    app_b, db_b, tsuide_b, adapter_b = make_shop(database_url, migrate_tables=False)
    adapter_b.lines = {"healthfood": 3}
    with app_b.test_request_context():
        assert tsuide_b.quote().total == 9_000
    with app_a.app_context():  # an admin in worker A adds the set
        db_a.session.add(health_set())
        db_a.session.commit()
    with app_b.test_request_context():
        assert tsuide_b.quote().total == 8_100
    with app_a.app_context():  # ...and pauses it
        rule = db_a.session.query(models.Bundle).one()
        rule.paused = True
        db_a.session.commit()
    with app_b.test_request_context():
        assert tsuide_b.quote().total == 9_000


def test_redeem_counts_first_n_caps_atomically(shop):
    app, db, tsuide, adapter = shop
    with app.app_context():
        db.session.add(health_set(global_cap=2))
        db.session.commit()
    adapter.lines = {"healthfood": 3}
    for order_id in ("A-1", "A-2"):
        with app.test_request_context():
            quote = tsuide.quote()
            assert quote.total == 8_100
            tsuide.redeem(order_id, quote)
            tsuide.redeem(order_id, quote)  # the same order twice counts once
            db.session.commit()
    with app.test_request_context():
        stale = quote
        queries = count_queries(db.engine)
        assert tsuide.quote().total == 9_000  # sold out: the next shopper pays full price
        assert len(queries) == 1  # the count is read with the version stamp; no reload of the rules
        with pytest.raises(CapReached, match="has just run out"):
            tsuide.redeem("A-3", stale)
        db.session.rollback()
        assert db.session.query(models.Redemption).count() == 2
        assert db.session.query(models.Rule).one().redeemed == 2


def test_per_customer_cap_is_enforced_at_redeem(shop):
    app, db, tsuide, adapter = shop
    with app.app_context():
        db.session.add(health_set(per_customer_cap=1))
        db.session.commit()
    adapter.lines, adapter.customer_id = {"healthfood": 3}, "c-1"
    with app.test_request_context():
        first = tsuide.quote()
        tsuide.redeem("A-1", first, "c-1")
        db.session.commit()
        assert tsuide.quote().total == 9_000  # used once already
        with pytest.raises(CapReached):
            tsuide.redeem("A-2", first, "c-1")
        db.session.rollback()
    adapter.customer_id = "c-2"
    with app.test_request_context():
        assert tsuide.quote().total == 8_100


@pytest.mark.postgresql
def test_concurrent_checkouts_never_pass_a_first_n_cap(postgres_url, make_shop):
    app, db, tsuide, adapter = make_shop(postgres_url, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 20})
    with app.app_context():
        db.session.add(health_set(global_cap=5))
        db.session.commit()
    adapter.lines = {"healthfood": 3}
    with app.test_request_context():
        quote = tsuide.quote()
    outcomes = []
    start = threading.Barrier(12)

    def checkout(order_id):
        with app.test_request_context():
            start.wait()
            try:
                tsuide.redeem(order_id, quote)
                db.session.commit()
                outcomes.append("ok")
            except CapReached:
                db.session.rollback()
                outcomes.append("sold out")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=checkout, args=(f"A-{i}",)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] * 5 + ["sold out"] * 7
    with app.app_context():
        assert db.session.query(models.Rule).one().redeemed == 5


def test_cli_names_the_problem_with_a_bad_revision(database_url, make_shop):
    app, *_ = make_shop(database_url, migrate_tables=False)
    result = app.test_cli_runner().invoke(args=["tsuide", "db", "upgrade", "--revision", "9999"])
    assert result.exit_code != 0
    assert "Error: tsuide:" in result.output and "9999" in result.output
    assert "Traceback" not in result.output


def test_cli_current_reports_the_revision(database_url, make_shop):
    app, *_ = make_shop(database_url, migrate_tables=False)
    runner = app.test_cli_runner()
    assert "not created" in runner.invoke(args=["tsuide", "db", "current"]).output
    runner.invoke(args=["tsuide", "db", "upgrade"])
    assert runner.invoke(args=["tsuide", "db", "current"]).output.strip() == "0013_buy_get_limits"


def test_prune_events_keeps_only_the_retention_period(database_url, make_shop):
    from datetime import timedelta

    app, db, *_ = make_shop(database_url, TSUIDE_EVENT_RETENTION_DAYS=30)
    with app.app_context():
        now = models.utcnow()
        db.session.add_all([
            models.Event(kind="impression", rule_id="1", created_at=now - timedelta(days=31)),
            models.Event(kind="click", rule_id="1", created_at=now - timedelta(days=29)),
        ])
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["tsuide", "prune-events"])
    assert result.exit_code == 0 and "Removed 1 events older than 30 days." in result.output
    with app.app_context():
        assert [event.kind for event in db.session.query(models.Event)] == ["click"]
    result = app.test_cli_runner().invoke(args=["tsuide", "prune-events", "--days", "1"])
    assert "Removed 1 events" in result.output


def test_a_shipping_threshold_keeps_its_reduced_fees_and_rewards_apart(shop):
    """Steps with a fee are reduced fees below free shipping; steps with a label are rewards above it."""
    app, db, tsuide, adapter = shop
    with app.app_context():
        db.session.add(models.ShippingRule(label="送料", currency="JPY", threshold=5_000, fee=600, steps=[
            models.RuleStep(threshold=3_000, fee=300), models.RuleStep(threshold=4_000, fee=100),
            models.RuleStep(threshold=10_000, label="ノベルティ"),
        ]))
        db.session.commit()
    fees = []
    for bags in (0, 1, 2):  # ¥3,000 a bag; the shop's adapter prices healthfood at ¥3,000
        adapter.lines = {"healthfood": bags} if bags else {}
        with app.test_request_context():
            quote = tsuide.quote()
        fees.append(quote.shipping_fee)
        if bags == 1:
            progress = quote.free_shipping
            assert (progress.fee, progress.next_step.threshold, progress.next_step.fee,
                    progress.next_step_remaining, progress.remaining) == (300, 4_000, 100, 1_000, 2_000)
            assert [(reward.threshold, reward.label) for reward in progress.rewards_unlocked + (progress.next_reward,)] \
                == [(10_000, "ノベルティ")]
    assert fees == [0, 300, 0]
