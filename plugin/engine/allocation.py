"""Which rules take which cart units: the allocation that saves the shopper the most, stackable rules included.

An allocation says how many sets each non-stackable bundle forms and whether
each non-stackable volume discount is on; :func:`.units.apply` prices one, and
:func:`best_allocation` searches for the one that saves the most, one
independent group of rules at a time (see ``docs/engine.md``).

Rules are split into groups that share cart products (:func:`groups`). In a
group without stackable rules, a bundle that another of the same items always
beats is left out (:func:`_without_dominated`); the rest is searched by
:class:`.search.GroupSearch`, which :data:`SEARCH_BUDGET` bounds: a group the
budget cannot finish keeps the best answer found, never worse than greedy.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from .money import FULL_BASIS_POINTS
from .rules import BuyXGetY, FixedBundle, PricingMode, Rule
from .search import GroupSearch
from .units import Booking, Priced, Run, Terms, apply, free_units, group_walk, usable_runs

#: Search states one group of rules may visit; past it, the best allocation found stands.
SEARCH_BUDGET = 400


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
        key = (tuple(rule.id for rule in group_rules),
               tuple((pid, *[run.as_tuple() for run in rows[pid]]) for pid in sorted(products)))
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
    most: dict[str, int] = {}  # rule id -> the most sets or groups it may take alone (volumes: products counted)
    exclusive = [rule for rule in group_rules if not rule.stackable and _can_apply(rule, group_rows, free, terms, most)]
    exclusive.sort(key=step_of)  # bundles take units first, then buy-X-get-Y groups, then volumes
    stackable = [rule for rule in group_rules if rule.stackable]
    if not stackable and len(exclusive) > 1:
        exclusive = _without_dominated(exclusive, group_rows, terms)
    if not exclusive:  # nothing to choose: only stackable rules (or none that can apply)
        return apply(group_rows, [], [], stackable, terms) if stackable else Priced({}, [])
    if not stackable and len(exclusive) == 1 and _more_never_saves_less(exclusive[0]):
        # Alone, a volume discount is on, and a percent- or amount-off bundle takes all the sets it can.
        rule = exclusive[0]
        # a bundle's most sets; a buy-X-get-Y's most groups (the groups of fewer are among those of more)
        choices = [most[rule.id] if isinstance(rule, (FixedBundle, BuyXGetY)) else 1]
        return apply(group_rows, exclusive, choices, stackable, terms)
    search = GroupSearch(group_rows, exclusive, stackable, terms, [budget], free)
    choices = search.run()
    return search.best_priced or apply(group_rows, exclusive, choices, stackable, terms)


def _without_dominated(rules: list[Rule], rows: Mapping[str, Sequence[Run]], terms: Terms) -> list[Rule]:
    """``rules`` less the bundles no best allocation uses: another bundle of the same items and mode, with no cap,
    saves strictly more on every set, rounding included, so moving any set to it always saves more.

    Only where that is certain: no stackable rule in the group (the caller's check), every product of the
    items at one price (so which rule takes which units changes nothing else) and no margin floor on them.
    A percentage must beat the other by more than 1.5 yen a set (each rounding moves half a yen at most);
    an amount off must be larger and at most the set's price.
    """
    seen = set()  # a bundle can only be dominated by one of the same products and mode: is there any?
    for rule in rules:
        if isinstance(rule, FixedBundle) and rule.mode is not PricingMode.FIXED_PRICE:
            kind = (rule.mode, rule.product_ids)
            if kind in seen:
                break
            seen.add(kind)
    else:
        return rules
    best: dict[tuple, FixedBundle] = {}  # (mode, items) -> the uncapped bundle that saves the most a set
    kinds: dict[str, tuple] = {}
    prices: dict[str, int] = {}
    for rule in rules:
        if not isinstance(rule, FixedBundle) or rule.mode is PricingMode.FIXED_PRICE:
            continue
        if any(len(rows[item.product_id]) != 1 for item in rule.items):
            continue
        if terms.floor_of(rule) is not None and any(terms.costs.get(item.product_id) is not None for item in rule.items):
            continue
        kind = (rule.mode, frozenset((item.product_id, item.quantity) for item in rule.items))
        kinds[rule.id] = kind
        prices[rule.id] = sum(item.quantity * rows[item.product_id][0].price for item in rule.items)
        if terms.cap(rule) is None and (kind not in best or rule.value > best[kind].value):
            best[kind] = rule
    dropped = set()
    for rule in rules:
        kind = kinds.get(rule.id)
        better = best.get(kind) if kind else None
        if better is None or better is rule:
            continue
        price = prices[rule.id]
        if rule.mode is PricingMode.PERCENT_OFF:
            beaten = price * (better.value - rule.value) > 3 * FULL_BASIS_POINTS // 2
        else:
            beaten = rule.value < better.value <= price
        if beaten:
            dropped.add(rule.id)
    return [rule for rule in rules if rule.id not in dropped] if dropped else rules


def _more_never_saves_less(rule: Rule) -> bool:
    """Whether more sets (or units) never lower this rule's saving: true of all but fixed-price bundles."""
    return not (isinstance(rule, FixedBundle) and rule.mode is PricingMode.FIXED_PRICE)


def _can_apply(rule: Rule, rows: Mapping[str, Sequence[Run]], free: Mapping[str, int], terms: Terms,
               most: dict[str, int]) -> bool:
    """Whether ``rule`` can take any units of ``rows`` alone; what it can take is written in ``most``."""
    if isinstance(rule, FixedBundle):
        found = most[rule.id] = terms.max_sets(rule, free)
    elif isinstance(rule, BuyXGetY):
        found = most[rule.id] = most_groups(rule, rows, terms)
    else:
        found = most[rule.id] = len(terms.counted(rule, rows))
    return found > 0


def step_of(rule: Rule) -> int:
    """The step an allocation's non-stackable rule takes its units in: bundles, buy-X-get-Y groups, volumes."""
    return 0 if isinstance(rule, FixedBundle) else 1 if isinstance(rule, BuyXGetY) else 2


def most_groups(rule: BuyXGetY, rows: Mapping[str, Sequence[Run]], terms: Terms) -> int:
    """The groups ``rule`` forms from the free units of ``rows``, up to its cap."""
    return group_walk(rule, usable_runs(rule, rows, terms, free_only=True), terms.cap(rule))[0]
