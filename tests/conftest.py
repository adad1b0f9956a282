"""Fixtures shared by the suite.

``database_url`` runs a test on SQLite and on PostgreSQL (``TSUIDE_TEST_POSTGRES_URL``,
started by ``make test``). Where PostgreSQL or Chromium is missing the test is skipped
with the reason; with ``TSUIDE_STRICT=1`` (CI) a missing part fails instead.
"""
from __future__ import annotations

import os

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text

STRICT = os.environ.get("TSUIDE_STRICT") == "1"

# In CI the property tests and fuzzes replay the same examples every run, so a landing never hinges
# on a lucky draw; on developers' machines they keep exploring new ones.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
POSTGRES_URL = os.environ.get("TSUIDE_TEST_POSTGRES_URL")
_skipped: list[str] = []


def _own_database(url: str, worker: str) -> str:
    """Under pytest-xdist each worker resets and migrates a database of its own on the same server."""
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


if POSTGRES_URL and os.environ.get("PYTEST_XDIST_WORKER"):
    POSTGRES_URL = _own_database(POSTGRES_URL, os.environ["PYTEST_XDIST_WORKER"])


def unavailable(reason: str):
    """Skip, or with TSUIDE_STRICT=1 fail: CI must run everything."""
    if STRICT:
        pytest.fail(f"TSUIDE_STRICT=1 and {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_logreport(report):
    # An expected failure (xfail, strict) ran: it pins a known bug and fails once the bug is gone.
    if report.skipped and not hasattr(report, "wasxfail"):
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


# -- the demo shop, for the tests that drive it ------------------------------------------------------------

CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, never a downloaded browser (see ../shared/RECIPES.md)."""
    chromium = os.environ.get("TSUIDE_TEST_CHROMIUM")
    if not chromium:
        unavailable("no Chromium: set TSUIDE_TEST_CHROMIUM or run `make test` as root")
    return {**browser_type_launch_args, "executable_path": chromium, "args": CHROME_ARGS}


def _seeded_demo(url: str, history: bool = False):
    """The demo, migrated and seeded; with ``history``, also its A/B tests' four weeks of events."""
    from demo import create_app
    from demo.extensions import db
    from demo.seed import seed_all
    from plugin import models
    import migrated

    # No holdout: a random 5% of test visitors would otherwise see no offers.
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "TSUIDE_HOLDOUT_PERCENT": 0})
    with app.app_context():
        migrated.upgrade(db.engine)
        seed_all(history=history)
        # The demo's A/B tests would give each test's random visitor either price: the suite checks the
        # offers as configured (tests/test_ab_tests.py checks variants), and keeps the seeded events.
        for variant in db.session.query(models.Variant):
            db.session.delete(variant)
        db.session.commit()
    return app, db


@pytest.fixture
def demo(database_url):
    """The demo shop, migrated and seeded, on SQLite and PostgreSQL."""
    app, db = _seeded_demo(database_url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    """The demo shop on its own SQLite file, for one module of browser tests."""
    app, db = _seeded_demo(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'shop.sqlite'}", history=True)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def base(demo_app):
    """The demo shop served on a free loopback port."""
    from live_server import serving

    with serving(demo_app) as url:
        yield url


@pytest.fixture
def shop_page(page):
    """A browser page that fails the test on any script error or console error."""
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    yield page
    assert errors == []


@pytest.fixture
def admin_shop(database_url, make_shop):
    """A test shop whose adapter lets this request into the admin."""
    app, db, tsuide, adapter = make_shop(database_url)
    adapter.admin = True
    return app, db, tsuide, adapter


@pytest.fixture
def admin(shop):
    """A test client of the module's ``shop`` with a CSRF token bound to its session, sent on every write (as the
    admin's pages do). A module names its ``shop`` (often ``admin_shop`` itself)."""
    from shop import csrf_client

    return csrf_client(shop[0])
