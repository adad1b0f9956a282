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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..engine.assignment import assign, in_holdout
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
