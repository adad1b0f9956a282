"""The plugin's tables at head in one step, for the many tests that need a fresh migrated database.

Running every Alembic migration costs a quarter to half a second per database, and most tests make one (on
SQLite and on PostgreSQL). Once per test session the migrations run for real on a scratch database; what they
left (the ``tsuide_*`` tables, their indexes and rows, the Alembic version) is kept as SQL and replayed on each
new database. A database that already has the plugin's tables is migrated the ordinary way (a no-op at head).

The migrations themselves are still tested for real: ``tests/test_persistence.py`` upgrades and downgrades
with Alembic, and the script kept here is what ``migrate.upgrade`` produced in this very run.
"""
from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from plugin.storage import migrate

VERSION_TABLE = "tsuide_alembic_version"
_scripts: dict[str, str | None] = {}
_lock = threading.Lock()


def upgrade(engine: Engine) -> None:
    """Bring ``engine``'s database to the plugin's head: replayed from this session's capture when it has none
    of the plugin's tables yet, else (or when no capture can be made) through Alembic."""
    if not inspect(engine).has_table(VERSION_TABLE):
        script = _script_for(engine)
        if script is not None:
            _replay(engine, script)
            return
    migrate.upgrade(engine)


def _script_for(engine: Engine) -> str | None:
    dialect = engine.dialect.name
    with _lock:
        if dialect not in _scripts:
            capture = {"sqlite": _capture_sqlite, "postgresql": _capture_postgresql}.get(dialect)
            try:
                _scripts[dialect] = capture(engine) if capture else None
            except (OSError, subprocess.SubprocessError):  # no pg_dump here: every test migrates for real
                _scripts[dialect] = None
        return _scripts[dialect]


def _capture_sqlite(_engine: Engine) -> str:
    with tempfile.TemporaryDirectory(prefix="tsuide-template-") as directory:
        path = os.path.join(directory, "template.sqlite")
        scratch = create_engine(f"sqlite:///{path}")
        migrate.upgrade(scratch)
        scratch.dispose()
        connection = sqlite3.connect(path)
        try:
            # One transaction (BEGIN ... COMMIT, as dumped): one sync to disk, not one per statement. The
            # shop's own AUTOINCREMENT counters live in the same table: leave them alone.
            statements = [line for line in connection.iterdump() if line != 'DELETE FROM "sqlite_sequence";']
        finally:
            connection.close()
    return "\n".join(statements)


def _capture_postgresql(engine: Engine) -> str:
    pg_dump = shutil.which("pg_dump") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"))[-1:]), None)
    if pg_dump is None:
        raise OSError("no pg_dump")
    url = engine.url
    name = f"tsuide_template_{os.getpid()}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        scratch = create_engine(url.set(database=name))
        migrate.upgrade(scratch)
        scratch.dispose()
        plain = make_url(url).set(drivername="postgresql", database=name)
        dumped = subprocess.run(
            [pg_dump, "--no-owner", "--no-privileges", "--inserts", "--dbname",
             plain.render_as_string(hide_password=False)],
            check=True, capture_output=True, text=True, timeout=60,
        ).stdout
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    # psql's own commands (\restrict) and the dump's empty search_path are for psql, not for a pooled connection.
    kept = [line for line in dumped.splitlines()
            if not line.startswith("\\") and "set_config('search_path'" not in line]
    return "\n".join(kept)


def _replay(engine: Engine, script: str) -> None:
    if engine.dialect.name == "sqlite":  # the engine's own connection: an in-memory database is per connection
        raw = engine.raw_connection()
        try:
            raw.driver_connection.executescript(script)
            raw.commit()
        finally:
            raw.close()
        return
    # The dump sets session options (timeouts, messages): on a connection of its own, never one the pool reuses.
    once = create_engine(engine.url, poolclass=NullPool)
    raw = once.raw_connection()
    try:
        with raw.cursor() as cursor:
            cursor.execute(script)  # no parameters: psycopg sends the many statements as one simple query
        raw.commit()
    finally:
        raw.close()
        once.dispose()
