"""Percent for people, basis points in the tables: the one conversion between them.

A person types and reads a discount as a percentage (``10``, ``12.5``); the
tables and the engine keep whole basis points (``1000``, ``1250``) so every
sum stays exact. A percentage with more than two decimals has no basis-point
value and is refused, never rounded: ``12.345`` is a typo, not 12.35%.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

#: Basis points in one percent.
BASIS_POINTS_PER_PERCENT = 100


class NotAPercentage(ValueError):
    """A value that is not a percentage with at most two decimals; the message says what to send."""


def as_decimal(value: object) -> Decimal:
    """``value`` (an int, a float as JSON gives it, a :class:`~decimal.Decimal` or a numeric string) exactly.

    A float is read as the shortest decimal that prints it (``12.5``, ``33.33``), as a person typed it.
    Booleans, other types, NaN and infinities raise :class:`NotAPercentage`.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        raise NotAPercentage("Send a number, like 10 or 12.5 (percent).")
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise NotAPercentage("Send a number, like 10 or 12.5 (percent).") from None
    if not number.is_finite():
        raise NotAPercentage("Send a number, like 10 or 12.5 (percent).")
    return number


def percent_to_bp(value: object) -> int:
    """A percentage (``12.5``) as whole basis points (``1250``).

    More than two decimals (no whole number of basis points) raise :class:`NotAPercentage`.
    """
    points = as_decimal(value) * BASIS_POINTS_PER_PERCENT
    if points != points.to_integral_value():
        raise NotAPercentage("Use at most two decimals, like 12.5.")
    return int(points)


def bp_to_percent(basis_points: int | None) -> Decimal | None:
    """Basis points (``1250``) as the exact percentage (``Decimal("12.5")``); ``None`` stays ``None``."""
    if basis_points is None:
        return None
    return (Decimal(basis_points) / BASIS_POINTS_PER_PERCENT).normalize() + 0  # + 0: no exponent for 1000 -> 1E+1


def percent_number(basis_points: int | None) -> int | float | None:
    """Basis points as the JSON number a person reads: ``1000`` -> ``10``, ``1250`` -> ``12.5``.

    Whole percentages are ints; others are the float nearest to them, which JSON prints with at most two
    decimals (``3333`` -> ``33.33``) and :func:`percent_to_bp` reads back exactly.
    """
    if basis_points is None:
        return None
    whole, rest = divmod(basis_points, BASIS_POINTS_PER_PERCENT)
    return whole if rest == 0 else basis_points / BASIS_POINTS_PER_PERCENT
