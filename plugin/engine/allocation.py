"""Choose which non-stackable rules use which cart units, saving the shopper the most.

A cart unit may be used by at most one non-stackable rule. Fixed bundles
consume whole sets; a volume discount takes every unit of its collection that
no bundle took (more units never lower its rate, so taking all is best for
it). The search is a branch and bound over how many sets of each bundle to
form, one independent group of overlapping rules at a time. Sets are tried
largest count first, so the first complete answer is the greedy one, and an
answer is only replaced by a strictly better one. A node budget bounds absurd
carts: when it runs out, the best answer found so far stands, which is never
worse than greedy.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .money import FULL_BASIS_POINTS, percent_of
from .rules import FixedBundle, PricingMode, Rule, VolumeDiscount

#: Search nodes per group of overlapping rules before the best answer so far stands.
NODE_BUDGET = 5_000


@dataclass(frozen=True)
class UnitRun:
    """``quantity`` units of one product at one price, from one cart line."""

    line_index: int
    unit_price: int
    quantity: int


@dataclass(frozen=True)
class Ladder:
    """The units of one product in the cart, most expensive first.

    Non-stackable rules take units from the top, so the units a rule takes
    are named by their position on the ladder.
    """

    runs: tuple[UnitRun, ...]

    @property
    def quantity(self) -> int:
        return sum(run.quantity for run in self.runs)

    def take(self, start: int, count: int) -> list[tuple[UnitRun, int]]:
        """The runs, and how many units of each, at positions ``start`` to ``start + count``."""
        taken = []
        position = 0
        for run in self.runs:
            if count <= 0:
                break
            run_end = position + run.quantity
            if run_end > start:
                begin = max(start, position)
                units = min(count, run_end - begin)
                taken.append((run, units))
                count -= units
                start = begin + units
            position = run_end
        return taken

    def price(self, start: int, count: int) -> int:
        if len(self.runs) == 1:
            return self.runs[0].unit_price * count
        return sum(run.unit_price * units for run, units in self.take(start, count))


def margin_floor(rule: Rule, units: Mapping[str, int], costs: Mapping[str, int | None]) -> int | None:
    """The least these units may sell for under the rule's margin floor, if it can be known."""
    if rule.margin_floor_bp is None:
        return None
    unit_costs = [costs.get(product_id) for product_id in units]
    if any(cost is None for cost in unit_costs):
        return None
    cost = sum(costs[product_id] * quantity for product_id, quantity in units.items())
    floor_bp = FULL_BASIS_POINTS + rule.margin_floor_bp
    return -(-cost * floor_bp // FULL_BASIS_POINTS)  # round up: never below the floor


def saving_of(mode: PricingMode, value: int, price: int, applications: int = 1) -> int:
    """What ``applications`` sets priced by ``mode`` and ``value`` save on units costing ``price``.

    Never negative and never more than ``price``; shared by bundles and thank-you offers.
    """
    if mode is PricingMode.PERCENT_OFF:
        saving = percent_of(price, value)
    elif mode is PricingMode.AMOUNT_OFF:
        saving = value * applications
    else:
        saving = price - value * applications
    return max(0, min(price, saving))


def bundle_saving(bundle: FixedBundle, price: int, applications: int = 1) -> int:
    """What ``applications`` sets save on units that cost ``price`` together, before any floor."""
    return saving_of(bundle.mode, bundle.value, price, applications)


def cap_by_floor(saving: int, price: int, floor: int | None) -> int:
    """Lower ``saving`` so the price paid stays at or above ``floor``."""
    if floor is None:
        return saving
    return max(0, min(saving, price - floor))


@dataclass
class Allocation:
    """How many sets of each bundle to form; volume discounts take what is left."""

    bundle_sets: dict[str, int]
    saving: int


class _Group:
    """One set of non-stackable rules linked by shared products, searched together."""

    def __init__(
        self,
        bundles: Sequence[FixedBundle],
        volumes: Sequence[VolumeDiscount],
        counted_by: Mapping[str, str],
        ladders: Mapping[str, Ladder],
        costs: Mapping[str, int | None],
        limits: Mapping[str, int | None],
    ):
        self.bundles = list(bundles)
        self.volumes = list(volumes)
        self.ladders = ladders
        self.costs = costs
        self.limits = limits
        self.products = sorted(
            {item.product_id for bundle in bundles for item in bundle.items}
            | {product_id for product_id, rule_id in counted_by.items() if any(v.id == rule_id for v in volumes)}
        )
        self.slot = {product_id: index for index, product_id in enumerate(self.products)}
        self.volume_products = {
            volume.id: [product_id for product_id, rule_id in counted_by.items() if rule_id == volume.id]
            for volume in volumes
        }
        self.nodes = 0
        self.best_saving = -1
        self.best_sets: list[int] = []

    def _used(self, remaining: list[int], product_id: str) -> int:
        return self.ladders[product_id].quantity - remaining[self.slot[product_id]]

    def set_saving(self, bundle: FixedBundle, remaining: list[int]) -> int:
        """The saving of one more set of ``bundle`` taken from ``remaining``, or 0 if it cannot form."""
        price = 0
        for item in bundle.items:
            if remaining[self.slot[item.product_id]] < item.quantity:
                return 0
            price += self.ladders[item.product_id].price(self._used(remaining, item.product_id), item.quantity)
        floor = margin_floor(bundle, {item.product_id: item.quantity for item in bundle.items}, self.costs)
        return cap_by_floor(bundle_saving(bundle, price), price, floor)

    def max_sets(self, bundle: FixedBundle, remaining: list[int]) -> int:
        sets = min(remaining[self.slot[item.product_id]] // item.quantity for item in bundle.items)
        limit = self.limits.get(bundle.id)
        return sets if limit is None else min(sets, limit)

    def volume_saving(self, volume: VolumeDiscount, remaining: list[int], with_floor: bool = True) -> int:
        units = {pid: remaining[self.slot[pid]] for pid in self.volume_products[volume.id]}
        tier = volume.tier_for(sum(units.values()))
        if tier is None:
            return 0
        price = sum(self.ladders[pid].price(self._used(remaining, pid), count) for pid, count in units.items())
        saving = percent_of(price, tier.percent_bp)
        if not with_floor:
            return saving
        return cap_by_floor(saving, price, margin_floor(volume, units, self.costs))

    def take(self, bundle: FixedBundle, remaining: list[int], sets: int) -> None:
        for item in bundle.items:
            remaining[self.slot[item.product_id]] -= item.quantity * sets

    def search(self) -> Allocation:
        remaining = [self.ladders[product_id].quantity for product_id in self.products]
        self._search(0, remaining, 0, [])
        return Allocation(
            {bundle.id: sets for bundle, sets in zip(self.bundles, self.best_sets) if sets},
            self.best_saving,
        )

    def _upper_bound(self, index: int, remaining: list[int]) -> int:
        bound = sum(self.volume_saving(volume, remaining, with_floor=False) for volume in self.volumes)
        for bundle in self.bundles[index:]:
            bound += self.max_sets(bundle, remaining) * self.set_saving(bundle, remaining)
        return bound

    def _search(self, index: int, remaining: list[int], saved: int, sets: list[int]) -> None:
        self.nodes += 1
        if index == len(self.bundles):
            total = saved + sum(self.volume_saving(volume, remaining) for volume in self.volumes)
            if total > self.best_saving:
                self.best_saving, self.best_sets = total, list(sets)
            return
        if self.best_saving >= 0 and saved + self._upper_bound(index, remaining) <= self.best_saving:
            return
        bundle = self.bundles[index]
        set_savings = []
        trial = list(remaining)
        for _ in range(self.max_sets(bundle, remaining)):
            saving = self.set_saving(bundle, trial)
            if saving <= 0:
                break  # later sets take cheaper units and save no more
            set_savings.append(saving)
            self.take(bundle, trial, 1)
        for count in range(len(set_savings), -1, -1):
            if self.nodes > NODE_BUDGET and self.best_saving >= 0:
                return
            after = list(remaining)
            self.take(bundle, after, count)
            self._search(index + 1, after, saved + sum(set_savings[:count]), sets + [count])


def best_allocation(
    bundles: Sequence[FixedBundle],
    volumes: Sequence[VolumeDiscount],
    counted_by: Mapping[str, str],
    ladders: Mapping[str, Ladder],
    costs: Mapping[str, int | None],
    limits: Mapping[str, int | None],
) -> Allocation:
    """The allocation of cart units to non-stackable rules with the largest total saving.

    ``counted_by`` names, for each product in the cart, the one volume
    discount its units count toward. ``limits`` caps the sets of a bundle.
    """
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def join(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    for bundle in bundles:
        for item in bundle.items:
            join("r:" + bundle.id, "p:" + item.product_id)
    for product_id, rule_id in counted_by.items():
        join("r:" + rule_id, "p:" + product_id)

    groups: dict[str, tuple[list[FixedBundle], list[VolumeDiscount]]] = {}
    for bundle in bundles:
        groups.setdefault(find("r:" + bundle.id), ([], []))[0].append(bundle)
    for volume in volumes:
        groups.setdefault(find("r:" + volume.id), ([], []))[1].append(volume)

    result = Allocation({}, 0)
    for group_bundles, group_volumes in groups.values():
        group = _Group(group_bundles, group_volumes, counted_by, ladders, costs, limits)
        found = group.search()
        result.bundle_sets.update(found.bundle_sets)
        result.saving += found.saving
    return result
