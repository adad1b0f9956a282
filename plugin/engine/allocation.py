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
#: The key under which a page's shared cache counts the group searches its budget stopped (:func:`best_allocation`).
CUT_SEARCHES = "cut searches"


def groups(rows: Mapping[str, Sequence[Run]], rules: Sequence[Rule], terms: Terms) -> list[tuple[set[str], list[Rule]]]:
    """Split the rules (in the order given) into independent groups linked by the cart products they touch."""
    group_of: dict[str, int] = {}  # product -> group number
    members: list[tuple[set[str], list[Rule]] | None] = []
    folded = False  # whether a rule linked groups (their rules then need putting back in order)
    for rule in rules:
        if isinstance(rule, FixedBundle):
            products = [item.product_id for item in rule.items if item.product_id in rows]
        else:
            products = terms.counted(rule, rows)
        if not products:
            continue
        target = None
        fresh = []  # the products no group holds yet
        for pid in products:
            found = group_of.get(pid)
            if found is None:
                fresh.append(pid)
            elif found != target:
                if target is None:
                    target = found
                    continue
                folded = True  # this rule links groups: fold the later one into the earlier
                keep, other = (target, found) if target < found else (found, target)
                folded_products, folded_rules = members[other]
                members[keep][0].update(folded_products)
                members[keep][1].extend(folded_rules)
                for moved in folded_products:
                    group_of[moved] = keep
                members[other] = None
                target = keep
        if target is None:
            target = len(members)
            members.append((set(), []))
        members[target][0].update(fresh)
        members[target][1].append(rule)
        for pid in fresh:
            group_of[pid] = target
    found = [group for group in members if group is not None]
    if folded:
        order = {rule.id: index for index, rule in enumerate(rules)}
        for group in found:
            group[1].sort(key=lambda rule: order[rule.id])
    return found


def best_allocation(rows: Mapping[str, Sequence[Run]], rules: Sequence[Rule], terms: Terms,
                    budget: int | None = None, cache: dict | None = None,
                    found_groups: list[tuple[set[str], list[Rule]]] | None = None) -> Priced:
    """Price the cart's units under ``rules`` (live, in order of importance) with the allocation that saves the most.

    Returns the rows of runs after every discount, and the bookings with a saving: the non-stackable rules'
    first, then the stackable rules', each in order of importance. Each group of rules gets ``budget`` search
    states (default :data:`SEARCH_BUDGET`), so a group's answer depends on that group alone, and ``cache``
    (shared by quotes with the same rules and terms, such as a cart and the carts its offers make) keeps it.
    ``found_groups``: :func:`groups` of ``rows`` and ``rules``, when the caller has them.

    The rows returned are shared with ``rows`` and the cache where a group left them alone or was priced
    before: read them, or copy a row before changing it.
    """
    bookings: list[Booking] = []
    after = dict(rows)
    for products, group_rules in (groups(rows, rules, terms) if found_groups is None else found_groups):
        key = ("group", tuple([rule.id for rule in group_rules]))
        priced = recall(cache, key, rows, products)
        if priced is None:
            group_rows = {pid: rows[pid] for pid in products}
            priced = _price_group(group_rows, group_rules, terms, SEARCH_BUDGET if budget is None else budget)
            remember(cache, key, group_rows, priced)
            if priced.cut and cache is not None:  # the page's suggestions stop after a few (see quote_cart)
                cache[CUT_SEARCHES] = cache.get(CUT_SEARCHES, 0) + 1
        after.update(priced.runs)
        bookings.extend(priced.bookings)
    if len(bookings) > 1:
        bookings.sort(key=booking_order(rules))
    return Priced(after, bookings)


def booking_order(rules: Sequence[Rule]):
    """The key bookings are sorted by: the non-stackable rules' first, then the stackable rules', each in the order
    of ``rules`` (of importance): one whole number per rule."""
    after = len(rules)
    order = {rule.id: index + after if rule.stackable else index for index, rule in enumerate(rules)}
    return lambda booking: order[booking.rule.id]


def recall(cache: dict | None, key: tuple, rows: Mapping[str, Sequence[Run]], products: set[str]):
    """What ``cache`` holds under ``key`` (a group's rule ids) for the same runs of ``products`` in ``rows``, or
    ``None``. The runs are compared only when the rules match: the cart's own quote, which never finds its
    groups there, does not pay for a key of every run."""
    known = cache.get(key) if cache is not None else None
    if known is not None:
        for seen_rows, value in known:
            if len(seen_rows) == len(products) and all(seen_rows.get(pid) == rows[pid] for pid in products):
                return value
    return None


def remember(cache: dict | None, key: tuple, group_rows: Mapping[str, Sequence[Run]], value) -> None:
    """Keep ``value`` in ``cache`` under ``key`` for the runs ``group_rows`` (see :func:`recall`)."""
    if cache is not None:
        cache.setdefault(key, []).append((group_rows, value))


def _price_group(group_rows: Mapping[str, Sequence[Run]], group_rules: Sequence[Rule], terms: Terms,
                 budget: int) -> Priced:
    if len(group_rules) == 1:  # one rule, nothing to choose (what the general path below finds for it)
        rule = group_rules[0]
        if not rule.stackable and isinstance(rule, FixedBundle) and _more_never_saves_less(rule):
            sets = terms.max_sets(rule, {pid: free_units(row) for pid, row in group_rows.items()})
            return apply(group_rows, group_rules, [sets], [], terms) if sets > 0 else Priced({}, [])
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
    priced = search.best_priced or apply(group_rows, exclusive, choices, stackable, terms)
    if search.budget[0] <= 0:
        priced.cut = True
    return priced


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
    """The groups ``rule`` forms from the free units of ``rows``, up to its cap.

    Where every unit it counts may be a buy unit and a get unit (one product set or category for both, the common
    "2点買うと1点無料"), the walk takes ``buy_quantity`` units, then ``get_quantity``, and so on whatever their
    prices: the groups are the free units over the size of a group, so they are counted without the walk."""
    roles = terms.roles(rule, rows)
    if rule.same_set or all([buys and gets for _, buys, gets in roles]):
        units = sum([free_units(rows[pid]) for pid, _, _ in roles])
        formed = units // (rule.buy_quantity + rule.get_quantity)
        cap = terms.cap(rule)
        return formed if cap is None or cap > formed else cap
    return group_walk(rule, usable_runs(rule, rows, terms, free_only=True), terms.cap(rule))[0]
