"""Bounded work where stackable rules join a long cart into one group (docs/engine.md, "Bounded work").

A storewide stackable volume discount puts every product of the cart in one group, which the branch and bound
searches by pricing allocations in full. Each pricing costs about the group's runs times its rules, so the search
prices at most ``FULL_WORK // (runs × rules)`` allocations (at least the greedy one); the order rules' give-up
search adds one more search on such a cart, not seven. Counted here, not timed: how many times a quote prices the
whole group in full.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from plugin import (BundleItem, Cart, CartLine, FixedBundle, PricingMode, Product, RuleBook, VolumeDiscount,
                    VolumeTier, quote_cart)
from plugin.engine import search
from plugin.engine.rules import SpendDiscount, SpendStep

NOW = datetime(2026, 11, 30, tzinfo=timezone.utc)


def long_cart(lines: int, stackable: int):
    products = {f"q{i}": Product(f"q{i}", "q", 500 + i, category=f"c{i // 10}") for i in range(lines)}
    rules = [FixedBundle(id=str(i + 1), label="pair", items=(BundleItem(f"q{i}"), BundleItem(f"q{i + 1}")),
                         mode=PricingMode.PERCENT_OFF, value=1_000) for i in range(0, lines - 1, 2)]
    rules += [VolumeDiscount(id=str(10_000 + c), label="v", categories=frozenset({f"c{c}", f"c{c + 1}"}),
                             tiers=(VolumeTier(2, 500), VolumeTier(5, 800))) for c in range(0, lines // 10 + 1, 2)]
    everything = frozenset(f"c{c}" for c in range(lines // 10 + 1))
    rules += [VolumeDiscount(id=str(20_000 + j), label="storewide", categories=everything,
                             tiers=(VolumeTier(1, 200 + 100 * j),), stackable=True) for j in range(stackable)]
    cart = Cart(tuple(CartLine(f"q{i}", 1, products[f"q{i}"].price) for i in range(lines)))
    return cart, rules, products


def full_pricings(monkeypatch, cart, rules, products) -> tuple[int, int]:
    calls = []
    original = search.apply

    def counting(rows, *args, **kwargs):
        calls.append(sum(len(row) for row in rows.values()))
        return original(rows, *args, **kwargs)

    monkeypatch.setattr(search, "apply", counting)
    quote = quote_cart(cart, RuleBook(tuple(rules)), products, now=NOW, with_offers=False)
    return sum(runs >= 100 for runs in calls), quote.discount_total


def test_a_long_cart_under_storewide_stackable_rules_is_priced_in_full_a_few_times(monkeypatch):
    cart, rules, products = long_cart(200, 3)
    big, saving = full_pricings(monkeypatch, cart, rules, products)
    assert 1 <= big <= 2  # 200 runs × 114 rules: one allocation (the greedy one) priced in full; it was 600+
    assert saving > 0


def test_with_a_spend_step_ahead_the_give_up_search_adds_one_search_not_seven(monkeypatch):
    cart, rules, products = long_cart(200, 3)
    subtotal = sum(line.subtotal for line in cart.lines)
    step = SpendDiscount(id="s", label="spend", currency="JPY", steps=(SpendStep(subtotal - 100, percent_bp=3_000),))
    big, saving = full_pricings(monkeypatch, cart, rules + [step], products)
    plain, plain_saving = full_pricings(monkeypatch, cart, rules, products)
    assert saving >= plain_saving  # a spend discount never lowers the total
    assert big <= 4 * max(1, plain)  # the first search and one with every stackable rule given up, each bounded


def test_a_small_group_is_still_searched_exactly():
    """The work bound leaves small groups alone: two products, a bundle and a stackable rule, every allocation."""
    products = {pid: Product(pid, pid, 1_000, category="c") for pid in "ab"}
    bundle = FixedBundle(id="1", label="ab", items=(BundleItem("a"), BundleItem("b")), mode=PricingMode.PERCENT_OFF,
                         value=2_000)
    stack = VolumeDiscount(id="2", label="c", categories=frozenset({"c"}), tiers=(VolumeTier(1, 1_000),),
                           stackable=True)
    cart = Cart((CartLine("a", 2, 1_000), CartLine("b", 1, 1_000)))
    quote = quote_cart(cart, RuleBook((bundle, stack)), products, now=NOW, with_offers=False)
    # the bundle's set saves 400; the stackable 10% on what is left of every unit: 160 + 100 = 260
    assert {discount.rule_id: discount.amount for discount in quote.discounts} == {"1": 400, "2": 260}


def stackable_overlapping(k: int):
    """K stackable bundles over the same 10 products, 3 of each in the cart (``bench/engine_worst_case.py``'s
    overlapping bundles, all stackable): every rule but the last is ahead of another."""
    products = {f"p{i}": Product(f"p{i}", f"p{i}", 1_000 + 137 * i) for i in range(10)}
    cart = Cart(tuple(CartLine(f"p{i}", 3, products[f"p{i}"].price) for i in range(10)))
    shapes = [sorted({f"p{(index * 7 + j * 3) % 10}" for j in range(3)}) for index in range(k)]
    rules = [FixedBundle(id=str(index + 1), label=f"b{index}", stackable=True, mode=PricingMode.PERCENT_OFF,
                         items=tuple(BundleItem(pid, 1 + (index + j) % 2) for j, pid in enumerate(shapes[index])),
                         value=500 + (index * 37) % 2_000) for index in range(k)]
    return cart, rules, products


def candidates_priced(monkeypatch, cart, rules, products) -> int:
    """How many times a quote prices the cart's item rules with their order rules (each give-up subset once)."""
    from plugin.engine import order_rules

    calls = []
    original = order_rules._best_candidate

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(order_rules, "_best_candidate", counting)
    quote_cart(cart, RuleBook(tuple(rules)), products, now=NOW, with_offers=False)
    return len(calls)


@pytest.mark.parametrize("k, least, most", [(1, 0, 0), (4, 1 + 5, 1 + 7), (9, 1, 1 + 1), (100, 1, 1 + 1)])
def test_stackable_rules_ahead_of_others_cost_at_most_seven_more_pricings(monkeypatch, k, least, most):
    """docs "A stackable rule is given up where that saves more": every subset of up to 3 droppable rules (7
    more pricings of the cart at most; with 4 rules, 3 droppable, most subsets are priced); with more, all of
    them at once (one more), however many there are."""
    assert least <= candidates_priced(monkeypatch, *stackable_overlapping(k)) <= most


@pytest.mark.parametrize("k", [9, 20])
def test_more_than_eight_droppable_rules_are_given_up_all_at_once(monkeypatch, k):
    """docs "Best price with order rules", 3.: with a spend step within reach every stackable rule is droppable;
    each alone is tried only up to 8 of them (9 or 20 overlapping stackable bundles: one more pricing, not 10 or
    21)."""
    cart, rules, products = stackable_overlapping(k)
    subtotal = sum(line.subtotal for line in cart.lines)
    step = SpendDiscount(id="s", label="spend", currency="JPY", steps=(SpendStep(subtotal - 100, percent_bp=3_000),))
    assert candidates_priced(monkeypatch, cart, rules + [step], products) <= 1 + 1


def _one_leaf_shop(seed: int):
    """Bundles, buy-X-get-Y rules and volume discounts over six products, with a stackable volume: every group is
    searched by the branch and bound that prices allocations in full."""
    import random

    from plugin import BuyXGetY

    draw = random.Random(seed)
    pids = [f"p{i}" for i in range(6)]
    products = {pid: Product(pid, pid, draw.choice([300, 700, 1_000, 1_500]), category=draw.choice("xy"),
                             cost=draw.choice([None, 200])) for pid in pids}
    rules = []
    for n in range(draw.randint(2, 6)):
        kind = draw.choice(["bundle", "bxgy", "volume"])
        if kind == "bundle":
            items = draw.sample(pids, draw.randint(1, 3))
            rules.append(FixedBundle(id=str(n + 1), label="b", items=tuple(BundleItem(pid, draw.randint(1, 2))
                                                                           for pid in items),
                                     mode=PricingMode.PERCENT_OFF, value=draw.choice([500, 1_500, 3_000]),
                                     margin_floor_bp=draw.choice([None, 1_000])))
        elif kind == "bxgy":
            rules.append(BuyXGetY(id=str(n + 1), label="x", buy_product_ids=frozenset(draw.sample(pids, 3)),
                                  buy_quantity=draw.randint(1, 2), value=draw.choice([5_000, 10_000])))
        else:
            rules.append(VolumeDiscount(id=str(n + 1), label="v", categories=frozenset({draw.choice("xy")}),
                                        tiers=(VolumeTier(2, 500), VolumeTier(4, 1_000))))
    rules.append(VolumeDiscount(id="99", label="s", categories=frozenset("xy"), tiers=(VolumeTier(1, 300),),
                                stackable=True))
    cart = Cart(tuple(CartLine(pid, draw.randint(1, 4), products[pid].price) for pid in pids if draw.random() < 0.8))
    return cart, rules, products


@pytest.mark.parametrize("seed", range(60))
def test_the_one_leaf_a_long_cart_may_price_is_the_branch_and_bounds_first(monkeypatch, seed):
    """Where the branch and bound may price one allocation in full (``leaves`` 1: here forced by ``FULL_WORK``), it
    is found in one pass; the same quote as the branch and bound walking to that leaf, budget spent included."""
    cart, rules, products = _one_leaf_shop(seed)
    monkeypatch.setattr(search, "FULL_WORK", 1)
    spent = {}
    original_run = search.GroupSearch.run

    def recording(self):
        choices = original_run(self)
        spent.setdefault(label, []).append((choices, self.budget[0], self.leaves, self.best_saving))
        return choices

    monkeypatch.setattr(search.GroupSearch, "run", recording)
    label = "one pass"
    fast = quote_cart(cart, RuleBook(tuple(rules)), products, now=NOW, with_offers=False)
    monkeypatch.setattr(search.GroupSearch, "_only_leaf", lambda self, free: None)
    label = "walked"
    walked = quote_cart(cart, RuleBook(tuple(rules)), products, now=NOW, with_offers=False)
    assert fast == walked
    assert spent.get("one pass") == spent.get("walked")


@pytest.mark.parametrize("seed", range(60))
def test_a_search_that_may_price_two_allocations_walks_the_branch_and_bound(monkeypatch, seed):
    """With two allocations to price in full the second may be better: the one-pass leaf is not taken."""
    cart, rules, products = _one_leaf_shop(seed)
    original_init = search.GroupSearch.__init__

    def two_leaves(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        if self.full:
            self.leaves = min(self.leaves, 2)

    monkeypatch.setattr(search.GroupSearch, "__init__", two_leaves)
    fast = quote_cart(cart, RuleBook(tuple(rules)), products, now=NOW, with_offers=False)
    monkeypatch.setattr(search.GroupSearch, "_only_leaf", lambda self, free: None)
    assert fast == quote_cart(cart, RuleBook(tuple(rules)), products, now=NOW, with_offers=False)


@pytest.mark.parametrize("lines", [20, 40])
def test_a_group_of_pair_bundles_and_the_volume_linking_them_is_proved_in_one_state_per_rule(lines):
    """The rate bound, carried from state to state, cuts every branch that gives a 10% pair up to the volume's 8%
    at once: the search spends one state per rule of each group (``docs/engine.md``, "Bounded work"). A looser
    bound gives the same answer after more states; counted here, not timed."""
    cart, rules, products = long_cart(lines, 0)
    spent = []
    original_run = search.GroupSearch.run

    def recording(self):
        before = self.budget[0]
        choices = original_run(self)
        spent.append((before - self.budget[0], len(self.rules)))
        return choices

    import unittest.mock
    with unittest.mock.patch.object(search.GroupSearch, "run", recording), \
            unittest.mock.patch.object(search.GroupSearch, "_greedy_is_best", lambda *args: False):
        quote = quote_cart(cart, RuleBook(tuple(rules)), products, now=NOW, with_offers=False)
    assert spent and all(states == rules_searched for states, rules_searched in spent), spent
    # Each such group's greedy allocation is proved best before the search starts: no state at all.
    spent.clear()
    with unittest.mock.patch.object(search.GroupSearch, "run", recording):
        assert quote_cart(cart, RuleBook(tuple(rules)), products, now=NOW, with_offers=False) == quote
    assert spent and all(states == 0 for states, _ in spent), spent
    from plugin.engine.money import percent_of
    assert quote.discount_total == sum(percent_of(products[f"q{i}"].price + products[f"q{i + 1}"].price, 1_000)
                                       for i in range(0, lines, 2))  # every pair its 10%


def _greedy_shop(seed: int):
    """Bundles that share no product (percent, amount or fixed price, one to three units of an item, some capped or
    floored) and one or two volume discounts over them and other products, some limited in units; lines at two
    prices and several units: groups too large to walk whole, where the greedy allocation is sometimes proved best
    at once and sometimes not."""
    import random

    draw = random.Random(seed)
    pids = [f"p{i}" for i in range(draw.randint(8, 14))]
    products = {pid: Product(pid, pid, draw.choice([100, 300, 505, 700, 1_000, 1_999]), category=draw.choice("xyz"),
                             cost=draw.choice([None, None, 150, 400])) for pid in pids}
    free = list(pids)
    draw.shuffle(free)
    rules = []
    while len(free) >= 2 and len(rules) < 7:
        items = [free.pop() for _ in range(draw.randint(1, min(3, len(free))))]
        mode = draw.choice([PricingMode.PERCENT_OFF, PricingMode.PERCENT_OFF, PricingMode.AMOUNT_OFF,
                            PricingMode.FIXED_PRICE])
        value = {PricingMode.PERCENT_OFF: draw.choice([800, 1_000, 1_500, 2_500]),
                 PricingMode.AMOUNT_OFF: draw.choice([50, 120, 400]),
                 PricingMode.FIXED_PRICE: draw.choice([600, 1_500, 2_500])}[mode]
        bundle_items = tuple(BundleItem(pid, draw.choice([1, 1, 2, 3])) for pid in items)
        set_units = sum(item.quantity for item in bundle_items)
        rules.append(FixedBundle(id=str(len(rules) + 1), label="b", items=bundle_items, mode=mode, value=value,
                                 max_units=draw.choice([None, None, set_units, 2 * set_units]),
                                 margin_floor_bp=draw.choice([None, None, 0, 2_000]),
                                 priority=draw.randint(0, 3)))
    for n in range(draw.randint(1, 2)):
        tiers = tuple(VolumeTier(count, rate) for count, rate in
                      zip(sorted(draw.sample(range(1, 6), 2)), sorted(draw.sample([300, 500, 800, 1_000], 2))))
        rules.append(VolumeDiscount(id=str(100 + n), label="v",
                                    categories=frozenset(draw.sample("xyz", draw.randint(1, 3))), tiers=tiers,
                                    max_units=draw.choice([None, None, 3]), priority=draw.randint(0, 3)))
    lines = []
    for pid in pids:
        if draw.random() < 0.85:
            lines.append(CartLine(pid, draw.randint(1, 4), products[pid].price))
            if draw.random() < 0.2:
                lines.append(CartLine(pid, draw.randint(1, 2), products[pid].price + 150))
    return Cart(tuple(lines)), rules, products


def test_a_greedy_allocation_proved_best_at_once_is_the_one_the_search_finds(monkeypatch):
    """``GroupSearch._greedy_is_best`` skips the search where no allocation can beat the greedy one (bundles that
    share no product, volumes bounded by their top rate): the same quote as the search, on random shops where it
    proves some groups and not others."""
    proved = []
    original = search.GroupSearch._greedy_is_best

    def recording(self, *args):
        found = original(self, *args)
        proved.append(found)
        return found

    for seed in range(400):
        cart, rules, products = _greedy_shop(seed)
        book = RuleBook(tuple(rules))
        monkeypatch.setattr(search.GroupSearch, "_greedy_is_best", recording)
        fast = quote_cart(cart, book, products, now=NOW, with_offers=False)
        monkeypatch.setattr(search.GroupSearch, "_greedy_is_best", lambda *args: False)
        assert fast == quote_cart(cart, book, products, now=NOW, with_offers=False), seed
    assert proved.count(True) >= 10 and proved.count(False) >= 10, (proved.count(True), proved.count(False))


def test_a_volume_rounding_up_on_more_units_is_not_proved_away(monkeypatch):
    """A bundle's 10% of a ¥101 (¥10) and the volume's 10% of a ¥104 left to it (¥10) save ¥20; the volume's 10% of
    both (¥20.5) rounds up to ¥21. The top rates alone (¥10.1 + ¥10.4) stay under ¥21, so the proof must also
    count each volume's half a yen of rounding, and leave this group to the search."""
    products = {"a": Product("a", "a", 101, category="k"), "c": Product("c", "c", 104, category="k")}
    rules = [FixedBundle(id="1", label="a", items=(BundleItem("a"),), mode=PricingMode.PERCENT_OFF, value=1_000)]
    for n in range(5):  # five more bundles the volume counts: too many choices to walk the group whole
        products[f"d{n}"] = Product(f"d{n}", "d", 200, category="k")
        rules.append(FixedBundle(id=str(n + 2), label="d", items=(BundleItem(f"d{n}"),),
                                 mode=PricingMode.PERCENT_OFF, value=5_000))
    rules.append(VolumeDiscount(id="9", label="k", categories=frozenset({"k"}), tiers=(VolumeTier(1, 1_000),)))
    cart = Cart(tuple(CartLine(pid, 1, product.price) for pid, product in products.items()))
    proved = []
    original = search.GroupSearch._greedy_is_best
    monkeypatch.setattr(search.GroupSearch, "_greedy_is_best",
                        lambda self, *args: proved.append(original(self, *args)) or proved[-1])
    quote = quote_cart(cart, RuleBook(tuple(rules)), products, now=NOW, with_offers=False)
    assert proved == [False]
    assert {d.rule_id: d.amount for d in quote.discounts} == {"2": 100, "3": 100, "4": 100, "5": 100, "6": 100,
                                                              "9": 21}


def _tops(lines: int, pairs: int):
    """"2点買うと1点無料" over one category of a long cart, a volume discount of at most ten units on it, and
    ``pairs`` pair bundles on its first products."""
    from plugin import BuyXGetY

    products = {f"t{i}": Product(f"t{i}", "t", 500 + 7 * i, category="tops") for i in range(lines)}
    rules = [BuyXGetY(id="1", label="2+1", buy_categories=frozenset({"tops"}), buy_quantity=2),
             VolumeDiscount(id="2", label="v", categories=frozenset({"tops"}), max_units=10,
                            tiers=(VolumeTier(2, 500), VolumeTier(5, 1_000)))]
    rules += [FixedBundle(id=str(100 + i), label="p", items=(BundleItem(f"t{2 * i}"), BundleItem(f"t{2 * i + 1}")),
                          mode=PricingMode.PERCENT_OFF, value=1_500) for i in range(pairs)]
    cart = Cart(tuple(CartLine(pid, 1, product.price) for pid, product in products.items()))
    return cart, rules, products


@pytest.mark.parametrize("pairs, most", [(0, 1), (10, 2)])
def test_a_limited_volume_after_the_groups_is_bounded_by_the_units_they_leave(monkeypatch, pairs, most):
    """What a volume limited to ten units could save after the buy-X-get-Y's groups is read from the units the
    groups leave it (the dearest ten of those, at its tier): an upper bound that counts units the groups took, or
    their price where a floor would leave less, is looser and prices more allocations in full for the same answer
    (counted here, not timed). Without bundles every unit of a product is the volume's; with them, those after the
    sets."""
    priced, saved = full_pricings(monkeypatch, *_tops(200, pairs))
    assert priced <= most
    assert saved == {0: 79_019, 10: 77_514}[pairs]


@pytest.mark.parametrize("seed", range(30))
def test_a_limited_volume_over_whole_rows_reads_the_same_units_as_over_their_spans(seed):
    """``GroupSearch._limited`` without spans (no bundle in the group, every unit free: each product's units are all
    the volume's) gives the price and headroom it gives with each product's whole span, floors, several runs a
    product and units gone to groups included."""
    import random

    from plugin.engine.units import Run, Terms

    draw = random.Random(seed)
    rows, costs = {}, {}
    for index in range(draw.randint(1, 8)):
        pid = f"p{index}"
        costs[pid] = draw.choice([None, 200, 450])
        rows[pid] = [Run(pid, price, draw.randint(1, 3), price)
                     for price in sorted(draw.sample([300, 500, 800, 1_000], draw.randint(1, 2)), reverse=True)]
    rule = VolumeDiscount(id="v", label="v", categories=frozenset({"k"}), max_units=draw.randint(1, 6),
                          tiers=(VolumeTier(1, 1_000),), margin_floor_bp=draw.choice([None, 0, 2_000]))
    terms = Terms(costs=costs, categories={pid: "k" for pid in rows}, limits={})
    group = search.GroupSearch(rows, [rule], [], terms, [100])
    gone = {(pid, index): draw.randint(0, run.count) for pid, row in rows.items()
            for index, run in enumerate(row) if draw.random() < 0.4}
    spans = [(pid, 0, sum(run.count for run in row)) for pid, row in rows.items()]
    for rate in (500, 1_000):
        for taken in (gone, None):
            assert group._limited(rule, None, rate, taken) == group._limited(rule, spans, rate, taken)
