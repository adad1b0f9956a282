"""Searching one group of rules for the allocation that saves the most: bounds, memory, and a budget.

:class:`GroupSearch` chooses how many sets each non-stackable bundle of a group
forms and whether each non-stackable volume discount is on, in the order
:mod:`.allocation` gives (bundles, then volumes, each in order of importance).

Without stackable rules it is a branch and bound with memory over the units
still free (:meth:`GroupSearch._best_without_stackable`): it starts from the
better of two greedy allocations, cuts a state when an upper bound on what its
rules can save (a best rate per product, then shadow prices per unit) cannot
beat the answer in hand, and remembers each state's answer; where no two bundles
share a product and a bound of the greedy allocation's own proves nothing beats it
(:meth:`GroupSearch._greedy_is_best`), that allocation is the answer without a state. With stackable
rules (or a non-stackable buy-X-get-Y) it is a depth-first branch and bound that prices every leaf in full, or,
where the group has no volume discount and no stackable rule, reads a leaf's saving from what it added up (exact
for bundles and groups) and prices only the best leaf found. Both
try the most sets first and let an answer give way only to a strictly better
one, so among equal savings the largest choice vector stands, and both stop
after :data:`.allocation.SEARCH_BUDGET` states, keeping an answer never worse
than the documented greedy one.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from operator import itemgetter

from .money import FULL_BASIS_POINTS, percent_of
from .rules import BuyXGetY, FixedBundle, PricingMode, Rule, VolumeDiscount
from .savings import saving_of, unit_floor
from .units import Priced, Run, apply, bxgy_saving, free_units, group_walk, unit_value

#: States a search visits on the rates' bound alone before it works out the tighter shadow prices.
DUAL_AFTER = 16
#: A group with at most this many allocations in all is walked whole, without bounds or seeds.
SMALL_GROUP = 32
#: What the rate bound of a search state adds for the floating-point error of the sums it carries from state to
#: state: a cut is made only when the bound, so raised, still cannot reach a whole minor unit more.
ROUNDING_MARGIN = 1e-3
#: Units a buy-X-get-Y's groups take past which the branch and bound counts them with ``collections.Counter``
#: (in C, but dearer to set up than a loop over a few).
COUNTED_IN_C = 64
#: Allocations the branch and bound prices in full at most in a group with a non-stackable buy-X-get-Y.
FULL_LEAVES = 48
#: Work the branch and bound may spend pricing allocations in full, in runs of units times rules (one pricing of
#: the group costs about its runs times its rules): a long cart under storewide stackable rules, one group of
#: hundreds of runs, is priced in full a few times, never hundreds (at least once: the greedy allocation).
FULL_WORK = 10_000


class GroupSearch:
    """Dynamic programming, or branch and bound with stackable rules, over one group's non-stackable rules."""

    def __init__(self, rows, exclusive_rules, stackable_rules, terms, budget: list[int],
                 free: Mapping[str, int] | None = None):
        self.rows = rows
        #: the free units of each product (worked out here when the caller has not)
        self.free = dict(free) if free is not None else {pid: free_units(row) for pid, row in rows.items()}
        self.stackable = list(stackable_rules)
        self.terms = terms
        self.budget = budget
        self.prefix = _PrefixPrices(rows)
        self.nothing: dict[str, bool] = {}  # rule id -> whether it saves nothing here (:meth:`_saves_nothing`)
        #: the rules given, whose choices :meth:`run` returns; :attr:`rules` holds those searched: a rule that can
        #: save nothing on these units whatever it takes (:meth:`_saves_nothing`) never enters, its choice is 0, so
        #: such a rule never spends the budget nor changes an answer (it would only take units from others)
        self.given = list(exclusive_rules)
        self.rules = [rule for rule in self.given if not self._saves_nothing(rule)]
        self.headroom_prefix: dict[tuple[str, int], list[int]] = {}
        self.bound_after: list[int] = []
        self.stackable_bound = 0
        self.get_prices: dict[str, list[int]] = {}  # buy-X-get-Y id -> prefix prices of its get units, dearest first
        self.members: dict[str, list] = {}  # buy-X-get-Y id -> the runs it may take, in walk order
        self.walks: dict[tuple, tuple] = {}  # the groups a buy-X-get-Y forms, per state of its units
        self.bundle_savings: dict[tuple, int] = {}  # (bundle id, sets, units used of its items) -> its saving
        self.ranked: dict[tuple, list] = {}
        self.unfloored: dict[str, bool] = {}  # volume id -> no floor binds the units it counts (:meth:`_ranked_runs`)
        #: No bundle in the group and every unit free: a volume's units are every unit of the products it counts
        #: (worked out when a limited volume first asks, :meth:`_volume_saving`).
        self.whole_rows: bool | None = None
        self.volume_steps: dict[int, tuple] = {}  # rule index -> its last (free, used, taken, free after, used after)  # (volume id, rate) -> its runs, those it saves most on first
        #: Buy-X-get-Y rules take units that are not the first free ones of a product, so a group holding one is
        #: searched by the branch and bound that prices every allocation it reaches in full.
        self.full = bool(self.stackable) or any(isinstance(rule, BuyXGetY) for rule in self.rules)
        if self.full:  # only the branch and bound needs bounds
            quantities = self.free
            bounds = [self._static_bound(rule, quantities) for rule in self.rules]
            self.bound_after = [sum(bounds[index:]) for index in range(len(bounds) + 1)]
            self.stackable_bound = sum(self._static_bound(rule, quantities) for rule in self.stackable)
        #: What the branch and bound adds up at a leaf is its saving (bundles and groups only: no volume discount,
        #: no stackable rule), so a leaf is not priced in full; the best one is, once, by the caller.
        self.exact_leaves = not self.stackable and not any(isinstance(rule, VolumeDiscount) for rule in self.rules)
        self.rates: dict[str, float] = {}
        self.best_saving = -1
        self.best_choices: list[int] = []
        self.best_priced: Priced | None = None  #: the branch and bound's best leaf, priced already
        #: Allocations the branch and bound may still price in full: with a buy-X-get-Y, :data:`FULL_LEAVES` (each
        #: costs a pricing of the whole group); else the state budget alone bounds them, as before.
        self.leaves = FULL_LEAVES if any(isinstance(rule, BuyXGetY) for rule in self.rules) else budget[0] + 1
        if self.full:
            work = sum(len(row) for row in rows.values()) * (len(self.rules) + len(self.stackable))
            self.leaves = min(self.leaves, max(1, FULL_WORK // max(1, work)))

    def _static_bound(self, rule: Rule, quantities: Mapping[str, int]) -> int:
        """The most ``rule`` could save on this cart (``quantities``: its free units per product), before floors:
        its most sets on the dearest units."""
        if isinstance(rule, FixedBundle):
            sets = self.terms.max_sets(rule, quantities)
            if sets <= 0:
                return 0
            price = sum(self.prefix[item.product_id][item.quantity * sets] for item in rule.items)
            return price if rule.mode is PricingMode.FIXED_PRICE else saving_of(rule.mode, rule.value, price, sets)
        if isinstance(rule, BuyXGetY):
            return self._groups_bound(rule, self._most_groups(rule, quantities))
        counted = self.terms.counted(rule, self.rows)
        tier = rule.tier_for(sum(quantities[pid] for pid in counted))
        top = rule.tiers[-1] if tier else None
        if top is None:
            return 0
        if rule.max_units is not None:  # its top rate of the dearest units it may discount
            prices = sorted((run.price for pid in counted for run in self.rows[pid] for _ in range(run.count)),
                            reverse=True)
            return percent_of(sum(prices[:rule.max_units]), top.percent_bp)
        return percent_of(sum(self.prefix[pid][-1] for pid in counted), top.percent_bp)

    def _most_groups(self, rule: BuyXGetY, free: Mapping[str, int]) -> int:
        """At most how many groups ``rule`` forms from ``free`` units per product: no more than its buy units,
        its get units and all its units allow, nor its cap."""
        buy = get = either = 0
        for pid, buys, gets in self.terms.roles(rule, self.rows):
            units = free.get(pid, 0)
            either += units
            buy += units if buys else 0
            get += units if gets else 0
        most = min(buy // rule.buy_quantity, get // rule.get_quantity,
                   either // (rule.buy_quantity + rule.get_quantity))
        cap = self.terms.cap(rule)
        return most if cap is None or cap > most else cap

    def _groups_bound(self, rule: BuyXGetY, groups: int) -> int:
        """The most ``groups`` groups of ``rule`` save: their rate of the group's dearest get units, before floors."""
        if groups <= 0:
            return 0
        prefix = self.get_prices.get(rule.id)
        if prefix is None:
            prices = sorted((run.price for pid, _, gets in self.terms.roles(rule, self.rows) if gets
                             for run in self.rows[pid] for _ in range(run.count)), reverse=True)
            prefix = [0]
            for price in prices:
                prefix.append(prefix[-1] + price)
            self.get_prices[rule.id] = prefix
        return bxgy_saving(rule, prefix[min(groups * rule.get_quantity, len(prefix) - 1)], groups)

    def run(self) -> list[int]:
        """The choice of each rule given, in their order (0 for one that saves nothing)."""
        choices = self._search()
        if len(self.rules) == len(self.given):
            return choices
        searched = iter(choices)
        return [0 if self._saves_nothing(rule) else next(searched) for rule in self.given]

    def _search(self) -> list[int]:
        free = dict(self.free)
        if not self.rules:
            return []
        if not self.full and len(self.rules) == 1:
            return [self._best_alone(self.rules[0], free)]
        if not self.full:
            return self._best_without_stackable(free)
        if self.leaves == 1 and not self.exact_leaves:
            found = self._only_leaf(free)
            if found is not None:
                return found
        self._visit(0, free, {pid: 0 for pid in self.rows}, 0, [])
        return self.best_choices

    def _only_leaf(self, free: dict[str, int]) -> list[int] | None:
        """:meth:`_visit` when it may price one allocation in full (a long cart under stackable rules): the first it
        reaches, each rule taking the most it can in order (bundles their most sets, buy-X-get-Y rules their most
        groups, volumes on), priced once. Past that leaf the branch and bound returns at once, so it is found
        here in one pass over the rules, without the copies of the units each branch keeps (hundreds of products a
        level). The same choices, pricing and budget spent; ``None`` when that allocation is short (a buy-X-get-Y
        forms fewer groups than its walk said), where the branch and bound goes on to the next leaf."""
        free = dict(free)
        used = {pid: 0 for pid in self.rows}
        grouped: Counter[tuple[str, int]] = Counter()
        choices = []
        for rule in self.rules:
            if isinstance(rule, FixedBundle):
                choice = self.terms.max_sets(rule, free)
                for item in rule.items:
                    free[item.product_id] -= item.quantity * choice
                    used[item.product_id] += item.quantity * choice
            elif isinstance(rule, BuyXGetY):
                gains, buy_units, get_units = self._walk(rule, used, grouped)
                choice = len(gains) - 1
                grouped.update(buy_units[:choice * rule.buy_quantity])
                grouped.update(get_units[:choice * rule.get_quantity])
            else:  # on; volumes come last (``allocation.step_of``): no rule after one reads the units it takes
                choice = 1
            choices.append(choice)
        priced = apply(self.rows, self.rules, choices, self.stackable, self.terms)
        if priced.short:
            return None
        self.budget[0] -= len(self.rules) + 1  # a state per rule and the leaf, as the branch and bound counts
        self.leaves -= 1
        self.best_saving, self.best_choices, self.best_priced = priced.saving, choices, priced
        return choices

    def _saves_nothing(self, rule: Rule) -> bool:
        """Whether ``rule`` saves nothing on these units whatever it takes, so no allocation gains by it: a
        non-exclusive fixed-price bundle whose every count of sets, on the dearest units, costs at least its price
        (an exclusive one locks the units it takes, which a spend discount reads)."""
        if rule.exclusive or not isinstance(rule, FixedBundle) or rule.mode is not PricingMode.FIXED_PRICE:
            return False
        found = self.nothing.get(rule.id)
        if found is None:
            most = self.terms.max_sets(rule, self.free)
            found = self.nothing[rule.id] = all(
                sum(self.prefix[item.product_id][item.quantity * sets] for item in rule.items) <= rule.value * sets
                for sets in range(1, most + 1))
        return found

    def _best_without_stackable(self, free: dict[str, int]) -> list[int]:
        """Branch and bound with memory over (rule, free units): exact when the budget lasts, else greedy past it.

        Without stackable rules, what the rules from ``index`` on can save depends only on the units still
        free of the products those rules touch, so each such state is solved once: its best, or the proof
        that it cannot beat what was needed of it, is remembered. A state is cut when the most its rules
        could save (a price per free unit, :meth:`_shadow_prices`) cannot beat the best answer found. The
        search starts from the better of two greedy allocations (:meth:`_seeds`) and looks for that saving or
        more; most sets are tried first and only a strictly better answer replaces one, so among equal
        savings the larger choices stand. Once the budget is spent each new state takes the greedy choice
        only, so the answer is never worse than the seeds, the documented greedy among them.
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
        count = len(self.rules)
        steps = [(isinstance(rule, FixedBundle), moves[index], self.terms.cap(rule),
                  self.terms.floor_of(rule), rule) for index, rule in enumerate(self.rules)]
        # A small group (few choices in all) is walked whole, with no bounds to work out.
        choices_in_all = 1
        for index, rule in enumerate(self.rules):
            choices_in_all *= 2 if not isinstance(rule, FixedBundle) else 1 + min(
                totals[slot] // quantity for slot, _, quantity in moves[index])
            if choices_in_all > SMALL_GROUP:
                break
        small = choices_in_all <= SMALL_GROUP
        exact: dict[tuple, tuple[int, tuple[int, ...]]] = {}
        at_most: dict[tuple, float] = {}  # states proved to save no more than this
        budget = self.budget
        dual_after = budget[0] - DUAL_AFTER
        units_value = self._units_value
        fresh_prices, costs = self.prefix, self.terms.costs

        gains: dict[tuple, int] = {}  # (rule index, choice, units left of its products) -> what it saves
        move_units = [_picker([slot for slot, _, _ in move]) for move in moves]

        def gain_of(index: int, left: Sequence[int], choice: int, after: list[int]) -> int:
            """What ``choice`` sets of rule ``index`` save from ``left``, writing the units left in ``after``: it
            depends only on the units left of the rule's products, so each is worked out once."""
            is_bundle, move, _, floor_bp, rule = steps[index]
            for slot, _, quantity in move:
                after[slot] -= quantity * choice if quantity else left[slot]
            key = (index, choice, move_units[index](left))
            saved = gains.get(key)
            if saved is not None:
                return saved
            price = headroom = units = 0
            for slot, pid, quantity in move:
                taken = quantity * choice if quantity else left[slot]
                if taken:
                    start = totals[slot] - left[slot]
                    if floor_bp is None or costs.get(pid) is None:  # no floor: the headroom is the price
                        fresh = fresh_prices[pid]
                        part = fresh[start + taken] - fresh[start]
                        price += part
                        headroom += part
                    else:
                        part, room = units_value(pid, start, taken, floor_bp)
                        price += part
                        headroom += room
                    units += taken
            if is_bundle:
                saved = saving_of(rule.mode, rule.value, price, choice)
            else:
                tier = rule.tier_for(units)
                if tier and rule.max_units is not None and units > rule.max_units:
                    price, headroom = self._limited(rule, [(pid, totals[slot] - left[slot], left[slot])
                                                           for slot, pid, _ in move if left[slot]], tier.percent_bp)
                saved = percent_of(price, tier.percent_bp) if tier else 0
            saved = gains[key] = saved if saved < headroom else headroom
            return saved

        def solve(index: int, left: tuple[int, ...], need: float, priced_at: float = 0.0
                  ) -> tuple[int, tuple[int, ...]] | None:
            """The best this state saves, if more than ``need`` (else ``None``), with its choices. ``priced_at``: each
            free unit's price at the best rate left for it (see ``most`` below), carried from the state before, which
            differs from this one only in the products of the rule between them (not read when ``small``)."""
            if index == count:
                return (0, ()) if need < 0 else None
            key = (index, left) if whole[index] else (index, keys[index](left))
            found = exact.get(key)
            if found is not None:
                return found if found[0] > need else None
            known = at_most.get(key)
            if known is not None and known <= need:
                return None
            if small:
                most = need + 1
            else:  # at most: each unit's price at the best rate left for it...
                most = slack[index] + ROUNDING_MARGIN + priced_at
                if most >= need + 1 and budget[0] < dual_after:  # ... or, once the search is not small, the
                    if not dual:                                     # shadow prices of the units left
                        shadow, above = self._shadow_prices(moves, totals, len(slots))
                        # per rule index, the rules from there on with something above the prices
                        dual.extend((shadow, [[entry[1:] for entry in above if entry[0] >= index]
                                              for index in range(count + 1)]))
                    shadow, above = dual
                    priced = slack[index] + 1e-6
                    for slot in relevant[index]:
                        priced += shadow[slot] * left[slot]
                    enough = need + 1  # every term is at least 0: once the sum reaches this, nothing here is cut
                    if priced < enough:
                        for extra, needs, most_sets in above[index]:  # what rules save above those prices
                            sets = min([left[slot] // quantity for slot, quantity in needs])
                            priced += extra * (sets if most_sets is None or sets < most_sets else most_sets)
                            if priced >= enough:
                                break
                    if priced < most:
                        most = priced
            if most < need + 1:  # savings are whole: nothing here reaches need + 1
                at_most[key] = most if known is None or most < known else known
                return None
            budget[0] -= 1
            step = steps[index]
            is_bundle, move, limit = step[0], step[1], step[2]
            if is_bundle:
                most_sets = min([left[slot] // quantity for slot, _, quantity in move])
                options = range(most_sets if limit is None or limit > most_sets else limit, -1, -1)
            else:
                options = (1, 0)
            best = None
            tried = False
            kept = priced_at
            if not small:  # what the units of this rule's products add to the bound after it, as they are now
                here, after_rates = rates[index], rates[index + 1]
                for slot in move_slots[index]:
                    kept += (after_rates[slot] - here[slot]) * tails[slot][left[slot]]
            for choice in options:
                if tried and budget[0] <= 0:
                    break
                tried = True
                if choice:
                    after = list(left)
                    gain = gain_of(index, left, choice, after)
                    priced_after = kept
                    if not small:
                        for slot in move_slots[index]:
                            priced_after += after_rates[slot] * (tails[slot][after[slot]] - tails[slot][left[slot]])
                    rest = solve(index + 1, tuple(after), need - gain, priced_after)
                else:
                    gain = 0
                    rest = solve(index + 1, left, need, kept)
                if rest is not None:
                    best = (gain + rest[0], (choice, *rest[1]))
                    need = best[0]
            if best is None:
                at_most[key] = need if known is None or need < known else known
                return None
            exact[key] = best
            return best

        def evaluate(choices: Sequence[int], parts: dict[int, int] | None = None) -> int:
            """What ``choices`` save in all, each rule's gain written in ``parts`` when given."""
            left = list(totals)
            saved = 0
            for index, choice in enumerate(choices):
                if choice:
                    before = tuple(left)
                    gained = gain_of(index, before, choice, left)
                    saved += gained
                    if parts is not None:
                        parts[index] = gained
            return saved

        if not small:  # the better greedy allocation first: where no allocation can beat it, it is the answer
            seeds = []
            for choices in self._seeds(moves, totals):  # the two greedy answers are often the same one
                if choices not in seeds:
                    seeds.append(choices)
            greedy_gains: dict[int, int] = {}  # rule index -> its gain in the documented greedy allocation
            values = [evaluate(choices, greedy_gains if not position else None)
                      for position, choices in enumerate(seeds)]
            top = max(range(len(seeds)), key=lambda index: (values[index], seeds[index]))
            scratch = list(totals)
            greedy = seeds[0]
            # A bundle's greedy sets, on fresh units where no bundle shares its products, gain what they gained in
            # the greedy allocation (the proof asks that only then).
            if seeds[top] == greedy and self._greedy_is_best(
                    moves, slots, totals, greedy, values[top],
                    lambda index, sets: greedy_gains[index] if sets and sets == greedy[index]
                    else gain_of(index, totals, sets, scratch)):
                return list(greedy)
        # What the search reads besides the gains: worked out only when the seeds are not proved best at once.
        relevant: list[tuple[int, ...]] = [()] * (count + 1)
        touched: set[int] = set()
        later: tuple[int, ...] = ()  # the slots touched from ``index`` on, a new tuple only when they grow
        for index in range(count - 1, -1, -1):
            new = {slot for slot, _, _ in moves[index]} - touched
            if new:
                touched |= new
                later = tuple(sorted(touched))
            relevant[index] = later
        whole = [len(slots_left) == len(slots) for slots_left in relevant]  # every product still matters
        dual: list = []  # the shadow prices, and what rules save above them: worked out when first needed
        # What the rules from ``index`` on may gain from rounding: half a unit each, for those that round.
        slack = [0.0] * (count + 1)
        for index in range(count - 1, -1, -1):
            rule = self.rules[index]
            rounds = not isinstance(rule, FixedBundle) or rule.mode is PricingMode.PERCENT_OFF
            slack[index] = slack[index + 1] + (0.5 if rounds else 0.0)
        # Per rule index, the state's key: the units left of the products the rules from there on touch.
        keys = [None if whole[index] else _picker(relevant[index]) for index in range(count + 1)]
        if small:
            found = solve(0, totals, -1)
            assert found is not None  # any allocation saves at least 0 > -1
            return list(found[1])
        # The price of the last ``k`` units of each product: what its ``k`` free units cost.
        tails = []
        for slot, pid in enumerate(slots):
            prefix, total = self.prefix[pid], totals[slot]
            if len(self.rows[pid]) == 1:  # every unit at one price: the last k cost what the first k do
                tails.append(prefix)
            else:
                tails.append([prefix[total] - prefix[total - k] for k in range(total + 1)])
        move_slots = [sorted({slot for slot, _, _ in move}) for move in moves]  # each product slot once
        rates = self._rates_from(moves, len(slots))
        priced_at = 0.0  # every free unit's price at the best rate of any rule
        for rate, tail, free_here in zip(rates[0], tails, totals):
            if rate:
                priced_at += rate * tail[free_here]
        found = solve(0, totals, values[top] - 1, priced_at)  # the seed's saving or more, largest choices first
        if found is None:  # the budget ran out before the search met the seed again
            return list(seeds[top])
        return list(found[1])

    def _greedy_is_best(self, moves, slots: Sequence[str], totals: tuple[int, ...], greedy: Sequence[int],
                        value: int, gain) -> bool:
        """Whether no allocation saves more than ``greedy``, the documented greedy one (each rule in order taking
        the most it can, volumes on), which saves ``value``: then it is the search's answer, being the first
        allocation the search reaches, and the search need not run. ``gain(index, sets)``: what the search counts
        for ``sets`` sets of bundle ``index`` on fresh units.

        Proved where no two bundles share a product (so a bundle's sets take the first units of its own products
        whatever the others take): each volume saves at most its top rate of the units it counts and is left, plus
        half a unit of rounding, and a unit goes to one volume at most; so an allocation saves at most, per bundle,
        the most that some count of its sets saves plus the units it leaves at the best top rate of a volume
        counting them, plus the units no bundle takes at that rate. Below ``value + 1`` (savings are whole), nothing
        beats the greedy allocation. A pair bundle under a category's volume discount of a lower rate is the common
        case: the search would prove the same in a state per rule."""
        rate = [0.0] * len(totals)  # per product slot: the best top rate of a volume counting it
        owned: set[int] = set()  # the slots a bundle takes
        bound = ROUNDING_MARGIN
        volumes = False
        for index, rule in enumerate(self.rules):
            if isinstance(rule, FixedBundle):
                if volumes:  # bundles take their units first (``allocation.step_of``): a set's units are fresh
                    return False
                for slot, _, _ in moves[index]:
                    if slot in owned:
                        return False
                    owned.add(slot)
            else:
                volumes = True
                bound += 0.5
                top = self._rate_of(rule)  # its top tier's rate
                for slot, _, _ in moves[index]:
                    if top > rate[slot]:
                        rate[slot] = top
        left = list(totals)
        prefix = self.prefix
        for index, rule in enumerate(self.rules):
            if not isinstance(rule, FixedBundle):
                continue
            most = greedy[index]
            best = gain(index, most)
            if most:
                rated = [(rate[slot], prefix[pid], quantity) for slot, pid, quantity in moves[index] if rate[slot]]
                for sets in range(most):  # fewer sets, the units left at a volume's top rate
                    saved = gain(index, sets) if sets else 0.0
                    for top, units, quantity in rated:
                        saved += top * (units[quantity * most] - units[quantity * sets])
                    if saved > best:
                        best = saved
                for slot, _, quantity in moves[index]:
                    left[slot] -= quantity * most
            bound += best
        for slot, pid in enumerate(slots):  # the units no bundle takes, at the best rate of a volume counting them
            if rate[slot] and left[slot]:
                units = prefix[pid]
                bound += rate[slot] * (units[totals[slot]] - units[totals[slot] - left[slot]])
        return bound < value + 1

    def _seeds(self, moves, totals: tuple[int, ...]) -> list[list[int]]:
        """Allocations to start from: the documented greedy (rules in order of importance, each taking all the
        sets it can, volumes on), and the same taking the rules with the richest rate first."""
        found = []
        in_order = list(range(len(self.rules)))
        by_rate = sorted(in_order, key=lambda index: -self._rate_of(self.rules[index]))
        for order in ((in_order,) if by_rate == in_order else (in_order, by_rate)):
            left = list(totals)
            choices = [0] * len(self.rules)
            for index in order:
                rule = self.rules[index]
                if isinstance(rule, FixedBundle):
                    most = min([left[slot] // quantity for slot, _, quantity in moves[index]])
                    limit = self.terms.cap(rule)
                    sets = most if limit is None else min(most, limit)
                    for slot, _, quantity in moves[index]:
                        left[slot] -= quantity * sets
                    choices[index] = sets
                else:
                    choices[index] = 1
                    for slot, _, _ in moves[index]:
                        left[slot] = 0
            found.append(choices)
        return found

    def _shadow_prices(self, moves, totals: tuple[int, ...], slot_count: int):
        """A price per free unit of each product, and what each rule can save above the prices of the units it
        takes: together an upper bound on what a state saves (a Lagrangian relaxation of the units each
        product has; any prices give a bound, and a few sweeps of coordinate descent make it tight).

        Relaxed, a bundle takes as many sets as the units still free allow, whatever the others take, each set
        saving at most ``gain`` (its rate of its dearest set, or its amount); a volume discount its top rate of
        each free unit at its dearest price. Returns the prices, and ``(rule index, saving above the prices
        per set or unit, (slot, units) a set needs, most sets or None)`` for the rules with something above.
        """
        count = len(self.rules)
        gains: list[float] = []  # per rule: the most one set saves (bundles), unused for volumes
        sets: list[int] = []
        dearest = [max((run.price for run in self.rows[pid]), default=0) for pid in sorted(self.rows)]
        for index, rule in enumerate(self.rules):
            if isinstance(rule, FixedBundle):
                price = sum(quantity * dearest[slot] for slot, _, quantity in moves[index])
                if rule.mode is PricingMode.PERCENT_OFF:
                    gain = price * rule.value / FULL_BASIS_POINTS
                elif rule.mode is PricingMode.AMOUNT_OFF:
                    gain = min(price, rule.value)
                else:
                    gain = max(0, price - rule.value)
                most = min(totals[slot] // quantity for slot, _, quantity in moves[index])
                limit = self.terms.cap(rule)
                gains.append(gain)
                sets.append(most if limit is None else min(most, limit))
            else:
                gains.append(rule.tiers[-1].percent_bp / FULL_BASIS_POINTS)
                sets.append(0)
        shadow = [0.0] * slot_count
        for index, rule in enumerate(self.rules):  # start feasible: every rule's gain covered by its units
            rate = self._rate_of(rule)
            for slot, _, _ in moves[index]:
                shadow[slot] = max(shadow[slot], rate * dearest[slot])
        members: list[list[tuple[int, int]]] = [[] for _ in range(slot_count)]  # slot -> (rule index, quantity)
        for index, move in enumerate(moves):
            for slot, _, quantity in move:
                members[slot].append((index, quantity))
        covered = [sum(quantity * shadow[slot] for slot, _, quantity in move) for move in moves]
        for _ in range(3):
            for slot in range(slot_count):
                units = totals[slot]
                slope = float(units)
                breaks: list[tuple[float, float]] = []
                for index, quantity in members[slot]:
                    if quantity:  # a bundle: it stops paying once this unit price covers what is left of its gain
                        others = covered[index] - quantity * shadow[slot]
                        point = (gains[index] - others) / quantity
                        weight = sets[index] * quantity
                    else:  # a volume: each unit saves at most its top rate of the unit's price
                        point = gains[index] * dearest[slot]
                        weight = units
                    if point > 0 and weight:
                        slope -= weight
                        breaks.append((point, weight))
                best = 0.0
                if slope < 0:
                    breaks.sort()
                    for point, weight in breaks:
                        slope += weight
                        if slope >= 0:
                            best = point
                            break
                change = best - shadow[slot]
                if change:
                    shadow[slot] = best
                    for index, quantity in members[slot]:
                        covered[index] += quantity * change
        above: list[tuple[int, float, list[tuple[int, int]], int | None]] = []
        for index, rule in enumerate(self.rules):
            if isinstance(rule, FixedBundle):
                if gains[index] > covered[index]:  # per set, above the prices of its units
                    above.append((index, gains[index] - covered[index],
                                  [(slot, quantity) for slot, _, quantity in moves[index]], sets[index]))
            else:
                for slot, _, _ in moves[index]:  # per free unit counted
                    if gains[index] * dearest[slot] > shadow[slot]:
                        above.append((index, gains[index] * dearest[slot] - shadow[slot], [(slot, 1)], None))
        return shadow, above

    def _rates_from(self, moves, slot_count: int) -> list[list[float]]:
        """Per rule index: each product slot's best rate among the rules from there on.

        The rate is the most a rule saves per yen of the units it takes: a percentage (or a volume's top
        tier) its rate; an amount off at most ``value / cheapest set``; a fixed price at most
        ``1 - price / dearest set``.
        """
        per_slot = [0.0] * slot_count
        rates: list[list[float]] = [per_slot] * (len(self.rules) + 1)
        for index in range(len(self.rules) - 1, -1, -1):
            rate = self._rate_of(self.rules[index])
            if any(rate > per_slot[slot] for slot, _, _ in moves[index]):
                per_slot = list(per_slot)
                for slot, _, _ in moves[index]:
                    if rate > per_slot[slot]:
                        per_slot[slot] = rate
            rates[index] = per_slot
        return rates

    def _rate_of(self, rule: Rule) -> float:
        rate = self.rates.get(rule.id)
        if rate is None:
            rate = self.rates[rule.id] = self._work_out_rate(rule)
        return rate

    def _work_out_rate(self, rule: Rule) -> float:
        """The most ``rule`` saves per yen of the units it takes (see :meth:`_rates_from`)."""
        if isinstance(rule, VolumeDiscount):
            return rule.tiers[-1].percent_bp / FULL_BASIS_POINTS
        if rule.mode is PricingMode.PERCENT_OFF:
            return rule.value / FULL_BASIS_POINTS
        dearest = cheapest = 0
        for item in rule.items:
            prices = [run.price for run in self.rows[item.product_id]]
            dearest += item.quantity * max(prices)
            cheapest += item.quantity * min(prices)
        if rule.mode is PricingMode.AMOUNT_OFF:
            return 1.0 if cheapest <= rule.value else rule.value / cheapest
        return 0.0 if dearest <= rule.value else 1.0 - rule.value / dearest

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

    def _visit(self, index: int, free: dict[str, int], used: dict[str, int], saved: int, choices: list[int],
               grouped: dict | None = None) -> None:
        """Depth first over the choices, most first, each complete allocation priced in full by :func:`.units.apply`
        (with ``exact_leaves``, read from ``saved`` instead; every leaf reached counts against ``leaves`` either way).

        ``free`` and ``used`` count, per product, the units bundles left and took (the first ones);
        ``grouped`` ((product, run) -> units) those buy-X-get-Y rules took, which need not be the first. What
        ``saved`` adds up is exact for bundles and groups and an upper bound for volumes after groups; with the
        static bounds of the rules still to choose it cuts a branch that cannot beat the best allocation found.
        """
        grouped = grouped or {}
        self.budget[0] -= 1
        if index == len(self.rules):
            if self.best_saving >= 0 and saved + self.stackable_bound <= self.best_saving:
                return  # what it saves, at most, cannot beat the allocation in hand
            self.leaves -= 1
            if self.exact_leaves:
                if saved > self.best_saving:
                    self.best_saving, self.best_choices = saved, list(choices)
                return
            priced = apply(self.rows, self.rules, choices, self.stackable, self.terms)
            if not priced.short and priced.saving > self.best_saving:
                self.best_saving, self.best_choices, self.best_priced = priced.saving, list(choices), priced
            return
        if self.best_saving >= 0:
            if self.budget[0] <= 0 or self.leaves <= 0 or \
                    saved + self.bound_after[index] + self.stackable_bound <= self.best_saving:
                return
        rule = self.rules[index]
        if isinstance(rule, FixedBundle):
            for sets in range(self.terms.max_sets(rule, free), -1, -1):
                if self.best_saving >= 0 and (self.budget[0] <= 0 or self.leaves <= 0):
                    return
                if not sets:  # no set takes nothing: the same units go on
                    self._visit(index + 1, free, used, saved, choices + [0], grouped)
                    continue
                gain = self._bundle_saving(rule, used, sets)
                taken = {item.product_id: item.quantity * sets for item in rule.items}
                self._visit(index + 1, _minus(free, taken), _plus(used, taken), saved + gain, choices + [sets], grouped)
        elif isinstance(rule, BuyXGetY):
            gains, buy_units, get_units = self._walk(rule, used, grouped)
            for groups in range(len(gains) - 1, -1, -1):
                if self.best_saving >= 0 and (self.budget[0] <= 0 or self.leaves <= 0):
                    return
                gain = gains[groups]
                after = grouped
                if groups and (self.best_saving < 0 or saved + gain + self.bound_after[index + 1]
                               + self.stackable_bound > self.best_saving):
                    taking = buy_units[:groups * rule.buy_quantity] + get_units[:groups * rule.get_quantity]
                    if len(taking) > COUNTED_IN_C:  # a long cart's groups take hundreds of units: counted in C
                        after = Counter(grouped)
                        after.update(taking)
                    else:
                        after = dict(grouped)
                        for key in taking:
                            after[key] = after.get(key, 0) + 1
                self._visit(index + 1, free, used, saved + gain, choices + [groups], after)
        else:
            # What it takes and leaves depends on the bundles' units only: the buy-X-get-Y choices between keep the
            # same ``free`` and ``used``, so the last ones are kept (with them, so they are the very same).
            last = self.volume_steps.get(index)
            if last is None or last[0] is not free or last[1] is not used:
                taken = {pid: free[pid] for pid in self.terms.counted(rule, self.rows) if free[pid]}
                last = self.volume_steps[index] = (free, used, taken, _minus(free, taken), _plus(used, taken))
            _, _, taken, free_after, used_after = last
            gain = self._volume_saving(rule, used, taken, grouped)
            self._visit(index + 1, free_after, used_after, saved + gain, choices + [1], grouped)
            if self.best_saving < 0 or (self.budget[0] > 0 and self.leaves > 0):
                self._visit(index + 1, free, used, saved, choices + [0], grouped)

    def _walk(self, rule: BuyXGetY, used: Mapping[str, int], grouped: Mapping):
        """For ``n`` from 0 to the most groups ``rule`` forms from the units left (the first ``used[pid]`` of each
        product taken by bundles, ``grouped`` by earlier groups): what ``n`` groups save, exactly as
        :func:`.units.apply` prices them (fresh units, the rule's floor); and the buy and get units (product,
        run) in walk order, of which ``n`` groups take the first ones. Worked out once per count of the units
        left in each run it may take (the walk reads nothing else)."""
        runs = self.members.get(rule.id)
        if runs is None:  # its runs in walk order (dearest first, then unit order): it never changes
            runs = []
            for pid, buys, gets in self.terms.roles(rule, self.rows):
                start = 0
                for position, run in enumerate(self.rows[pid]):
                    runs.append((-run.price, pid, position, start, run.count, buys, gets))
                    start += run.count
            runs.sort()
            self.members[rule.id] = runs
        counts = []
        for _, pid, position, start, count, _, _ in runs:
            skip = used[pid] - start  # of this run's units, those among the first ``used[pid]`` bundles took
            if skip > 0:
                count = count - skip if skip < count else 0
            if grouped:
                count -= grouped.get((pid, position), 0)
            counts.append(count)
        key = (rule.id, tuple(counts))
        found = self.walks.get(key)
        if found is None:
            found = self.walks[key] = self._walk_from(rule, runs, counts)
        return found

    def _walk_from(self, rule: BuyXGetY, runs, counts: Sequence[int]):
        formed, segments = group_walk(rule, [(price, pid, position, count, buys, gets)
                                             for (price, pid, position, _, _, buys, gets), count in zip(runs, counts)
                                             if count > 0], self.terms.cap(rule))
        floor_bp = self.terms.floor_of(rule)
        buy_units, get_units = [], []  # (product, run) per unit, in walk order
        for pid, position, role, units in segments:
            (buy_units if role == "buy" else get_units).extend([(pid, position)] * units)
        gains = [0]
        price = headroom = 0
        for groups in range(1, formed + 1):
            for pid, position in get_units[(groups - 1) * rule.get_quantity:groups * rule.get_quantity]:
                run = self.rows[pid][position]
                cost = self.terms.costs.get(pid)
                price += run.price
                headroom += run.price if cost is None or floor_bp is None else max(
                    0, run.price - unit_floor(cost, floor_bp))
            saving = bxgy_saving(rule, price, groups)
            gains.append(saving if saving < headroom else headroom)
        return gains, buy_units, get_units

    def _fresh_units(self, rule: Rule, used: Mapping[str, int], taken: Mapping[str, int]) -> tuple[int, int]:
        """Price and headroom of fresh units ``used[pid]`` to ``used[pid] + taken[pid]`` under ``rule``'s floor."""
        price = headroom = 0
        floor_bp = self.terms.floor_of(rule)
        for pid, count in taken.items():
            part, room = self._units_value(pid, used[pid], count, floor_bp)
            price, headroom = price + part, headroom + room
        return price, headroom

    def _bundle_saving(self, rule: FixedBundle, used, sets: int) -> int:
        """What ``sets`` sets of ``rule`` save on the fresh units after ``used``: worked out once per units used."""
        key = (rule.id, sets, *[used[item.product_id] for item in rule.items])
        found = self.bundle_savings.get(key)
        if found is None:
            price, headroom = self._fresh_units(rule, used, {item.product_id: item.quantity * sets
                                                             for item in rule.items})
            found = self.bundle_savings[key] = min(saving_of(rule.mode, rule.value, price, sets), headroom)
        return found

    def _volume_saving(self, rule: VolumeDiscount, used, taken, grouped=None) -> int:
        """What a volume saves on the units ``taken`` after ``used`` of each product, less those ``grouped``."""
        units = sum(taken.values())
        lost = 0
        if grouped:
            lost = sum([count for (pid, _), count in grouped.items() if pid in taken])
            units -= lost
        tier = rule.tier_for(units)
        if tier is None:
            return 0
        if lost or (rule.max_units is not None and units > rule.max_units):
            # Without bundles in the group and with every unit free, a volume takes every unit of its products.
            if self.whole_rows is None:
                self.whole_rows = not any(isinstance(other, FixedBundle) for other in self.rules) and all(
                    run.owner is None for row in self.rows.values() for run in row)
            spans = None if self.whole_rows else [(pid, used[pid], count) for pid, count in taken.items() if count]
            price, headroom = self._limited(rule, spans, tier.percent_bp, grouped if lost else None,
                                            rule.max_units if rule.max_units is not None else units)
        else:
            price, headroom = self._fresh_units(rule, used, taken)
        return min(percent_of(price, tier.percent_bp), headroom)

    def _limited(self, rule: VolumeDiscount, spans, rate_bp: int, gone=None, limit=None) -> tuple[int, int]:
        """Price and headroom of the ``limit`` (``max_units``) fresh units a volume discounts among ``spans``
        ((product, first unit, units); ``None``: every unit of the products it counts) less the units of ``gone``
        ((product, run) -> units): those it saves most on, ties in unit order, as :func:`.units.apply` picks."""
        price = headroom = 0
        left = rule.max_units if limit is None else limit
        ranked = self._ranked_runs(rule, rate_bp)
        if spans is None:
            gone_from = gone.get if gone else None
            for entry in ranked:
                units = entry[4] - gone_from(entry[7], 0) if gone_from is not None else entry[4]
                if units > 0:
                    if units > left:
                        units = left
                    price += units * entry[5]
                    headroom += units * entry[6]
                    left -= units
                    if not left:
                        break
            return price, headroom
        span_of = {pid: (start, start + count) for pid, start, count in spans}
        for _, pid, index, position, count, unit_price, room, _ in ranked:
            span = span_of.get(pid)
            if span is None:
                continue
            begin = span[0] if span[0] > position else position
            end = span[1] if span[1] < position + count else position + count
            units = end - begin
            if gone:
                units -= gone.get((pid, index), 0)
            if begin < end and units > 0:
                if units > left:
                    units = left
                price += units * unit_price
                headroom += units * room
                left -= units
                if not left:
                    break
        return price, headroom

    def _ranked_runs(self, rule: VolumeDiscount, rate_bp: int) -> list[tuple]:
        """The runs of the products ``rule`` counts, those it saves most on per unit first (:func:`.units.unit_value`
        at ``rate_bp``; ties in unit order: by product, then row position), each as ``(-value, product, run index,
        its first unit, units, price, headroom per unit under the rule's floor, (product, run index))``: sorted once
        per rule and rate, or once per rule where no floor binds its units (a unit's value is then its price left
        times the rate, so every rate gives the same order; ``value`` is that of the first rate asked for)."""
        floor_bp = self.terms.floor_of(rule)
        costs = self.terms.costs
        unfloored = self.unfloored.get(rule.id)
        if unfloored is None:
            unfloored = self.unfloored[rule.id] = all(
                costs.get(pid) is None or (floor_bp is None and all(run.floor_bp is None for run in self.rows[pid]))
                for pid in self.terms.counted(rule, self.rows))
        unfloored = unfloored and rate_bp > 0
        key = (rule.id,) if unfloored else (rule.id, rate_bp)
        found = self.ranked.get(key)
        if found is None:
            found = []
            for pid in self.terms.counted(rule, self.rows):
                cost = self.terms.costs.get(pid)
                floor = None if cost is None or floor_bp is None else unit_floor(cost, floor_bp)
                position = 0
                for index, run in enumerate(self.rows[pid]):
                    room = run.price if floor is None else max(0, run.price - floor)
                    found.append((-unit_value(run, rate_bp, floor_bp, cost), pid, index, position, run.count,
                                  run.price, room, (pid, index)))
                    position += run.count
            found.sort()
            self.ranked[key] = found
        return found


def _picker(slots: Sequence[int]):
    """A function giving the tuple of a state's units left in ``slots``."""
    if len(slots) == 1:
        only = slots[0]
        return lambda left: (left[only],)
    if not slots:
        return lambda left: ()
    return itemgetter(*slots)


class _PrefixPrices(dict):
    """Per product, the price of its first k fresh units for every k, worked out when first asked for."""

    def __init__(self, rows: Mapping[str, Sequence[Run]]):
        super().__init__()
        self.rows = rows

    def __missing__(self, product_id: str) -> list[int]:
        row = self.rows[product_id]
        if len(row) == 1:
            run = row[0]
            prefix = list(range(0, run.price * (run.count + 1), run.price)) if run.price else [0] * (run.count + 1)
            self[product_id] = prefix
            return prefix
        prefix = [0]
        for run in row:
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
