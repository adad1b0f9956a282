"""How long the analytics dashboard's report takes over 100,000 and 1,000,000 events.

Run it with ``.venv/bin/python bench/analytics.py``. For each size it fills
``tsuide_events`` with four weeks of synthetic shoppers (a view each, an
impression of one of 20 offers under an A/B test for two in three, clicks,
adds and orders, a 5% holdout) and times :func:`plugin.insights.analytics.build_report`
over the 28 days, as the dashboard, its CSV and its JSON API do:

- on a temporary SQLite file (local days through a Python function per row);
- on PostgreSQL, with ``TSUIDE_BENCH_POSTGRES_URL`` (or ``TSUIDE_TEST_POSTGRES_URL``),
  in its own database ``tsuide_bench``; skipped with a note without a URL.

The baseline, in the same run, is one ``SELECT count(*)`` of the range's events
(a scan of what the report reads). The report is the median of 3 runs. Timings
are printed, never asserted. The dashboard is an admin page, so there is no
hard target; a few seconds at a million events is what an admin can wait for.
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, func, insert, select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from mining import bench_database_url  # noqa: E402

from plugin.storage import migrate  # noqa: E402
from plugin.insights.analytics import build_report, utc_bounds  # noqa: E402
from plugin.models import Event  # noqa: E402

SIZES = (100_000, 1_000_000)
DAYS = 28
OFFERS = 20
END = date(2026, 11, 28)
ZONE = ZoneInfo("Asia/Tokyo")
CHUNK = 20_000


def synthetic_events(count: int):
    """About ``count`` events, in chunks of dicts, drawn with a fixed seed."""
    rng = random.Random(20261123)
    start = datetime.combine(END - timedelta(days=DAYS - 1), datetime.min.time())
    made, chunk, visitor = 0, [], 0
    while made < count:
        visitor += 1
        name = f"{visitor:016x}"
        at = start + timedelta(seconds=rng.randrange(DAYS * 86_400))
        held = rng.random() < 0.05
        rows = [{"kind": "view", "visitor_id": name, "variant": "holdout" if held else None, "created_at": at}]
        if not held and rng.random() < 0.66:
            offer, variant = str(rng.randrange(1, OFFERS + 1)), rng.choice("AB")
            rows.append({"kind": "impression", "visitor_id": name, "rule_id": offer, "variant": variant,
                         "created_at": at})
            if rng.random() < 0.2:
                rows.append({"kind": "click", "visitor_id": name, "rule_id": offer, "variant": variant,
                             "created_at": at})
            if rng.random() < 0.1:
                rows.append({"kind": "add", "visitor_id": name, "rule_id": offer, "variant": variant,
                             "order_id": f"O{visitor}", "created_at": at})
                rows.append({"kind": "order", "visitor_id": name, "order_id": f"O{visitor}", "amount": 9_000,
                             "created_at": at})
        elif rng.random() < 0.08:
            rows.append({"kind": "order", "visitor_id": name, "order_id": f"O{visitor}", "amount": 6_000,
                         "variant": "holdout" if held else None, "created_at": at})
        for row in rows:
            chunk.append({"rule_id": None, "variant": None, "order_id": None, "amount": None, "page": "cart", **row})
        made += len(rows)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def bench(label: str, url: str, count: int) -> None:
    engine = create_engine(url)
    migrate.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(Event.__table__.delete())
        made_at = time.perf_counter()
        for chunk in synthetic_events(count):
            connection.execute(insert(Event), chunk)
        made_s = time.perf_counter() - made_at
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE tsuide_events")
    start = END - timedelta(days=DAYS - 1)
    low, high = utc_bounds(start, END, ZONE)
    with Session(engine) as session:
        stored = session.scalar(select(func.count()).select_from(Event))
        scans, reports = [], []
        for _ in range(3):
            began = time.perf_counter()
            session.scalar(select(func.count()).where(Event.created_at >= low, Event.created_at < high))
            scans.append(time.perf_counter() - began)
            began = time.perf_counter()
            report = build_report(session, start, END, ZONE)
            reports.append(time.perf_counter() - began)
    scan, took = statistics.median(scans), statistics.median(reports)
    print(f"  {label}: {stored:,} events (made in {made_s:.1f} s); report {took:.2f} s, "
          f"SELECT count(*) {scan:.3f} s, ratio {took / scan:.0f}; "
          f"{report.treated.visitors + report.holdout.visitors:,} visitors, {len(report.offers)} offers")
    engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="events per run")
    options = parser.parse_args(argv)
    print(f"Analytics report over {DAYS} days; Python {platform.python_version()}, {os.cpu_count()} CPUs")
    postgres = os.environ.get("TSUIDE_BENCH_POSTGRES_URL") or os.environ.get("TSUIDE_TEST_POSTGRES_URL")
    for count in options.sizes:
        print(f"{count:,} events")
        with tempfile.TemporaryDirectory() as folder:
            bench("SQLite", f"sqlite:///{folder}/events.sqlite", count)
        if postgres:
            bench("PostgreSQL", bench_database_url(postgres), count)
        else:
            print("  PostgreSQL: skipped (set TSUIDE_BENCH_POSTGRES_URL)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
