"""The order rules' search (docs/engine.md, "Best price with order rules") and the work it skips.

The engine prices a candidate that gives item savings up for each threshold ahead, built from small menus per
group of item rules and combined within a budget. It skips what cannot change the answer: the menus when no
candidate can beat the first (an upper bound per interval between thresholds), menus that combining never
reaches, and writing the shares of candidates it can total exactly. Each shortcut is checked here against the
same engine with the shortcut switched off (the quote must be equal, every line, discount and rung), and the
pieces against references written from the doc.
"""
from __future__ import annotations

import contextlib
import math

from hypothesis import example, given, settings
from hypothesis import strategies as st

from plugin import BundleItem, Cart, CartLine, FixedBundle, PricingMode, Product, RuleBook, quote_cart
from plugin.engine import order_rules
from plugin.engine.order_rules import _combine, _Option, _picks, _spend_at
from plugin.engine.rules import FreeGift, SpendDiscount, SpendStep, VolumeDiscount, VolumeTier
from plugin.engine.units import Run
from test_engine_reference import FAST, NOW, bundle, shops

STEP_PERCENTS = (500, 1_000, 2_500, 5_000, 10_000)


@contextlib.contextmanager
def replaced_in(module, name, value):
    """``module.<name>`` replaced for the block (hypothesis runs examples inside one test call, so pytest's
    per-test monkeypatch would not undo it between them)."""
    original = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, original)


def replaced(name, value):
    """``order_rules.<name>`` replaced for the block."""
    return replaced_in(order_rules, name, value)


def every_candidate(*_args) -> bool:
    return True  # the bound switched off: every candidate is built and priced


def priced_in_full(original):
    """``_order_saving`` that never totals a candidate without writing its shares (as if a floor could bind)."""
    def never_exact(*args, **kwargs):
        return None, original(*args, **kwargs)[1]
    return never_exact


def ladder_of(draw, thresholds, percents, stingy=False):
    """Steps at ``thresholds``, each taking more off at its threshold than the steps below (amount or percent);
    ``stingy``: amounts only, each at most ¥20 more than the steps below take (rarely worth any item saving)."""
    steps = []
    for threshold in sorted(set(thresholds)):
        below = max((step.saving_at(threshold) for step in steps), default=0)
        least_bp = -(-(2 * below + 1) * 10_000 // (2 * threshold))  # rounded half up, it takes more than below
        if least_bp <= 10_000 and not stingy and not draw(st.integers(0, 3)):
            steps.append(SpendStep(threshold, percent_bp=draw(percents(least_bp))))
        elif below < threshold:
            most = min(threshold, below + (20 if stingy else threshold))
            steps.append(SpendStep(threshold, amount_off=draw(st.integers(below + 1, most))))
    return tuple(steps)


@st.composite
def spend_ahead(draw, counted: int, subtotal: int, stingy: bool = False):
    """One to three spend discounts whose steps lie between what the item discounts leave and the subtotal (each
    needs a candidate that gives item savings up), amounts from what the steps below take to the threshold."""
    def percents(least):
        return st.sampled_from([bp for bp in STEP_PERCENTS if bp >= least] or [10_000])

    return [SpendDiscount(id=f"s{index}", label="s", currency="JPY", stackable=draw(st.booleans()),
                          priority=draw(st.integers(0, 1)),
                          steps=ladder_of(draw, draw(st.lists(st.integers(counted + 1, max(counted + 1, subtotal)),
                                                              min_size=1, max_size=4)), percents, stingy))
            for index in range(draw(st.integers(1, 3)))]


@st.composite
def gifts_ahead(draw, shop, counted: int, subtotal: int):
    """Up to two gifts of products of the cart (or not), by threshold near the counted amount and/or trigger."""
    pids = sorted(shop.products)
    found = []
    for index in range(draw(st.integers(0, 2))):
        gift = draw(st.sampled_from([line.product_id for line in shop.lines] + pids))
        threshold = draw(st.none() | st.integers(max(1, counted - 500), subtotal + 200))
        triggers = frozenset(draw(st.lists(st.sampled_from(pids), max_size=2))) - {gift}
        if threshold is None and not triggers:
            threshold = 1
        found.append(FreeGift(id=f"g{index}", label="g", currency="JPY", gift_product_id=gift, threshold=threshold,
                              trigger_product_ids=triggers))
    return found


@st.composite
def shops_with_steps_ahead(draw):
    shop = draw(shops(max_rules=5, floors=draw(st.booleans()), exclusive=draw(st.booleans()),
                      shop_floor=draw(st.booleans())))
    plain = shop.quote()
    counted, subtotal = plain.subtotal - plain.discount_total, plain.subtotal  # equal: no step is ahead
    if draw(st.booleans()):  # small steps, no gift: the bound mostly finds no candidate worth building
        return shop, draw(spend_ahead(counted, subtotal, stingy=True))
    return shop, draw(spend_ahead(counted, subtotal)) + draw(gifts_ahead(shop, counted, subtotal))


@settings(max_examples=300, **FAST)
@given(shops_with_steps_ahead(), st.booleans())
def test_skipping_the_menus_when_no_step_ahead_is_worth_its_cost_changes_no_quote(drawn, offers):
    shop, extra = drawn
    expected = shop.quote(extra=extra, with_offers=offers, max_offers=3)
    with replaced("_worth_trying", every_candidate):
        assert shop.quote(extra=extra, with_offers=offers, max_offers=3) == expected


@settings(max_examples=300, **FAST)
@given(shops_with_steps_ahead())
def test_totalling_candidates_without_writing_their_shares_changes_no_quote(drawn):
    """Only the best candidate's spend discounts are spread; the others are totalled from per-product tallies."""
    shop, extra = drawn
    expected = shop.quote(extra=extra)
    with replaced("_order_saving", priced_in_full(order_rules._order_saving)):
        assert shop.quote(extra=extra) == expected


def test_a_ladder_not_worth_its_cost_builds_no_menu_and_a_rich_one_does():
    """Twenty ¥1,000 products in ten pairs at 10% off (¥2,000 saved, ¥18,000 left). A step at ¥18,200 taking
    ¥100 off costs at least a pair's ¥200: never worth it, seen before any menu is built. Taking ¥300 off, it
    is: one pair is given up, 2,000 - 200 + 300."""
    products = {f"p{i}": Product(f"p{i}", "p", 1_000) for i in range(20)}
    pairs = [bundle(str(i + 1), {f"p{2 * i}": 1, f"p{2 * i + 1}": 1}, "percent_off", 1_000) for i in range(10)]
    cart = Cart(tuple(CartLine(pid, 1, 1_000) for pid in products))
    built = []
    original = order_rules._menus

    def counting(*args):
        built.append(True)
        return original(*args)

    with replaced("_menus", counting):
        for amount, expected, menus in ((100, 2_000, []), (300, 2_100, [True])):
            step = SpendDiscount(id="s", label="s", currency="JPY", steps=(SpendStep(18_200, amount_off=amount),))
            got = quote_cart(cart, RuleBook((*pairs, step)), products, now=NOW, with_offers=False)
            assert got.discount_total == expected and built == menus
        # A far step not worth its cost (¥100 for ¥1,800 given up) does not hide the near one that is.
        near = SpendDiscount(id="s", label="s", currency="JPY", steps=(SpendStep(18_200, amount_off=300),))
        far = SpendDiscount(id="t", label="t", currency="JPY", steps=(SpendStep(19_800, amount_off=100),))
        got = quote_cart(cart, RuleBook((*pairs, far, near)), products, now=NOW, with_offers=False)
        assert got.discount_total == 2_100


def test_a_group_past_the_menus_budget_still_offers_giving_up_its_rules():
    """140 one-unit bundles, a group each: the first 128 list both their allocations (256 in all), the rest only
    "none of its rules". Giving up the one bundle saving ¥100 (the 136th) reaches a ¥300 step."""
    products = {f"u{i:03}": Product(f"u{i:03}", "u", 1_000) for i in range(140)}
    rules = [bundle(str(i + 1), {f"u{i:03}": 1}, "amount_off", 100 if i == 135 else 500) for i in range(140)]
    cart = Cart(tuple(CartLine(pid, 1, 1_000) for pid in products))
    item_saving = 139 * 500 + 100
    counted = 140_000 - item_saving
    step = SpendDiscount(id="s", label="s", currency="JPY", steps=(SpendStep(counted + 100, amount_off=300),))
    got = quote_cart(cart, RuleBook((*rules, step)), products, now=NOW, with_offers=False)
    assert got.discount_total == item_saving - 100 + 300
    assert "136" not in {discount.rule_id for discount in got.discounts}


def test_a_fixed_price_bundle_taking_more_sets_may_save_less_and_stays_on_the_menu():
    """a at ¥1,000 and at ¥300, "one for ¥500": one set saves 500, two save 300 (1,300 - 1,000). Giving ¥200 up
    (two sets) reaches the ¥1,000 step taking ¥250 off: 300 + 250, against 500 alone or 0 + 250."""
    products = {"a": Product("a", "A", 1_000)}
    one_for_500 = bundle("1", {"a": 1}, "fixed_price", 500)
    step = SpendDiscount(id="s", label="s", currency="JPY", steps=(SpendStep(1_000, amount_off=250),))
    cart = Cart((CartLine("a", 1, 1_000), CartLine("a", 1, 300)))
    got = quote_cart(cart, RuleBook((one_for_500, step)), products, now=NOW, with_offers=False)
    assert {d.rule_id: d.amount for d in got.discounts} == {"1": 300, "s": 250}


def test_a_group_of_exactly_as_many_allocations_as_a_menu_lists_offers_each_of_them():
    """Four one-unit bundles (¥100 to ¥400 off) joined by a volume discount no cart here reaches: 2**4 * 2 = 32
    allocations, all on the menu. Giving up the ¥100 bundle alone reaches the ¥500 step: 1,000 - 100 + 500."""
    products = {f"p{i}": Product(f"p{i}", "p", 1_000, category="all") for i in range(4)}
    rules = [bundle(str(i + 1), {f"p{i}": 1}, "amount_off", 100 * (i + 1)) for i in range(4)]
    rules.append(VolumeDiscount(id="9", label="v", categories=frozenset({"all"}), tiers=(VolumeTier(5, 500),)))
    step = SpendDiscount(id="s", label="s", currency="JPY", steps=(SpendStep(3_100, amount_off=500),))
    cart = Cart(tuple(CartLine(pid, 1, 1_000) for pid in products))
    got = quote_cart(cart, RuleBook((*rules, step)), products, now=NOW, with_offers=False)
    assert {d.rule_id: d.amount for d in got.discounts} == {"2": 200, "3": 300, "4": 400, "s": 500}


def test_bundles_sharing_a_product_are_counted_together_for_the_menu():
    """Two units of a and four "one a" bundles (¥400 to ¥100 off): 15 ways to take at most two sets, all on the
    menu. Moving one set to the ¥300 bundle gives ¥100 up and reaches the ¥500 step: 700 + 500."""
    products = {"a": Product("a", "A", 1_000)}
    rules = [bundle(str(i + 1), {"a": 1}, "amount_off", 400 - 100 * i) for i in range(4)]
    step = SpendDiscount(id="s", label="s", currency="JPY", steps=(SpendStep(1_300, amount_off=500),))
    got = quote_cart(Cart((CartLine("a", 2, 1_000),)), RuleBook((*rules, step)), products, now=NOW,
                     with_offers=False)
    assert {d.rule_id: d.amount for d in got.discounts} == {"1": 400, "2": 300, "s": 500}


def test_a_spend_discount_held_back_by_an_item_rules_floor_is_not_counted_whole():
    """a (cost ¥900) takes a 10% bundle with a 0% floor: ¥900 left, at its floor. ¥1,000 of b holds the rest.
    The first candidate reaches the ¥1,500 step (¥1,500 off) but only b's ¥1,000 has room: 100 + 1,000. Giving
    the bundle up reaches the ¥2,000 step, ¥1,600 off with room for it: better, though counting a's ¥900 as room
    would make the first candidate look as good (100 + 1,500)."""
    products = {"a": Product("a", "A", 1_000, cost=900), "b": Product("b", "B", 1_000)}
    tenth = bundle("1", {"a": 1}, "percent_off", 1_000, margin_floor_bp=0)
    step = SpendDiscount(id="s", label="s", currency="JPY",
                         steps=(SpendStep(1_500, amount_off=1_500), SpendStep(2_000, amount_off=1_600)))
    cart = Cart((CartLine("a", 1, 1_000), CartLine("b", 1, 1_000)))
    got = quote_cart(cart, RuleBook((tenth, step)), products, now=NOW, with_offers=False)
    assert {d.rule_id: d.amount for d in got.discounts} == {"s": 1_600}


@st.composite
def shops_giving_up(draw):
    """Shops with steps ahead whose item rules are often stackable or exclusive (what the order rules may give up)."""
    shop, extra = draw(shops_with_steps_ahead())
    specs = tuple(dict(spec, stackable=draw(st.booleans()), exclusive=draw(st.booleans())) for spec in shop.specs)
    return type(shop)(shop.products, shop.lines, specs, shop.customer_used, shop.floor_bp), extra


@settings(max_examples=300, **FAST)
@given(shops_giving_up())
def test_the_bound_on_a_rule_set_is_at_least_what_its_best_candidate_saves(drawn):
    """docs/engine.md, "Work skipped": a set of item rules (all of them, or those left once some are given up)
    never saves more in all than its bound: each unit at its best non-stackable rate plus the stackable rates,
    the gifts' dearest units, the spend discounts at the counted amounts that bound allows."""
    shop, extra = drawn
    original = order_rules._best_candidate
    checked = []

    def checking(rows, item_rules, order_live, terms, products, cache=None, found_groups=None):
        found = original(rows, item_rules, order_live, terms, products, cache, found_groups)
        subtotal = sum(run.price * run.count for row in rows.values() for run in row)
        bound = order_rules._total_bound(rows, order_live, subtotal,
                                         order_rules._item_saving_bound(rows, item_rules, terms))
        assert found.saving <= bound, (found.saving, bound, [rule.id for rule in item_rules])
        checked.append(bound - found.saving)
        return found

    with replaced("_best_candidate", checking), replaced("_item_saving_bound", order_rules._item_saving_bound):
        shop.quote(extra=extra)


@settings(max_examples=300, **FAST)
@given(shops_giving_up(), st.booleans())
def test_skipping_a_rule_set_to_give_up_that_cannot_beat_the_candidate_in_hand_changes_no_quote(drawn, offers):
    shop, extra = drawn
    expected = shop.quote(extra=extra, with_offers=offers, max_offers=3)
    with replaced("_item_saving_bound", lambda *_args: 1e15):
        assert shop.quote(extra=extra, with_offers=offers, max_offers=3) == expected


def searched_rule_sets(cart, rules, products):
    """The sets of item rules the order rules price (their ids), and the quote."""
    original = order_rules._best_candidate
    searched = []

    def keeping(rows, item_rules, *args):
        searched.append({rule.id for rule in item_rules})
        return original(rows, item_rules, *args)

    with replaced("_best_candidate", keeping):
        got = quote_cart(cart, RuleBook(tuple(rules)), products, now=NOW, with_offers=False)
    return searched, got


def test_a_stackable_rule_worth_more_than_any_step_is_not_given_up_and_one_that_is_not_is():
    """Ten ¥1,000 products under a stackable 20% off (¥2,000): a ¥9,000 step taking ¥300 off is reached only
    without it, and giving it up can save ¥300 at most: not searched. Under a stackable 2% (¥200) it may pay,
    and does: 300 instead of 200."""
    products = {f"p{i}": Product(f"p{i}", "p", 1_000) for i in range(10)}
    cart = Cart(tuple(CartLine(pid, 1, 1_000) for pid in products))
    step = SpendDiscount(id="s", label="s", currency="JPY", steps=(SpendStep(9_900, amount_off=300),))
    for rate, searched_sets, saved in ((2_000, [{"v"}], {"v": 2_000}), (200, [{"v"}, set()], {"s": 300})):
        volume = VolumeDiscount(id="v", label="v", product_ids=frozenset(products), stackable=True,
                                tiers=(VolumeTier(1, rate),))
        searched, got = searched_rule_sets(cart, [volume, step], products)
        assert searched == searched_sets
        assert {d.rule_id: d.amount for d in got.discounts} == saved


def test_the_bound_takes_each_rules_best_rate_and_stacks_the_stackable_ones():
    """a, b at ¥1,000 each: a bundle of both at 10% (a non-stackable ¥200 bundle of a alone is worth 20% of a),
    a stackable 5% on a and b, a stackable ¥300 off a pair of a (two units: ¥300 over ¥2,000 is 15%), a fixed
    price of ¥1,600 for a and b (20%). a: 20% + 5% + 15%, b: 20% + 5%, and a unit for each rule's rounding."""
    from plugin.engine.units import Terms

    rows = {"a": [Run("a", 1_000, 2, 1_000)], "b": [Run("b", 1_000, 1, 1_000)]}
    rules = [FixedBundle(id="1", label="r", items=(BundleItem("a"), BundleItem("b")), mode=PricingMode.PERCENT_OFF,
                         value=1_000),
             FixedBundle(id="2", label="r", items=(BundleItem("a"),), mode=PricingMode.AMOUNT_OFF, value=200),
             VolumeDiscount(id="3", label="r", product_ids=frozenset({"a", "b"}), tiers=(VolumeTier(1, 500),),
                            stackable=True),
             FixedBundle(id="4", label="r", items=(BundleItem("a", 2),), mode=PricingMode.AMOUNT_OFF, value=300,
                         stackable=True),
             FixedBundle(id="5", label="r", items=(BundleItem("a"), BundleItem("b")), mode=PricingMode.FIXED_PRICE,
                         value=1_600)]
    terms = Terms(costs={}, categories={"a": None, "b": None}, limits={})
    assert math.isclose(order_rules._item_saving_bound(rows, rules, terms), 2_000 * 0.40 + 1_000 * 0.25 + 5,
                        rel_tol=1e-6)
    # An amount off is read over its cheapest set: c at ¥1,000 and at ¥500, ¥300 off one c is 60% of the cheaper.
    rows = {"c": [Run("c", 1_000, 1, 1_000), Run("c", 500, 1, 500)]}
    rule = FixedBundle(id="6", label="r", items=(BundleItem("c"),), mode=PricingMode.AMOUNT_OFF, value=300)
    terms = Terms(costs={}, categories={"c": None}, limits={})
    assert math.isclose(order_rules._item_saving_bound(rows, [rule], terms), 1_500 * 0.6 + 1, rel_tol=1e-6)


# -- the pieces, against references from the doc -----------------------------------------------------------------

@st.composite
def spend_discounts(draw):
    """Up to ten steps, each taking more off at its threshold than the steps below (amounts or percentages)."""
    steps = ladder_of(draw, draw(st.lists(st.integers(1, 20_000), min_size=1, max_size=10)),
                      lambda least: st.integers(least, 10_000))
    return SpendDiscount(id=draw(st.sampled_from("abc")), label="s", currency="JPY", steps=steps,
                         stackable=draw(st.booleans()))


@settings(max_examples=200, **FAST)
@given(st.lists(spend_discounts(), min_size=1, max_size=4), st.lists(st.integers(0, 25_000), min_size=1, max_size=8))
def test_the_spend_read_from_running_maxima_is_what_the_rules_take(rules, amounts):
    """One non-stackable spend discount (the one saving most) plus every stackable one, each its ``saving_at``."""
    spend_at = _spend_at(rules)
    at_steps = {step.threshold + offset for rule in rules for step in rule.steps for offset in (-1, 0, 1)}
    for counted in sorted(set(amounts) | at_steps):
        expected = (max((rule.saving_at(counted) for rule in rules if not rule.stackable), default=0)
                    + sum(rule.saving_at(counted) for rule in rules if rule.stackable))
        assert spend_at(counted) == expected


def combine_reference(menus, need, budget):
    """The doc's combination: group by group, every sum reached so far below ``need`` (in the order reached) is
    extended by each option of the group; a sum keeps the first way it was reached; at most ``budget`` steps.
    Returns the sums with their picks, and the steps taken."""
    reached = {0: ()}
    steps = 0
    for group, options in enumerate(menus):
        for loss, picks in list(reached.items()):
            if loss >= need:
                continue
            for index, option in enumerate(options):
                if steps == budget:
                    return reached, steps
                steps += 1
                reached.setdefault(loss + option, picks + ((group, index),))
    return reached, steps


@settings(max_examples=500, **FAST)
@given(st.lists(st.lists(st.integers(1, 60), min_size=1, max_size=4), max_size=8), st.integers(1, 200),
       st.integers(1, 120))
def test_combining_menus_reaches_the_sums_the_doc_names_the_way_it_names(losses, need, budget):
    menus = [([], [_Option(loss, None) for loss in options]) for options in losses]
    expected, steps = combine_reference(losses, need, budget)
    with replaced("COMBINE_BUDGET", budget):
        taken = []
        parents = _combine(iter(menus), need, taken)
    assert list(parents) == list(expected)  # the same sums, reached in the same order
    for total, picks in expected.items():
        assert _picks(parents, total) == list(picks)
    assert taken == menus[:len(taken)]
    assert len(taken) == len(menus) or steps == budget  # a menu is left unread only once the budget is spent


@settings(max_examples=300, **FAST)
@given(st.lists(spend_discounts(), min_size=1, max_size=4), st.integers(0, 3_000), st.integers(0, 3_000),
       st.booleans())
@example([SpendDiscount(id="a", label="s", currency="JPY", stackable=True, steps=(SpendStep(34, percent_bp=9_244),)),
          SpendDiscount(id="b", label="s", currency="JPY", stackable=True, steps=(SpendStep(10, percent_bp=500),))],
         93, 24, True)  # x = 21 reads 21 + 71 (both percentages round up), one more than the end, 24 + 67
def test_the_total_bound_is_at_least_every_item_saving_plus_the_spend_it_leaves(rules, subtotal, item_most, whole):
    """No gifts: an order whose item rules save ``x`` (whole, at most ``item_most``) counts ``subtotal - x``, where
    its spend discounts take at most :func:`_spend_at` and never more than that amount (each is held to the
    price left); the bound is at least ``x`` plus that, for every ``x`` (several spend discounts rounding each on
    their own included, and percentages adding up to more than 100%)."""
    item_most = min(item_most, subtotal) + (0 if whole else 0.5)
    bound = order_rules._total_bound({}, rules, subtotal, item_most)
    spend_at = _spend_at(rules)
    most, at = max((x + min(spend_at(subtotal - x), subtotal - x), x) for x in range(int(item_most) + 1))
    assert most <= bound, (most, at, bound)
