"""What is bought together: pair counts, support, confidence and lift from order baskets.

Pure counting, no Flask, no SQLAlchemy, no I/O, so it can be tested without an
app and called from the ``flask tsuide mine`` command or a benchmark alike.

For products A and B over *N* orders:

- ``support`` = orders with both / N;
- ``confidence_ab`` = orders with both / orders with A (how often a basket with A also holds B);
- ``lift`` = support / (support(A) × support(B)): above 1, they meet more often than chance would have it.

A product counts once per order, whatever its quantity. These are statistics,
not money, so they are floats.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import combinations, groupby
from operator import itemgetter


@dataclass(frozen=True)
class Pair:
    """Two products seen in the same orders; ``product_a`` < ``product_b``."""

    product_a: str
    product_b: str
    orders_together: int
    support: float
    confidence_ab: float
    confidence_ba: float
    lift: float


@dataclass(frozen=True)
class MiningResult:
    orders: int
    lines: int
    pairs: tuple[Pair, ...]


def baskets(order_lines: Iterable[tuple[object, str, int]]) -> Iterator[frozenset[str]]:
    """The distinct products of each order, from (order id, product id, quantity) lines.

    Lines of one order may come in any position: they are gathered in a dict,
    so the input need not be sorted by order id.
    """
    by_order: dict[object, set[str]] = {}
    for order_id, product_id, _quantity in order_lines:
        by_order.setdefault(order_id, set()).add(product_id)
    for products in by_order.values():
        yield frozenset(products)


def sorted_baskets(order_lines: Iterable[tuple[object, str, int]]) -> Iterator[frozenset[str]]:
    """As :func:`baskets`, for lines already ordered by order id: streams in constant memory per order."""
    for _order_id, lines in groupby(order_lines, key=itemgetter(0)):
        yield frozenset(product_id for _, product_id, _ in lines)


def count_pairs(
    order_baskets: Iterable[frozenset[str]], *, lines: int = 0, min_support: int = 2
) -> MiningResult:
    """Count products and pairs over ``order_baskets``; keep pairs seen in at least ``min_support`` orders.

    ``lines`` is only reported back (the caller knows how many lines made the baskets).
    """
    product_orders: Counter[str] = Counter()
    pair_orders: Counter[tuple[str, str]] = Counter()
    total = 0
    for basket in order_baskets:
        total += 1
        products = sorted(basket)
        product_orders.update(products)
        pair_orders.update(combinations(products, 2))
    pairs = tuple(
        pair_statistics(a, b, together, product_orders[a], product_orders[b], total)
        for (a, b), together in sorted(pair_orders.items())
        if together >= min_support
    )
    return MiningResult(total, lines, pairs)


def pair_statistics(a: str, b: str, together: int, orders_a: int, orders_b: int, total: int) -> Pair:
    """Support, both confidences and lift for one pair, from its counts."""
    support = together / total
    lift = support / ((orders_a / total) * (orders_b / total))
    return Pair(a, b, together, support, together / orders_a, together / orders_b, lift)


def mine(order_lines: Iterable[tuple[object, str, int]], *, min_support: int = 2) -> MiningResult:
    """Count pairs from (order id, product id, quantity) lines in any order."""
    seen = 0

    def counted():
        nonlocal seen
        for line in order_lines:
            seen += 1
            yield line

    result = count_pairs(baskets(counted()), min_support=min_support)
    return MiningResult(result.orders, seen, result.pairs)
