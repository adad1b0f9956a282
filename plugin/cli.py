"""``flask tsuide ...``: the plugin's commands, added to the shop's ``flask`` CLI."""
from __future__ import annotations

import json
from collections.abc import Callable

import click
from alembic.util import CommandError
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from .admin import service
from .errors import InvalidRequest, JSONTooComplex
from .storage import migrate
from .storefront.request_limits import load_json

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


@tsuide_cli.command("export")
@click.argument("output", type=click.File("w", encoding="utf-8"), default="-")
def export(output) -> None:
    """Write every live offer and the settings as JSON to OUTPUT (default: standard output), as the admin exports."""
    with current_app.test_request_context():  # the adapter may read the request (its language, its user)
        document = service.export_all()
    json.dump(document, output, ensure_ascii=False, indent=2)
    output.write("\n")


@tsuide_cli.command("import")
@click.argument("source", type=click.File("r", encoding="utf-8-sig"))
def import_(source) -> None:
    """Replace every offer and the settings with an export read from SOURCE: all of it, or (on any error) nothing."""
    try:
        document = load_json(source.read())
    except (ValueError, JSONTooComplex) as error:
        raise click.ClickException(f"tsuide: {source.name} is not an export: {getattr(error, 'description', error)}")
    try:
        with current_app.test_request_context():
            result = service.import_all(document, actor="flask tsuide import")
    except InvalidRequest as error:
        lines = "\n".join(f"  {line}" for line in service.describe_errors(error.fields))
        raise click.ClickException(f"tsuide: {error.description}\n{lines}") from None
    created = ", ".join(f"{count} {kind}" for kind, count in result["created"].items())
    click.echo(f"tsuide: imported {created}.")
    warned = sum(1 for by_id in result["warnings"].values() for found in by_id.values() if found)
    if warned:
        click.echo(f"tsuide: the rule linter has warnings for {warned} record(s): see the admin.")


@tsuide_cli.command("mine")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only orders placed on or after this date.")
@click.option("--table", help="Read order lines from this table (or view) instead of the adapter's order_lines().")
@click.option("--order-column", default="order_id", show_default=True, help="With --table: the order id column.")
@click.option("--product-column", default="product_id", show_default=True, help="With --table: the product id column.")
@click.option("--quantity-column", help="With --table: lines whose quantity is not above 0 are left out.")
@click.option("--date-column", help="With --table and --since: the column holding the order's date.")
@click.option("--min-support", type=click.IntRange(min=1), default=2, show_default=True,
              help="Keep pairs bought together in at least this many orders.")
def mine(since, table, order_column, product_column, quantity_column, date_column, min_support) -> None:
    """Find which products are bought together (support, confidence, lift) and store the pairs."""
    from time import perf_counter

    from .insights import mining_store as store
    from .adapter import _overrides
    from .storage.base import utcnow

    state = current_app.extensions["tsuide"]._state()
    engine, started, clock = state.db.engine, utcnow(), perf_counter()
    try:
        if table is None:
            if not _overrides(state.adapter, "order_lines"):
                raise click.ClickException(
                    f"tsuide: {type(state.adapter).__name__} does not implement order_lines(since): add it to your "
                    "ShopAdapter, or name a table of order lines with --table."
                )
            result = _mine_in_python(store.adapter_line_batches(state.adapter.order_lines(since)), None, min_support,
                                     sorted_by_order=False)
            summary = store.replace_pairs(engine, result, source="adapter order_lines()", since=since,
                                          min_support=min_support, started=started)
        else:
            try:
                source = store.table_source(engine, table, order_column, product_column, quantity_column,
                                            date_column, since)
            except store.MiningSourceError as error:
                raise click.ClickException(f"tsuide: {error}") from None
            if engine.dialect.name == "postgresql":
                with click.progressbar(length=3, label="Counting pairs in the database") as bar:
                    summary = store.mine_in_database(engine, source, since, min_support, started,
                                                     step=lambda name: bar.update(1))
            else:
                total = store.count_lines(engine, source, since)
                result = _mine_in_python(store.table_line_batches(engine, source, since), total, min_support,
                                         sorted_by_order=True)
                summary = store.replace_pairs(engine, result, source=source.label, since=since,
                                              min_support=min_support, started=started)
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise click.ClickException(f"tsuide: the database refused the mining run: {reason}") from None
    click.echo(
        f"Mined {summary.orders:,} orders, {summary.lines:,} lines: kept {summary.pairs:,} pairs "
        f"(min support {min_support}) in {perf_counter() - clock:.2f} s."
    )


def _mine_in_python(batches, total: int | None, min_support: int, *, sorted_by_order: bool):
    """Count with :mod:`plugin.insights.mining`, showing a bar over the lines read (batch by batch: cheap to draw)."""
    from .insights import mining

    read = 0

    def lines():
        nonlocal read
        if total is not None:
            with click.progressbar(length=total, label="Reading order lines") as bar:
                for batch in batches:
                    read += len(batch)
                    bar.update(len(batch))
                    yield from batch
        else:
            shown = lambda batch: f"{read:,} lines" if batch is not None else ""  # noqa: E731
            with click.progressbar(batches, label="Reading order lines", item_show_func=shown) as bar:
                for batch in bar:
                    read += len(batch)
                    yield from batch

    baskets = mining.sorted_baskets(lines()) if sorted_by_order else mining.baskets(lines())
    result = mining.count_pairs(baskets, min_support=min_support)
    return mining.MiningResult(result.orders, read, result.pairs)


@tsuide_cli.command("prune-events")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Keep this many days of events (default: the admin's setting, else TSUIDE_EVENT_RETENTION_DAYS).")
def prune_events(days: int | None) -> None:
    """Delete shoppers' events (impressions, clicks, adds...) older than the retention period."""
    from datetime import timedelta

    from sqlalchemy import delete

    from .storage.events import Event
    from .storage.base import utcnow

    days = days or current_app.extensions["tsuide"].setting("TSUIDE_EVENT_RETENTION_DAYS")
    with _engine().begin() as connection:
        removed = connection.execute(delete(Event).where(Event.created_at < utcnow() - timedelta(days=days))).rowcount
    click.echo(f"Removed {removed:,} events older than {days} days.")
