"""How long ``flask tsuide mine --table`` takes on 100,000 and 1,000,000 order lines.

Run it with ``.venv/bin/python bench/mining.py``. For each size it builds a
synthetic shop table of order lines (4 lines per order, products drawn from
200, with camera + sdcard planted in every 7th order) and runs the command
through Flask's CLI runner, as a shop would:

- on a temporary SQLite file, where the lines are streamed into Python and
  counted by :mod:`plugin.insights.mining`; the baseline is reading the same lines once
  (the same ordered SELECT, fetched and thrown away);
- on PostgreSQL, where the counting is one INSERT ... SELECT inside the
  database; the baseline is a ``SELECT count(*)`` scan of the same table. The
  lines are made inside the database with ``generate_series``. It needs
  ``TSUIDE_BENCH_POSTGRES_URL`` (or ``TSUIDE_TEST_POSTGRES_URL``); the run uses
  its own database, ``tsuide_bench``, created if missing, so a test database
  is never disturbed. Without a URL that part is skipped with a note.

Both measurements of a size run in the same process, one after the other, so
the ratio compares like with like on a noisy machine. Exits 2 when camera +
sdcard is not the pair with the highest lift (the figures would be of a wrong
answer). Timings are printed, never asserted.

**Target:** 1,000,000 lines mined in under 30 s on PostgreSQL.
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import create_engine, make_url, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from plugin import ShopAdapter, Tsuide
from plugin.storage import migrate  # noqa: E402
from plugin.storage.mining import MinedPair  # noqa: E402

SIZES = (100_000, 1_000_000)
LINES_PER_ORDER = 4
PRODUCTS = 200
PLANT_EVERY = 7  # every 7th order holds camera + sdcard
TARGET_S = 30.0
SEED = 20261123
TABLE = "bench_order_lines"
MINE_ARGS = ["tsuide", "mine", "--table", TABLE, "--order-column", "order_id", "--product-column", "product_id",
             "--quantity-column", "quantity"]


class BenchAdapter(ShopAdapter):
    def current_cart(self):
        raise NotImplementedError

    def products(self, ids):
        return {}

    def add_to_cart(self, items):
        pass


def make_app(url: str):
    app = Flask("mining_bench")
    app.config.update(SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="bench")
    db = SQLAlchemy(app)
    Tsuide(app, db=db, adapter=BenchAdapter())
    with app.app_context():
        migrate.upgrade(db.engine)
    return app, db


def sqlite_lines(count: int):
    """The same shape as the PostgreSQL lines: line g belongs to order g // 4."""
    rng = random.Random(SEED)
    for g in range(count):
        order_id = g // LINES_PER_ORDER
        if order_id % PLANT_EVERY == 0 and g % LINES_PER_ORDER < 2:
            product = ("camera", "sdcard")[g % LINES_PER_ORDER]
        else:
            product = f"P{rng.randrange(PRODUCTS):04d}"
        yield order_id, product, 1 + rng.randrange(3)


POSTGRES_LINES = f"""
INSERT INTO {TABLE} (order_id, product_id, quantity)
SELECT g / {LINES_PER_ORDER},
       CASE WHEN (g / {LINES_PER_ORDER}) % {PLANT_EVERY} = 0 AND g % {LINES_PER_ORDER} = 0 THEN 'camera'
            WHEN (g / {LINES_PER_ORDER}) % {PLANT_EVERY} = 0 AND g % {LINES_PER_ORDER} = 1 THEN 'sdcard'
            ELSE 'P' || lpad(floor(random() * {PRODUCTS})::int::text, 4, '0') END,
       1 + floor(random() * 3)::int
FROM generate_series(0, :count - 1) AS g
"""


def timed(step) -> tuple[float, object]:
    started = time.perf_counter()
    value = step()
    return time.perf_counter() - started, value


def mine(app) -> tuple[float, str]:
    seconds, result = timed(lambda: app.test_cli_runner().invoke(args=MINE_ARGS))
    if result.exit_code != 0:
        raise SystemExit(f"flask tsuide mine failed:\n{result.output}")
    return seconds, result.output.strip().splitlines()[-1]


def top_pair(app, db) -> tuple[str, str] | None:
    with app.app_context():
        row = db.session.execute(
            select(MinedPair.product_a, MinedPair.product_b).order_by(MinedPair.lift.desc()).limit(1)
        ).first()
        return tuple(row) if row else None


def report(name: str, lines: int, seconds: float, baseline_name: str, baseline_s: float, summary: str) -> None:
    print(f"  {name}, {lines:,} lines: {seconds:.2f} s, {lines / seconds:,.0f} lines/s; "
          f"{baseline_name} {baseline_s:.2f} s; × baseline {seconds / baseline_s:.1f}")
    print(f"    {summary}")


def bench_sqlite(count: int) -> tuple[float, bool]:
    with tempfile.TemporaryDirectory() as folder:
        app, db = make_app(f"sqlite:///{Path(folder) / 'bench.sqlite'}")
        with app.app_context():
            engine = db.engine
            with engine.begin() as connection:
                connection.execute(text(f"CREATE TABLE {TABLE} (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, "
                                        "product_id VARCHAR(20) NOT NULL, quantity INTEGER NOT NULL)"))
                cursor = connection.connection.driver_connection.cursor()  # sqlite3's executemany streams a generator
                made_s, _ = timed(lambda: cursor.executemany(
                    f"INSERT INTO {TABLE} (order_id, product_id, quantity) VALUES (?, ?, ?)", sqlite_lines(count)
                ))
                connection.execute(text(f"CREATE INDEX ix_{TABLE}_order_id ON {TABLE} (order_id)"))

            def read_once():
                with engine.connect() as connection:
                    query = text(f"SELECT order_id, product_id, quantity FROM {TABLE} ORDER BY order_id")
                    for _ in connection.execution_options(stream_results=True, yield_per=10_000).execute(query):
                        pass

            baseline_s, _ = timed(read_once)
        seconds, summary = mine(app)
        print(f"  SQLite: {count:,} lines inserted with executemany in {made_s:.2f} s")
        report("SQLite, counted in Python", count, seconds, "reading the lines once", baseline_s, summary)
        right = top_pair(app, db) == ("camera", "sdcard")
        with app.app_context():
            db.engine.dispose()
        return seconds, right


def bench_database_url(url: str) -> str:
    """The same server as ``url``, database ``tsuide_bench`` (created if missing)."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = 'tsuide_bench'")).first()
        if not exists:
            connection.execute(text("CREATE DATABASE tsuide_bench"))
    admin.dispose()
    return make_url(url).set(database="tsuide_bench").render_as_string(hide_password=False)


def bench_postgres(url: str, count: int) -> tuple[float, bool]:
    app, db = make_app(url)
    with app.app_context():
        engine = db.engine
        with engine.begin() as connection:
            connection.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))
            connection.execute(text(f"CREATE TABLE {TABLE} (id bigserial PRIMARY KEY, order_id integer NOT NULL, "
                                    "product_id varchar(20) NOT NULL, quantity integer NOT NULL)"))
            connection.execute(text("SELECT setseed(0.5)"))
            made_s, _ = timed(lambda: connection.execute(text(POSTGRES_LINES), {"count": count}))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f"VACUUM ANALYZE {TABLE}"))
        with engine.connect() as connection:
            connection.execute(text(f"SELECT count(*) FROM {TABLE}")).scalar_one()  # warm the cache for both
            baseline_s, _ = timed(lambda: connection.execute(text(f"SELECT count(*) FROM {TABLE}")).scalar_one())
    seconds, summary = mine(app)
    print(f"  PostgreSQL: {count:,} lines made with INSERT ... SELECT generate_series in {made_s:.2f} s")
    report("PostgreSQL, counted in SQL", count, seconds, "SELECT count(*)", baseline_s, summary)
    right = top_pair(app, db) == ("camera", "sdcard")
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text(f"DROP TABLE {TABLE}"))
        db.engine.dispose()
    return seconds, right


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="order lines per run")
    options = parser.parse_args(argv)
    postgres = os.environ.get("TSUIDE_BENCH_POSTGRES_URL") or os.environ.get("TSUIDE_TEST_POSTGRES_URL")

    print("Tsuide mining: flask tsuide mine --table")
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
          f"{LINES_PER_ORDER} lines per order, {PRODUCTS:,} products, camera + sdcard in every {PLANT_EVERY}th order")
    status, postgres_seconds = 0, {}
    if postgres:
        postgres = bench_database_url(postgres)
        with create_engine(postgres).connect() as connection:
            print(connection.execute(text("SELECT version()")).scalar_one().split(",")[0])
    for count in options.sizes:
        print(f"\n{count:,} order lines")
        _, right = bench_sqlite(count)
        if not right:
            print("FAIL: on SQLite camera + sdcard is not the pair with the highest lift.")
            status = 2
        if not postgres:
            print("  PostgreSQL: skipped (set TSUIDE_BENCH_POSTGRES_URL or TSUIDE_TEST_POSTGRES_URL)")
            continue
        postgres_seconds[count], right = bench_postgres(postgres, count)
        if not right:
            print("FAIL: on PostgreSQL camera + sdcard is not the pair with the highest lift.")
            status = 2
    if 1_000_000 in postgres_seconds:
        seconds = postgres_seconds[1_000_000]
        verdict = "met" if seconds < TARGET_S else "NOT met"
        print(f"\nTarget (1,000,000 lines in under {TARGET_S:.0f} s on PostgreSQL): {verdict}, {seconds:.1f} s.")
    return status


if __name__ == "__main__":
    sys.exit(main())
