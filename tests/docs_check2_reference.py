"""A second brute-force reference of the engine, written from docs/engine.md alone (not from the engine's code).

Every rule kind the docs define for item pricing (bundles, buy X get Y, volume discounts; stackable,
exclusive, caps, ``max_units``, margin floors per unit) is priced here unit by unit, every allocation the docs
allow is enumerated, and the order rules (shipping with steps, one spend discount, gifts) are weighed over
all of them. Section names in the comments are those of docs/engine.md.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from plugin import BuyXGetY, FixedBundle, FreeGift, PricingMode, ShippingThreshold, SpendDiscount, VolumeDiscount

FULL = 10_000


def divide(numerator: int, denominator: int) -> int:
    """Half up ("Money": one rounding function, half up); amounts here are never negative."""
    quotient, remainder = divmod(numerator, denominator)
    return quotient + (1 if remainder * 2 >= denominator else 0)


def allocate(total: int, weights: list[int]) -> list[int]:
    """Parts in proportion to weights, adding up to total (rounded on the running sum; even when all zero)."""
    if sum(weights) == 0:
        weights = [1] * len(weights)
    whole, running, done, parts = sum(weights), 0, 0, []
    for weight in weights:
        running += weight
        upto = divide(total * running, whole)
        parts.append(upto - done)
        done = upto
    return parts


def importance(rule) -> tuple:
    """"Order of importance": higher priority first, then the older rule (digit ids as numbers, first)."""
    numeric = rule.id.isdigit()
    return (-rule.priority, 0 if numeric else 1, int(rule.id) if numeric else 0, rule.id)


def floor_price(cost: int, floor_bp: int) -> int:
    return -(-cost * (FULL + floor_bp) // FULL)


@dataclass
class Unit:
    index: int  # place in unit order: products by id, each most expensive first
    product_id: str
    category: str | None
    list_price: int
    cost: int | None
    left: int
    used: bool = False  # taken by a non-stackable rule
    hidden: bool = False  # used by an exclusive rule
    floor_bp: int | None = None  # the strictest floor of the rules that discounted it (gave it more than 0)
    parts: dict = field(default_factory=dict)  # rule id -> discount on this unit


class Invalid(Exception):
    """Not an allocation (more sets or groups than the free units allow)."""


def make_units(cart, products) -> list[Unit]:
    pairs = []
    for line in cart.lines:
        pairs += [(line.product_id, line.unit_price)] * line.quantity
    pairs.sort(key=lambda pair: (pair[0], -pair[1]))
    return [Unit(i, pid, products[pid].category, price, products[pid].cost, price)
            for i, (pid, price) in enumerate(pairs)]


def counts(rule, unit: Unit) -> bool:
    return unit.product_id in rule.product_ids or (unit.category is not None and unit.category in rule.categories)


def touches(rule, unit: Unit) -> bool:
    if isinstance(rule, FixedBundle):
        return unit.product_id in rule.product_ids
    return counts(rule, unit)


class Pricer:
    """Prices one cart for one allocation; ``shop_floor`` is the engine's ``margin_floor_bp`` argument."""

    def __init__(self, cart, products, rules, shop_floor=None, left=None, now=None, every_allocation=False):
        self.cart, self.products, self.shop_floor = cart, products, shop_floor
        # The order rules' menus hold "every allocation of its non-stackable rules (sets that fit and caps allow)",
        # a bundle that saves nothing included (see the counterexample in the tests).
        self.every_allocation = every_allocation
        # "Terms every rule shares": paused or out of schedule (start inclusive, end exclusive) is not live
        self.rules = sorted((r for r in rules if (r.is_live(now) if now else not r.paused)), key=importance)
        self.left = left or {}  # rule id -> applications its caps leave (None: no cap)

    def caps(self, rule):
        mine = self.left.get(rule.id, rule.per_customer_cap)  # "per_customer_cap": less this shopper's uses
        limits = [x for x in (mine, rule.units_cap) if x is not None]
        if rule.global_cap is not None:
            limits.append(max(0, rule.global_cap - rule.redeemed))
        return min(limits) if limits else None

    def rule_floor(self, rule):
        return rule.margin_floor_bp if rule.margin_floor_bp is not None else self.shop_floor

    def headroom(self, unit: Unit, floor_bp) -> int:
        floors = [f for f in (floor_bp, unit.floor_bp) if f is not None]
        if unit.cost is None or not floors:
            return unit.left
        return max(0, unit.left - floor_price(unit.cost, max(floors)))

    def spread(self, rule, units: list[Unit], base: int) -> int:
        """"How a rule's saving is spread over its units": at most the headroom, over runs of alike units."""
        if not units:
            return 0
        floor_bp = self.rule_floor(rule)
        units = sorted(units, key=lambda u: u.index)
        heads = [self.headroom(u, floor_bp) for u in units]
        saving = min(base, sum(heads))
        runs: list[list[int]] = []
        last_key = None
        for position, unit in enumerate(units):
            strictest = max([f for f in (floor_bp, unit.floor_bp) if f is not None], default=None)
            key = (unit.product_id, unit.list_price, unit.left, strictest if unit.cost is not None else None,
                   unit.hidden)
            if key != last_key:
                runs.append([])
                last_key = key
            runs[-1].append(position)
        shares = allocate(saving, [sum(heads[p] for p in run) for run in runs])
        for run, share in zip(runs, shares):
            each, extra = divmod(share, len(run))
            for k, position in enumerate(run):
                amount = each + (1 if k < extra else 0)
                if amount:
                    unit = units[position]
                    unit.left -= amount
                    unit.parts[rule.id] = unit.parts.get(rule.id, 0) + amount
                    if floor_bp is not None:
                        unit.floor_bp = floor_bp if unit.floor_bp is None else max(unit.floor_bp, floor_bp)
        return saving

    # ---- one rule on the units -------------------------------------------------------------------------------
    def bundle_units(self, rule, units, sets, stackable):
        taken = []
        for item in rule.items:
            mine = [u for u in units if u.product_id == item.product_id
                    and (not u.hidden if stackable else not u.used)]
            need = item.quantity * sets
            if len(mine) < need:
                raise Invalid
            taken += mine[:need]
        return taken

    def bundle_max(self, rule, units, stackable):
        most = min(sum(1 for u in units if u.product_id == item.product_id and (not u.hidden if stackable else not u.used))
                   // item.quantity for item in rule.items)
        cap = self.caps(rule)
        return most if cap is None else min(most, cap)

    def price_bundle(self, rule, units, sets, stackable, applied):
        if sets == 0:
            return
        taken = self.bundle_units(rule, units, sets, stackable)
        P = sum(u.left for u in taken)
        if rule.mode is PricingMode.PERCENT_OFF:
            base = min(P, divide(P * rule.value, FULL))
        elif rule.mode is PricingMode.AMOUNT_OFF:
            base = min(sets * rule.value, P)
        else:
            base = max(0, P - sets * rule.value)
        for u in taken:
            if not stackable:
                u.used = True
            if rule.exclusive:
                u.hidden = True
        applied[rule.id] = (self.spread(rule, taken, base), sets)

    def walk(self, rule, units, limit, stackable):
        """"Which units a buy-X-get-Y takes": complete groups of the walk stopped after ``limit`` groups."""
        may = [u for u in units if (rule.buys(u.product_id, u.category) or rule.gets(u.product_id, u.category))
               and (not u.hidden if stackable else not u.used)]
        may.sort(key=lambda u: (-u.list_price, u.index))
        groups: list[tuple[list, list]] = []  # (buy units, get units), opened in order
        pending: list = []
        for u in may:
            open_group = next((g for g in groups if len(g[1]) < rule.get_quantity), None)
            if open_group is not None and rule.gets(u.product_id, u.category):
                open_group[1].append(u)
            elif (limit is None or len(groups) < limit) and rule.buys(u.product_id, u.category):
                pending.append(u)
                if len(pending) == rule.buy_quantity:
                    groups.append((pending, []))
                    pending = []
        return [g for g in groups if len(g[1]) == rule.get_quantity]

    def bxgy_max(self, rule, units, stackable):
        cap = self.caps(rule)
        return len(self.walk(rule, units, cap, stackable))

    def price_bxgy(self, rule, units, groups_n, stackable, applied):
        if groups_n == 0:
            return
        groups = self.walk(rule, units, groups_n, stackable)
        if len(groups) < groups_n:
            raise Invalid
        gets = [u for g in groups for u in g[1]]
        P = sum(u.left for u in gets)
        if rule.mode is PricingMode.PERCENT_OFF:
            base = min(P, divide(P * rule.value, FULL))
        else:
            base = min(groups_n * rule.get_quantity * rule.value, P)
        for g in groups:
            for u in g[0] + g[1]:
                if not stackable:
                    u.used = True
                if rule.exclusive:
                    u.hidden = True
        applied[rule.id] = (self.spread(rule, gets, base), groups_n)

    def price_volume(self, rule, units, stackable, applied):
        cap = self.caps(rule)
        if cap is not None and cap < 1:
            return
        taken = [u for u in units if counts(rule, u) and (not u.hidden if stackable else not u.used)]
        tier = rule.tier_for(len(taken)) if taken else None
        if tier is None:
            return
        for u in taken:
            if not stackable:
                u.used = True
        chosen = taken
        if rule.max_units is not None and len(taken) > rule.max_units:
            floor_bp = self.rule_floor(rule)
            # worth: the rate of the price left, at most the headroom (compared exactly, x 10000)
            chosen = sorted(taken, key=lambda u: (-min(u.left * tier.percent_bp, self.headroom(u, floor_bp) * FULL),
                                                  u.index))[: rule.max_units]
        P = sum(u.left for u in chosen)
        base = min(P, divide(P * tier.percent_bp, FULL))
        saving = self.spread(rule, chosen, base)
        if rule.exclusive:
            for u in taken:
                u.hidden = True
        applied[rule.id] = (saving, 1)

    # ---- one allocation ------------------------------------------------------------------------------------
    def nonstackable(self, given_up=frozenset()):
        rules = [r for r in self.rules if not r.stackable and r.id not in given_up and not _order_rule(r)]
        return ([r for r in rules if isinstance(r, FixedBundle)] + [r for r in rules if isinstance(r, BuyXGetY)]
                + [r for r in rules if isinstance(r, VolumeDiscount)])

    def stackable(self, given_up=frozenset()):
        return [r for r in self.rules if r.stackable and r.id not in given_up and not _order_rule(r)]

    def price(self, vector, given_up=frozenset()):
        """(units, applied: rule id -> (saving, applications)) for one allocation; raises Invalid."""
        units = make_units(self.cart, self.products)
        applied: dict = {}
        for rule, choice in zip(self.nonstackable(given_up), vector):
            if isinstance(rule, FixedBundle):
                self.price_bundle(rule, units, choice, False, applied)
            elif isinstance(rule, BuyXGetY):
                self.price_bxgy(rule, units, choice, False, applied)
            elif choice:
                self.price_volume(rule, units, False, applied)
        for rule in self.stackable(given_up):
            if isinstance(rule, FixedBundle):
                self.price_bundle(rule, units, self.bundle_max(rule, units, True), True, applied)
            elif isinstance(rule, BuyXGetY):
                self.price_bxgy(rule, units, self.bxgy_max(rule, units, True), True, applied)
            else:
                self.price_volume(rule, units, True, applied)
        return units, applied

    def choices(self, given_up=frozenset()):
        units = make_units(self.cart, self.products)
        ranges = []
        for rule in self.nonstackable(given_up):
            if isinstance(rule, FixedBundle):
                most = self.bundle_max(rule, units, False)
                if (not self.every_allocation and rule.mode is PricingMode.FIXED_PRICE and not rule.exclusive
                        and self.saves_nothing(rule, units, most)):
                    most = 0  # "A bundle that can save nothing takes no units"
                ranges.append(range(most, -1, -1))
            elif isinstance(rule, BuyXGetY):
                ranges.append(range(self.bxgy_max(rule, units, False), -1, -1))
            else:
                cap = self.caps(rule)
                ranges.append((1, 0) if cap is None or cap >= 1 else (0,))
        return ranges

    def skipped_bundles(self):
        """Ids of the bundles "A bundle that can save nothing takes no units" keeps at 0 sets."""
        units = make_units(self.cart, self.products)
        return [r.id for r in self.nonstackable() if isinstance(r, FixedBundle) and r.mode is PricingMode.FIXED_PRICE
                and not r.exclusive and self.saves_nothing(r, units, self.bundle_max(r, units, False))]

    def saves_nothing(self, rule, units, most):
        for n in range(1, most + 1):
            dearest = 0
            for item in rule.items:
                mine = [u.list_price for u in units if u.product_id == item.product_id]
                dearest += sum(mine[: item.quantity * n])
            if n * rule.value < dearest:
                return False
        return True

    def allocations(self, given_up=frozenset()):
        """Every allocation: (vector, units, applied)."""
        for vector in itertools.product(*self.choices(given_up)):
            try:
                units, applied = self.price(vector, given_up)
            except Invalid:
                continue
            yield vector, units, applied

    def best_items(self, given_up=frozenset()):
        """"Best price for the shopper": the largest total saving, ties to the largest vector."""
        best = None
        for vector, units, applied in self.allocations(given_up):
            saving = sum(s for s, _ in applied.values())
            key = (saving, vector)
            if best is None or key > best[0]:
                best = (key, units, applied)
        return best

    def droppable(self):
        """Live stackable rules touching a cart product that a later stackable rule touches too."""
        stack = self.stackable()
        units = make_units(self.cart, self.products)
        out = []
        for i, rule in enumerate(stack):
            mine = {u.product_id for u in units if touches(rule, u)}
            if any(mine & {u.product_id for u in units if touches(later, u)} for later in stack[i + 1:]):
                out.append(rule.id)
        return out

    def give_up_sets(self, ids):
        if not ids:
            return []
        if len(ids) <= 3:
            return [frozenset(c) for k in range(1, len(ids) + 1) for c in itertools.combinations(ids, k)]
        return [frozenset(ids)]

    def item_answer(self):
        """The item-only quote: (saving, applied or None when two give-ups tie, units)."""
        key, units, applied = self.best_items()
        best, best_applied, best_units, tied = key[0], applied, units, False
        for subset in self.give_up_sets(self.droppable()):
            got = self.best_items(subset)
            if got[0][0] > best:
                best, best_applied, best_units, tied = got[0][0], got[2], got[1], False
            elif got[0][0] == best and best_applied is not applied:
                tied = True
        return best, (None if tied else best_applied), best_units


def _order_rule(rule) -> bool:
    return isinstance(rule, (ShippingThreshold, SpendDiscount, FreeGift))


def shipping_fee(threshold: ShippingThreshold | None, counted: int, subtotal: int) -> int:
    if threshold is None:
        return 0
    return threshold.fee_at(subtotal if threshold.count_before_discounts else counted)


def spend_saving(spend, counted: int) -> int:
    """One spend discount, or a list: the non-stackable one saving most, plus every stackable one."""
    if spend is None:
        return 0
    if isinstance(spend, SpendDiscount):
        return spend.saving_at(counted)
    # each "saves at most the headroom" of the units: without floors, the price still left on them
    left = counted - max((r.saving_at(counted) for r in spend if not r.stackable), default=0)
    for rule in sorted((r for r in spend if r.stackable), key=importance):
        left -= min(rule.saving_at(counted), left)
    return counted - left


def order_answer(pricer: Pricer, threshold, spend):
    """"Best price with order rules", where the docs say it is exact (no gifts, no binding floor or exclusive
    limiting the spend discount, at most three stackable rules): the least total, shipping included, over every
    allocation and every subset of stackable rules given up. Returns (total, item saving, fee) of the least
    total, with the most item saving among those."""
    subtotal = sum(line.quantity * line.unit_price for line in pricer.cart.lines)
    stack_ids = [r.id for r in pricer.stackable()]
    subsets = [frozenset(c) for k in range(len(stack_ids) + 1) for c in itertools.combinations(stack_ids, k)]
    best = None
    for subset in subsets:
        for _vector, _units, applied in pricer.allocations(subset):
            item = sum(s for s, _ in applied.values())
            counted = subtotal - item
            fee = shipping_fee(threshold, counted, subtotal)
            total = counted - spend_saving(spend, counted) + fee
            key = (-total, item)
            if best is None or key > best[0]:
                best = (key, (total, item, fee))
    return best[1]


def price_order(pricer: Pricer, units: list[Unit], order_rules, declined=frozenset(), spend_choice=None):
    """"In what order": on the units an item allocation leaves, gifts in order of importance (those in
    ``declined`` charged), then one non-stackable spend discount (the one saving most once held to its headroom,
    ties to the more important; or ``spend_choice``), then each stackable one; shipping on the counted amount.
    Returns (total, counted, fee). ``units`` is changed."""
    products = pricer.products
    subtotal = sum(u.list_price for u in units)
    rules = sorted((r for r in order_rules if not r.paused), key=importance)
    held = {u.product_id for u in units}
    for gift in (r for r in rules if isinstance(r, FreeGift)):
        if gift.id in declined or not products[gift.gift_product_id].in_stock:
            continue
        counted = sum(u.left for u in units if u.product_id != gift.gift_product_id)
        if not gift.earned(counted, held):
            continue
        unit = next((u for u in units if u.product_id == gift.gift_product_id and u.left > 0), None)
        if unit is not None:
            unit.parts[gift.id] = unit.parts.get(gift.id, 0) + unit.left
            unit.left = 0
    counted = sum(u.left for u in units)
    open_units = [u for u in units if not u.hidden]
    spends = [r for r in rules if isinstance(r, SpendDiscount)]
    flat = [r for r in spends if not r.stackable]
    if flat:
        if spend_choice is None:
            def held_saving(rule):
                floor_bp = pricer.rule_floor(rule)
                return min(rule.saving_at(counted), sum(pricer.headroom(u, floor_bp) for u in open_units))
            spend_choice = max(flat, key=lambda r: (held_saving(r), [-x if isinstance(x, int) else x
                                                                      for x in importance(r)]))
        pricer.spread(spend_choice, open_units, spend_choice.saving_at(counted))
    for rule in (r for r in spends if r.stackable):
        pricer.spread(rule, open_units, rule.saving_at(counted))
    threshold = next((r for r in rules if isinstance(r, ShippingThreshold)), None)
    fee = shipping_fee(threshold, counted, subtotal)
    return subtotal - sum(u.list_price - u.left for u in units) + fee, counted, fee


def order_bounds(pricer: Pricer, order_rules):
    """(least total over every configuration the docs allow, total of the first candidate or None).

    The engine's total lies between: "The first candidate is always priced", and no candidate can beat every
    allocation, every subset of stackable rules given up and every way of declining gifts."""
    import copy

    stack_ids = [r.id for r in pricer.stackable()]
    gift_ids = [r.id for r in order_rules if isinstance(r, FreeGift)]
    flat = [r for r in order_rules if isinstance(r, SpendDiscount) and not r.stackable] or [None]
    least = None
    for k in range(len(stack_ids) + 1):
        for subset in itertools.combinations(stack_ids, k):
            for _vector, units, _applied in pricer.allocations(frozenset(subset)):
                for j in range(len(gift_ids) + 1):
                    for declined in itertools.combinations(gift_ids, j):
                        for choice in flat:
                            total = price_order(pricer, copy.deepcopy(units), order_rules, frozenset(declined),
                                                choice)[0]
                            least = total if least is None else min(least, total)
    _saving, applied, units = pricer.item_answer()
    first = None if applied is None else price_order(pricer, units, order_rules)[0]
    return least, first
