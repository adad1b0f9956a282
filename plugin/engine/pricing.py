"""How a quote is built: the per-line ledger, the exclusive and stackable rules, and shipping.

The values it builds (``Discount``, ``FreeShippingProgress``...) live in
:mod:`.values`; :func:`.quote.quote_cart` calls this.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from . import values
from .allocation import Ladder, UnitRun, best_allocation, bundle_saving, cap_by_floor, margin_floor
from .money import allocate, percent_of
from .rules import FixedBundle, Rule, RuleBook, VolumeDiscount


class Ledger:
    """Per-line discounts as rules are applied, so that parts add up to each discount."""

    def __init__(self, lines: Sequence[values.CartLine]):
        self.lines = lines
        self.discount = [0] * len(lines)
        self.discounts: list[values.Discount] = []

    def net(self, index: int) -> int:
        return self.lines[index].subtotal - self.discount[index]

    def book(self, rule: Rule, label: str, amount: int, applications: int, parts: list[tuple[int, int, int]]) -> None:
        """Spread ``amount`` over ``parts`` of (line index, units, weight) and record the discount."""
        if amount <= 0:
            return
        shares = allocate(amount, [weight for _, _, weight in parts])
        units: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for (index, quantity, _), share in zip(parts, shares):
            self.discount[index] += share
            product_units = units[self.lines[index].product_id]
            product_units[0] += quantity
            product_units[1] += share
        self.discounts.append(
            values.Discount(
                rule.id,
                label,
                amount,
                applications,
                tuple(values.DiscountedUnits(pid, quantity, share) for pid, (quantity, share) in units.items()),
            )
        )


def ladders_of(lines: Sequence[values.CartLine]) -> dict[str, Ladder]:
    runs: dict[str, list[UnitRun]] = defaultdict(list)
    for index, line in enumerate(lines):
        runs[line.product_id].append(UnitRun(index, line.unit_price, line.quantity))
    return {
        product_id: Ladder(tuple(sorted(product_runs, key=lambda run: (-run.unit_price, run.line_index))))
        for product_id, product_runs in runs.items()
    }


def by_importance(rules: Iterable[Rule]) -> list[Rule]:
    return sorted(rules, key=lambda rule: (-rule.priority, rule.id))


def apply_exclusive(
    ledger: Ledger,
    ladders: Mapping[str, Ladder],
    bundles: list[FixedBundle],
    volumes: list[VolumeDiscount],
    counted_by: Mapping[str, str],
    costs: Mapping[str, int | None],
    limits: Mapping[str, int | None],
    locale: str | None,
) -> None:
    allocation = best_allocation(bundles, volumes, counted_by, ladders, costs, limits)
    used = {product_id: 0 for product_id in ladders}
    for bundle in bundles:
        sets = allocation.bundle_sets.get(bundle.id, 0)
        parts: list[tuple[int, int, int]] = []
        amount = 0
        for _ in range(sets):
            price = 0
            for item in bundle.items:
                for run, units in ladders[item.product_id].take(used[item.product_id], item.quantity):
                    parts.append((run.line_index, units, run.unit_price * units))
                    price += run.unit_price * units
                used[item.product_id] += item.quantity
            floor = margin_floor(bundle, {item.product_id: item.quantity for item in bundle.items}, costs)
            amount += cap_by_floor(bundle_saving(bundle, price), price, floor)
        ledger.book(bundle, bundle.label_for(locale), amount, sets, parts)
    for volume in volumes:
        counted = [pid for pid, rule_id in counted_by.items() if rule_id == volume.id]
        parts = []
        units_by_product = {}
        for product_id in counted:
            ladder = ladders[product_id]
            count = ladder.quantity - used[product_id]
            units_by_product[product_id] = count
            for run, units in ladder.take(used[product_id], count):
                parts.append((run.line_index, units, run.unit_price * units))
        tier = volume.tier_for(sum(units_by_product.values()))
        if tier is None:
            continue
        price = sum(weight for _, _, weight in parts)
        saving = cap_by_floor(percent_of(price, tier.percent_bp), price, margin_floor(volume, units_by_product, costs))
        ledger.book(volume, volume.label_for(locale), saving, 1, parts)


def apply_stackable(
    ledger: Ledger,
    ladders: Mapping[str, Ladder],
    rules: list[Rule],
    products: Mapping[str, values.Product],
    costs: Mapping[str, int | None],
    limits: Mapping[str, int | None],
    locale: str | None,
) -> None:
    """Apply stackable rules on top, in priority order, to the price left on each line."""
    for rule in rules:
        if isinstance(rule, FixedBundle):
            sets = min(
                (ladders[item.product_id].quantity if item.product_id in ladders else 0) // item.quantity
                for item in rule.items
            )
            limit = limits.get(rule.id)
            sets = sets if limit is None else min(sets, limit)
            wanted = {item.product_id: item.quantity * sets for item in rule.items}
        else:
            assert isinstance(rule, VolumeDiscount)
            wanted = {
                pid: ladder.quantity
                for pid, ladder in ladders.items()
                if rule.counts(pid, products[pid].category if pid in products else None)
            }
            tier = rule.tier_for(sum(wanted.values()))
            sets = 1 if tier else 0
        if not sets:
            continue
        parts = []
        for product_id, count in wanted.items():
            for run, units in ladders[product_id].take(0, count):
                line = ledger.lines[run.line_index]
                parts.append((run.line_index, units, ledger.net(run.line_index) * units // line.quantity))
        price = sum(weight for _, _, weight in parts)
        if isinstance(rule, FixedBundle):
            saving = bundle_saving(rule, price, sets)
        else:
            saving = percent_of(price, tier.percent_bp)
        saving = cap_by_floor(saving, price, margin_floor(rule, wanted, costs))
        ledger.book(rule, rule.label_for(locale), saving, sets, parts)


def shipping(
    rulebook: RuleBook, currency: str, now: datetime, subtotal: int, discount_total: int, has_lines: bool,
    locale: str | None,
) -> tuple[int, values.FreeShippingProgress | None]:
    live = [rule for rule in rulebook.shipping_for(currency) if rule.is_live(now)]
    if not live:
        return 0, None
    rule = min(live, key=lambda candidate: (-candidate.priority, candidate.threshold, candidate.id))
    counted = subtotal if rule.count_before_discounts else subtotal - discount_total
    remaining = max(0, rule.threshold - counted)
    rewards = [replace(reward, label=reward.label_for(locale)) for reward in rule.rewards]
    unlocked = tuple(reward for reward in rewards if counted >= reward.threshold)
    upcoming = [reward for reward in rewards if counted < reward.threshold]
    next_reward = upcoming[0] if upcoming else None
    progress = values.FreeShippingProgress(
        threshold=rule.threshold,
        counted=counted,
        remaining=remaining,
        fee=rule.fee,
        rewards_unlocked=unlocked,
        next_reward=next_reward,
        next_reward_remaining=next_reward.threshold - counted if next_reward else None,
    )
    fee = rule.fee if has_lines and remaining > 0 else 0
    return fee, progress
