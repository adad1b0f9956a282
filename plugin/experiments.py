"""A/B tests of offers: who sees which variant, and whether a difference is real.

Everything here is a pure function of its arguments (no Flask, no SQLAlchemy,
no I/O) built on the standard library only: :mod:`hashlib` for assignment and
:class:`statistics.NormalDist` for the tests.

Assignment hashes the visitor, so a visitor keeps their variant across
requests and servers without storing anything. The statistics are the large
sample (normal approximation) textbook formulas: they are accurate for the
hundreds or thousands of visitors a shop's test needs before it means
anything, and too optimistic for a handful.

Differences are always *a minus b*: pass the treated variant as ``a`` and the
control or holdout as ``b`` and a positive difference means the treatment won.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .money import FULL_BASIS_POINTS
from .stats import (
    Incremental,
    MeanDifference,
    TwoProportionResult,
    incremental,
    two_proportion_test,
    welch_test,
    welch_test_values,
    wilson_interval,
)

__all__ = [
    "Comparison",
    "Incremental",
    "MeanDifference",
    "NOT_ENOUGH_DATA",
    "TwoProportionResult",
    "VariantStats",
    "Verdict",
    "assign",
    "in_holdout",
    "incremental",
    "two_proportion_test",
    "verdict",
    "welch_test",
    "welch_test_values",
    "wilson_interval",
]

#: The message of every verdict that names no winner.
NOT_ENOUGH_DATA = "not enough data yet"

#: Default per-variant floor of impressions before :func:`verdict` tests anything.
DEFAULT_MIN_TRIALS = 200



# Assignment ---------------------------------------------------------------

def _bucket(key: str) -> int:
    """A stable bucket in ``[0, 10_000)``: the first 8 bytes of SHA-256 of ``key``.

    Python's ``hash()`` is salted per process, so it would move visitors
    between variants on every restart; SHA-256 does not. The modulo bias of
    ``2**64 % 10_000`` over ``2**64`` values is below ``1e-15``.
    """
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % FULL_BASIS_POINTS


def _check_holdout(holdout_bp: int) -> None:
    if not isinstance(holdout_bp, int) or not 0 <= holdout_bp <= FULL_BASIS_POINTS:
        raise ValueError(f"holdout_bp must be a whole number of basis points, 0 to {FULL_BASIS_POINTS}")


def assign(
    visitor_id: str,
    experiment_id: str,
    variants: Sequence[tuple[str, int]],
    holdout_bp: int = 500,
) -> str | None:
    """The variant ``visitor_id`` sees in ``experiment_id``, or ``None`` for the holdout.

    The visitor's bucket is :func:`_bucket` of ``"{experiment_id}:{visitor_id}"``.
    Buckets below ``holdout_bp`` are the holdout (no offers at all, the
    baseline for :func:`incremental`); the rest are split between
    ``variants`` in proportion to their integer weights, in the order given.
    The same arguments always give the same answer, and because the
    experiment id is hashed with the visitor, assignments in two experiments
    are independent. The holdout here belongs to this experiment; for one
    that holds a visitor out of every offer, see :func:`in_holdout`.

    Changing the weights or their order moves visitors between variants, so
    fix them before a test starts.
    """
    _check_holdout(holdout_bp)
    if not variants:
        raise ValueError("an experiment needs at least one variant")
    names = [name for name, _ in variants]
    if len(set(names)) != len(names):
        raise ValueError("variant names must be distinct")
    if any(not isinstance(weight, int) or weight < 0 for _, weight in variants):
        raise ValueError("variant weights must be whole numbers, zero or more")
    total_weight = sum(weight for _, weight in variants)
    if total_weight == 0:
        raise ValueError("at least one variant needs a positive weight")

    bucket = _bucket(f"{experiment_id}:{visitor_id}")
    if bucket < holdout_bp:
        return None
    # Scale the bucket's place in the non-holdout range onto [0, total_weight).
    position = (bucket - holdout_bp) * total_weight // (FULL_BASIS_POINTS - holdout_bp)
    running_weight = 0
    for name, weight in variants:
        running_weight += weight
        if position < running_weight:
            return name
    raise AssertionError("unreachable: position is below total_weight")  # pragma: no cover


def in_holdout(visitor_id: str, holdout_bp: int, salt: str = "tsuide-holdout") -> bool:
    """Whether ``visitor_id`` is in the shop-wide holdout that sees no offers at all.

    The bucket depends on the visitor and ``salt`` only, so a held-out
    visitor is held out of every offer and every experiment; change ``salt``
    to draw a fresh holdout.
    """
    _check_holdout(holdout_bp)
    return _bucket(f"{salt}:{visitor_id}") < holdout_bp


# Variants and verdicts ----------------------------------------------------

@dataclass(frozen=True)
class VariantStats:
    """What one variant's visitors did. ``revenue`` is minor units.

    A take is an accepted offer (added to the cart); takes and clicks are
    counted against impressions, revenue against visitors.
    """

    impressions: int = 0
    clicks: int = 0
    takes: int = 0
    revenue: int = 0
    visitors: int = 0

    def __post_init__(self) -> None:
        for name in ("impressions", "clicks", "takes", "revenue", "visitors"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number, zero or more")
        if self.clicks > self.impressions or self.takes > self.impressions:
            raise ValueError("clicks and takes cannot exceed impressions")

    @property
    def click_rate(self) -> float:
        return self.clicks / self.impressions if self.impressions else 0.0

    @property
    def take_rate(self) -> float:
        return self.takes / self.impressions if self.impressions else 0.0

    @property
    def revenue_per_visitor(self) -> float:
        """Mean revenue per visitor in minor units, a float for reporting (not for money)."""
        return self.revenue / self.visitors if self.visitors else 0.0


@dataclass(frozen=True)
class Comparison:
    """The leader against one other variant: the raw test and its Holm-adjusted p-value."""

    variant: str
    test: TwoProportionResult
    adjusted_p_value: float


@dataclass(frozen=True)
class Verdict:
    """``winner`` is a variant name or ``None``; ``message`` is what the admin reads first."""

    winner: str | None
    message: str
    reason: str
    leader: str | None = None
    comparisons: tuple[Comparison, ...] = ()


def _holm_adjusted(p_values: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values, in the order given (Holm, 1979).

    Sorted ascending, the i-th smallest (from 0) of m is multiplied by
    ``m − i``, made non-decreasing, and capped at 1; a hypothesis is rejected
    at ``alpha`` when its adjusted p-value is at most ``alpha``.
    """
    count = len(p_values)
    order = sorted(range(count), key=lambda index: p_values[index])
    adjusted = [0.0] * count
    running_max = 0.0
    for rank, index in enumerate(order):
        running_max = max(running_max, min(1.0, (count - rank) * p_values[index]))
        adjusted[index] = running_max
    return adjusted


def verdict(
    stats_by_variant: Mapping[str, VariantStats],
    alpha: float = 0.05,
    min_trials: int = DEFAULT_MIN_TRIALS,
) -> Verdict:
    """Name a winner only when its take rate beats every other variant significantly.

    The leader is the variant with the highest take rate. It is compared with
    each other variant by :func:`two_proportion_test` (takes out of
    impressions), and with more than two variants the p-values get Holm's
    step-down correction, which keeps the chance of any false win at or below
    ``alpha`` and is never less powerful than Bonferroni. The leader wins when
    every adjusted p-value is at most ``alpha``. Otherwise the message is
    :data:`NOT_ENOUGH_DATA` and ``reason`` says whether a variant is below
    ``min_trials`` impressions or the differences are not significant.

    Impressions are treated as independent trials; if one visitor sees an
    offer many times, count one impression per visitor and offer, or the test
    will be too eager.
    """
    if len(stats_by_variant) < 2:
        raise ValueError("a verdict needs at least two variants")
    if not 0.0 < alpha < 1.0:
        raise ValueError("alpha must be between 0 and 1, exclusive")

    short = sorted(name for name, stats in stats_by_variant.items() if stats.impressions < min_trials)
    if short:
        return Verdict(
            winner=None,
            message=NOT_ENOUGH_DATA,
            reason=f"too few trials: {', '.join(short)} below {min_trials} impressions",
        )

    leader = max(stats_by_variant, key=lambda name: stats_by_variant[name].take_rate)
    best = stats_by_variant[leader]
    others = [name for name in stats_by_variant if name != leader]
    tests = [
        two_proportion_test(best.takes, best.impressions, stats_by_variant[name].takes, stats_by_variant[name].impressions)
        for name in others
    ]
    adjusted = _holm_adjusted([test.p_value for test in tests])
    comparisons = tuple(
        Comparison(variant=name, test=test, adjusted_p_value=adjusted_p)
        for name, test, adjusted_p in zip(others, tests, adjusted)
    )
    if all(c.test.difference > 0 and c.adjusted_p_value <= alpha for c in comparisons):
        return Verdict(
            winner=leader,
            message=f"{leader} wins",
            reason=f"take rate higher than every other variant at alpha={alpha} (Holm-corrected)",
            leader=leader,
            comparisons=comparisons,
        )
    return Verdict(
        winner=None,
        message=NOT_ENOUGH_DATA,
        reason=f"no significant difference at alpha={alpha} (Holm-corrected)",
        leader=leader,
        comparisons=comparisons,
    )
