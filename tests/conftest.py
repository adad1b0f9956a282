"""Fixtures shared by the suite.

``database_url`` runs a test on SQLite and on PostgreSQL (``TSUIDE_TEST_POSTGRES_URL``,
started by ``make test``). Where PostgreSQL or Chromium is missing the test is skipped
with the reason; with ``TSUIDE_STRICT=1`` (CI) a missing part fails instead.
"""
from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

STRICT = os.environ.get("TSUIDE_STRICT") == "1"
POSTGRES_URL = os.environ.get("TSUIDE_TEST_POSTGRES_URL")
_skipped: list[str] = []


def unavailable(reason: str):
    """Skip, or with TSUIDE_STRICT=1 fail: CI must run everything."""
    if STRICT:
        pytest.fail(f"TSUIDE_STRICT=1 and {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if STRICT and _skipped and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):
    if _skipped:
        terminalreporter.section("TSUIDE: TESTS SKIPPED", sep="!", red=True, bold=True)
        terminalreporter.write_line(
            f"{len(_skipped)} tests did not run (see the reasons above). "
            + ("TSUIDE_STRICT=1: this run fails." if STRICT else "Run `make test` as root to install what they need.")
        )


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shop.sqlite'}"
    if not POSTGRES_URL:
        unavailable("no PostgreSQL: set TSUIDE_TEST_POSTGRES_URL or run `make test` as root")
    _reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
def postgres_url():
    """For what only PostgreSQL shows: concurrent writers on separate connections."""
    if not POSTGRES_URL:
        unavailable("no PostgreSQL: set TSUIDE_TEST_POSTGRES_URL or run `make test` as root")
    _reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
def make_shop():
    """Build test shops (see tests/shop.py) and close their connections afterwards."""
    from shop import make_shop as build

    made = []

    def factory(url, **options):
        shop = build(url, **options)
        made.append(shop)
        return shop

    yield factory
    for app, db, *_ in made:
        with app.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
