"""A brute-force pricing reference written from ``docs/engine.md`` alone (no engine pricing code read).

It knows the rule VALUES (``plugin.engine.rules``) and the two money functions the docs name
(``divide``, ``allocate``), and nothing of how the engine searches. Every allocation the docs allow
("Best price for the shopper": sets per non-stackable bundle, groups per non-stackable buy-X-get-Y,
on/off per non-stackable volume discount) is enumerated and priced in full, stackable rules, gifts, spend
discounts and shipping included, so a test can compare the engine with the best of them.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction

from plugin.engine.money import allocate, divide
from plugin.engine.rules import (
    BuyXGetY,
    FixedBundle,
    FreeGift,
    PricingMode,
    ShippingThreshold,
    SpendDiscount,
    VolumeDiscount,
)

INF = 10**9


def importance_key(rule) -> tuple:
    """docs: higher priority first; older first, digit ids as numbers before other ids (as text)."""
    numeric = rule.id.isascii() and rule.id.isdigit()
    return (-rule.priority, 0 if numeric else 1, int(rule.id) if numeric else 0, rule.id)


#: Past applications of this shopper, by rule id (the tests pass the same mapping to ``quote_cart``).
CUSTOMER_USED = {"8": 1, "10": 1, "12": 2}


def caps_left(rule, customer_used: int | None = None) -> int:
    """Applications the caps allow (INF for none); 0 when not live is handled by the caller."""
    if customer_used is None:
        customer_used = CUSTOMER_USED.get(rule.id, 0)
    limits = []
    if rule.global_cap is not None:
        limits.append(rule.global_cap - rule.redeemed)
    if rule.per_customer_cap is not None:
        limits.append(rule.per_customer_cap - customer_used)
    return max(0, min(limits)) if limits else INF


def applications_cap(rule) -> int:
    """Caps plus ``max_units`` in whole sets/groups (docs: "Per-unit limits")."""
    cap = caps_left(rule)
    if isinstance(rule, FixedBundle) and rule.max_units is not None:
        cap = min(cap, rule.max_units // sum(item.quantity for item in rule.items))
    if isinstance(rule, BuyXGetY):
        if rule.max_units is not None:
            cap = min(cap, rule.max_units // rule.get_quantity)
        if rule.max_applications is not None:
            cap = min(cap, rule.max_applications)
    return cap


# ---- the rule values' meanings, re-derived from the docs (not the rule classes' own methods) ---------------
def tier_for(rule: VolumeDiscount, quantity: int):
    """docs: the highest tier reached by the units it counts."""
    reached = [tier for tier in rule.tiers if quantity >= tier.min_quantity]
    return reached[-1] if reached else None


def step_saving(step, counted: int) -> int:
    """docs "Spend discount": ``min(amount_off, counted)`` or ``divide(counted * percent_bp, 10000)``."""
    if step.amount_off is not None:
        return min(step.amount_off, counted)
    return divide(counted * step.percent_bp, 10000)


def spend_saving(rule: SpendDiscount, counted: int) -> int:
    """The reached step that saves the most; nothing when no step is reached."""
    return max([step_saving(s, counted) for s in rule.steps if counted >= s.threshold], default=0)


def spend_next_step(rule: SpendDiscount, counted: int):
    """The next step ahead that would save more than the cart gets now (the ladder's rung)."""
    now = spend_saving(rule, counted)
    return next((s for s in rule.steps if s.threshold > counted and step_saving(s, s.threshold) > now), None)


def gift_earned(rule: FreeGift, ladder_without_gift: int, product_ids) -> bool:
    """docs "Free gift": the threshold reached and/or a trigger product held; with both set, both."""
    if rule.threshold is not None and ladder_without_gift < rule.threshold:
        return False
    return not rule.trigger_product_ids or bool(rule.trigger_product_ids & set(product_ids))


def shipping_fee(rule: ShippingThreshold, counted: int) -> int:
    """docs "Shipping threshold": 0 from the threshold, else the fee of the last step reached, else ``fee``."""
    if counted >= rule.threshold:
        return 0
    reached = [step for step in rule.steps if counted >= step.threshold]
    return reached[-1].fee if reached else rule.fee


def floor_price(cost: int, bp: int) -> int:
    """docs: ``ceil(cost * (10000 + f) / 10000)``."""
    return -(-cost * (10000 + bp) // 10000)


@dataclass
class Unit:
    index: int  # position in unit order: products by id, each most expensive first
    product_id: str
    price: int  # list price (the line's unit price)
    cost: int | None
    category: str | None


@dataclass
class State:
    left: list[int]
    floor: list[int | None]
    used: list[bool]  # used by a non-stackable rule
    hidden: list[bool]  # used by an exclusive rule: stackable rules after it neither count nor discount it
    amounts: dict[str, int] = field(default_factory=dict)
    applications: dict[str, int] = field(default_factory=dict)

    def copy(self) -> "State":
        return State(list(self.left), list(self.floor), list(self.used), list(self.hidden),
                     dict(self.amounts), dict(self.applications))


def units_of(cart, products) -> list[Unit]:
    raw = []
    for line in cart.lines:
        product = products[line.product_id]
        raw += [(line.product_id, line.unit_price, product.cost, product.category)] * line.quantity
    raw.sort(key=lambda unit: (unit[0], -unit[1]))
    return [Unit(index, *fields) for index, fields in enumerate(raw)]


class Reference:
    def __init__(self, cart, rules, products, now, *, shop_floor_bp=None, currency="JPY"):
        self.cart = cart
        self.products = products
        self.shop_floor_bp = shop_floor_bp
        self.currency = currency
        self.units = units_of(cart, products)
        live = [rule for rule in rules if rule.is_live(now)]
        live.sort(key=importance_key)
        self.shipping = [r for r in live if isinstance(r, ShippingThreshold) and r.currency == currency]
        self.gifts = [r for r in live if isinstance(r, FreeGift) and r.currency == currency and caps_left(r) > 0]
        self.spends = [r for r in live if isinstance(r, SpendDiscount) and r.currency == currency and caps_left(r) > 0]
        items = [r for r in live if isinstance(r, (FixedBundle, VolumeDiscount, BuyXGetY)) and applications_cap(r) > 0]
        self.ns_bundles = [r for r in items if isinstance(r, FixedBundle) and not r.stackable]
        self.ns_buy_gets = [r for r in items if isinstance(r, BuyXGetY) and not r.stackable]
        self.ns_volumes = [r for r in items if isinstance(r, VolumeDiscount) and not r.stackable]
        self.stackables = [r for r in items if r.stackable]

    # ---- unit helpers -------------------------------------------------------------------------------
    def rule_floor(self, rule) -> int | None:
        if isinstance(rule, FreeGift):
            return None
        return rule.margin_floor_bp if rule.margin_floor_bp is not None else self.shop_floor_bp

    def headroom(self, state: State, u: int, rule_floor: int | None) -> int:
        floors = [f for f in (rule_floor, state.floor[u]) if f is not None]
        cost = self.units[u].cost
        if not floors or cost is None:
            return state.left[u]
        return max(0, state.left[u] - floor_price(cost, max(floors)))

    def apply(self, state: State, rule, used_units, raw_saving: int, applications: int) -> int:
        """docs "The margin floor, per unit" and "How a rule's saving is spread over its units"."""
        fr = self.rule_floor(rule)
        units = sorted(used_units)
        heads = {u: self.headroom(state, u, fr) for u in units}
        saving = max(0, min(raw_saving, sum(heads.values())))
        runs: list[list[int]] = []
        for u in units:
            key = self.alike_key(state, u)
            if runs and self.alike_key(state, runs[-1][-1]) == key:
                runs[-1].append(u)
            else:
                runs.append([u])
        if runs:
            shares = allocate(saving, [sum(heads[u] for u in run) for run in runs])
            for run, share in zip(runs, shares):
                each, extra = divmod(share, len(run))
                for position, u in enumerate(run):
                    part = each + (1 if position < extra else 0)
                    if part > 0:
                        state.left[u] -= part
                        if fr is not None:
                            state.floor[u] = fr if state.floor[u] is None else max(fr, state.floor[u])
        state.amounts[rule.id] = state.amounts.get(rule.id, 0) + saving
        state.applications[rule.id] = applications
        return saving

    def alike_key(self, state: State, u: int):
        unit = self.units[u]
        return (unit.product_id, unit.price, state.left[u], state.floor[u], state.hidden[u])

    def counts(self, rule, u: int) -> bool:
        unit = self.units[u]
        return unit.product_id in rule.product_ids or (unit.category is not None and unit.category in rule.categories)

    def buys(self, rule: BuyXGetY, u: int) -> bool:
        unit = self.units[u]
        return unit.product_id in rule.buy_product_ids or (unit.category is not None and unit.category in rule.buy_categories)

    def gets(self, rule: BuyXGetY, u: int) -> bool:
        if not (rule.get_product_ids or rule.get_categories):
            return self.buys(rule, u)
        unit = self.units[u]
        return unit.product_id in rule.get_product_ids or (unit.category is not None and unit.category in rule.get_categories)

    # ---- the buy-X-get-Y walk ("Which units a buy-X-get-Y takes") ------------------------------------
    def walk(self, rule: BuyXGetY, candidates, allowed: int):
        order = sorted((u for u in candidates if self.buys(rule, u) or self.gets(rule, u)),
                       key=lambda u: (-self.units[u].price, u))
        groups: list[tuple[list[int], list[int]]] = []
        pending: list[int] = []
        for u in order:
            open_group = next((g for g in groups if len(g[1]) < rule.get_quantity), None)
            if self.gets(rule, u) and open_group is not None:
                open_group[1].append(u)
            elif self.buys(rule, u) and len(groups) < allowed:
                pending.append(u)
                if len(pending) == rule.buy_quantity:
                    groups.append((pending, []))
                    pending = []
        return [g for g in groups if len(g[1]) == rule.get_quantity]

    # ---- each kind's saving ---------------------------------------------------------------------------
    def bundle_saving(self, rule: FixedBundle, state: State, units, n: int) -> int:
        price = sum(state.left[u] for u in units)
        if rule.mode is PricingMode.PERCENT_OFF:
            return min(divide(price * rule.value, 10000), price)
        if rule.mode is PricingMode.AMOUNT_OFF:
            return min(n * rule.value, price)
        return max(0, price - n * rule.value)

    def buy_get(self, rule: BuyXGetY, state: State, groups) -> None:
        gets = [u for g in groups for u in g[1]]
        price = sum(state.left[u] for u in gets)
        if rule.mode is PricingMode.PERCENT_OFF:
            raw = min(divide(price * rule.value, 10000), price)
        else:
            raw = min(len(groups) * rule.get_quantity * rule.value, price)
        self.apply(state, rule, gets, raw, len(groups))

    def volume(self, rule: VolumeDiscount, state: State, taken) -> bool:
        tier = tier_for(rule, len(taken))
        if tier is None:
            return False
        chosen = list(taken)
        if rule.max_units is not None and len(chosen) > rule.max_units:
            fr = self.rule_floor(rule)

            def worth(u):
                return min(Fraction(state.left[u] * tier.percent_bp, 10000), self.headroom(state, u, fr))

            chosen = sorted(chosen, key=lambda u: (-worth(u), u))[:rule.max_units]
        price = sum(state.left[u] for u in chosen)
        self.apply(state, rule, chosen, min(divide(price * tier.percent_bp, 10000), price), 1)
        return True

    # ---- one allocation ---------------------------------------------------------------------------------
    def vector_rules(self):
        return self.ns_bundles + self.ns_buy_gets + self.ns_volumes

    def choice_ranges(self):
        ranges = []
        n_units = len(self.units)
        for rule in self.ns_bundles:
            most = min(len([u for u in self.units if u.product_id == item.product_id]) // item.quantity
                       for item in rule.items)
            ranges.append(range(min(most, applications_cap(rule)) + 1))
        for rule in self.ns_buy_gets:
            most = len(self.walk(rule, range(n_units), INF))
            ranges.append(range(min(most, applications_cap(rule)) + 1))
        for _ in self.ns_volumes:
            ranges.append(range(2))
        return ranges

    def price_items(self, choices) -> State | None:
        n_units = len(self.units)
        state = State([u.price for u in self.units], [None] * n_units, [False] * n_units, [False] * n_units)
        by_rule = dict(zip([r.id for r in self.vector_rules()], choices))
        for rule in self.ns_bundles:
            n = by_rule[rule.id]
            if n == 0:
                continue
            taken = []
            for item in rule.items:
                free = [u.index for u in self.units if u.product_id == item.product_id and not state.used[u.index]]
                if len(free) < item.quantity * n:
                    return None
                taken += free[:item.quantity * n]
            for u in taken:
                state.used[u] = True
                state.hidden[u] = state.hidden[u] or rule.exclusive
            self.apply(state, rule, taken, self.bundle_saving(rule, state, taken, n), n)
        for rule in self.ns_buy_gets:
            n = by_rule[rule.id]
            if n == 0:
                continue
            groups = self.walk(rule, [u for u in range(n_units) if not state.used[u]], n)
            if len(groups) < n:
                return None
            for buy, get in groups:
                for u in buy + get:
                    state.used[u] = True
                    state.hidden[u] = state.hidden[u] or rule.exclusive
            self.buy_get(rule, state, groups)
        for rule in self.ns_volumes:
            if not by_rule[rule.id]:
                continue
            taken = [u for u in range(n_units) if not state.used[u] and self.counts(rule, u)]
            if tier_for(rule, len(taken)) is None:
                continue
            for u in taken:
                state.used[u] = True
                state.hidden[u] = state.hidden[u] or rule.exclusive
            self.volume(rule, state, taken)
        for rule in self.stackables:
            visible = [u for u in range(n_units) if not state.hidden[u]]
            cap = applications_cap(rule)
            if isinstance(rule, FixedBundle):
                per = {item.product_id: [u for u in visible if self.units[u].product_id == item.product_id]
                       for item in rule.items}
                n = min(min(len(per[item.product_id]) // item.quantity for item in rule.items), cap)
                if n == 0:
                    continue
                taken = [u for item in rule.items for u in per[item.product_id][:item.quantity * n]]
                self.apply(state, rule, taken, self.bundle_saving(rule, state, taken, n), n)
                used = taken
            elif isinstance(rule, BuyXGetY):
                groups = self.walk(rule, visible, cap)
                if not groups:
                    continue
                self.buy_get(rule, state, groups)
                used = [u for g in groups for u in g[0] + g[1]]
            else:
                taken = [u for u in visible if self.counts(rule, u)]
                if not self.volume(rule, state, taken):
                    continue
                used = taken
            if rule.exclusive:
                for u in used:
                    state.hidden[u] = True
        return state

    # ---- order rules and shipping --------------------------------------------------------------------
    def price_order(self, state: State, gifts_read_earlier_gifts: bool = False) -> "Priced":
        """Gifts, then spend discounts, then shipping on what the item allocation ``state`` leaves.

        docs ambiguity: a gift's threshold reads "the counted amount less the gift product's own units", the
        counted amount being "after item discounts and gifts", while the candidates read "the counted amount
        before gifts". ``gifts_read_earlier_gifts`` picks the reading: each gift sees the gifts before it.
        """
        state = state.copy()
        item_saving = sum(state.amounts.values())
        before_gifts = sum(state.left)
        in_cart = {u.product_id for u in self.units}
        gift_total = 0
        for rule in self.gifts:
            gift_units = [u.index for u in self.units if u.product_id == rule.gift_product_id]
            product = self.products.get(rule.gift_product_id)
            if not gift_units or product is None or not product.in_stock:
                continue
            ladder = sum(state.left) if gifts_read_earlier_gifts else before_gifts
            if not gift_earned(rule, ladder - sum(state.left[u] for u in gift_units), in_cart):
                continue
            unit = next((u for u in gift_units if state.left[u] > 0), None)
            if unit is None:
                continue
            amount = state.left[unit]
            state.left[unit] = 0
            state.amounts[rule.id] = state.amounts.get(rule.id, 0) + amount
            state.applications[rule.id] = 1
            gift_total += amount
        counted = sum(state.left)
        visible = [u for u in range(len(self.units)) if not state.hidden[u]]
        spend_total = 0
        non_stackable = [r for r in self.spends if not r.stackable]
        best = None
        for rule in non_stackable:
            trial = state.copy()
            saving = self.apply(trial, rule, visible, spend_saving(rule, counted), 1)
            if best is None or saving > best[0]:
                best = (saving, trial)
        if best is not None and best[0] > 0:
            spend_total += best[0]
            state = best[1]
        elif best is not None:
            pass
        for rule in self.spends:
            if rule.stackable:
                spend_total += self.apply(state, rule, visible, spend_saving(rule, counted), 1)
        fee = 0
        chosen = None
        if self.shipping:
            chosen = min(self.shipping, key=lambda r: (-r.priority, r.threshold, importance_key(r)))
            subtotal = sum(u.price for u in self.units)
            fee = shipping_fee(chosen, subtotal if chosen.count_before_discounts else counted)
        amounts = {k: v for k, v in state.amounts.items() if v > 0}
        return Priced(amounts, {k: state.applications[k] for k in amounts}, fee, item_saving,
                      gift_total + spend_total, counted, list(state.left))

    def all_priced(self):
        """Every allocation the docs allow, with its choices, priced in full (item rules, then order rules)."""
        out = []
        for choices in itertools.product(*self.choice_ranges()):
            state = self.price_items(choices)
            if state is not None:
                out.append((choices, state))
        return out

    def best_item(self, priced):
        """docs: the largest total item saving; ties to the largest vector of choices."""
        return max(priced, key=lambda cs: (sum(cs[1].amounts.values()), cs[0]))


@dataclass
class Priced:
    amounts: dict[str, int]
    applications: dict[str, int]
    shipping_fee: int
    item_saving: int
    order_saving: int
    counted: int
    left: list[int]

    @property
    def discount_total(self) -> int:
        return sum(self.amounts.values())
