"""Which rules take which cart units: the allocation that saves the shopper the most, stackable rules included.

The cart is a multiset of units. Each product's units stand in a row, most
expensive first, held as :class:`Run` s (units of one price that the same
rules touched). An allocation says how many sets each non-stackable bundle
forms and whether each non-stackable volume discount is on; :func:`apply`
prices one, and :func:`best_allocation` searches for the one that saves the
most, one independent group of rules at a time (see ``docs/engine.md``).

The search is a depth-first branch and bound over the non-stackable rules in
order of importance, trying the most sets first, so its first answer is the
greedy one, and an answer only gives way to a strictly better one (so among
equal savings the largest choice vector stands). :data:`SEARCH_BUDGET` bounds
the states one group of rules may visit: a group the budget cannot finish keeps
the best answer found, never worse than greedy.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .money import allocate, percent_of
from .rules import FixedBundle, PricingMode, Rule, VolumeDiscount, VolumeTier
from .savings import saving_of, unit_floor

#: Search states one group of rules may visit; past it, the best allocation found stands.
SEARCH_BUDGET = 400


@dataclass(frozen=True)
class Run:
    """``count`` alike units of one product at list price ``price``, each with ``unit_left`` still to pay.

    ``floor_bp`` is the strictest floor of the rules that discounted them;
    ``locked`` marks units an exclusive rule used; ``owner`` the
    non-stackable rule that took them (it does not change their price).
    """

    product_id: str
    price: int
    count: int
    unit_left: int
    floor_bp: int | None = None
    locked: bool = False
    owner: str | None = None

    @property
    def left(self) -> int:
        return self.unit_left * self.count

    def split(self, count: int) -> tuple[Run, Run]:
        """The first ``count`` units and the rest."""
        return self.changed(count=count), self.changed(count=self.count - count)

    def changed(self, *, count=None, unit_left=None, floor_bp=None, locked=None, owner=None) -> Run:
        """This run with some fields changed (``dataclasses.replace`` costs several times more on this hot path)."""
        return Run(self.product_id, self.price, self.count if count is None else count,
                   self.unit_left if unit_left is None else unit_left,
                   self.floor_bp if floor_bp is None else floor_bp,
                   self.locked if locked is None else locked,
                   self.owner if owner is None else owner)

    def alike_as(self, other: Run) -> bool:
        """Interchangeable for pricing: the same product, price, price left, floor and lock."""
        return (self.unit_left == other.unit_left and self.price == other.price and self.product_id == other.product_id
                and self.floor_bp == other.floor_bp and self.locked == other.locked)


@dataclass
class Booking:
    """One rule's discount in an allocation: its sets, amount, tier, and the units and shares it took."""

    rule: Rule
    applications: int
    amount: int
    tier: VolumeTier | None
    units: dict[str, list[int]] = field(default_factory=dict)  #: product id -> [quantity, share]


@dataclass
class Priced:
    """An allocation priced: the rows of runs left after every rule, and the bookings with a saving."""

    runs: dict[str, list[Run]]
    bookings: list[Booking]

    @property
    def saving(self) -> int:
        return sum(booking.amount for booking in self.bookings)


@dataclass(frozen=True)
class Terms:
    """What pricing a group needs besides its rules: costs, categories, cap limits, the shop-wide floor."""

    costs: Mapping[str, int | None]
    categories: Mapping[str, str | None]
    limits: Mapping[str, int | None]
    default_floor_bp: int | None = None
    _counted: dict[str, list[str]] = field(default_factory=dict, compare=False, repr=False)

    def floor_of(self, rule: Rule) -> int | None:
        return rule.margin_floor_bp if rule.margin_floor_bp is not None else self.default_floor_bp

    def counted(self, volume: VolumeDiscount, product_ids) -> list[str]:
        """The cart products ``volume`` counts (worked out once a quote: every caller passes the cart's products
        or a group of them that holds all the products the volume counts)."""
        found = self._counted.get(volume.id)
        if found is None:
            found = self._counted[volume.id] = [pid for pid in product_ids if volume.counts(pid, self.categories.get(pid))]
        return found

    def max_sets(self, bundle: FixedBundle, free: Mapping[str, int]) -> int:
        sets = min(free.get(item.product_id, 0) // item.quantity for item in bundle.items)
        limit = self.limits.get(bundle.id)
        return sets if limit is None else min(sets, limit)


def _raw_saving(rule: Rule, price: int, applications: int, tier: VolumeTier | None) -> int:
    if isinstance(rule, FixedBundle):
        return saving_of(rule.mode, rule.value, price, applications)
    return percent_of(price, tier.percent_bp) if tier else 0


def _book(rule: Rule, taken: list[tuple[int, str, int]], rows: dict[str, list[Run]], applications: int,
          tier: VolumeTier | None, terms: Terms) -> Booking | None:
    """Price ``rule`` on the runs ``taken`` ((position, product, count) refs into ``rows``) and write its shares.

    The saving is capped by the units' headroom and spread over the groups of alike units in unit order
    (products by id, most expensive first) in proportion to their headroom; within a group evenly, the
    first units carrying one more minor unit when the share does not divide.
    """
    refs = sorted(taken) if len(taken) > 1 else taken
    refs.sort(key=_by_product)  # unit order: products by id, then row position (a stable sort of sorted refs)
    groups: list[list[tuple[int, str, Run]]] = []
    last = None
    for index, pid, _ in refs:
        run = rows[pid][index]
        if last is not None and run.alike_as(last):
            groups[-1].append((index, pid, run))
        else:
            groups.append([(index, pid, run)])
        last = run
    rule_floor = terms.floor_of(rule)
    price = 0
    headroom = []
    counts = []
    for group in groups:
        first = group[0][2]
        count = first.count if len(group) == 1 else sum(run.count for _, _, run in group)
        counts.append(count)
        price += first.unit_left * count
        per_unit = first.unit_left
        cost = terms.costs.get(first.product_id)
        if cost is not None:
            floor_bp = first.floor_bp if rule_floor is None else (
                rule_floor if first.floor_bp is None else max(first.floor_bp, rule_floor))
            if floor_bp is not None:
                per_unit = max(0, per_unit - unit_floor(cost, floor_bp))
        headroom.append(per_unit * count)
    amount = min(_raw_saving(rule, price, applications, tier), sum(headroom))
    if amount <= 0 and not rule.exclusive:
        return None  # nothing to write: no unit's price, floor or lock changes
    shares = allocate(amount, headroom) if amount > 0 else [0] * len(groups)
    booking = Booking(rule, applications, amount, tier)
    split: dict[tuple[str, int], list[Run]] = {}
    locked = rule.exclusive
    for group, count, share in zip(groups, counts, shares):
        base, extra = divmod(share, count)
        for index, pid, run in group:
            if extra > 0:
                heavier = min(extra, run.count)
                extra -= heavier
                parts = [(heavier, base + 1)] + ([(run.count - heavier, base)] if run.count > heavier else [])
            else:
                parts = [(run.count, base)]
            pieces = []
            for units, cut in parts:
                floor_bp = run.floor_bp
                if cut > 0 and rule_floor is not None:
                    floor_bp = rule_floor if floor_bp is None else max(floor_bp, rule_floor)
                pieces.append(Run(pid, run.price, units, run.unit_left - cut, floor_bp, run.locked or locked, run.owner))
            if len(pieces) == 1:
                rows[pid][index] = pieces[0]
            else:
                split[pid, index] = pieces
            units_of = booking.units.get(pid)
            if units_of is None:
                units_of = booking.units[pid] = [0, 0]
            units_of[0] += run.count
            units_of[1] += sum(units * cut for units, cut in parts)
    for pid in {pid for pid, _ in split}:  # rows where a run split in two are rebuilt once
        rebuilt = []
        for index, run in enumerate(rows[pid]):
            rebuilt.extend(split.get((pid, index), (run,)))
        rows[pid] = rebuilt
    return booking if amount > 0 else None


def _by_product(ref: tuple[int, str, int]) -> str:
    return ref[1]


def _take(rows: dict[str, list[Run]], product_id: str, count: int, *, free_only: bool, owner: str | None) -> list:
    """Take the first ``count`` units of a product (free ones only, or any not locked), splitting a run if needed."""
    row = rows.get(product_id, [])
    taken = []
    index = 0
    while count > 0 and index < len(row):
        run = row[index]
        usable = (run.owner is None) if free_only else not run.locked
        if usable:
            if run.count > count:
                first, rest = run.split(count)
                row[index:index + 1] = [first, rest]
                run = first
            if owner is not None:
                row[index] = run.changed(owner=owner)
            taken.append((index, product_id, run.count))
            count -= run.count
        index += 1
    return taken


def apply(rows: Mapping[str, Sequence[Run]], exclusive_rules: Sequence[Rule], choices: Sequence[int],
          stackable_rules: Sequence[Rule], terms: Terms) -> Priced:
    """Price one allocation: ``choices[i]`` sets (or on/off) of ``exclusive_rules[i]``, then the stackable rules."""
    rows = {pid: list(row) for pid, row in rows.items()}
    bookings = []
    for rule, choice in zip(exclusive_rules, choices):
        if not choice:
            continue
        if isinstance(rule, FixedBundle):
            taken = [ref for item in rule.items
                     for ref in _take(rows, item.product_id, item.quantity * choice, free_only=True, owner=rule.id)]
            booking = _book(rule, taken, rows, choice, None, terms)
        else:
            taken = [ref for pid in terms.counted(rule, rows)
                     for ref in _take(rows, pid, _free(rows[pid]), free_only=True, owner=rule.id)]
            tier = rule.tier_for(sum(count for _, _, count in taken))
            booking = _book(rule, taken, rows, 1, tier, terms) if tier else None
        if booking:
            bookings.append(booking)
    for rule in stackable_rules:
        booking = _apply_stackable(rule, rows, terms)
        if booking:
            bookings.append(booking)
    return Priced(rows, bookings)


def _free(row: Sequence[Run]) -> int:
    return sum(run.count for run in row if run.owner is None)


def _unlocked(row: Sequence[Run]) -> int:
    return sum(run.count for run in row if not run.locked)


def _apply_stackable(rule: Rule, rows: dict[str, list[Run]], terms: Terms) -> Booking | None:
    if isinstance(rule, FixedBundle):
        sets = terms.max_sets(rule, {pid: _unlocked(row) for pid, row in rows.items()})
        if sets <= 0:
            return None
        taken = [ref for item in rule.items
                 for ref in _take(rows, item.product_id, item.quantity * sets, free_only=False, owner=None)]
        return _book(rule, taken, rows, sets, None, terms)
    assert isinstance(rule, VolumeDiscount)
    counted = terms.counted(rule, rows)
    tier = rule.tier_for(sum(_unlocked(rows[pid]) for pid in counted))
    if tier is None:
        return None
    taken = [ref for pid in counted for ref in _take(rows, pid, _unlocked(rows[pid]), free_only=False, owner=None)]
    return _book(rule, taken, rows, 1, tier, terms)


class _Search:
    """Dynamic programming, or branch and bound with stackable rules, over one group's non-stackable rules."""

    def __init__(self, rows, exclusive_rules, stackable_rules, terms, budget: list[int]):
        self.rows = rows
        self.rules = list(exclusive_rules)
        self.stackable = list(stackable_rules)
        self.terms = terms
        self.budget = budget
        self.prefix = _PrefixPrices(rows)
        self.headroom_prefix: dict[tuple[str, int], list[int]] = {}
        self.bound_after: list[int] = []
        self.stackable_bound = 0
        if self.stackable:  # only the branch and bound needs bounds
            bounds = [self._static_bound(rule) for rule in self.rules]
            self.bound_after = [sum(bounds[index:]) for index in range(len(bounds) + 1)]
            self.stackable_bound = sum(self._static_bound(rule) for rule in self.stackable)
        self.best_saving = -1
        self.best_choices: list[int] = []
        self.best_priced: Priced | None = None  #: the branch and bound's best leaf, priced already

    def _static_bound(self, rule: Rule) -> int:
        """The most ``rule`` could save on this cart, before floors: its most sets on the dearest units."""
        quantities = {pid: _free(row) for pid, row in self.rows.items()}
        if isinstance(rule, FixedBundle):
            sets = self.terms.max_sets(rule, quantities)
            if sets <= 0:
                return 0
            price = sum(self.prefix[item.product_id][item.quantity * sets] for item in rule.items)
            return price if rule.mode is PricingMode.FIXED_PRICE else saving_of(rule.mode, rule.value, price, sets)
        counted = self.terms.counted(rule, self.rows)
        tier = rule.tier_for(sum(quantities[pid] for pid in counted))
        top = rule.tiers[-1] if tier else None
        return percent_of(sum(self.prefix[pid][-1] for pid in counted), top.percent_bp) if top else 0

    def run(self) -> list[int]:
        free = {pid: _free(row) for pid, row in self.rows.items()}
        if not self.stackable and len(self.rules) == 1:
            return [self._best_alone(self.rules[0], free)]
        if not self.stackable:
            return self._best_without_stackable(free)
        self._visit(0, free, {pid: 0 for pid in self.rows}, 0, [])
        return self.best_choices

    def _best_without_stackable(self, free: dict[str, int]) -> list[int]:
        """Dynamic programming over (rule, free units): exact when the budget lasts, else greedy past it.

        Without stackable rules, what the rules from ``index`` on can save depends only on the units still
        free of the products those rules touch, so each such state is solved once. Most sets are tried
        first and only a strictly better answer replaces one, so ties keep the larger choices; once the
        budget is spent each new state takes the greedy choice, which keeps every answer at least as good
        as greedy.
        """
        slots = sorted(self.rows)
        totals = tuple(free[pid] for pid in slots)
        position = {pid: index for index, pid in enumerate(slots)}
        moves = []  # per rule: (slot, product, units per set) it takes; 0 units per set: all free (a volume)
        for rule in self.rules:
            if isinstance(rule, FixedBundle):
                moves.append([(position[item.product_id], item.product_id, item.quantity) for item in rule.items])
            else:
                moves.append([(position[pid], pid, 0) for pid in self.terms.counted(rule, self.rows)])
        relevant: list[tuple[int, ...]] = [()] * (len(self.rules) + 1)
        touched: set[int] = set()
        for index in range(len(self.rules) - 1, -1, -1):
            touched |= {slot for slot, _, _ in moves[index]}
            relevant[index] = tuple(sorted(touched))
        whole = [len(slots_left) == len(slots) for slots_left in relevant]  # every product still matters
        memo: dict[tuple, tuple[int, tuple[int, ...]]] = {}

        def solve(index: int, left: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
            if index == len(self.rules):
                return 0, ()
            key = (index, left) if whole[index] else (index, *(left[slot] for slot in relevant[index]))
            found = memo.get(key)
            if found is not None:
                return found
            self.budget[0] -= 1
            rule = self.rules[index]
            move = moves[index]
            best: tuple[int, tuple[int, ...]] | None = None
            if isinstance(rule, FixedBundle):
                most = min(left[slot] // quantity for slot, _, quantity in move)
                limit = self.terms.limits.get(rule.id)
                options = range(most if limit is None else min(most, limit), -1, -1)
            else:
                options = (1, 0)
            for choice in options:
                if best is not None and self.budget[0] <= 0:
                    break
                after = list(left)
                gain = 0
                if choice:
                    price = headroom = units = 0
                    floor_bp = self.terms.floor_of(rule)
                    for slot, pid, quantity in move:
                        count = quantity * choice if quantity else left[slot]
                        start = totals[slot] - left[slot]
                        part, room = self._units_value(pid, start, count, floor_bp)
                        price, headroom, units = price + part, headroom + room, units + count
                        after[slot] -= count
                    if isinstance(rule, FixedBundle):
                        gain = min(saving_of(rule.mode, rule.value, price, choice), headroom)
                    else:
                        tier = rule.tier_for(units)
                        gain = min(percent_of(price, tier.percent_bp), headroom) if tier else 0
                rest, choices = solve(index + 1, tuple(after))
                if best is None or gain + rest > best[0]:
                    best = (gain + rest, (choice, *choices))
            memo[key] = best
            return best

        return list(solve(0, totals)[1])

    def _best_alone(self, rule: Rule, free: Mapping[str, int]) -> int:
        """The choice for a rule with nothing to compete with: the sets that save the most (ties: more sets),
        or a volume discount on."""
        self.budget[0] -= 1
        if not isinstance(rule, FixedBundle):
            return 1
        used = {item.product_id: 0 for item in rule.items}
        best_sets, best_gain = 0, 0
        for sets in range(self.terms.max_sets(rule, free), 0, -1):
            gain = self._bundle_saving(rule, used, sets)
            if gain > best_gain:
                best_sets, best_gain = sets, gain
            elif best_sets == 0 and gain == best_gain:
                best_sets = max(best_sets, sets)
        return best_sets

    def _units_value(self, product_id: str, start: int, count: int, floor_bp: int | None) -> tuple[int, int]:
        """Price and headroom of fresh units ``start`` to ``start + count`` of a product under ``floor_bp``."""
        prefix = self.prefix[product_id]
        price = prefix[start + count] - prefix[start]
        cost = self.terms.costs.get(product_id)
        if cost is None or floor_bp is None:
            return price, price
        key = (product_id, floor_bp)
        rooms = self.headroom_prefix.get(key)
        if rooms is None:
            floor = unit_floor(cost, floor_bp)
            rooms = [0]
            for run in self.rows[product_id]:
                for _ in range(run.count):
                    rooms.append(rooms[-1] + max(0, run.price - floor))
            self.headroom_prefix[key] = rooms
        return price, rooms[start + count] - rooms[start]

    def _visit(self, index: int, free: dict[str, int], used: dict[str, int], saved: int, choices: list[int]) -> None:
        self.budget[0] -= 1
        if index == len(self.rules):
            priced = apply(self.rows, self.rules, choices, self.stackable, self.terms)
            if priced.saving > self.best_saving:
                self.best_saving, self.best_choices, self.best_priced = priced.saving, list(choices), priced
            return
        if self.best_saving >= 0:
            if self.budget[0] <= 0 or saved + self.bound_after[index] + self.stackable_bound <= self.best_saving:
                return
        rule = self.rules[index]
        if isinstance(rule, FixedBundle):
            for sets in range(self.terms.max_sets(rule, free), -1, -1):
                if self.best_saving >= 0 and self.budget[0] <= 0:
                    return
                gain = self._bundle_saving(rule, used, sets) if sets else 0
                taken = {item.product_id: item.quantity * sets for item in rule.items}
                self._visit(index + 1, _minus(free, taken), _plus(used, taken), saved + gain, choices + [sets])
        else:
            counted = [pid for pid in self.terms.counted(rule, self.rows) if free[pid]]
            taken = {pid: free[pid] for pid in counted}
            gain = self._volume_saving(rule, used, taken)
            self._visit(index + 1, _minus(free, taken), _plus(used, taken), saved + gain, choices + [1])
            if self.best_saving < 0 or self.budget[0] > 0:
                self._visit(index + 1, free, used, saved, choices + [0])

    def _fresh_units(self, rule: Rule, used: Mapping[str, int], taken: Mapping[str, int]) -> tuple[int, int]:
        """Price and headroom of fresh units ``used[pid]`` to ``used[pid] + taken[pid]`` under ``rule``'s floor."""
        price = headroom = 0
        floor_bp = self.terms.floor_of(rule)
        for pid, count in taken.items():
            start = used[pid]
            part = self.prefix[pid][start + count] - self.prefix[pid][start]
            price += part
            cost = self.terms.costs.get(pid)
            if cost is None or floor_bp is None:
                headroom += part
            else:
                floor = unit_floor(cost, floor_bp)
                headroom += sum(max(0, price_each - floor) * units
                                for price_each, units in _slice(self.rows[pid], start, count))
        return price, headroom

    def _bundle_saving(self, rule: FixedBundle, used, sets: int) -> int:
        price, headroom = self._fresh_units(rule, used, {item.product_id: item.quantity * sets for item in rule.items})
        return min(saving_of(rule.mode, rule.value, price, sets), headroom)

    def _volume_saving(self, rule: VolumeDiscount, used, taken) -> int:
        tier = rule.tier_for(sum(taken.values()))
        if tier is None:
            return 0
        price, headroom = self._fresh_units(rule, used, taken)
        return min(percent_of(price, tier.percent_bp), headroom)


class _PrefixPrices(dict):
    """Per product, the price of its first k fresh units for every k, worked out when first asked for."""

    def __init__(self, rows: Mapping[str, Sequence[Run]]):
        super().__init__()
        self.rows = rows

    def __missing__(self, product_id: str) -> list[int]:
        prefix = [0]
        for run in self.rows[product_id]:
            for _ in range(run.count):
                prefix.append(prefix[-1] + run.price)
        self[product_id] = prefix
        return prefix


def _slice(row: Sequence[Run], start: int, count: int) -> list[tuple[int, int]]:
    """(unit price, units) of positions ``start`` to ``start + count`` of a row of fresh runs."""
    found = []
    position = 0
    for run in row:
        begin, end = max(start, position), min(start + count, position + run.count)
        if begin < end:
            found.append((run.price, end - begin))
        position += run.count
    return found


def _minus(counts: Mapping[str, int], taken: Mapping[str, int]) -> dict[str, int]:
    result = dict(counts)
    for pid, count in taken.items():
        result[pid] -= count
    return result


def _plus(counts: Mapping[str, int], taken: Mapping[str, int]) -> dict[str, int]:
    result = dict(counts)
    for pid, count in taken.items():
        result[pid] += count
    return result


def groups(rows: Mapping[str, Sequence[Run]], rules: Sequence[Rule], terms: Terms) -> list[tuple[set[str], list[Rule]]]:
    """Split the rules (in the order given) into independent groups linked by the cart products they touch."""
    group_of: dict[str, int] = {}  # product -> group number
    members: list[tuple[set[str], list[Rule]] | None] = []
    for rule in rules:
        if isinstance(rule, FixedBundle):
            products = [item.product_id for item in rule.items if item.product_id in rows]
        else:
            products = terms.counted(rule, rows)
        if not products:
            continue
        joined = sorted({group_of[pid] for pid in products if pid in group_of})
        if joined:
            target = joined[0]
            for other in joined[1:]:  # this rule links groups: fold them into the first
                folded_products, folded_rules = members[other]
                members[target][0].update(folded_products)
                members[target][1].extend(folded_rules)
                for pid in folded_products:
                    group_of[pid] = target
                members[other] = None
        else:
            target = len(members)
            members.append((set(), []))
        members[target][0].update(products)
        members[target][1].append(rule)
        for pid in products:
            group_of[pid] = target
    order = {rule.id: index for index, rule in enumerate(rules)}
    found = []
    for group in members:
        if group is not None:
            group[1].sort(key=lambda rule: order[rule.id])
            found.append(group)
    return found


def best_allocation(rows: Mapping[str, Sequence[Run]], rules: Sequence[Rule], terms: Terms,
                    budget: int | None = None, cache: dict | None = None) -> Priced:
    """Price the cart's units under ``rules`` (live, in order of importance) with the allocation that saves the most.

    Returns the rows of runs after every discount, and the bookings with a saving: the non-stackable rules'
    first, then the stackable rules', each in order of importance. Each group of rules gets ``budget`` search
    states (default :data:`SEARCH_BUDGET`), so a group's answer depends on that group alone, and ``cache``
    (shared by quotes with the same rules and terms, such as a cart and the carts its offers make) keeps it.
    """
    bookings: list[Booking] = []
    after = {pid: list(row) for pid, row in rows.items()}
    for products, group_rules in groups(rows, rules, terms):
        key = (tuple(rule.id for rule in group_rules), tuple((pid, tuple(rows[pid])) for pid in sorted(products)))
        priced = cache.get(key) if cache is not None else None
        if priced is None:
            priced = _price_group({pid: rows[pid] for pid in products}, group_rules, terms,
                                  SEARCH_BUDGET if budget is None else budget)
            if cache is not None:
                cache[key] = priced
        after.update({pid: list(row) for pid, row in priced.runs.items()})
        bookings.extend(priced.bookings)
    order = {rule.id: index for index, rule in enumerate(rules)}
    bookings.sort(key=lambda booking: (booking.rule.stackable, order[booking.rule.id]))
    return Priced(after, bookings)


def _price_group(group_rows: Mapping[str, Sequence[Run]], group_rules: Sequence[Rule], terms: Terms,
                 budget: int) -> Priced:
    free = {pid: _free(row) for pid, row in group_rows.items()}
    exclusive = [rule for rule in group_rules if not rule.stackable and _can_apply(rule, group_rows, free, terms)]
    exclusive.sort(key=lambda rule: not isinstance(rule, FixedBundle))  # bundles take units before volumes
    stackable = [rule for rule in group_rules if rule.stackable]
    if not exclusive:  # nothing to choose: only stackable rules (or none that can apply)
        return apply(group_rows, [], [], stackable, terms) if stackable else Priced({}, [])
    if not stackable and len(exclusive) == 1 and _more_never_saves_less(exclusive[0]):
        # Alone, a volume discount is on, and a percent- or amount-off bundle takes all the sets it can.
        rule = exclusive[0]
        choices = [terms.max_sets(rule, free) if isinstance(rule, FixedBundle) else 1]
        return apply(group_rows, exclusive, choices, stackable, terms)
    search = _Search(group_rows, exclusive, stackable, terms, [budget])
    choices = search.run()
    return search.best_priced or apply(group_rows, exclusive, choices, stackable, terms)


def _more_never_saves_less(rule: Rule) -> bool:
    """Whether more sets (or units) never lower this rule's saving: true of all but fixed-price bundles."""
    return not (isinstance(rule, FixedBundle) and rule.mode is PricingMode.FIXED_PRICE)


def _can_apply(rule: Rule, rows: Mapping[str, Sequence[Run]], free: Mapping[str, int], terms: Terms) -> bool:
    if isinstance(rule, FixedBundle):
        return terms.max_sets(rule, free) > 0
    return bool(terms.counted(rule, rows))
