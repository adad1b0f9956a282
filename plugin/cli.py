"""``flask tsuide ...``: the plugin's commands, added to the shop's ``flask`` CLI."""
from __future__ import annotations

from collections.abc import Callable

import click
from alembic.util import CommandError
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from . import migrate

tsuide_cli = AppGroup("tsuide", help="Tsuide: bundles, tiers and free-shipping offers.")
db_cli = AppGroup("db", help="The plugin's own tables (tsuide_*); the shop's tables are never touched.")
tsuide_cli.add_command(db_cli)


def _engine():
    return current_app.extensions["tsuide"]._state().db.engine


def _migrating(step: Callable[[], None]) -> None:
    """Run a migration step; a database or revision problem is a clear CLI error, not a traceback."""
    try:
        step()
    except CommandError as error:
        raise click.ClickException(f"tsuide: {error}") from None
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise click.ClickException(f"tsuide: the database refused the migration: {reason}") from None


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Migrate to this revision.")
def db_upgrade(revision: str) -> None:
    """Create or migrate the tsuide_* tables."""
    _migrating(lambda: migrate.upgrade(_engine(), revision))
    click.echo(f"tsuide tables are at revision {migrate.current(_engine())}")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the tsuide_* tables back to REVISION ('base' removes them)."""
    _migrating(lambda: migrate.downgrade(_engine(), revision))
    click.echo(f"tsuide tables are at revision {migrate.current(_engine()) or 'base'}")


@db_cli.command("current")
def db_current() -> None:
    """Print the revision the tsuide_* tables are at."""
    click.echo(migrate.current(_engine()) or "base (not created: run 'flask tsuide db upgrade')")
