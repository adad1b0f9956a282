"""Which rules take which cart units: the allocation that saves the shopper the most, stackable rules included.

An allocation says how many sets each non-stackable bundle forms and whether
each non-stackable volume discount is on; :func:`.units.apply` prices one, and
:func:`best_allocation` searches for the one that saves the most, one
independent group of rules at a time (see ``docs/engine.md``).

Without stackable rules the search is dynamic programming over the units
still free; with them, a depth-first branch and bound. Both go over the
non-stackable rules (bundles, then volume discounts, each in order of
importance) trying the most sets first, so the first answer is the greedy
one, and an answer only gives way to a strictly better one (so among equal
savings the largest choice vector stands). :data:`SEARCH_BUDGET` bounds
the states one group of rules may visit: a group the budget cannot finish keeps
the best answer found, never worse than greedy.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from .money import percent_of
from .rules import FixedBundle, PricingMode, Rule, VolumeDiscount
from .savings import saving_of, unit_floor
from .units import Booking, Priced, Run, Terms, apply, free_units

#: Search states one group of rules may visit; past it, the best allocation found stands.
SEARCH_BUDGET = 400


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
        quantities = {pid: free_units(row) for pid, row in self.rows.items()}
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
        free = {pid: free_units(row) for pid, row in self.rows.items()}
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
            part, room = self._units_value(pid, used[pid], count, floor_bp)
            price, headroom = price + part, headroom + room
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
    free = {pid: free_units(row) for pid, row in group_rows.items()}
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
