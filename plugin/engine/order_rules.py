"""Order rules: spend discounts and free gifts, priced on the whole order after the item rules.

The item rules (bundles, volume discounts) are allocated first (:mod:`.allocation`). On the units they
leave, free gifts (:class:`~.rules.FreeGift`) make one unit of their product free while their condition
holds, then spend discounts (:class:`~.rules.SpendDiscount`) take their step off the order, spread over the
units exactly like any rule's saving (``docs/engine.md``: "How a rule's saving is spread").

An item discount can push the order below a spend step (5,100 − 200 = 4,900 < 5,000 loses ¥500). So
:func:`best_with_order_rules` also prices, for each threshold ahead, the allocation that gives up the least
item saving to reach it, chosen from a small menu per group of item rules, and the same again without some
stackable or exclusive item rules (:data:`MAX_GIVEN_UP`), and keeps the one that saves the shopper the most in all. Every part of this work is bounded (:data:`MENU_ALLOCATIONS`,
:data:`COMBINE_BUDGET`, :data:`~.rules.MAX_SPEND_STEPS`).
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from math import ceil

from .allocation import best_allocation, booking_order, groups, most_groups, recall, remember, step_of
from .money import percent_of
from .rules import (BuyXGetY, FixedBundle, FreeGift, PricingMode, Rule, RuleBook, ShippingThreshold, SpendDiscount,
                    SpendStep, applications_left_now, importance)
from .savings import unit_floor
from .units import Booking, Priced, Run, Terms, apply, free_units

#: A group of item rules with at most this many allocations puts all of them on its menu.
SMALL_MENU = 32
#: Allocations on the menus of all groups together; groups past it offer only "none of its rules".
MENU_ALLOCATIONS = 256
#: Steps combining the groups' menus may take (each a partial choice extended by one option).
COMBINE_BUDGET = 5_000
#: Candidates priced in full at most, highest upper bound first.
MAX_CANDIDATES = 8


@dataclass
class OrderPriced:
    """The order priced: runs after every rule, the item rules' bookings, then the gifts', then the spend rules'.

    ``counted`` is the order's spend on the ladder: the subtotal after item discounts and gifts, before
    spend discounts and shipping; ``spend_saving`` what the spend discounts took.
    """

    runs: dict[str, list[Run]]
    bookings: list[Booking]
    counted: int
    spend_saving: int
    counted_by_product: dict[str, int]  #: each product's part of ``counted``
    shipping_saved: int = 0  #: what reaching the shipping steps at ``counted`` takes off the fee (not a discount)

    @property
    def saving(self) -> int:
        return sum(booking.amount for booking in self.bookings)

    @property
    def weight(self) -> int:
        """What the candidates are compared on: the discount total plus the shipping fee saved, so the one the
        shopper pays least for in all stands."""
        return self.saving + self.shipping_saved


@dataclass(frozen=True, kw_only=True)
class ShippingSaved(SpendDiscount):
    """The shipping fee a counted amount saves, weighed with the spend discounts but never booked as a discount.

    An item discount can take the order below free shipping (¥5,100 − a ¥255 bundle = ¥4,845 < ¥5,000: ¥600 of
    shipping for ¥255 off). Shipping reads the same counted amount as the spend steps, so each of its steps is a
    step here, worth the fee it saves against the fee below the first step: the candidates that give item
    saving up to reach a spend step reach these too, and the shopper's total (shipping included) decides.
    """

    shipping: ShippingThreshold

    @classmethod
    def of(cls, shipping: ShippingThreshold) -> "ShippingSaved":
        steps = [SpendStep(step.threshold, amount_off=shipping.fee - step.fee) for step in shipping.steps]
        steps.append(SpendStep(shipping.threshold, amount_off=shipping.fee))
        return cls(id=f"shipping:{shipping.id}", label=shipping.label, currency=shipping.currency,
                   steps=tuple(steps), stackable=True, shipping=shipping)

    def saving_at(self, counted: int) -> int:
        return self.shipping.fee - self.shipping.fee_at(counted)

    def _validate(self, errors) -> None:  # built from a validated shipping threshold
        pass


def weighed_shipping(rule: ShippingThreshold | None, subtotal: int) -> ShippingThreshold | None:
    """``rule`` (the threshold the quote charges by) when item discounts or gifts can cost the shopper a fee step:
    it counts them, charges a fee, and the subtotal reaches one of its steps (else nothing changes the fee)."""
    if rule is None or rule.count_before_discounts or rule.fee <= 0 or rule.fee_at(subtotal) == rule.fee:
        return None
    return rule


def live_order_rules(rulebook: RuleBook, currency: str, now: datetime, customer_used: Mapping[str, int],
                     redeemed: Mapping[str, int], checked: dict) -> list[Rule]:
    """The spend discounts and gifts of ``currency`` live at ``now`` with an application left, most important first."""
    return [rule for rule in sorted(rulebook.order_rules_for(currency), key=importance)
            if applications_left_now(rule, now, customer_used, redeemed, checked) != 0]


def price_order(runs: Mapping[str, Sequence[Run]], item_bookings: Sequence[Booking], order_rules: Sequence[Rule],
                terms: Terms, products: Mapping, decline: bool = True,
                whole: tuple[int, int, int] | None = None) -> OrderPriced:
    """Gifts, then spend discounts, on the units the item rules left (``runs``); ``order_rules`` most important first.

    A gift's ¥0 lowers the counted amount: where that takes the order below a spend step or shipping step, the
    gifts are also priced declined (``decline``; every subset of up to :data:`MAX_GIVEN_UP` given gifts, with
    more each alone and all together), and the order the shopper pays least for in all stands (ties: the gifts
    given). Where no margin floor can bind, they are weighed first without writing shares
    (:func:`_declined_choice`) and only the one that stands is priced. ``whole``: the :func:`_tally` of all of
    ``runs``, when the caller has it."""
    if decline and whole is not None:
        chosen_rules = _declined_choice(runs, whole, item_bookings, order_rules, terms, products)
        if chosen_rules is not None:
            return price_order(runs, item_bookings, chosen_rules, terms, products, decline=False)
    rows = {pid: list(row) for pid, row in runs.items()}
    bookings = list(item_bookings)
    gifts = [rule for rule in order_rules if isinstance(rule, FreeGift)]
    given: list[Rule] = []
    before_gifts = 0
    if gifts:
        left = before_gifts = _price_left(rows)
        for rule in gifts:
            booking = _give(rule, rows, products, left)
            if booking:
                bookings.append(booking)
                left -= booking.amount
                given.append(rule)
    by_product = {}
    for pid, row in rows.items():
        if len(row) == 1:
            run = row[0]
            by_product[pid] = run.unit_left * run.count
        else:
            by_product[pid] = sum([run.unit_left * run.count for run in row])
    counted = sum(by_product.values())
    declining = bool(given) and decline and _declining_may_pay(runs, order_rules, given, counted, before_gifts)
    if declining and whole is None:  # weigh the gifts given and declined first: where no floor binds, only the best is spread
        whole = _sum_tallies([_tally(row, terms) for row in runs.values()])
        chosen_rules = _declined_choice(runs, whole, item_bookings, order_rules, terms, products)
        if chosen_rules is not None:
            return price_order(runs, item_bookings, chosen_rules, terms, products, decline=False)
    spend = [rule for rule in order_rules if isinstance(rule, SpendDiscount)]
    spend_saving = 0
    chosen = None
    rooms: dict[int | None, int] = {}  # the rows do not change until the chosen one is spread: headroom per floor
    for rule in spend:  # one non-stackable spend discount: the one that saves the most (ties: importance)
        if not rule.stackable:
            amount = _saving_at(rule, counted, terms)
            if amount > 0:
                floor = terms.floor_of(rule)
                if floor not in rooms:
                    rooms[floor] = _headroom(rule, rows, terms)
                amount = min(amount, rooms[floor])
            if amount > 0 and (chosen is None or amount > chosen[1]):
                chosen = (rule, amount)
    spreads = [chosen] if chosen is not None else []  # (rule, amount asked), in the order they are spread
    shipping = 0
    for rule in spend:  # then the stackable ones, in order of importance, on the price left
        if isinstance(rule, ShippingSaved):
            shipping += rule.saving_at(counted)
        elif rule.stackable:
            amount = _saving_at(rule, counted, terms)
            if amount > 0:
                spreads.append((rule, amount))  # held to its headroom there
    if spreads:
        if _one_unit_rows(rows, terms):
            spread = _spread_one_units(spreads, rows, terms)
        else:
            own: dict[int, Run] = {}  # the runs the spreads built (by id; held, so no id is reused): changed in place
            spread = [_spread(rule, rows, amount, terms, own) for rule, amount in spreads]
        for booking in spread:
            if booking is not None:
                bookings.append(booking)
                spend_saving += booking.amount
    priced = OrderPriced(rows, bookings, counted, spend_saving, by_product, shipping)
    if declining:
        for subset in _subsets(_declinable(runs, order_rules, given)):
            other = price_order(runs, item_bookings, [rule for rule in order_rules if rule not in subset], terms,
                                products, decline=False)
            if other.weight > priced.weight:
                priced = other
    return priced


def _declined_choice(runs: Mapping[str, Sequence[Run]], whole: tuple[int, int, int], item_bookings: Sequence[Booking],
                     order_rules: Sequence[Rule], terms: Terms, products: Mapping) -> list[Rule] | None:
    """The order rules :func:`price_order` ends with once it has weighed the gifts it gives declined (every subset
    of :func:`_subsets`, where a spend or shipping step lies between the counted amounts with and without them;
    ties: the fewest declined, the gifts given first), read from :func:`_weigh` without writing any share;
    ``None`` where a margin floor may bind (then only pricing each in full tells)."""
    item_saving = sum([booking.amount for booking in item_bookings])
    saving, counted, given = _weigh(runs, whole, item_saving, order_rules, terms, products)
    if saving is None:
        return None
    best_rules = order_rules
    if given and _declining_may_pay(runs, order_rules, given, counted, whole[0]):
        for subset in _subsets(_declinable(runs, order_rules, given)):
            rules = [rule for rule in order_rules if rule not in subset]
            other, _, _ = _weigh(runs, whole, item_saving, rules, terms, products)
            if other is None:
                return None
            if other > saving:
                best_rules, saving = rules, other
    return best_rules


def _steps_between(order_rules: Sequence[Rule], low: int, high: int) -> bool:
    """Whether a spend or shipping step lies above the counted amount ``low`` and at most ``high``."""
    return any(low < step.threshold <= high for rule in order_rules if isinstance(rule, SpendDiscount)
               for step in rule.steps)


def _declining_may_pay(runs: Mapping[str, Sequence[Run]], order_rules: Sequence[Rule], given: Sequence[Rule],
                       counted: int, before_gifts: int) -> bool:
    """Whether declining a given gift may save the shopper more: a spend or shipping step lies above the counted
    amount after gifts (``counted``) and at most the amount before them, or a gift not given would reach its threshold
    with no gift given before it (each gift counts the order after the gifts given before it, so an earlier gift's ¥0
    may have taken a later one's threshold away). ``runs``: the units before gifts."""
    if _steps_between(order_rules, counted, before_gifts):
        return True
    given_ids = {rule.id for rule in given}
    for rule in order_rules:
        if isinstance(rule, FreeGift) and rule.id not in given_ids and rule.threshold is not None:
            row = runs.get(rule.gift_product_id)
            if row and before_gifts - _price_left({rule.gift_product_id: row}) >= rule.threshold:
                return True  # (its products' condition aside: a superset of the cases that may pay)
    return False


def _declinable(runs: Mapping[str, Sequence[Run]], order_rules: Sequence[Rule], given: Sequence[Rule]) -> list[Rule]:
    """The gifts weighed declined, most important first: those given, and those not given whose product is in the
    cart with a price left. Declining one gift may earn another (its threshold counts the order without its own
    product, after the gifts before it), which the shopper may be better off declining too."""
    given_ids = {rule.id for rule in given}
    return [rule for rule in order_rules if isinstance(rule, FreeGift) and (
        rule.id in given_ids or any(run.unit_left > 0 for run in runs.get(rule.gift_product_id, ())))]


def _subsets(rules: Sequence[Rule]) -> list[tuple[Rule, ...]]:
    """Every subset of up to :data:`MAX_GIVEN_UP` rules; with more, each alone and all together."""
    if len(rules) <= MAX_GIVEN_UP:
        return [subset for size in range(1, len(rules) + 1) for subset in combinations(rules, size)]
    return [(rule,) for rule in rules] + [tuple(rules)]


def _price_left(rows: Mapping[str, Sequence[Run]]) -> int:
    return sum(run.unit_left * run.count for row in rows.values() for run in row)


def _tally(row: Sequence[Run], terms: Terms) -> tuple[int, int, int]:
    """A product's row: its price left, its price left on units no exclusive rule used, and 1 if a margin floor
    may bind on it (it has a cost and a floor on some unit), else 0."""
    if len(row) == 1:  # one run (most rows)
        run = row[0]
        left = run.unit_left * run.count
        return left, 0 if run.locked else left, 1 if run.floor_bp is not None and \
            terms.costs.get(run.product_id) is not None else 0
    left = room = 0
    floored = 0
    for run in row:
        value = run.unit_left * run.count
        left += value
        if not run.locked:
            room += value
        if run.floor_bp is not None:
            floored = 1
    return left, room, floored if terms.costs.get(row[0].product_id if row else None) is not None else 0


def _sum_tallies(tallies) -> tuple[int, int, int]:
    left = room = floored = 0
    for tally in tallies:
        left += tally[0]
        room += tally[1]
        floored += tally[2]
    return left, room, floored


def _order_saving(runs: Mapping[str, Sequence[Run]], whole: tuple[int, int, int], item_saving: int,
                  order_rules: Sequence[Rule], terms: Terms, products: Mapping,
                  decline: bool = True) -> tuple[int | None, int]:
    """What :func:`price_order` saves in all (its weight), without writing the spend discounts' shares where no
    margin floor can bind (then a spend discount's headroom is the price left on the unlocked units), ``None``
    where one can; and the counted amount (after gifts). ``whole``: the :func:`_tally` of all of ``runs``.
    Gifts that would cost a step are weighed declined as :func:`price_order` weighs them (``decline``)."""
    saving, counted, given = _weigh(runs, whole, item_saving, order_rules, terms, products)
    if saving is None:
        return None, counted
    if given and decline and _declining_may_pay(runs, order_rules, given, counted, whole[0]):  # as price_order does
        for subset in _subsets(_declinable(runs, order_rules, given)):
            other, _, _ = _weigh(runs, whole, item_saving, [rule for rule in order_rules if rule not in subset],
                                 terms, products)
            if other is None:
                return None, counted
            if other > saving:
                saving = other
    return saving, counted


def _weigh(runs: Mapping[str, Sequence[Run]], whole: tuple[int, int, int], item_saving: int,
           order_rules: Sequence[Rule], terms: Terms, products: Mapping) -> tuple[int | None, int, list[Rule]]:
    """:func:`_order_saving` with the gifts given, none declined; and the gift rules it gives.

    Each gift is read as :func:`_give` writes it, without copying a row: it takes the next unit of its product's
    row (most expensive first) with a price left, so the counted amount loses that price, and the headroom too
    unless an exclusive rule used the unit (a margin floor is not changed by a gift)."""
    gifted = 0
    given: list[Rule] = []
    left, room, floored = whole
    states: dict[str, list[int]] | None = None  # gift product -> [its run, units of it given, the row's price left]
    for rule in order_rules:
        if isinstance(rule, FreeGift) and rule.gift_product_id in runs:
            gift = rule.gift_product_id
            row = runs[gift]
            product = products.get(gift)
            if product is None or not product.in_stock or not row:
                continue
            if states is None:
                states = {}
            state = states.get(gift)
            if state is None:
                state = states[gift] = [0, 0, sum([run.unit_left * run.count for run in row])]
            position, used, value = state
            if not rule.earned(whole[0] - gifted - value, runs.keys()):
                continue
            while position < len(row):  # the next unit with a price left
                run = row[position]
                if run.unit_left > 0 and used < run.count:
                    break
                position += 1
                used = 0
            else:
                state[0], state[1] = position, used
                continue
            amount = run.unit_left
            state[0], state[1], state[2] = position, used + 1, value - amount
            gifted += amount
            if not run.locked:
                room -= amount
            given.append(rule)
    counted = left - gifted
    if floored:
        return None, counted, given
    # The non-stackable spend discount that takes the most (held to the headroom), then the stackable ones in turn
    # on what is left; the shipping fee saved is weighed beside them.
    taken = shipping = 0
    stackable = []
    for rule in order_rules:
        if isinstance(rule, SpendDiscount):
            if isinstance(rule, ShippingSaved):
                shipping += rule.saving_at(counted)
            elif terms.floor_of(rule) is not None:
                return None, counted, given
            elif rule.stackable:
                stackable.append(rule)
            else:
                amount = _saving_at(rule, counted, terms)
                if amount > room:
                    amount = room
                if amount > taken:
                    taken = amount
    for rule in stackable:
        amount = _saving_at(rule, counted, terms)
        taken += amount if amount < room - taken else room - taken
    return item_saving + gifted + taken + shipping, counted, given


def _saving_at(rule: SpendDiscount, counted: int, terms: Terms) -> int:
    """``rule.saving_at(counted)``, read from running maxima over its steps with one bisection (its steps rise by
    threshold, as validated): the reached step that saves the most takes the larger of the reached amounts off
    (at most ``counted``) and the largest reached percentage of ``counted``. Built once a quote (``terms``)."""
    if isinstance(rule, ShippingSaved):
        return rule.saving_at(counted)
    key = ("spend", id(rule))
    found = terms._counted.get(key)
    if found is None or found[0] is not rule:
        thresholds, amounts, percents = [], [0], [0]
        for step in rule.steps:
            thresholds.append(step.threshold)
            amounts.append(max(amounts[-1], step.amount_off or 0))
            percents.append(max(percents[-1], step.percent_bp or 0))
        found = terms._counted[key] = (rule, thresholds, amounts, percents)
    reached = bisect_right(found[1], counted)
    if not reached:
        return 0
    amount = found[2][reached]
    if amount > counted:
        amount = counted
    percent = found[3][reached]
    if not percent:  # amounts off only
        return amount
    percent = percent_of(counted, percent)
    return amount if amount > percent else percent


def _give(rule: FreeGift, rows: dict[str, list[Run]], products: Mapping, left: int, present=None) -> Booking | None:
    """One unit of the gift at no charge, if the gift is in the cart and in stock and its condition holds
    (``left``: the price left on every unit of the cart; ``present``: the cart's products, when ``rows`` holds
    only some of them)."""
    gift = rule.gift_product_id
    product = products.get(gift)
    row = rows.get(gift)
    if product is None or not product.in_stock or not row:
        return None
    without_gift = left - sum(run.unit_left * run.count for run in row)
    if not rule.earned(without_gift, rows.keys() if present is None else present):
        return None
    for index, run in enumerate(row):  # the first unit (most expensive first) with a price left
        if run.unit_left > 0:
            amount = run.unit_left
            pieces = [run.changed(count=1, unit_left=0)]
            if run.count > 1:
                pieces.append(run.changed(count=run.count - 1))
            row[index:index + 1] = pieces
            return Booking(rule, 1, amount, None, {gift: [1, amount]})
    return None


def _unit_room(rule: Rule, run: Run, terms: Terms) -> int:
    """One unit's headroom under ``rule``: its price left above the strictest floor of the rule and earlier ones."""
    if run.locked:
        return 0
    cost = terms.costs.get(run.product_id)
    rule_floor = terms.floor_of(rule)
    floor_bp = run.floor_bp if rule_floor is None else (rule_floor if run.floor_bp is None else max(run.floor_bp, rule_floor))
    if cost is None or floor_bp is None:
        return run.unit_left
    return max(0, run.unit_left - unit_floor(cost, floor_bp))


def _headroom(rule: Rule, rows: Mapping[str, Sequence[Run]], terms: Terms) -> int:
    """What ``rule`` may take off at most: :func:`_unit_room` over every unit (a product without a cost has no
    floor, so its unlocked units' price left)."""
    room = 0
    costs = terms.costs
    for pid, row in rows.items():
        if costs.get(pid) is None:
            for run in row:
                if not run.locked:
                    room += run.unit_left * run.count
        else:
            for run in row:
                room += _unit_room(rule, run, terms) * run.count
    return room


def _spread(rule: Rule, rows: dict[str, list[Run]], amount: int, terms: Terms,
            own: dict[int, Run] | None = None) -> Booking | None:
    """Write ``amount``, held to the headroom (:func:`_headroom`), over the units no exclusive rule used, as every
    rule's saving is spread: groups of alike units in unit order, in proportion to their headroom, evenly within
    a group (the first units one minor unit more); ``None`` when there is no headroom. ``rows`` are
    :func:`price_order`'s own: changed in place. ``own`` holds the runs earlier spreads of the same rows built, by
    id (no one else holds them): such a run is changed in place, and the runs built here are added."""
    if own is None:
        own = {}
    rule_floor = terms.floor_of(rule)
    costs = terms.costs
    # The groups of alike units, in unit order: a row of one run (most rows) is its (product, position, run), a
    # group of several runs a list of those.
    members: list = []
    rooms: list[int] = []
    counts: list[int] = []
    room = 0  # _headroom(rule, rows, terms), read in the same pass
    for pid in sorted(rows):
        cost = costs.get(pid)
        row = rows[pid]
        if len(row) == 1:  # one run (most rows): a group of its own, unless an exclusive rule used it
            run = row[0]
            if run.locked:
                continue
            per_unit = run.unit_left
            if cost is not None:
                floor_bp = run.floor_bp if rule_floor is None else (
                    rule_floor if run.floor_bp is None else max(run.floor_bp, rule_floor))
                if floor_bp is not None:
                    per_unit = max(0, per_unit - unit_floor(cost, floor_bp))
            members.append((pid, 0, run))
            units = run.count
            rooms.append(per_unit * units)
            counts.append(units)
            room += per_unit * units
            continue
        last = None  # alike units are of one product: a group never spans two rows
        for index, run in enumerate(row):
            if run.locked:
                continue
            per_unit = run.unit_left  # one unit's headroom, as _unit_room reads it
            if cost is not None:
                floor_bp = run.floor_bp if rule_floor is None else (
                    rule_floor if run.floor_bp is None else max(run.floor_bp, rule_floor))
                if floor_bp is not None:
                    per_unit = max(0, per_unit - unit_floor(cost, floor_bp))
            if last is not None and run.unit_left == last.unit_left and run.product_id == last.product_id and \
                    run.price == last.price and run.floor_bp == last.floor_bp:  # alike (neither is locked)
                group = members[-1]
                if type(group) is tuple:
                    group = members[-1] = [group]
                group.append((pid, index, run))
                rooms[-1] += per_unit * run.count
                counts[-1] += run.count
            else:
                members.append((pid, index, run))
                rooms.append(per_unit * run.count)
                counts.append(run.count)
            room += per_unit * run.count
            last = run
    if amount > room:
        amount = room
    if amount <= 0:
        return None
    booking = Booking(rule, 1, amount, None)
    quantities, shares = booking.quantities, booking.shares
    split: dict[str, dict[int, list[Run]]] = {}  # runs cut in two pieces: their rows are rebuilt at the end
    written_pid = None  # the product being written (a product's units are consecutive), its quantity and share
    written_units = written_share = 0
    # money.allocate(amount, rooms), inlined: 0 < amount <= room, the sum of the rooms
    twice_total, twice_sum = 2 * amount, 2 * room
    running = allocated = 0
    for group, count, weight in zip(members, counts, rooms):
        running += weight
        upto = (twice_total * running + room) // twice_sum
        share = upto - allocated
        allocated = upto
        if share == 0:
            continue
        base, extra = divmod(share, count)
        if type(group) is tuple:  # one run: its ``extra`` first units carry one more, the rest ``base``
            pid, index, run = group
            floor_bp = run.floor_bp
            raised = floor_bp if rule_floor is None else (
                rule_floor if floor_bp is None else (floor_bp if floor_bp > rule_floor else rule_floor))
            if extra:
                pieces = [Run(pid, run.price, extra, run.unit_left - base - 1, raised, run.locked, run.owner),
                          Run(pid, run.price, count - extra, run.unit_left - base, raised if base else floor_bp,
                              run.locked, run.owner)]
                split.setdefault(pid, {})[index] = pieces
                own[id(pieces[0])] = pieces[0]
                own[id(pieces[1])] = pieces[1]
            elif own.get(id(run)) is run:
                run.unit_left -= base
                run.floor_bp = raised
            else:
                new = rows[pid][index] = Run(pid, run.price, count, run.unit_left - base, raised, run.locked,
                                             run.owner)
                own[id(new)] = new
            if pid != written_pid:
                if written_pid is not None:
                    quantities[written_pid], shares[written_pid] = written_units, written_share
                written_pid, written_units, written_share = pid, count, share
            else:
                written_units += count
                written_share += share
            continue
        for pid, index, run in group:
            units = run.count
            heavier = extra if extra < units else units
            extra -= heavier
            floor_bp = run.floor_bp
            raised = floor_bp if rule_floor is None else (
                rule_floor if floor_bp is None else (floor_bp if floor_bp > rule_floor else rule_floor))
            if heavier and heavier < units:
                pieces = [Run(pid, run.price, heavier, run.unit_left - base - 1, raised, run.locked, run.owner),
                          Run(pid, run.price, units - heavier, run.unit_left - base, raised if base else floor_bp,
                              run.locked, run.owner)]
                split.setdefault(pid, {})[index] = pieces
                own[id(pieces[0])] = pieces[0]
                own[id(pieces[1])] = pieces[1]
            elif heavier or base:
                cut = base + 1 if heavier else base
                if own.get(id(run)) is run:
                    run.unit_left -= cut
                    run.floor_bp = raised
                else:
                    new = rows[pid][index] = Run(pid, run.price, units, run.unit_left - cut, raised, run.locked,
                                                 run.owner)
                    own[id(new)] = new
            cut = heavier * (base + 1) + (units - heavier) * base
            if pid != written_pid:
                if written_pid is not None:
                    quantities[written_pid], shares[written_pid] = written_units, written_share
                written_pid, written_units, written_share = pid, units, cut
            else:
                written_units += units
                written_share += cut
    if written_pid is not None:
        quantities[written_pid], shares[written_pid] = written_units, written_share
    for pid, pieces_at in split.items():
        rebuilt = []
        for index, run in enumerate(rows[pid]):
            pieces = pieces_at.get(index)
            if pieces is None:
                rebuilt.append(run)
            else:
                rebuilt.extend(pieces)
        rows[pid] = rebuilt
    return booking


def _one_unit_rows(rows: Mapping[str, Sequence[Run]], terms: Terms) -> bool:
    """Whether every row is one run of one unit of a product without a cost (a cart of single units, most often):
    spreading a discount there never splits a run, and a unit's headroom is its price left."""
    costs = terms.costs
    for pid, row in rows.items():
        if len(row) != 1 or row[0].count != 1 or costs.get(pid) is not None:
            return False
    return True


def _spread_one_units(spreads: Sequence[tuple[Rule, int]], rows: dict[str, list[Run]],
                      terms: Terms) -> list[Booking | None]:
    """:func:`_spread` of each ``(rule, amount)`` in turn, on rows that are each one unit of a product without a
    cost (:func:`_one_unit_rows`), read in one pass: each unit not locked is a group of its own, whose headroom
    is its price left, so each spread's shares are allocated over the prices the earlier ones left, and every
    row changed is rebuilt once at the end (one run: the price left, the strictest floor of the spreads that
    took something off it). ``rows`` are :func:`price_order`'s own: changed in place."""
    pids = [pid for pid in sorted(rows) if not rows[pid][0].locked]
    lefts = [rows[pid][0].unit_left for pid in pids]
    floors: list = [rows[pid][0].floor_bp for pid in pids]
    changed = [False] * len(pids)
    room = sum(lefts)
    found: list[Booking | None] = []
    for rule, amount in spreads:
        if amount > room:
            amount = room
        if amount <= 0:
            found.append(None)
            continue
        booking = Booking(rule, 1, amount, None)
        quantities, shares = booking.quantities, booking.shares
        rule_floor = terms.floor_of(rule)
        twice_total, twice_sum = 2 * amount, 2 * room  # money.allocate(amount, lefts), inlined
        running = allocated = 0
        for position, left in enumerate(lefts):
            running += left
            upto = (twice_total * running + room) // twice_sum
            share = upto - allocated
            if share:
                allocated = upto
                lefts[position] = left - share
                pid = pids[position]
                quantities[pid] = 1
                shares[pid] = share
                changed[position] = True
                if rule_floor is not None:
                    floor_bp = floors[position]
                    if floor_bp is None or floor_bp < rule_floor:
                        floors[position] = rule_floor
        room -= amount
        found.append(booking)
    for position, pid in enumerate(pids):
        if changed[position]:
            row = rows[pid]  # price_order's own copy of the row
            run = row[0]
            row[0] = Run(pid, run.price, 1, lefts[position], floors[position], run.locked, run.owner)
    return found


# -- giving up item discounts to reach a threshold -------------------------------------------------------------

@dataclass
class _Option:
    loss: int  #: item saving given up against the group's chosen allocation
    priced: Priced


#: Stackable or exclusive item rules whose every subset the order rules may give up (see below): at most
#: 2**3 - 1 more searches; with more such rules, each alone and all together.
MAX_GIVEN_UP = 3
#: With more droppable item rules than this, only all of them at once are given up: each alone would price the
#: cart once per rule (a hundred overlapping stackable bundles, a hundred pricings).
MAX_EACH_ALONE = 8
#: Above this work (runs of units times item rules, about one pricing of the cart), only one more search is made:
#: every such rule given up at once. A long cart under many rules is searched twice, never eight times.
GIVE_UP_WORK = 1_000


def best_with_order_rules(rows: Mapping[str, Sequence[Run]], item_rules: Sequence[Rule], order_live: Sequence[Rule],
                          terms: Terms, products: Mapping, cache: dict | None = None,
                          found_groups: list[tuple[set[str], list[Rule]]] | None = None) -> OrderPriced:
    """The item allocation and order rules that save the most together: the candidates of :func:`_best_candidate`,
    and the same without some of the stackable or exclusive item rules when that may save more
    (``docs/engine.md``, "Order rules"): a stackable rule's saving may take the order below a spend step or gift
    threshold it would reach without it, and an exclusive rule's units take no spend
    discount. Each is tried only when it may help, and the best total stands (ties keep every rule).
    ``found_groups``: :func:`.allocation.groups` of ``rows`` and ``item_rules``, when the caller has them."""
    if not item_rules:  # no item saving to give up or switch: the order rules on the cart's own units
        return price_order(rows, [], order_live, terms, products)
    priced = _best_candidate(rows, item_rules, order_live, terms, products, cache, found_groups)
    subtotal = sum([run.price * run.count for row in rows.values() for run in row])
    # Any threshold the order can reach, not only those ahead of the chosen candidate: it may have reached one by
    # giving up item rules that a stackable rule, given up instead, would let it keep.
    ahead = any(step.threshold <= subtotal
                for rule in order_live if isinstance(rule, SpendDiscount) for step in rule.steps) or any(
        isinstance(rule, FreeGift) and rule.threshold is not None and rule.threshold <= subtotal for rule in order_live)
    spend = any(isinstance(rule, SpendDiscount) and not isinstance(rule, ShippingSaved) for rule in order_live)
    # A stackable rule ahead of another may leave it less to take (stacked_ahead): given up where that saves more.
    stacked = {rule.id for rule in stacked_ahead(rows, item_rules, terms)} if not ahead else set()
    # Not only the rules applied: a stackable rule may apply only once another rule is given up (menus, 2.).
    droppable = [rule for rule in item_rules
                 if (rule.stackable and (ahead or rule.id in stacked)) or (rule.exclusive and spend)]
    if not droppable:
        return priced
    work = sum(len(row) for row in rows.values()) * len(item_rules)
    # Droppable only as stackable rules ahead of others (no threshold within reach, no exclusive rule with a spend
    # discount): past every subset of up to MAX_GIVEN_UP, all at once only, so they cost at most 7 more pricings.
    stacked_only = not ahead and not any(rule.exclusive and spend for rule in droppable)
    if work > GIVE_UP_WORK or len(droppable) > (MAX_GIVEN_UP if stacked_only else MAX_EACH_ALONE):
        subsets = [tuple(droppable)]
    else:
        subsets = _subsets(droppable)
    for subset in subsets:
        given_up = {rule.id for rule in subset}
        kept = [rule for rule in item_rules if rule.id not in given_up]
        if _total_bound(rows, order_live, subtotal, _item_saving_bound(rows, kept, terms)) <= priced.weight:
            continue  # even at the most it could save, it does not beat the candidate in hand (ties keep it)
        other = _best_candidate(rows, kept, order_live, terms, products, cache)
        if other.weight > priced.weight:
            priced = other
    return priced



def stacked_ahead(rows: Mapping[str, Sequence[Run]], item_rules: Sequence[Rule], terms: Terms) -> list[Rule]:
    """The stackable rules of ``item_rules`` (in order of importance) that touch a cart product a later stackable
    rule touches too (``docs/engine.md``, "A stackable rule is given up where that saves more"): by emptying
    some units, one can move a later stackable bundle's price onto others, out of a later rule's reach, so the
    order is also priced with them given up."""
    seen: list[tuple[Rule, set[str]]] = []
    ahead: set[str] = set()
    for rule in item_rules:
        if not rule.stackable:
            continue
        if isinstance(rule, FixedBundle):
            touched = {item.product_id for item in rule.items if item.product_id in rows}
        else:
            touched = set(terms.counted(rule, rows))
        for earlier, theirs in seen:
            if earlier.id not in ahead and not theirs.isdisjoint(touched):
                ahead.add(earlier.id)
        seen.append((rule, touched))
    return [rule for rule, _ in seen if rule.id in ahead]


def _total_bound(rows: Mapping[str, Sequence[Run]], order_rules: Sequence[Rule], subtotal: int,
                 item_most: float) -> float:
    """The most an order could save in all when its item rules save at most ``item_most``: its item and gift
    saving ``x`` is at most that plus the gifts' (each gift rule the dearest unit of its product not given by
    another), and its spend discounts take at most :func:`_spend_at` of the counted amount ``subtotal - x`` (no
    headroom limit). Read at the largest ``x``, and where the counted amount is just a spend threshold (below
    it, a step is lost; between two, ``x`` plus what the spend discounts take only grows with ``x`` where their
    percentages add up to at most 100%, and where they add up to more the end of the interval already reads the
    subtotal or more). Never more than the subtotal (nothing is sold below nothing) plus the shipping fee weighed,
    if any (a :class:`ShippingSaved`, read here as a stackable spend discount)."""
    per_product: dict[str, int] = {}
    for rule in order_rules:
        if isinstance(rule, FreeGift) and rule.gift_product_id in rows:
            per_product[rule.gift_product_id] = per_product.get(rule.gift_product_id, 0) + 1
    gifts = 0
    for pid, count in per_product.items():
        prices = sorted((run.price for run in rows[pid] for _ in range(min(run.count, count))), reverse=True)
        gifts += sum(prices[:count])
    spend_at = _spend_at(order_rules)
    largest = item_most + gifts
    most = largest + spend_at(max(0, ceil(subtotal - largest)))  # the counted amount is whole: at least this
    rounding = 0  # a percentage's rounding may add a unit within an interval: one per spend discount
    for rule in order_rules:
        if isinstance(rule, SpendDiscount):
            rounding += 1
            for step in rule.steps:
                at = subtotal - step.threshold  # the order counts the threshold exactly
                if 0 <= at <= largest:
                    most = max(most, at + spend_at(step.threshold))
    # Never more than the subtotal (nothing is sold below nothing), plus the shipping fee it may save.
    return min(most + rounding, subtotal + sum(rule.shipping.fee for rule in order_rules
                                                if isinstance(rule, ShippingSaved)))


def _item_saving_bound(rows: Mapping[str, Sequence[Run]], item_rules: Sequence[Rule], terms: Terms) -> float:
    """An upper bound on what any allocation of ``item_rules`` saves on ``rows``: each unit's list price at the
    best rate of a non-stackable rule that may take it plus the rates of the stackable ones (at most all of it),
    and a unit for each rule's rounding. A rule's rate is the most it saves per yen of the units it takes (as the
    search reads it: a percentage or top tier; an amount off over its cheapest set, a fixed price one less the
    price over its dearest set; a buy-X-get-Y's amount off all of it)."""
    alone: dict[str, float] = {}
    stacked: dict[str, float] = {}
    for rule in item_rules:
        if isinstance(rule, FixedBundle):
            members = [item.product_id for item in rule.items if item.product_id in rows]
            if len(members) < len(rule.items):
                continue  # it never forms a set
            if rule.mode is PricingMode.PERCENT_OFF:
                rate = rule.value / 10_000
            elif rule.mode is PricingMode.AMOUNT_OFF:
                cheapest = sum(item.quantity * min(run.price for run in rows[item.product_id]) for item in rule.items)
                rate = 1.0 if cheapest <= rule.value else rule.value / cheapest
            else:
                dearest = sum(item.quantity * max(run.price for run in rows[item.product_id]) for item in rule.items)
                rate = 0.0 if dearest <= rule.value else 1.0 - rule.value / dearest
        else:
            members = terms.counted(rule, rows)
            if isinstance(rule, BuyXGetY):
                rate = rule.value / 10_000 if rule.mode is PricingMode.PERCENT_OFF else 1.0
            else:
                rate = max(tier.percent_bp for tier in rule.tiers) / 10_000
        into = stacked if rule.stackable else alone
        for pid in members:
            if rule.stackable:
                into[pid] = into.get(pid, 0.0) + rate
            elif rate > into.get(pid, 0.0):
                into[pid] = rate
    most = float(len(item_rules))  # rounding: half a unit at most per rule's saving, counted as one
    for pid in alone.keys() | stacked.keys():
        rate = alone.get(pid, 0.0) + stacked.get(pid, 0.0)
        row = rows[pid]
        value = row[0].price * row[0].count if len(row) == 1 else sum([run.price * run.count for run in row])
        most += (rate if rate < 1.0 else 1.0) * value
    return most * (1 + 1e-9)


def _best_candidate(rows: Mapping[str, Sequence[Run]], item_rules: Sequence[Rule], order_rules: Sequence[Rule],
                    terms: Terms, products: Mapping, cache: dict | None = None,
                    found_groups: list[tuple[set[str], list[Rule]]] | None = None) -> OrderPriced:
    """The item allocation and order rules that save the most together (``docs/engine.md``, "Order rules").

    Candidates: the item rules' own best allocation, and for each spend or gift threshold between what that
    allocation leaves and the subtotal, the allocation that gives up the least item saving to reach it, each
    group of item rules taking one allocation from its menu. The candidate with the largest discount total
    stands; ties go to the one with more item discount (the item rules' own first).
    """
    grouped = groups(rows, item_rules, terms) if found_groups is None else found_groups  # the menus read them too
    base = best_allocation(rows, item_rules, terms, cache=cache, found_groups=grouped)
    if not order_rules:
        return price_order(base.runs, base.bookings, order_rules, terms, products)
    item_saving = base.saving
    tallies = {pid: _tally(row, terms) for pid, row in base.runs.items()}
    whole = _sum_tallies(tallies.values())
    counted = whole[0]  # before gifts
    # The first candidate's total, and its counted amount after gifts; its shares are written at the end, once
    # no other candidate beats it (at once where a margin floor may bind: then only price_order knows its total).
    most, after_gifts = _order_saving(base.runs, whole, item_saving, order_rules, terms, products)
    best = None
    if most is None:
        best = price_order(base.runs, base.bookings, order_rules, terms, products)
        most = best.weight
    # the best candidate, shares not written yet: its runs, bookings and tallies
    unpriced = (base.runs, base.bookings, whole) if best is None else None
    needs = set()
    # Spend steps count the order after the gifts given, or after fewer where some are declined: with every gift,
    # with none, and with each subset of them declined (declining one may earn another).
    amounts = {after_gifts, counted}
    declinable = _declinable(base.runs, order_rules, ()) if after_gifts != counted else ()
    if len(declinable) > 1:
        for subset in _subsets(declinable):
            if len(subset) < len(declinable):
                amounts.add(_weigh(base.runs, whole, item_saving, [rule for rule in order_rules if rule not in subset],
                                   terms, products)[1])
    for rule in order_rules:
        if isinstance(rule, SpendDiscount):
            needs |= {step.threshold - amount for step in rule.steps for amount in amounts}
        elif rule.threshold is not None:  # a gift's own threshold counts the order without the gift's product
            gift_value = tallies[rule.gift_product_id][0] if rule.gift_product_id in tallies else 0
            needs.add(rule.threshold - (counted - gift_value))
    needs = sorted(need for need in needs if 0 < need <= item_saving)
    # No step ahead, or none worth the item saving it costs, or nothing to give up: the first candidate stands.
    if needs and _worth_trying(rows, item_saving, counted, needs[0], order_rules, products, most):
        menus = _menus(rows, grouped, terms, cache, _savings_by_rule(base.bookings))  # built as combined
        best, unpriced = _switched(base, tallies, whole, item_saving, needs, menus, item_rules, order_rules,
                                   terms, products, most, best, unpriced)
    if best is None or unpriced is not None:
        runs, bookings, tallied = unpriced
        best = price_order(runs, bookings, order_rules, terms, products, whole=tallied)
    return best


def _switched(base: Priced, tallies: Mapping[str, tuple[int, int, int]], whole: tuple[int, int, int],
              item_saving: int, needs: list[int], menus: Iterator[tuple[list[Rule], list[_Option]]],
              item_rules: Sequence[Rule], order_rules: Sequence[Rule], terms: Terms, products: Mapping, most: int,
              best: OrderPriced | None, unpriced: tuple | None) -> tuple[OrderPriced | None, tuple | None]:
    """The candidates that switch groups to their menus' options, against the first (total ``most``; ``best``
    when priced, else its ``unpriced`` runs, bookings and tallies): the best candidate, priced or as runs,
    bookings and the :func:`_sum_tallies` of its runs.

    A candidate is read from the first's :func:`_tally` s with only its switched products' rows counted again;
    its item saving is the first's less what its switched groups give up."""
    counted = whole[0]
    taken: list[tuple[list[Rule], list[_Option]]] = []  # the menus combining reached, in order
    parents = _combine(menus, needs[-1], taken)
    menus = taken
    order = booking_order(item_rules)

    def bookings_of(found: int) -> list[Booking]:
        """The item bookings of the candidate giving up ``found``: the first's, the switched groups' replaced."""
        picks = _picks(parents, found)
        dropped = {rule.id for group_index, _ in picks for rule in menus[group_index][0]}
        bookings = [booking for booking in base.bookings if booking.rule.id not in dropped]
        bookings += [booking for group_index, option_index in picks
                     for booking in menus[group_index][1][option_index].priced.bookings]
        bookings.sort(key=order)
        return bookings

    reachable = sorted(parents)
    losses = {reachable[index] for index in (bisect_left(reachable, need) for need in needs) if index < len(reachable)}
    # What a candidate could save at most: its item saving, every gift's dearest unit, the spend steps at its
    # counted amount. Candidates are priced from the highest bound, until none left can beat the best found.
    gifts = sum(max((run.price for run in base.runs.get(rule.gift_product_id, ())), default=0)
                for rule in order_rules if isinstance(rule, FreeGift))
    spend_at = _spend_at(order_rules)
    bounds = {loss: item_saving - loss + gifts + spend_at(counted + loss) for loss in losses}
    ranked = sorted(losses, key=lambda loss: (-bounds[loss], loss))[:MAX_CANDIDATES]
    best_loss = 0  # what the best candidate so far gives up: the item rules' own allocation wins every tie
    exact = None  # the best candidate so far when its total was read without writing shares: its runs, tallies
    changes: dict[tuple[int, int], tuple[int, int, int]] = {}  # a pick -> what it changes in the tallies
    for found in ranked:
        if bounds[found] < most:
            break
        runs = dict(base.runs)  # rows are only read (price_order copies them): the switched groups' replace them
        left, room, floored = whole
        for pick in _picks(parents, found):
            priced = menus[pick[0]][1][pick[1]].priced
            runs.update(priced.runs)
            change = changes.get(pick)
            if change is None:  # the switched products' rows counted again, once for every candidate taking it
                more_left = more_room = more_floored = 0
                for pid, row in priced.runs.items():
                    after, before = _tally(row, terms), tallies[pid]
                    more_left += after[0] - before[0]
                    more_room += after[1] - before[1]
                    more_floored += after[2] - before[2]
                change = changes[pick] = (more_left, more_room, more_floored)
            left, room, floored = left + change[0], room + change[1], floored + change[2]
        saving, _ = _order_saving(runs, (left, room, floored), item_saving - found, order_rules, terms, products)
        if saving is not None and (saving < most or (saving == most and found > best_loss)):
            continue  # priced without writing shares: it does not beat the best
        if saving is not None:  # exact already: its bookings and shares are written only if it stays the best
            most, best_loss, exact = saving, found, (runs, (left, room, floored))
            continue
        candidate = price_order(runs, bookings_of(found), order_rules, terms, products)
        if candidate.weight > most or (candidate.weight == most and found < best_loss):
            best, most, best_loss, exact, unpriced = candidate, candidate.weight, found, None, None  # ties: less given up
    if exact is not None:
        unpriced = (exact[0], bookings_of(best_loss), exact[1])
    return best, unpriced


def _worth_trying(rows: Mapping[str, Sequence[Run]], item_saving: int, counted: int, least: int,
                  order_rules: Sequence[Rule], products: Mapping, to_beat: int) -> bool:
    """Whether a candidate giving up ``least`` or more of the item saving could save more than ``to_beat``.

    A candidate giving up ``L`` (at most ``item_saving``) keeps ``item_saving - L`` and counts ``counted + L``
    before gifts, so its gifts save at most the dearest units of their products whose condition holds there, and
    its spend discounts at most what they take there with no headroom limit. Between two thresholds (spend
    steps', gifts') nothing new is reached: the interval ``[a, b]`` of ``L`` saves at most ``item_saving - a``
    plus those rewards at ``counted + b`` (they never drop as the order grows). Intervals are read from the
    least loss up, until even the rewards at the subtotal cannot make up for the loss.
    """
    cuts = set()
    for rule in order_rules:
        if isinstance(rule, SpendDiscount):
            cuts.update(step.threshold - counted for step in rule.steps)
        elif rule.threshold is not None:
            cuts.add(rule.threshold - counted)
    spend_at = _spend_at(order_rules)
    gift_rules = [rule for rule in order_rules if isinstance(rule, FreeGift) and rows.get(rule.gift_product_id)
                  and products.get(rule.gift_product_id) is not None and products[rule.gift_product_id].in_stock]
    present = rows.keys()

    def rewards(at: int) -> int:
        stacked = spend_at(at)
        given: dict[str, int] = {}
        for rule in gift_rules:  # each gift rule of a product takes another unit of it
            if rule.earned(at, present):
                given[rule.gift_product_id] = given.get(rule.gift_product_id, 0) + 1
        for pid, gifts in given.items():
            prices = sorted((run.price for run in rows[pid] for _ in range(min(run.count, gifts))), reverse=True)
            stacked += sum(prices[:gifts])
        return stacked

    most = rewards(counted + item_saving)  # what a candidate giving every item saving up could get at most
    starts = sorted(cut for cut in cuts if least < cut <= item_saving)
    for low, high in zip([least] + starts, [cut - 1 for cut in starts] + [item_saving]):
        if item_saving - low + most <= to_beat:
            return False  # every interval from here keeps less item saving and has no more rewards
        if item_saving - low + rewards(counted + high) > to_beat:
            return True
    return False


def _spend_at(order_rules: Sequence[Rule]):
    """A function of the counted amount: the spend discounts' ``saving_at`` there with no headroom limit, the
    non-stackable one that saves the most plus every stackable one.

    A reached amount-off step takes its whole amount (it is at most its threshold) and percentages grow with
    the percent, so a rule's saving is the larger of its reached steps' largest amount and largest percentage:
    read from running maxima over its steps, with one bisection.
    """
    ladders = []  # per spend discount: its thresholds, and the most the steps reached by each take off
    for rule in order_rules:
        if isinstance(rule, SpendDiscount):
            thresholds, amounts, percents = [], [0], [0]
            for step in rule.steps:
                thresholds.append(step.threshold)
                amounts.append(max(amounts[-1], step.amount_off or 0))
                percents.append(max(percents[-1], step.percent_bp or 0))
            ladders.append((rule.stackable, thresholds, amounts, percents))

    def spend_at(at: int) -> int:
        taken = stacked = 0
        for stackable, thresholds, amounts, percents in ladders:
            reached = bisect_right(thresholds, at)
            saving = amounts[reached]
            percent = percents[reached]
            if percent:  # percent_of(at, percent) (no step reached, or amounts off only: 0)
                percent = percent_of(at, percent)
                if percent > saving:
                    saving = percent
            if stackable:
                stacked += saving
            elif saving > taken:
                taken = saving
        return taken + stacked

    return spend_at


def _savings_by_rule(bookings: Sequence[Booking]) -> dict[str, int]:
    found: dict[str, int] = {}
    for booking in bookings:
        found[booking.rule.id] = found.get(booking.rule.id, 0) + booking.amount
    return found


def _menus(rows: Mapping[str, Sequence[Run]], found_groups: list[tuple[set[str], list[Rule]]], terms: Terms,
           cache: dict | None, chosen_by_rule: Mapping[str, int]) -> Iterator[tuple[list[Rule], list[_Option]]]:
    """Per group of item rules (:func:`.allocation.groups`, with something to give up): its rules, and the
    allocations it may switch to. Each is built when asked for: combining may stop (its budget) before it needs
    the menus of later groups.

    ``chosen_by_rule`` is what each rule saves in the item rules' own allocation of the cart (each group's
    allocation is chosen on its own, so its saving there is the group's chosen saving)."""
    room = MENU_ALLOCATIONS
    for products, group_rules in found_groups:
        group_rows = {pid: rows[pid] for pid in products}
        key = ("menu", tuple([rule.id for rule in group_rules]))
        known = recall(cache, key, rows, products)
        if known is not None:  # (allocations it listed, its menu or None): the carts offers make share most groups
            listed, menu = known
            if listed <= room:
                room -= listed
                if menu is not None:
                    yield menu
                continue
        chosen = sum(chosen_by_rule.get(rule.id, 0) for rule in group_rules)
        if chosen <= 0:
            remember(cache, key, group_rows, (0, None))
            continue
        exclusive = [rule for rule in group_rules if not rule.stackable]
        exclusive.sort(key=step_of)  # as the search orders them: bundles, then buy-X-get-Y groups, then volumes
        stackable = [rule for rule in group_rules if rule.stackable]
        vectors = _every_allocation(exclusive, group_rows, terms, min(SMALL_MENU, room))
        listed = 0
        if vectors is None:  # too many to list: the group keeps its allocation or gives up all of its own rules
            vectors = [[0] * len(exclusive)]
        else:
            listed = len(vectors)
            room -= listed
            if not stackable and len(exclusive) == 1 and _more_sets_save_more(exclusive[0]):
                vectors = vectors[1:]  # the first allocation listed, the most sets, saves the most: nothing given up
        options: dict[int, _Option] = {}
        for choices in vectors:
            if stackable or any(choices):
                priced = apply(group_rows, exclusive, choices, stackable, terms)
            else:  # none of the group's rules: its units as they are (the cart's rows: options are only read)
                priced = Priced(group_rows, [])
            if priced.short:  # a buy X get Y given more groups than the units left can form: not an allocation
                continue
            loss = chosen - priced.saving
            if loss > 0 and loss not in options:  # vectors come largest first: the largest choices stand
                options[loss] = _Option(loss, priced)
        menu = (group_rules, sorted(options.values(), key=lambda option: option.loss)) if options else None
        if listed <= SMALL_MENU:
            remember(cache, key, group_rows, (listed, menu))
        if menu is not None:
            yield menu


def _more_sets_save_more(rule: Rule) -> bool:
    """A bundle whose saving never drops as it takes more sets (percent or amount off: more of the cart's first
    units, most expensive first, each adding price and headroom), so alone in its group its most sets are its
    chosen allocation's saving or more."""
    return isinstance(rule, FixedBundle) and rule.mode is not PricingMode.FIXED_PRICE


def _every_allocation(exclusive: Sequence[Rule], rows: Mapping[str, Sequence[Run]], terms: Terms,
                      most: int) -> list[list[int]] | None:
    """Every allocation of the group's non-stackable rules (sets that fit the free units and caps; buy-X-get-Y
    groups up to what the group's free units could form; volumes on or off), largest choices first, or ``None``
    when there are more than ``most``."""
    free = {pid: free_units(row) for pid, row in rows.items()}
    if _surely_more(exclusive, free, terms, most):
        return None
    found: list[list[int]] = []
    groups_of = any(isinstance(rule, BuyXGetY) for rule in exclusive)
    leaves = [0]

    def walk(index: int, free: dict[str, int], choices: list[int]) -> bool:
        if index == len(exclusive):
            if groups_of:  # the groups a buy X get Y can form depend on what the bundles left: try them
                leaves[0] += 1
                if leaves[0] > 4 * most:
                    return False
                if apply(rows, exclusive, choices, [], terms).short:
                    return True
            found.append(list(choices))
            return len(found) <= most
        rule = exclusive[index]
        if isinstance(rule, FixedBundle):
            for sets in range(terms.max_sets(rule, free), -1, -1):
                rest = dict(free)
                for item in rule.items:
                    rest[item.product_id] = rest.get(item.product_id, 0) - item.quantity * sets
                if not walk(index + 1, rest, choices + [sets]):
                    return False
            return True
        if isinstance(rule, BuyXGetY):  # up to what the group's free units form; a leaf checks what bundles left
            return all(walk(index + 1, free, choices + [count]) for count in range(most_groups(rule, rows, terms), -1, -1))
        return walk(index + 1, free, choices + [1]) and walk(index + 1, free, choices + [0])

    complete = walk(0, free, [])
    return found if complete else None


def _surely_more(exclusive: Sequence[Rule], free: Mapping[str, int], terms: Terms, most: int) -> bool:
    """Whether the group has more than ``most`` allocations, read without listing them: bundles with no product
    in common (the first of any that share one) each take any of their sets while the others take none, buy X
    get Y none, and each volume is on or off. Those allocations are all different and all fit, so there are at
    least as many as their product."""
    count = 1
    used: set[str] = set()
    for rule in exclusive:
        if isinstance(rule, FixedBundle):
            products = {item.product_id for item in rule.items}
            if used.isdisjoint(products):
                used |= products
                count *= terms.max_sets(rule, free) + 1
        elif not isinstance(rule, BuyXGetY):
            count *= 2
        if count > most:
            return True
    return False


def _combine(menus: Iterable[tuple[list[Rule], list[_Option]]], need: int,
             taken: list[tuple[list[Rule], list[_Option]]]) -> dict[int, tuple[int, int, int] | None]:
    """Losses reachable by switching some groups to an option of their menus, each with how it was first reached
    (the option's loss, which the sum extends by, the group, the option; see :func:`_picks`), the fewest switches
    first; partial sums at or past ``need`` are not extended. Stops adding sums after :data:`COMBINE_BUDGET`
    steps. The menus it reads are appended to ``taken`` (the groups of the picks index it); later ones are never
    built. Each (group, option) is one tuple, shared by every sum it reached first."""
    parents: dict[int, tuple[int, int, int] | None] = {0: None}
    open_ = [0]  # the sums below ``need``, in the order they were reached: only they are extended
    steps = 0
    for group_index, menu in enumerate(menus):
        taken.append(menu)
        losses = [option.loss for option in menu[1]]
        if len(losses) == 1:  # one option (a group of one bundle, often): one step per open sum
            todo = open_ if len(open_) <= COMBINE_BUDGET - steps else open_[:COMBINE_BUDGET - steps]
            steps += len(todo)
            option_loss = losses[0]
            link = (option_loss, group_index, 0)
            reached = []
            for loss in todo:
                total = loss + option_loss
                if total not in parents:
                    parents[total] = link
                    if total < need:
                        reached.append(total)
            if steps >= COMBINE_BUDGET:
                return parents
            open_ += reached
            continue
        links = [(option_loss, group_index, option_index) for option_index, option_loss in enumerate(losses)]
        reached = []
        for loss in open_:
            if steps + len(links) > COMBINE_BUDGET:  # the budget ends within this sum's options
                links = links[:COMBINE_BUDGET - steps]
            steps += len(links)
            for link in links:
                total = loss + link[0]
                if total not in parents:
                    parents[total] = link
                    if total < need:
                        reached.append(total)
            if steps >= COMBINE_BUDGET:
                return parents
        open_ += reached
    return parents


def _picks(parents: Mapping[int, tuple[int, int, int] | None], total: int) -> list[tuple[int, int]]:
    """The (group, option) pairs that first reached ``total`` in :func:`_combine`, in group order."""
    picks = []
    while parents[total] is not None:
        option_loss, group_index, option_index = parents[total]
        total -= option_loss
        picks.append((group_index, option_index))
    picks.reverse()
    return picks


# -- what the panel says: the ladder's next rewards, and earned gifts to add ----------------------------------------

def ladder(priced: OrderPriced, order_rules: Sequence[Rule], products: Mapping, locale: str | None,
           max_remaining: int | None = None) -> tuple:
    """The next reward of each order rule on the spend ladder, nearest first (see :class:`.values.Rung`).

    A spend rung is the first step ahead that would take more off than the order gets now (for a
    non-stackable rule, more than the non-stackable spend discount it gets); a gift rung needs the gift in
    stock and its products' condition met, so spending is all that is missing. With ``max_remaining``, a rung
    further away than that is left out (restraint, like the offers' ceiling).
    """
    from .values import Rung  # values imports rules; kept local so this module stays importable first

    counted = priced.counted
    booked = {booking.rule.id: booking.amount for booking in priced.bookings}
    alone = {rule.id for rule in order_rules if isinstance(rule, SpendDiscount) and not rule.stackable}
    chosen = max((amount for rule_id, amount in booked.items() if rule_id in alone), default=0)
    in_cart = None  # the products the order holds, read for a gift earned by products
    rungs = []
    for position, rule in enumerate(order_rules):
        if isinstance(rule, SpendDiscount):
            now = booked.get(rule.id, 0) if rule.stackable else chosen
            step = next((step for step in rule.steps if step.threshold > counted and step.saving_at(step.threshold) > now),
                        None)
            if step is not None:
                rungs.append((step.threshold - counted, position,
                              Rung("spend", rule.id, rule.label_for(locale), step.threshold, step.threshold - counted,
                                   step=step)))
        elif rule.threshold is not None and rule.id not in booked:
            product = products.get(rule.gift_product_id)
            if product is None or not product.in_stock:
                continue  # an out-of-stock gift is never promised
            if rule.trigger_product_ids:
                if in_cart is None:
                    in_cart = {pid for pid, row in priced.runs.items() if any(run.count for run in row)}
                if rule.trigger_product_ids.isdisjoint(in_cart):
                    continue
            without_gift = counted - priced.counted_by_product.get(rule.gift_product_id, 0)
            if without_gift < rule.threshold:
                rungs.append((rule.threshold - without_gift, position,
                              Rung("gift", rule.id, rule.label_for(locale), rule.threshold,
                                   rule.threshold - without_gift, product=product)))
    rungs.sort(key=lambda rung: rung[:2])
    return tuple(rung for remaining, _, rung in rungs if max_remaining is None or remaining <= max_remaining)


def gift_offers(cart, quote, order_rules: Sequence[Rule], products: Mapping, price_with,
                locale: str | None, max_added: int | None = None) -> list:
    """Earned gifts not in the cart yet, each priced by quoting the cart with one unit of it added.

    Only a gift in stock, whose cart gets the gift's discount, is offered (``kind`` ``"free_gift"``); then
    the gifts a product would earn (:func:`trigger_gift_offers`, within ``max_added``).
    """
    from .values import CartLine, Offer

    in_cart = {line.product_id for line in cart.lines}
    on_ladder = {rung.rule_id for rung in quote.ladder}
    offers = []
    offered = set()
    for rule in order_rules:
        if not isinstance(rule, FreeGift) or rule.id in on_ladder or rule.gift_product_id in offered:
            continue
        product = products.get(rule.gift_product_id)
        if product is None or not product.in_stock or product.id in in_cart:
            continue
        if rule.trigger_product_ids and rule.trigger_product_ids.isdisjoint(in_cart):
            continue
        after = price_with([(product, 1)])
        if after is None:  # the page quotes no more carts (a hard cart): the gifts found stand
            break
        saving = after.discount_total - quote.discount_total
        if saving <= 0 or not any(discount.rule_id == rule.id for discount in after.discounts):
            continue
        offered.add(product.id)
        offers.append(Offer(kind="free_gift", rule_id=rule.id, label=rule.label_for(locale),
                            add=(CartLine(product.id, 1, product.price),), added_price=product.price, saving=saving,
                            new_total=after.total, products=(product,)))
    offers += trigger_gift_offers(cart, quote, order_rules, products, price_with, locale, max_added, offered)
    return offers


# -- "Xを追加でノベルティプレゼント": a gift a product would earn ---------------------------------------------

#: Products of a gift's trigger list quoted at most, cheapest first, before the gift gets no nudge.
TRIGGER_CANDIDATES = 3
#: Carts quoted at most for these nudges per quote, over all gifts (most important first): bounded work.
TRIGGER_QUOTES = 8


def trigger_gift_offers(cart, quote, order_rules: Sequence[Rule], products: Mapping, price_with, locale: str | None,
                        max_added: int | None, offered: set[str]) -> list:
    """Gifts earned by products when the cart holds none of them: one unit of the cheapest such product (known,
    in stock, not in the cart, within ``max_added`` at list price), ``kind`` ``"gift_trigger"``.

    Offered only while the gift is in stock and when the cart with the product and the gift gets the gift's
    discount; the click adds the product alone, so ``saving`` and ``new_total`` are those of the cart with it.
    ``offered`` holds the gift products offered already (one nudge per gift product); it is updated.
    """
    from .values import CartLine, Offer

    in_cart = {line.product_id for line in cart.lines}
    offers = []
    budget = TRIGGER_QUOTES
    for rule in order_rules:
        if not isinstance(rule, FreeGift) or not rule.trigger_product_ids or rule.gift_product_id in offered:
            continue
        if not rule.trigger_product_ids.isdisjoint(in_cart):
            continue  # earned by the cart's products already: the ladder or the gift's own offer says the rest
        gift = products.get(rule.gift_product_id)
        if gift is None or not gift.in_stock:
            continue  # an out-of-stock gift is never promised
        candidates = sorted((products[pid] for pid in rule.trigger_product_ids if pid in products),
                            key=lambda product: (product.price, product.id))
        candidates = [product for product in candidates if product.in_stock and product.id not in in_cart
                      and (max_added is None or product.price <= max_added)][:TRIGGER_CANDIDATES]
        for product in candidates:
            if budget <= 0:
                return offers
            budget -= 2  # the promise's cart, then the click's
            promised = price_with([(product, 1), (gift, 1)])
            if promised is None:
                return offers
            if not any(discount.rule_id == rule.id for discount in promised.discounts):
                continue
            after = price_with([(product, 1)])
            if after is None:
                return offers
            saving = after.discount_total - quote.discount_total
            if saving < 0:
                continue  # never says "save" less than nothing
            offered.add(gift.id)
            offers.append(Offer(kind="gift_trigger", rule_id=rule.id, label=rule.label_for(locale),
                                add=(CartLine(product.id, 1, product.price),), added_price=product.price,
                                saving=saving, new_total=after.total, products=(product,)))
            break
    return offers
