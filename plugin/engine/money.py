"""Exact money: integers in the currency's minor unit, one rounding rule.

Every amount in Tsuide is an ``int`` of minor units (yen for JPY, cents for
USD). Nothing here uses floats. :func:`divide` is the one rounding function;
:func:`allocate` spreads an amount over parts so that the parts always add up
to the whole.
"""
from __future__ import annotations

from collections.abc import Sequence

#: Percentages are carried as basis points: 10% is ``1_000``, 100% ``10_000``.
FULL_BASIS_POINTS = 10_000


def is_whole(value: object) -> bool:
    """A whole number of minor units, counts or basis points: an ``int``, never a ``bool``."""
    return isinstance(value, int) and not isinstance(value, bool)


def divide(numerator: int, denominator: int) -> int:
    """Divide and round half up (away from zero for halves): the only rounding in Tsuide."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient, remainder = divmod(abs(numerator), denominator)
    if remainder * 2 >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def percent_of(amount: int, basis_points: int) -> int:
    """``basis_points`` of ``amount``, rounded once, never more than ``amount``."""
    return min(amount, divide(amount * basis_points, FULL_BASIS_POINTS))


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` so the parts add up to ``total``.

    Parts are rounded on the running sum, so each is within one minor unit of
    its exact share, and, when ``0 <= total <= sum(weights)``, no part is
    negative or larger than its weight: a discount spread over lines never
    exceeds a line. (Rounding each part and giving the remainder to the last
    can push the last part past its line, which is why this does not.)
    With all weights zero the split is even.
    """
    if not weights:
        raise ValueError("nothing to allocate over")
    if min(weights) < 0:
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights)
    if weight_sum == 0:
        weights = [1] * len(weights)
        weight_sum = len(weights)
    parts = []
    running_weight = 0
    allocated = 0
    if total >= 0:  # divide() of a numerator of zero or more, inlined: (2n + d) // 2d is n / d rounded half up
        twice_total, twice_sum = 2 * total, 2 * weight_sum
        for weight in weights:
            running_weight += weight
            upto = (twice_total * running_weight + weight_sum) // twice_sum
            parts.append(upto - allocated)
            allocated = upto
        return parts
    for weight in weights:
        running_weight += weight
        upto = divide(total * running_weight, weight_sum)
        parts.append(upto - allocated)
        allocated = upto
    return parts
