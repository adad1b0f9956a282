"""What a pricing mode saves, and the least a unit may sell for: the two formulas every kind of offer shares."""
from __future__ import annotations

from .money import FULL_BASIS_POINTS, percent_of
from .rules import PricingMode


def saving_of(mode: PricingMode, value: int, price: int, applications: int = 1) -> int:
    """What ``applications`` sets priced by ``mode`` and ``value`` save on units costing ``price`` together.

    Rounded once (a percentage of the whole), never negative and never more
    than ``price``; shared by bundles, volume tiers and thank-you offers.
    """
    if mode is PricingMode.PERCENT_OFF:
        saving = percent_of(price, value)
    elif mode is PricingMode.AMOUNT_OFF:
        saving = value * applications
    else:
        saving = price - value * applications
    return max(0, min(price, saving))


def unit_floor(cost: int, floor_bp: int) -> int:
    """The least one unit of cost ``cost`` may sell for under a floor of ``floor_bp``, rounded up to a whole unit."""
    return -(-cost * (FULL_BASIS_POINTS + floor_bp) // FULL_BASIS_POINTS)
