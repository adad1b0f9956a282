"""Where ``flask tsuide mine`` reads order lines from and how it saves what it found.

Order lines come from the adapter's ``order_lines(since)`` or from a table (or
view) the shop names. A named table and its columns are checked against the
database's inspector and only ever reach SQL as quoted SQLAlchemy identifiers.
On PostgreSQL a named table is counted inside the database (one INSERT ...
SELECT), so a large history never passes through Python rows; elsewhere the
lines are streamed to :mod:`plugin.insights.mining`.

Either way a run replaces the previous pairs in one transaction: readers see the
old set until the new one is committed, never half of each.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from sqlalchemy import Date, Float, String, and_, cast, delete, distinct, func, insert, inspect, literal, select, text, update
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.engine import Connection, Engine

from . import mining
from ..storage.base import State, utcnow
from ..storage.mining import MinedPair, MiningRun

BATCH = 10_000
PAIRS = MinedPair.__table__
RUNS = MiningRun.__table__


class MiningSourceError(ValueError):
    """The named table or columns do not exist; the message names every problem."""


@dataclass(frozen=True)
class TableSource:
    """A validated table of order lines: its columns, safe to put into SQL."""

    name: str
    order_column: str
    product_column: str
    quantity_column: str | None
    date_column: str | None
    date_type: object = None

    @property
    def label(self) -> str:
        return f"table {self.name}"

    def lines(self, since: datetime | None):
        """``SELECT order, product, quantity FROM table WHERE ...`` as SQLAlchemy Core, quoted as needed."""
        names = [self.order_column, self.product_column] + [n for n in (self.quantity_column, self.date_column) if n]
        # The date column keeps its type, so --since binds as the column's type (a DATE compares as a date).
        shop_table = sql_table(self.name, *(
            sql_column(name, self.date_type if name == self.date_column else None) for name in dict.fromkeys(names)
        ))
        order, product = shop_table.c[self.order_column], shop_table.c[self.product_column]
        conditions = [order.is_not(None), product.is_not(None)]
        if self.quantity_column:
            conditions.append(shop_table.c[self.quantity_column] > 0)
        if since is not None:
            # A DATE column compares with a date: SQLite would compare '2026-03-01' with '2026-03-01 00:00:00'.
            value = since.date() if isinstance(self.date_type, Date) else since
            conditions.append(shop_table.c[self.date_column] >= value)
        return shop_table, order, product, and_(*conditions)


@dataclass(frozen=True)
class RunSummary:
    orders: int
    lines: int
    pairs: int


def table_source(
    engine: Engine, name: str, order_column: str, product_column: str, quantity_column: str | None,
    date_column: str | None, since: datetime | None,
) -> TableSource:
    """Check that the table (or view) and every named column exist; raise :class:`MiningSourceError` naming each miss."""
    inspector = inspect(engine)
    if name not in {*inspector.get_table_names(), *inspector.get_view_names()}:
        raise MiningSourceError(f"there is no table or view named {name!r} in the shop's database.")
    types = {column["name"]: column["type"] for column in inspector.get_columns(name)}
    present = set(types)
    named = {
        "--order-column": order_column, "--product-column": product_column,
        "--quantity-column": quantity_column, "--date-column": date_column,
    }
    problems = [
        f"{option} {value!r} is not a column of {name!r}"
        for option, value in named.items()
        if value is not None and value not in present
    ]
    if since is not None and date_column is None:
        problems.append("--since with --table needs --date-column, the column that holds each order's date")
    if problems:
        columns = ", ".join(sorted(present))
        raise MiningSourceError("; ".join(problems) + f" (its columns: {columns}).")
    return TableSource(name, order_column, product_column, quantity_column, date_column, types.get(date_column))


def count_lines(engine: Engine, source: TableSource, since: datetime | None) -> int:
    shop_table, _, _, where = source.lines(since)
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(shop_table).where(where)).scalar_one()


def table_line_batches(engine: Engine, source: TableSource, since: datetime | None) -> Iterator[list[tuple]]:
    """The table's lines as (order id, product id as text, quantity), ordered by order id, in batches."""
    shop_table, order, product, where = source.lines(since)
    quantity = shop_table.c[source.quantity_column] if source.quantity_column else literal(1)
    query = select(order, product, quantity).where(where).order_by(order)
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(query)
        for rows in result.partitions():
            yield [(order_id, str(product_id), qty) for order_id, product_id, qty in rows]


def adapter_line_batches(lines: Iterable[tuple[object, object, int]]) -> Iterator[list[tuple]]:
    """The adapter's lines in batches, product ids as text, lines of no quantity left out."""
    iterator = iter(lines)
    while batch := list(islice(iterator, BATCH)):
        yield [(order_id, str(product_id), qty) for order_id, product_id, qty in batch if qty > 0]


def _lock_pairs(connection: Connection) -> None:
    # Two runs at once would each delete, then collide on the other's inserts. EXCLUSIVE mode queues
    # writers but lets readers go on reading the old set. SQLite serialises writers by itself.
    if connection.dialect.name == "postgresql":
        connection.execute(text("LOCK TABLE tsuide_mined_pairs IN EXCLUSIVE MODE"))


def _start_run(connection: Connection, source: str, since: datetime | None, min_support: int, started: datetime,
               orders: int, lines: int) -> int:
    result = connection.execute(
        insert(RUNS).values(source=source[:200], since=since, min_support=min_support, started_at=started,
                            orders=orders, lines=lines, pairs=0)
    )
    return result.inserted_primary_key[0]


def replace_pairs(
    engine: Engine, result: mining.MiningResult, *, source: str, since: datetime | None, min_support: int,
    started: datetime,
) -> RunSummary:
    """Save ``result`` as the mined pairs, replacing the last run's in one transaction, and record the run."""
    with engine.begin() as connection:
        _lock_pairs(connection)
        run_id = _start_run(connection, source, since, min_support, started, result.orders, result.lines)
        connection.execute(delete(PAIRS))
        rows = (
            {"product_a": p.product_a, "product_b": p.product_b, "run_id": run_id, "orders_together": p.orders_together,
             "support": p.support, "confidence_ab": p.confidence_ab, "confidence_ba": p.confidence_ba, "lift": p.lift}
            for p in result.pairs
        )
        while batch := list(islice(rows, BATCH)):
            connection.execute(insert(PAIRS), batch)
        connection.execute(
            update(RUNS).where(RUNS.c.id == run_id).values(pairs=len(result.pairs), finished_at=utcnow())
        )
        _stamp(connection)
    return RunSummary(result.orders, result.lines, len(result.pairs))


def _stamp(connection: Connection) -> None:
    """New pairs change what carts are offered: every worker reloads its cache on its next request."""
    state = State.__table__
    connection.execute(update(state).where(state.c.id == 1).values(version=state.c.version + 1))


def mine_in_database(
    engine: Engine, source: TableSource, since: datetime | None, min_support: int, started: datetime,
    step: Callable[[str], None] = lambda name: None,
) -> RunSummary:
    """Count pairs inside PostgreSQL with one INSERT ... SELECT, replacing the last run's pairs atomically.

    The statistics are computed with the same double-precision operations, in
    the same order, as :func:`plugin.insights.mining.pair_statistics`, so both paths
    store the same numbers.
    """
    shop_table, order, product, where = source.lines(since)
    with engine.begin() as connection:
        _lock_pairs(connection)
        step("totals")
        lines, orders = connection.execute(
            select(func.count(), func.count(distinct(order))).select_from(shop_table).where(where)
        ).one()
        run_id = _start_run(connection, source.label, since, min_support, started, orders, lines)
        connection.execute(delete(PAIRS))
        step("pairs")
        pairs = 0
        if orders:
            connection.execute(_pairs_insert(order, product, where, shop_table, orders, min_support, run_id))
            pairs = connection.execute(select(func.count()).select_from(PAIRS)).scalar_one()
        step("saved")
        connection.execute(update(RUNS).where(RUNS.c.id == run_id).values(pairs=pairs, finished_at=utcnow()))
        _stamp(connection)
    return RunSummary(orders, lines, pairs)


def _pairs_insert(order, product, where, shop_table, orders: int, min_support: int, run_id: int):
    # Each order's distinct products, as text (the pairs table stores text ids).
    baskets = (
        select(order.label("order_id"), cast(product, String).label("product_id"))
        .select_from(shop_table).where(where).distinct().cte("baskets")
    )
    product_orders = (
        select(baskets.c.product_id, func.count().label("orders")).group_by(baskets.c.product_id).cte("product_orders")
    )
    a, b = baskets.alias("a"), baskets.alias("b")
    together = (
        select(a.c.product_id.label("product_a"), b.c.product_id.label("product_b"), func.count().label("together"))
        .select_from(a.join(b, and_(a.c.order_id == b.c.order_id, a.c.product_id.collate("C") < b.c.product_id)))
        .group_by(a.c.product_id, b.c.product_id)
        .having(func.count() >= min_support)
        .cte("together")
    )
    count_a, count_b = product_orders.alias("count_a"), product_orders.alias("count_b")
    total = cast(literal(orders), Float)
    both = cast(together.c.together, Float)
    orders_a, orders_b = cast(count_a.c.orders, Float), cast(count_b.c.orders, Float)
    support = both / total
    statistics = (
        select(
            together.c.product_a, together.c.product_b, literal(run_id), together.c.together,
            support, both / orders_a, both / orders_b, support / ((orders_a / total) * (orders_b / total)),
        )
        .select_from(together)
        .join(count_a, count_a.c.product_id == together.c.product_a)
        .join(count_b, count_b.c.product_id == together.c.product_b)
    )
    return insert(PAIRS).from_select(
        ["product_a", "product_b", "run_id", "orders_together", "support", "confidence_ab", "confidence_ba", "lift"],
        statistics,
    )
