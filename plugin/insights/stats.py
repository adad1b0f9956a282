"""The statistics behind the A/B tests: proportions and means, with intervals and p-values.

Large-sample (normal approximation) textbook formulas on the standard library's
:class:`statistics.NormalDist`; pure functions, no I/O. Differences are always
*a minus b*.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist, fmean, variance

_STANDARD_NORMAL = NormalDist()


# Proportions --------------------------------------------------------------

def _z_for(confidence: float) -> float:
    """The two-sided critical value: 1.959964 for 95%."""
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be between 0 and 1, exclusive")
    return _STANDARD_NORMAL.inv_cdf(1.0 - (1.0 - confidence) / 2.0)


def _two_sided_p(statistic: float) -> float:
    return 2.0 * _STANDARD_NORMAL.cdf(-abs(statistic))


def _check_counts(successes: int, trials: int) -> None:
    if not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes} of {trials}")


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval for a proportion (Wilson, 1927).

    With ``p = successes / trials``, ``n = trials`` and ``z`` the two-sided
    critical value::

        (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n)

    Unlike the Wald interval it stays inside [0, 1] and is sensible for 0 or
    ``n`` successes. With no trials nothing is known: ``(0.0, 1.0)``.
    """
    _check_counts(successes, trials)
    z = _z_for(confidence)
    if trials == 0:
        return (0.0, 1.0)
    p = successes / trials
    z_squared = z * z
    denominator = 1.0 + z_squared / trials
    centre = (p + z_squared / (2 * trials)) / denominator
    half_width = z * math.sqrt(p * (1.0 - p) / trials + z_squared / (4 * trials * trials)) / denominator
    # At 0 or n successes the bound is exactly 0 or 1; rounding would leave 1e-17.
    low = 0.0 if successes == 0 else centre - half_width
    high = 1.0 if successes == trials else centre + half_width
    return (low, high)


@dataclass(frozen=True)
class TwoProportionResult:
    """Rate of ``a`` minus rate of ``b``, its z statistic, two-sided p-value and interval."""

    difference: float
    z: float
    p_value: float
    interval_low: float
    interval_high: float


def two_proportion_test(
    successes_a: int,
    trials_a: int,
    successes_b: int,
    trials_b: int,
    confidence: float = 0.95,
) -> TwoProportionResult:
    """Compare two rates: pooled z-test for the p-value, Wald interval for the difference.

    The test assumes no difference, so it pools the rates:
    ``z = (p_a − p_b) / √(p(1−p)(1/n_a + 1/n_b))`` with
    ``p = (successes_a + successes_b) / (n_a + n_b)``, and the p-value is
    two-sided. The interval does not assume that, so it uses each rate's own
    variance: ``p_a − p_b ± z*·√(p_a(1−p_a)/n_a + p_b(1−p_b)/n_b)``. The two can
    disagree at the margin (p just under alpha, interval just touching 0).
    """
    _check_counts(successes_a, trials_a)
    _check_counts(successes_b, trials_b)
    if trials_a == 0 or trials_b == 0:
        raise ValueError("both groups need at least one trial")
    critical = _z_for(confidence)
    rate_a = successes_a / trials_a
    rate_b = successes_b / trials_b
    difference = rate_a - rate_b

    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    pooled_error = math.sqrt(pooled * (1.0 - pooled) * (1.0 / trials_a + 1.0 / trials_b))
    if pooled_error == 0.0:
        # Every trial succeeded, or none did: the two rates are equal.
        z, p_value = 0.0, 1.0
    else:
        z = difference / pooled_error
        p_value = _two_sided_p(z)

    unpooled_error = math.sqrt(rate_a * (1.0 - rate_a) / trials_a + rate_b * (1.0 - rate_b) / trials_b)
    return TwoProportionResult(
        difference=difference,
        z=z,
        p_value=p_value,
        interval_low=difference - critical * unpooled_error,
        interval_high=difference + critical * unpooled_error,
    )


# Means --------------------------------------------------------------------

@dataclass(frozen=True)
class MeanDifference:
    """Mean of ``a`` minus mean of ``b`` with Welch's standard error.

    ``statistic`` is Welch's t; ``p_value`` and the interval treat it as
    standard normal (see :func:`welch_test`). ``degrees_of_freedom`` is the
    Welch–Satterthwaite value, reported so a caller can judge whether the
    normal approximation is fair (it is once it passes about 30).
    """

    mean_a: float
    mean_b: float
    difference: float
    standard_error: float
    statistic: float
    degrees_of_freedom: float
    p_value: float
    interval_low: float
    interval_high: float


def welch_test(
    mean_a: float,
    var_a: float,
    n_a: int,
    mean_b: float,
    var_b: float,
    n_b: int,
    confidence: float = 0.95,
) -> MeanDifference:
    """Welch's unequal-variances test from summary statistics (sample variances, ``n − 1``).

    ``t = (m_a − m_b) / √(v_a/n_a + v_b/n_b)``, and the Welch–Satterthwaite
    degrees of freedom are
    ``(v_a/n_a + v_b/n_b)² / ((v_a/n_a)²/(n_a−1) + (v_b/n_b)²/(n_b−1))``.

    The p-value and interval use the normal distribution instead of Student's
    t (the standard library has no t distribution). That is the large-sample
    approximation: with revenue per visitor over thousands of visitors the two
    agree to the third decimal, but with tens of observations the p-value is
    too small and the interval too narrow (at 18 degrees of freedom a t-based
    p of 0.084 comes out as 0.067).
    """
    if n_a < 2 or n_b < 2:
        raise ValueError("each group needs at least two observations for a variance")
    if var_a < 0 or var_b < 0:
        raise ValueError("variances must not be negative")
    critical = _z_for(confidence)
    difference = mean_a - mean_b
    share_a = var_a / n_a
    share_b = var_b / n_b
    standard_error = math.sqrt(share_a + share_b)
    if standard_error == 0.0:
        # Both groups are constant: the difference is exact.
        statistic = 0.0 if difference == 0 else math.copysign(math.inf, difference)
        degrees_of_freedom = math.inf
    else:
        statistic = difference / standard_error
        degrees_of_freedom = (share_a + share_b) ** 2 / (
            share_a**2 / (n_a - 1) + share_b**2 / (n_b - 1)
        )
    return MeanDifference(
        mean_a=mean_a,
        mean_b=mean_b,
        difference=difference,
        standard_error=standard_error,
        statistic=statistic,
        degrees_of_freedom=degrees_of_freedom,
        p_value=_two_sided_p(statistic),
        interval_low=difference - critical * standard_error,
        interval_high=difference + critical * standard_error,
    )


def welch_test_values(
    values_a: Sequence[int], values_b: Sequence[int], confidence: float = 0.95
) -> MeanDifference:
    """:func:`welch_test` on raw observations, e.g. revenue per visitor in minor units."""
    if len(values_a) < 2 or len(values_b) < 2:
        raise ValueError("each group needs at least two observations for a variance")
    return welch_test(
        fmean(values_a), float(variance(values_a)), len(values_a),
        fmean(values_b), float(variance(values_b)), len(values_b),
        confidence,
    )


@dataclass(frozen=True)
class Incremental:
    """What offers add over the holdout, per visitor and per buyer, in minor units.

    ``average_order_value`` is ``None`` when either side has fewer than two buyers.
    """

    revenue_per_visitor: MeanDifference
    average_order_value: MeanDifference | None


def incremental(
    treated_values: Sequence[int], holdout_values: Sequence[int], confidence: float = 0.95
) -> Incremental:
    """Incremental revenue of the visitors who saw offers over the holdout that did not.

    Each value is one visitor's revenue in minor units, ``0`` for a visitor
    who bought nothing. Revenue per visitor compares all visitors, so it
    counts both more buyers and bigger baskets; average order value compares
    only visitors with revenue above zero (it is revenue per buying visitor,
    which equals AOV when each buyer places one order). Both are
    :func:`welch_test_values` with ``a`` the treated group, so a positive
    difference is money the offers added.
    """
    per_visitor = welch_test_values(treated_values, holdout_values, confidence)
    treated_buyers = [value for value in treated_values if value > 0]
    holdout_buyers = [value for value in holdout_values if value > 0]
    per_order = None
    if len(treated_buyers) >= 2 and len(holdout_buyers) >= 2:
        per_order = welch_test_values(treated_buyers, holdout_buyers, confidence)
    return Incremental(revenue_per_visitor=per_visitor, average_order_value=per_order)
