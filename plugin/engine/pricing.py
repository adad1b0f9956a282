"""How a quote is built: the cart's units as rows of runs, the discounts back on the shop's lines, and shipping.

The values it builds (``Discount``, ``FreeShippingProgress``...) live in
:mod:`.values`; :func:`.quote.quote_cart` calls this.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from . import values
from .units import Booking, Run
from .money import allocate
from .rules import RuleBook, ShippingThreshold, importance


def rows_of(lines: Sequence[values.CartLine]) -> dict[str, list[Run]]:
    """The cart's units, per product, most expensive first: one fresh run per price (lines of a price merged)."""
    quantities: dict[str, dict[int, int]] = {}  # product -> price -> units
    for line in lines:
        prices = quantities.get(line.product_id)
        if prices is None:
            quantities[line.product_id] = {line.unit_price: line.quantity}
        else:
            prices[line.unit_price] = prices.get(line.unit_price, 0) + line.quantity
    rows: dict[str, list[Run]] = {}
    for product_id in sorted(quantities):
        prices = quantities[product_id]
        if len(prices) == 1:
            for price, count in prices.items():
                rows[product_id] = [Run(product_id, price, count, price)]
        else:
            rows[product_id] = [Run(product_id, price, prices[price], price) for price in sorted(prices, reverse=True)]
    return rows


def line_discounts(lines: Sequence[values.CartLine], rows: dict[str, list[Run]]) -> list[int]:
    """Each line's discount: its price group's discount spread over the group's lines by quantity, in line order."""
    group_discount: dict[tuple[str, int], int] = {}
    for product_id, row in rows.items():
        for run in row:
            if run.unit_left != run.price:
                key = (product_id, run.price)
                group_discount[key] = group_discount.get(key, 0) + (run.price - run.unit_left) * run.count
    discounts = [0] * len(lines)
    if not group_discount:
        return discounts
    members: dict[tuple[str, int], list[int]] = {}
    for index, line in enumerate(lines):
        key = (line.product_id, line.unit_price)
        if key in group_discount:
            found = members.get(key)
            if found is None:
                members[key] = [index]
            else:
                found.append(index)
    for key, indexes in members.items():
        if len(indexes) == 1:
            discounts[indexes[0]] = group_discount[key]
        else:
            for index, share in zip(indexes, allocate(group_discount[key], [lines[i].quantity for i in indexes])):
                discounts[index] = share
    return discounts


def discount_of(booking: Booking, locale: str | None) -> values.Discount:
    return values.Discount(
        booking.rule.id,
        booking.rule.label_for(locale),
        booking.amount,
        booking.applications,
        values.DiscountedUnitsList(booking.quantities, booking.shares),
        booking.tier,
    )


def charged_threshold(rulebook: RuleBook, currency: str, now: datetime) -> ShippingThreshold | None:
    """The shipping threshold a quote charges by: among the live ones of ``currency``, the highest priority, then
    the lowest threshold, then the order of importance."""
    live = [rule for rule in rulebook.shipping_for(currency) if rule.is_live(now)]
    if not live:
        return None
    return min(live, key=lambda candidate: (-candidate.priority, candidate.threshold, importance(candidate)))


def shipping(
    rule: ShippingThreshold | None, subtotal: int, discount_total: int, has_lines: bool, locale: str | None,
) -> tuple[int, values.FreeShippingProgress | None]:
    """The fee ``rule`` (see :func:`charged_threshold`) charges and the progress towards its steps."""
    if rule is None:
        return 0, None
    counted = subtotal if rule.count_before_discounts else subtotal - discount_total
    remaining = max(0, rule.threshold - counted)
    unlocked = ()
    next_reward = None
    if rule.rewards:
        rewards = [replace(reward, label=reward.label_for(locale)) for reward in rule.rewards]
        unlocked = tuple(reward for reward in rewards if counted >= reward.threshold)
        upcoming = [reward for reward in rewards if counted < reward.threshold]
        next_reward = upcoming[0] if upcoming else None
    next_step = rule.next_step(counted) if rule.steps else None
    fee = rule.fee_at(counted) if has_lines else 0
    progress = values.FreeShippingProgress(
        threshold=rule.threshold,
        counted=counted,
        remaining=remaining,
        fee=fee,
        rewards_unlocked=unlocked,
        next_reward=next_reward,
        next_reward_remaining=next_reward.threshold - counted if next_reward else None,
        next_step=next_step,
        next_step_remaining=next_step.threshold - counted if next_step else None,
    )
    return fee, progress
