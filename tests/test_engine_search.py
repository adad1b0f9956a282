"""The allocation search is exact wherever it finishes: checked against every allocation, on groups larger than
the reference's (up to 9 rules), where its bounds, its memory and its dominated-bundle pruning do cut.

Each case builds one group of non-stackable rules over a few products (with duplicated item lists, so that
some bundles are dominated, two prices per product, costs and floors, caps) and compares the search with
an exhaustive walk over every choice vector, priced by :func:`plugin.engine.units.apply`. Ties go to the
largest choice vector, as ``docs/engine.md`` says.
"""
import itertools

import pytest
from factories import NOW
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin import (BundleItem, BuyXGetY, Cart, CartLine, FixedBundle, PricingMode, Product, RuleBook, VolumeDiscount,
                    VolumeTier)
from plugin import quote_cart
from plugin.engine import allocation, pricing, search
from plugin.engine.rules import importance
from plugin.engine.units import Terms, apply, free_units

PIDS = ["a", "b", "c", "d"]
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def groups(draw, floors=True, bxgy=False):
    prices = {pid: draw(st.sampled_from([100, 299, 1_000, 1_499, 2_500])) for pid in PIDS}
    lines = []
    for pid in PIDS:
        lines.append(CartLine(pid, draw(st.integers(1, 4)), prices[pid]))
        if draw(st.integers(0, 3)) == 0:  # a second price for the same product
            lines.append(CartLine(pid, draw(st.integers(1, 2)), draw(st.sampled_from([50, 700, 1_800]))))
    costs = {pid: draw(st.sampled_from([None, 0, 40, 600])) if floors else None for pid in PIDS}
    shapes = draw(st.lists(st.dictionaries(st.sampled_from(PIDS), st.integers(1, 2), min_size=1, max_size=3),
                           min_size=1, max_size=4))
    rules = []
    for index in range(draw(st.integers(2, 8))):
        items = draw(st.sampled_from(shapes))  # shapes repeat: the same items at other values
        if len(items) == 1 and next(iter(items.values())) == 1:
            items = {next(iter(items)): 2}
        mode = draw(st.sampled_from(list(PricingMode)))
        value = {PricingMode.PERCENT_OFF: draw(st.sampled_from([1, 500, 1_000, 1_001, 1_050, 2_500, 10_000])),
                 PricingMode.AMOUNT_OFF: draw(st.sampled_from([1, 99, 100, 101, 500, 3_000])),
                 PricingMode.FIXED_PRICE: draw(st.sampled_from([0, 150, 900, 2_000]))}[mode]
        units = sum(items.values())
        rules.append(FixedBundle(
            id=str(index + 1), label="b", items=tuple(BundleItem(pid, q) for pid, q in sorted(items.items())),
            mode=mode, value=value, priority=draw(st.integers(0, 1)),
            margin_floor_bp=draw(st.sampled_from([None, 0, 2_000])) if floors else None,
            per_customer_cap=draw(st.sampled_from([None, None, 1, 2])),
            max_units=draw(st.sampled_from([None, None, None, units, units + 1, 2 * units])),
        ))
    if draw(st.booleans()):
        counted = draw(st.lists(st.sampled_from(PIDS), min_size=1, max_size=4, unique=True))
        rules.append(VolumeDiscount(id=str(len(rules) + 1), label="v", product_ids=frozenset(counted),
                                    tiers=(VolumeTier(2, draw(st.sampled_from([500, 1_000]))), VolumeTier(5, 2_000)),
                                    margin_floor_bp=draw(st.sampled_from([None, 0])) if floors else None,
                                    max_units=draw(st.sampled_from([None, None, 1, 3, 6]))))
    for _ in range(draw(st.integers(0, 2)) if bxgy else 0):
        buy = draw(st.lists(st.sampled_from(PIDS), min_size=1, max_size=3, unique=True))
        get = draw(st.sampled_from([[], [], ["c"], ["a", "d"]]))
        mode = draw(st.sampled_from([PricingMode.PERCENT_OFF, PricingMode.AMOUNT_OFF]))
        rules.append(BuyXGetY(
            id=str(len(rules) + 1), label="x", buy_product_ids=frozenset(buy), get_product_ids=frozenset(get),
            buy_quantity=draw(st.integers(1, 2)), get_quantity=draw(st.integers(1, 2)), mode=mode,
            value=draw(st.sampled_from([10_000, 5_000, 1_001])) if mode is PricingMode.PERCENT_OFF
            else draw(st.sampled_from([100, 700])),
            margin_floor_bp=draw(st.sampled_from([None, 0])) if floors else None,
            max_applications=draw(st.sampled_from([None, 1, 3])), priority=draw(st.integers(0, 1))))
    products = {pid: Product(pid, pid, prices[pid], cost=costs[pid]) for pid in PIDS}
    shop_floor = draw(st.sampled_from([None, None, 1_000])) if floors else None
    return Cart(tuple(lines)), rules, products, shop_floor


def exhaustive(rows, rules, terms):
    """Every allocation of ``rules`` (in the search's order), the best saving, ties to the largest choices."""
    free = {pid: free_units(row) for pid, row in rows.items()}
    ranges = []
    for rule in rules:
        if isinstance(rule, FixedBundle):
            most = terms.max_sets(rule, free)
            prices = {pid: sorted((run.price for run in rows[pid] for _ in range(run.count)), reverse=True)
                      for pid in rows}
            if rule.mode is PricingMode.FIXED_PRICE and not rule.exclusive and all(  # saves nothing: takes nothing
                    sum(sum(prices[item.product_id][:item.quantity * sets]) for item in rule.items) <= rule.value * sets
                    for sets in range(1, most + 1)):
                most = 0
            ranges.append(range(most + 1))
        elif isinstance(rule, BuyXGetY):  # up to every unit in groups; those it cannot form are skipped below
            most = sum(free.values()) // (rule.buy_quantity + rule.get_quantity)
            cap = terms.cap(rule)  # max_applications, and max_units in whole groups
            ranges.append(range((most if cap is None else min(most, cap)) + 1))
        else:
            ranges.append(range(2))
    best = None
    for choices in itertools.product(*ranges):
        needed = {}
        for rule, sets in zip(rules, choices):
            if isinstance(rule, FixedBundle):
                for item in rule.items:
                    needed[item.product_id] = needed.get(item.product_id, 0) + item.quantity * sets
        if any(count > free[pid] for pid, count in needed.items()):
            continue
        priced = apply(rows, rules, choices, [], terms)
        if priced.short:
            continue
        saving = priced.saving
        if best is None or (saving, choices) > best:
            best = (saving, choices)
    return best


def engine_and_exhaustive(cart, rules, products, shop_floor):
    rows = pricing.rows_of(cart.lines)
    terms = Terms(costs={pid: products[pid].cost for pid in rows}, categories={pid: None for pid in rows},
                  limits={rule.id: rule.per_customer_cap for rule in rules}, default_floor_bp=shop_floor)
    if any(isinstance(rule, BuyXGetY) for rule in rules):
        assert allocation.groups(rows, sorted(rules, key=importance), terms)  # one group or more to search
    ordered = sorted(rules, key=importance)
    priced = allocation.best_allocation(rows, ordered, terms, budget=10 ** 9)
    searched = sorted(ordered, key=allocation.step_of)  # bundles, then buy-X-get-Y rules, then volumes
    saving, choices = exhaustive(rows, searched, terms)
    return priced, saving, apply(rows, searched, choices, [], terms)


@settings(max_examples=300, **SETTINGS)
@given(groups())
def test_the_search_finds_what_every_allocation_tried_finds(group):
    priced, saving, best = engine_and_exhaustive(*group)
    assert priced.saving == saving
    assert bookings(priced) == bookings(best)


@settings(max_examples=150, **SETTINGS)
@given(groups(bxgy=True))
def test_buy_x_get_y_groups_are_searched_exactly(group):
    """Groups with buy-X-get-Y rules (branch and bound over every choice, each allocation priced in full)."""
    priced, saving, best = engine_and_exhaustive(*group)
    assert priced.saving == saving
    assert bookings(priced) == bookings(best)


@settings(max_examples=150, **SETTINGS)
@given(groups())
def test_the_shadow_prices_bound_never_cuts_the_best(group):
    """With the shadow prices used from the first state on, the answer is the same."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, "DUAL_AFTER", 0)
        priced, saving, best = engine_and_exhaustive(*group)
    assert priced.saving == saving
    assert bookings(priced) == bookings(best)


@settings(max_examples=200, **SETTINGS)
@given(groups(floors=False))
def test_ties_go_to_the_largest_choices_even_among_duplicated_bundles(group):
    """Without floors whole bundles can be pruned as dominated: the bookings must still be the exhaustive ones."""
    cart, rules, products, _ = group
    priced, saving, best = engine_and_exhaustive(cart, rules, products, None)
    assert priced.saving == saving
    assert bookings(priced) == bookings(best)


def bookings(priced):
    return sorted((booking.rule.id, booking.applications, booking.amount) for booking in priced.bookings)


def test_a_dominated_bundle_is_not_searched_but_a_near_tie_is():
    """Two 3-unit sets of the same items: 10% beats 9% by more than rounding can move, 10.00% and 10.01% do not."""
    products = {pid: Product(pid, pid, 1_000) for pid in "ab"}
    cart = Cart((CartLine("a", 3, 1_000), CartLine("b", 3, 1_000)))
    items = (BundleItem("a"), BundleItem("b"))
    rows = pricing.rows_of(cart.lines)
    terms = Terms(costs={"a": None, "b": None}, categories={"a": None, "b": None}, limits={})
    low = FixedBundle(id="1", label="9%", items=items, mode=PricingMode.PERCENT_OFF, value=900)
    high = FixedBundle(id="2", label="10%", items=items, mode=PricingMode.PERCENT_OFF, value=1_000)
    near = FixedBundle(id="3", label="10.01%", items=items, mode=PricingMode.PERCENT_OFF, value=1_001)
    assert allocation._without_dominated([low, high], rows, terms) == [high]
    assert allocation._without_dominated([high, near], rows, terms) == [high, near]
    capped = FixedBundle(id="4", label="10% once", items=items, mode=PricingMode.PERCENT_OFF, value=1_000)
    assert allocation._without_dominated([low, capped], rows, Terms(costs={}, categories={}, limits={"4": 1})) \
        == [low, capped]
    q = quote_cart(cart, RuleBook((low, high)), products, now=NOW, with_offers=False)
    assert [(d.rule_id, d.amount, d.applications) for d in q.discounts] == [("2", 600, 3)]


def test_overlapping_bundles_past_the_old_budget_are_priced_exactly():
    """The issue's K overlapping bundles on 10 products: the answer no longer drops as bundles are added."""
    products = {f"p{i}": Product(f"p{i}", f"p{i}", 1_000 + 137 * i) for i in range(13)}

    def rules(k):
        found = []
        for index in range(k):
            items = sorted({f"p{(index * 7 + j * 3) % 13}" for j in range(3)})
            found.append(FixedBundle(id=str(index + 1), label="b",
                                     items=tuple(BundleItem(pid, 1 + (index + j) % 2) for j, pid in enumerate(items)),
                                     mode=PricingMode.PERCENT_OFF, value=500 + (index * 37) % 2_000))
        return found

    cart = Cart(tuple(CartLine(f"p{i}", 3, products[f"p{i}"].price) for i in range(10)))
    savings = [quote_cart(cart, RuleBook(tuple(rules(k))), products, now=NOW, with_offers=False).discount_total
               for k in (5, 15, 20, 50, 100)]
    assert savings == sorted(savings)


@pytest.mark.parametrize("dual_after", [0, 24])
def test_the_bounds_leave_room_for_rounding(dual_after, monkeypatch):
    """Two 25% sets of 2 one-yen units save ¥1 each (half a yen rounded up), one set of 4 saves ¥1 in all:
    a bound without the half yen a rule may round up would cut the better answer."""
    monkeypatch.setattr(search, "DUAL_AFTER", dual_after)
    products = {"a": Product("a", "A", 1)}
    first = FixedBundle(id="1", label="x", items=(BundleItem("a", 2),), mode=PricingMode.PERCENT_OFF, value=2_500)
    second = FixedBundle(id="2", label="y", items=(BundleItem("a", 2),), mode=PricingMode.PERCENT_OFF, value=2_500)
    q = quote_cart(Cart((CartLine("a", 4, 1),)), RuleBook((first, second)), products, now=NOW, with_offers=False)
    assert q.discount_total == 2
    assert [(d.rule_id, d.applications) for d in q.discounts] == [("1", 1), ("2", 1)]


@pytest.mark.parametrize("dual_after", [0, 24])
def test_the_bounds_leave_room_for_rounding_in_a_group_too_big_to_walk_whole(dual_after, monkeypatch):
    """Six one-yen a and three 25% pairs (64 allocations, searched with bounds): one set each saves ¥3 (each half
    yen rounds up), all three sets of one rule ¥2. Only the half yen per rule in the bounds keeps ¥3 in reach."""
    monkeypatch.setattr(search, "DUAL_AFTER", dual_after)
    products = {"a": Product("a", "A", 1)}
    rules = tuple(FixedBundle(id=str(n), label=f"p{n}", items=(BundleItem("a", 2),), mode=PricingMode.PERCENT_OFF,
                              value=2_500) for n in (1, 2, 3))
    q = quote_cart(Cart((CartLine("a", 6, 1),)), RuleBook(rules), products, now=NOW, with_offers=False)
    assert [(d.rule_id, d.amount, d.applications) for d in q.discounts] == [("1", 1, 1), ("2", 1, 1), ("3", 1, 1)]


def test_an_amount_off_is_bounded_by_its_cheapest_set_not_its_dearest():
    """a at ¥1,000 and ¥100. A 60% pair takes the dear ones (¥1,200); ¥150 off the cheap pair adds ¥150, more than
    60% of all four (¥1,320). A bound of ¥150 over the dearest set's price would think the cheap pair worth ¥15."""
    products = {"a": Product("a", "A", 1_000)}
    percent = FixedBundle(id="1", label="60%", items=(BundleItem("a", 2),), mode=PricingMode.PERCENT_OFF, value=6_000)
    amount = FixedBundle(id="2", label="¥150", items=(BundleItem("a", 2),), mode=PricingMode.AMOUNT_OFF, value=150)
    tiny = FixedBundle(id="3", label="¥1", items=(BundleItem("a"),), mode=PricingMode.AMOUNT_OFF, value=1)  # 45 choices
    cart = Cart((CartLine("a", 2, 1_000), CartLine("a", 2, 100)))
    q = quote_cart(cart, RuleBook((percent, amount, tiny)), products, now=NOW, with_offers=False)
    assert [(d.rule_id, d.amount, d.applications) for d in q.discounts] == [("1", 1_200, 1), ("2", 150, 1)]


def test_ties_with_the_richest_rate_seed_still_go_to_the_largest_choices():
    """Four a at ¥1,000: 9.99% on each unit, or ¥100 off each, save ¥400 either way (or mixed). The richest-rate
    seed is all ¥100-off; the answer must be the largest choice vector, all 9.99% (rule 2 before rule 3)."""
    products = {"a": Product("a", "A", 1_000)}
    pair = FixedBundle(id="1", label="pair", items=(BundleItem("a", 2),), mode=PricingMode.AMOUNT_OFF, value=100)
    percent = FixedBundle(id="2", label="9.99%", items=(BundleItem("a"),), mode=PricingMode.PERCENT_OFF, value=999)
    amount = FixedBundle(id="3", label="¥100", items=(BundleItem("a"),), mode=PricingMode.AMOUNT_OFF, value=100)
    q = quote_cart(Cart((CartLine("a", 4, 1_000),)), RuleBook((pair, percent, amount)), products, now=NOW,
                   with_offers=False)
    assert [(d.rule_id, d.amount, d.applications) for d in q.discounts] == [("2", 400, 4)]


def test_two_amounts_off_that_both_take_the_whole_set_price_tie_and_the_older_stands():
    """A ¥300 and a ¥500 discount on a ¥200 set both save ¥200: neither beats the other, the older stands."""
    products = {"a": Product("a", "A", 100)}
    older = FixedBundle(id="1", label="¥300", items=(BundleItem("a", 2),), mode=PricingMode.AMOUNT_OFF, value=300)
    newer = FixedBundle(id="2", label="¥500", items=(BundleItem("a", 2),), mode=PricingMode.AMOUNT_OFF, value=500)
    q = quote_cart(Cart((CartLine("a", 2, 100),)), RuleBook((older, newer)), products, now=NOW, with_offers=False)
    assert [(d.rule_id, d.amount) for d in q.discounts] == [("1", 200)]


@settings(max_examples=200, **SETTINGS)
@given(groups(bxgy=True), st.sampled_from([3, 8, 30, 400]))
def test_a_leaf_the_search_adds_up_is_what_pricing_it_in_full_gives(group, budget):
    """Without volumes or stackable rules, the branch and bound reads a leaf's saving from what it added up (bundles
    and groups are exact) instead of pricing it in full: the answer, budget-stopped or not, is the same as when
    every leaf is priced in full, and so are the states and the leaves the search spends (its budgets)."""
    cart, rules, products, shop_floor = group
    rows = pricing.rows_of(cart.lines)
    terms = Terms(costs={pid: products[pid].cost for pid in rows}, categories={pid: None for pid in rows},
                  limits={rule.id: rule.per_customer_cap for rule in rules}, default_floor_bp=shop_floor)
    ordered = sorted(rules, key=importance)
    original = search.GroupSearch.__init__
    answers, spent = [], []
    for every_leaf in (False, True):
        searches = []

        priced_in_full = []

        def keeping(self, *args, every_leaf=every_leaf, searches=searches, **kwargs):
            original(self, *args, **kwargs)
            if every_leaf:
                self.exact_leaves = False
            searches.append((self, self.leaves))

        def counting(*args, priced_in_full=priced_in_full):
            priced_in_full.append(1)
            return apply(*args)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(search.GroupSearch, "__init__", keeping)
            patch.setattr(search, "apply", counting)
            priced = allocation.best_allocation(rows, ordered, terms, budget=budget)
        answers.append((bookings(priced), priced.runs))
        spent.append([(found.budget[0], leaves - found.leaves) for found, leaves in searches])
        if every_leaf:  # each leaf priced in full counts against the search's leaves (FULL_LEAVES)
            assert len(priced_in_full) == sum(leaves for _, leaves in spent[-1])
    assert answers[0] == answers[1]
    assert spent[0] == spent[1]


@pytest.mark.parametrize("dual_after", [0, 16])
def test_the_shadow_prices_count_the_rule_the_state_is_at(dual_after, monkeypatch):
    """Six bundles "2x a for ¥0" (a at ¥100 and ¥50, cost 40, shop floor 10%: each set saves at most the headroom)
    and a volume over a, b, c (2+ 5%, 5+ 20%). 128 allocations, searched with bounds: the bound of a state must
    count what the rule it is at saves above the shadow prices, or it cuts the best (found by hypothesis)."""
    monkeypatch.setattr(search, "DUAL_AFTER", dual_after)
    products = {"a": Product("a", "a", 100, cost=40), **{pid: Product(pid, pid, 100) for pid in "bcd"}}
    lines = (CartLine("a", 1, 100), CartLine("a", 1, 50), CartLine("b", 1, 100), CartLine("b", 1, 50),
             CartLine("c", 1, 100), CartLine("d", 1, 100))
    rules = [FixedBundle(id=str(n), label="b", items=(BundleItem("a", 2),), mode=PricingMode.FIXED_PRICE, value=0,
                         margin_floor_bp=0 if n == 6 else None) for n in range(1, 7)]
    rules.append(VolumeDiscount(id="7", label="v", product_ids=frozenset("abc"),
                                tiers=(VolumeTier(2, 500), VolumeTier(5, 2_000))))
    priced, saving, best = engine_and_exhaustive(Cart(lines), rules, products, 1_000)
    assert priced.saving == saving
    assert bookings(priced) == bookings(best)


@pytest.mark.parametrize("dual_after", [0, 16])
def test_a_state_the_shadow_prices_cannot_cut_leaves_no_partial_bound_behind(dual_after, monkeypatch):
    """Five "a + b for ¥0" and one "a + b + c for ¥0", one of each at ¥100 (64 allocations, searched with bounds): the
    shadow-price sum may stop early only once it is at least one yen above what the state must beat, else the
    partial sum is remembered as the state's bound and cuts the best, ¥300 (found by hypothesis)."""
    monkeypatch.setattr(search, "DUAL_AFTER", dual_after)
    products = {pid: Product(pid, pid, 100) for pid in "abcd"}
    lines = tuple(CartLine(pid, 1, 100) for pid in "abcd")
    rules = [FixedBundle(id=str(n), label="b", items=(BundleItem("a"), BundleItem("b")), mode=PricingMode.FIXED_PRICE,
                         value=0) for n in range(1, 6)]
    rules.append(FixedBundle(id="6", label="b", items=(BundleItem("a"), BundleItem("b"), BundleItem("c")),
                             mode=PricingMode.FIXED_PRICE, value=0))
    priced, saving, best = engine_and_exhaustive(Cart(lines), rules, products, None)
    assert priced.saving == saving == 300
    assert bookings(priced) == bookings(best)


def test_a_fixed_price_bundle_that_saves_nothing_takes_no_units():
    # docs "Bounded work": "p for ¥1,000" costs at least its price on every count of sets, so it never enters the
    # search: "¥100 off one p" takes the dearest p (before, the tie went to the larger choices: the idle bundle
    # took the ¥1,000 unit and the ¥100 went on the ¥500 line).
    products = {"p": Product("p", "p", 1_000)}
    idle = FixedBundle(id="1", label="z", items=(BundleItem("p"),), mode=PricingMode.FIXED_PRICE, value=1_000,
                       priority=5)
    off = FixedBundle(id="2", label="b", items=(BundleItem("p"),), mode=PricingMode.AMOUNT_OFF, value=100,
                      max_units=1)
    cart = Cart((CartLine("p", 1, 500), CartLine("p", 1, 1_000)))
    quote = quote_cart(cart, RuleBook((idle, off)), products, now=NOW, with_offers=False)
    assert [(d.rule_id, d.amount) for d in quote.discounts] == [("2", 100)]
    assert [line.discount for line in quote.lines] == [0, 100]


@pytest.mark.parametrize("exclusive", [False, True])
def test_a_fixed_price_bundle_that_saves_on_fewer_sets_than_it_could_form_is_searched(exclusive):
    # "p for ¥600" on p at ¥1,000 and ¥100: two sets cost ¥1,100 for ¥1,200 (nothing saved), one set saves ¥400.
    # With a volume discount competing for the same units, the search must still see the one set. An exclusive
    # bundle is always searched (its units are locked even when it saves nothing).
    products = {"p": Product("p", "p", 1_000)}
    fixed = FixedBundle(id="1", label="z", items=(BundleItem("p"),), mode=PricingMode.FIXED_PRICE, value=600,
                        priority=5, exclusive=exclusive)
    volume = VolumeDiscount(id="2", label="v", product_ids=frozenset({"p"}), tiers=(VolumeTier(1, 1_000),))
    cart = Cart((CartLine("p", 1, 1_000), CartLine("p", 1, 100)))
    quote = quote_cart(cart, RuleBook((fixed, volume)), products, now=NOW, with_offers=False)
    assert quote.discount_total == 410  # ¥400 on the ¥1,000 unit, 10% of the ¥100 one
    assert {d.rule_id: d.amount for d in quote.discounts} == {"1": 400, "2": 10}


def test_an_exclusive_fixed_price_bundle_that_saves_nothing_still_takes_and_hides_its_units():
    # docs "Bounded work": only a bundle that is not exclusive leaves the search when it saves nothing. An exclusive
    # "p for ¥1,000" saves nothing either, but the units it takes are hidden from later stackable rules: among
    # allocations that save the same (ties to the largest choices) it takes the dearest p, so the stackable
    # "¥100 off one p" goes on the ¥500 one.
    products = {"p": Product("p", "p", 1_000)}
    locking = FixedBundle(id="1", label="z", items=(BundleItem("p"),), mode=PricingMode.FIXED_PRICE, value=1_000,
                          priority=5, exclusive=True, max_units=1)
    off = FixedBundle(id="2", label="b", items=(BundleItem("p"),), mode=PricingMode.AMOUNT_OFF, value=100,
                      max_units=1, stackable=True)
    cart = Cart((CartLine("p", 1, 1_000), CartLine("p", 1, 500)))
    quote = quote_cart(cart, RuleBook((locking, off)), products, now=NOW, with_offers=False)
    assert [(d.rule_id, d.amount) for d in quote.discounts] == [("2", 100)]
    assert [line.discount for line in quote.lines] == [0, 100]


@pytest.mark.parametrize("off, expected", [(30, {"1": 40, "2": 30}), (15, {"1": 60})])
def test_a_limited_volume_ranks_its_units_at_each_tier_where_a_floor_binds(off, expected):
    # "1 unit: 4% from 2, 10% from 3", floor 0: a (¥1,000, cost ¥950: ¥50 of headroom), b (¥600), c (¥100).
    # "c ¥off off" and the volume on a and b (4%: a saves the most, ¥40): off + ¥40. Without the bundle, 10% on one
    # of three: b saves the most (¥60; a only its ¥50 of headroom). The units rank differently at each tier, so each
    # tier is ranked on its own: ¥70 with the bundle at ¥30, ¥60 without it at ¥15 (either tier's ranking read for
    # the other gets one of the two wrong).
    products = {"a": Product("a", "a", 1_000, cost=950), "b": Product("b", "b", 600), "c": Product("c", "c", 100)}
    volume = VolumeDiscount(id="1", label="v", product_ids=frozenset({"a", "b", "c"}), max_units=1, margin_floor_bp=0,
                            tiers=(VolumeTier(2, 400), VolumeTier(3, 1_000)))
    bundle = FixedBundle(id="2", label="c", items=(BundleItem("c"),), mode=PricingMode.AMOUNT_OFF, value=off)
    cart = Cart((CartLine("a", 1, 1_000), CartLine("b", 1, 600), CartLine("c", 1, 100)))
    quote = quote_cart(cart, RuleBook((volume, bundle)), products, now=NOW, with_offers=False)
    assert {d.rule_id: d.amount for d in quote.discounts} == expected


# docs/engine.md, "Bounded work": a group with a non-stackable buy-X-get-Y is exact when its search finishes, which
# any search over at most 48 allocations (FULL_LEAVES) of up to 5 rules does within its states (the reference's
# exactness condition).

def allocations_in_all(rows, rules, terms) -> int:
    """How many choice vectors :func:`exhaustive` tries (a bound on the search's allocations)."""
    free = {pid: free_units(row) for pid, row in rows.items()}
    count = 1
    for rule in rules:
        if isinstance(rule, FixedBundle):
            count *= terms.max_sets(rule, free) + 1
        elif isinstance(rule, BuyXGetY):
            most = sum(free.values()) // (rule.buy_quantity + rule.get_quantity)
            cap = terms.cap(rule)
            count *= (most if cap is None else min(most, cap)) + 1
        else:
            count *= 2
    return count


@settings(max_examples=300, **SETTINGS)
@given(groups(bxgy=True))
def test_a_buy_x_get_y_group_of_48_allocations_is_exact_within_the_default_budget(group):
    """With the default budget, a group of at most 5 rules and 48 allocations is searched to the end: the answer is
    every allocation's best, ties to the largest choices."""
    cart, rules, products, shop_floor = group
    rows = pricing.rows_of(cart.lines)
    terms = Terms(costs={pid: products[pid].cost for pid in rows}, categories={pid: None for pid in rows},
                  limits={rule.id: rule.per_customer_cap for rule in rules}, default_floor_bp=shop_floor)
    ordered = sorted(rules, key=importance)
    searched = sorted(ordered, key=allocation.step_of)
    if len(rules) > 5 or allocations_in_all(rows, searched, terms) > search.FULL_LEAVES:
        return
    priced = allocation.best_allocation(rows, ordered, terms)
    saving, choices = exhaustive(rows, searched, terms)
    assert priced.saving == saving
    assert bookings(priced) == bookings(apply(rows, searched, choices, [], terms))


@pytest.mark.parametrize("buy, get, mode, value, prices", [
    (1, 2, PricingMode.PERCENT_OFF, 10_000, (1_000, 1_000, 1_000)),  # the get units: 2/3 of the group's price
    (2, 1, PricingMode.PERCENT_OFF, 5_001, (999, 999, 999)),  # a half unit of rounding, up
    (1, 1, PricingMode.AMOUNT_OFF, 700, (1_000, 700)),  # ¥700 off: all of the ¥700 unit
    (1, 1, PricingMode.AMOUNT_OFF, 300, (1_000, 700)),  # ¥300 off the ¥700 unit: 300/700 of it
])
def test_a_buy_x_get_y_group_one_yen_better_than_a_bundle_on_the_same_units_stands(buy, get, mode, value, prices):
    """A bundle worth one yen less than the buy-X-get-Y's group, on the same units, first in the search (its greedy
    allocation): no bound may cut the group, however tightly it saves (the get units' share of the group's price,
    a rounding up, an amount off over the cheapest unit)."""
    pids = [f"u{n}" for n in range(len(prices))]
    products = {pid: Product(pid, pid, price) for pid, price in zip(pids, prices)}
    cart = Cart(tuple(CartLine(pid, 1, price) for pid, price in zip(pids, prices)))
    rule = BuyXGetY(id="2", label="x", buy_product_ids=frozenset(pids), buy_quantity=buy, get_quantity=get,
                    mode=mode, value=value)
    alone = quote_cart(cart, RuleBook((rule,)), products, now=NOW, with_offers=False).discount_total
    bundle = FixedBundle(id="1", label="b", items=tuple(BundleItem(pid) for pid in pids),
                         mode=PricingMode.AMOUNT_OFF, value=alone - 1, priority=5)
    quote = quote_cart(cart, RuleBook((bundle, rule)), products, now=NOW, with_offers=False)
    assert [(d.rule_id, d.amount) for d in quote.discounts] == [("2", alone)]


def test_a_later_buy_x_get_y_sees_every_unit_an_earlier_ones_groups_took():
    """Six units of a: "buy 2 get 1 free" (once, first in importance) then "buy 1 get 1 free". Its one group takes
    three units (two bought, one free), so the second rule forms one group from the three left (¥2,000 in all);
    three groups of the second alone save ¥3,000, the best."""
    products = {"a": Product("a", "a", 1_000)}
    first = BuyXGetY(id="1", label="2+1", buy_product_ids=frozenset("a"), buy_quantity=2, max_applications=1,
                     priority=5)
    second = BuyXGetY(id="2", label="1+1", buy_product_ids=frozenset("a"))
    quote = quote_cart(Cart((CartLine("a", 6, 1_000),)), RuleBook((first, second)), products, now=NOW,
                       with_offers=False)
    assert [(d.rule_id, d.applications, d.amount) for d in quote.discounts] == [("2", 3, 3_000)]
