"""Buy X get Y and per-unit limits (``max_units``), named cases worked out by hand from docs/engine.md.

The brute-force reference (``tests/test_engine_reference.py``) and the exhaustive search comparisons
(``tests/test_engine_search.py``) draw both kinds at random; these pin the documented choices one by one.
"""
from datetime import datetime, timezone

import pytest

from plugin import (BundleItem, BuyXGetY, Cart, CartLine, FixedBundle, PricingMode, Product, RuleBook, RuleError,
                    ShippingThreshold, VolumeDiscount, VolumeTier, quote_cart)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
TOPS = {pid: Product(pid, pid.upper(), price, category="tops")
        for pid, price in (("a", 1_000), ("b", 900), ("c", 800), ("d", 700), ("e", 600), ("f", 500))}


def view(lines, *rules, products=TOPS, **options):
    cart = Cart(tuple(CartLine(pid, quantity, price) for pid, quantity, price in lines))
    quote = quote_cart(cart, RuleBook(rules), products, now=NOW, with_offers=False, **options)
    return quote.discount_total, {d.rule_id: (d.amount, d.applications) for d in quote.discounts}, quote


def bxgy(rule_id="x", **terms):
    terms.setdefault("buy_categories", frozenset({"tops"}))
    return BuyXGetY(id=rule_id, label=rule_id, **terms)


def one_each(*pids):
    return [(pid, 1, TOPS[pid].price) for pid in pids]


def test_two_bought_one_free_groups_the_units_for_the_shopper():
    # Price order 1,000 900 800 | 700 600 500: (1,000 + 900 → 800 free) and (700 + 600 → 500 free) = 1,300,
    # not the two cheapest units free (1,100).
    total, rules, quote = view(one_each(*"abcdef"), bxgy(buy_quantity=2, get_quantity=1))
    assert (total, rules) == (1_300, {"x": (1_300, 2)})
    assert {(u.product_id, u.amount) for u in quote.discounts[0].units} == {("c", 800), ("f", 500)}


def test_the_third_unit_half_price_takes_the_cheapest_of_the_three():
    # 3点目半額 on a 1,000, 900, 800: 50% of 800 = 400; with two units there is no group.
    rule = bxgy(buy_quantity=2, value=5_000)
    assert view(one_each("a", "b", "c"), rule)[:2] == (400, {"x": (400, 1)})
    assert view(one_each("a", "b"), rule)[:2] == (0, {})


def test_a_get_set_of_its_own_is_never_dearer_than_the_unit_bought():
    # Sneakers (9,800) → shoe care 20% off. The walk: the sneaker opens a group, the care spray (800) fills it:
    # 160. A 12,000 "care" unit comes before the sneaker in price order, so it never fills a place.
    products = {"snk": Product("snk", "S", 9_800, category="shoes"), "spray": Product("spray", "C", 800, category="care"),
                "gold": Product("gold", "G", 12_000, category="care")}
    rule = BuyXGetY(id="s", label="s", buy_categories=frozenset({"shoes"}), get_categories=frozenset({"care"}),
                    value=2_000)
    assert view([("snk", 1, 9_800), ("spray", 1, 800)], rule, products=products)[:2] == (160, {"s": (160, 1)})
    assert view([("snk", 1, 9_800), ("gold", 1, 12_000)], rule, products=products)[:2] == (0, {})
    # Two sneakers, one spray: one group (a group needs its get unit).
    assert view([("snk", 2, 9_800), ("spray", 1, 800)], rule, products=products)[:2] == (160, {"s": (160, 1)})


def test_an_amount_off_is_per_get_unit_and_never_more_than_their_price():
    # Buy 1 get 2 at 300 off each: the group (1,000 → 900, 800) saves 600; at 1,000 off each, 900 + 800 = 1,700.
    assert view(one_each("a", "b", "c"), bxgy(get_quantity=2, mode=PricingMode.AMOUNT_OFF, value=300))[:2] == (
        600, {"x": (600, 1)})
    assert view(one_each("a", "b", "c"), bxgy(get_quantity=2, mode=PricingMode.AMOUNT_OFF, value=1_000))[:2] == (
        1_700, {"x": (1_700, 1)})


def test_the_rule_repeats_per_group_up_to_its_maximum_and_its_limit_in_units():
    # Buy 1 get 1 free on six units: 3 groups (900 + 700 + 500); at most 2 applications: 900 + 700.
    assert view(one_each(*"abcdef"), bxgy())[:2] == (2_100, {"x": (2_100, 3)})
    assert view(one_each(*"abcdef"), bxgy(max_applications=2))[:2] == (1_600, {"x": (1_600, 2)})
    assert view(one_each(*"abcdef"), bxgy(max_units=1))[:2] == (900, {"x": (900, 1)})  # お一人様1点まで


def test_get_units_keep_their_margin_floor():
    # b costs 850: free under a 0% floor it ends at 850, so the group saves 50.
    products = dict(TOPS, b=Product("b", "B", 900, category="tops", cost=850))
    assert view(one_each("a", "b"), bxgy(margin_floor_bp=0), products=products)[:2] == (50, {"x": (50, 1)})


def test_a_bundle_and_a_buy_x_get_y_never_share_a_unit_and_the_shopper_gets_the_better():
    # a + b as a set for 1,500 saves 400; buy 1 get 1 free over a, b saves 900: the search takes the 900.
    bundle = FixedBundle(id="k", label="k", items=(BundleItem("a"), BundleItem("b")), mode=PricingMode.FIXED_PRICE,
                         value=1_500)
    assert view(one_each("a", "b"), bundle, bxgy(buy_product_ids=frozenset({"a", "b"}), buy_categories=frozenset()))[:2] \
        == (900, {"x": (900, 1)})


def test_a_limited_volume_discount_takes_its_tier_from_every_unit_and_discounts_the_dearest():
    # 6 units reach the 5-unit tier (20%); at most 3 discounted: the dearest, 1,000 + 900 + 800 → 540.
    volume = VolumeDiscount(id="v", label="v", categories=frozenset({"tops"}),
                            tiers=(VolumeTier(2, 1_000), VolumeTier(5, 2_000)), max_units=3)
    total, rules, quote = view(one_each(*"abcdef"), volume)
    assert (total, rules) == (540, {"v": (540, 1)})
    assert sorted(u.product_id for u in quote.discounts[0].units) == ["a", "b", "c"]


def test_a_limited_volume_discount_skips_a_unit_its_floor_leaves_nothing_on():
    # a costs 1,000 (no room under a 0% floor): the 3 units saved most on are b, c, d: 20% of 2,400 = 480.
    products = dict(TOPS, a=Product("a", "A", 1_000, category="tops", cost=1_000))
    volume = VolumeDiscount(id="v", label="v", categories=frozenset({"tops"}), margin_floor_bp=0,
                            tiers=(VolumeTier(2, 2_000),), max_units=3)
    assert view(one_each(*"abcd"), volume, products=products)[:2] == (480, {"v": (480, 1)})


def test_a_limited_bundle_forms_whole_sets_within_the_limit():
    # Pairs of a at 10% off, at most 5 units: 2 sets (4 units) of 2,000 → 400.
    products = {"a": Product("a", "A", 1_000)}
    bundle = FixedBundle(id="p", label="p", items=(BundleItem("a", 2),), mode=PricingMode.PERCENT_OFF, value=1_000,
                         max_units=5)
    assert view([("a", 8, 1_000)], bundle, products=products)[:2] == (400, {"p": (400, 2)})


def test_one_more_group_is_offered_by_quoting_the_cart_it_makes():
    # Two tops, buy 2 get 1 free: "あと1点で1点無料" adds the cheapest top not in the cart (f, 500), free.
    cart = Cart(tuple(CartLine(pid, 1, TOPS[pid].price) for pid in ("a", "b")))
    quote = quote_cart(cart, RuleBook((bxgy(buy_quantity=2),)), TOPS, now=NOW)
    [offer] = quote.offers
    assert (offer.kind, [(line.product_id, line.quantity) for line in offer.add], offer.saving, offer.new_total) == (
        "buy_get", [("f", 1)], 500, 1_900)
    # Out of stock: the next cheapest.
    products = dict(TOPS, f=Product("f", "F", 500, category="tops", in_stock=False))
    [offer] = quote_cart(cart, RuleBook((bxgy(buy_quantity=2),)), products, now=NOW).offers
    assert [line.product_id for line in offer.add] == ["e"] and offer.saving == 600


def test_no_offer_once_the_limit_is_reached():
    cart = Cart(tuple(CartLine(pid, 1, TOPS[pid].price) for pid in ("a", "b")))
    assert quote_cart(cart, RuleBook((bxgy(max_applications=1),)), TOPS, now=NOW).offers == ()


@pytest.mark.parametrize("make, field", [
    (lambda: bxgy(mode=PricingMode.FIXED_PRICE, value=100), "mode"),
    (lambda: bxgy(buy_categories=frozenset()), "buy_product_ids"),
    (lambda: bxgy(buy_quantity=0), "buy_quantity"),
    (lambda: bxgy(get_quantity=True), "get_quantity"),
    (lambda: bxgy(value=0), "value"),
    (lambda: bxgy(max_applications=0), "max_applications"),
    (lambda: bxgy(get_quantity=2, max_units=1), "max_units"),
    (lambda: FixedBundle(id="k", label="k", items=(BundleItem("a", 3),), mode=PricingMode.PERCENT_OFF, value=10,
                         max_units=2), "max_units"),
    (lambda: VolumeDiscount(id="v", label="v", product_ids=frozenset({"a"}), tiers=(VolumeTier(2, 10),),
                            max_units=0), "max_units"),
    (lambda: ShippingThreshold(id="s", label="s", currency="JPY", threshold=5_000, fee=500, max_units=3), "max_units"),
])
def test_bad_terms_are_refused_by_field(make, field):
    with pytest.raises(RuleError) as refused:
        make()
    assert field in refused.value.errors


def test_the_limit_in_units_and_the_caps_each_hold_whichever_is_tighter():
    # Pairs of a, ¥100 off a set. Four applications left by the customer cap; max_units 4 allows 2 sets.
    products = {"a": Product("a", "A", 1_000)}
    pairs = FixedBundle(id="p", label="p", items=(BundleItem("a", 2),), mode=PricingMode.AMOUNT_OFF, value=100,
                        max_units=4, per_customer_cap=5)
    assert view([("a", 10, 1_000)], pairs, products=products, customer_used={"p": 1})[:2] == (200, {"p": (200, 2)})
    # Buy 1 get 1 free, at most 3 groups, but only one application left of a "first 10".
    rule = bxgy(max_applications=3, global_cap=10, redeemed=9)
    assert view(one_each(*"abcdef"), rule)[:2] == (900, {"x": (900, 1)})


def test_two_units_short_of_a_group_are_offered_together():
    # One top, buy 2 get 1 free: "あと2点で1点無料" adds two units of the cheapest other top (e, f are 600 and 500:
    # the cheapest is f, twice), and the quote of that cart frees one of them.
    cart = Cart((CartLine("a", 1, 1_000),))
    [offer] = quote_cart(cart, RuleBook((bxgy(buy_quantity=2),)), TOPS, now=NOW).offers
    assert [(line.product_id, line.quantity) for line in offer.add] == [("f", 2)]
    assert offer.saving == 500 and offer.gets == (1, "percent_off", 10_000)


def test_a_stackable_limited_volume_weighs_a_unit_by_the_strictest_floor_on_it():
    # E (50% off a at 2,000, floor 20% over its cost of 800: 960) saves 1,000. The stackable volume after it (50%,
    # its own floor 0, at most 1 unit) would save 40 more on a (E's floor of 960 binds, not its own of 800) and
    # 100 on b: it takes b, 1,100 in all (the volume alone on a would save 1,000).
    products = {"a": Product("a", "A", 2_000, category="c", cost=800), "b": Product("b", "B", 200, category="c")}
    first = FixedBundle(id="e", label="e", items=(BundleItem("a"),), mode=PricingMode.PERCENT_OFF, value=5_000,
                        margin_floor_bp=2_000)
    volume = VolumeDiscount(id="v", label="v", categories=frozenset({"c"}), tiers=(VolumeTier(2, 5_000),),
                            stackable=True, margin_floor_bp=0, max_units=1)
    assert view([("a", 1, 2_000), ("b", 1, 200)], first, volume, products=products)[:2] == (
        1_100, {"e": (1_000, 1), "v": (100, 1)})


def test_a_rule_at_its_customer_cap_is_not_quoted_for_one_more_group():
    """Buy 2 get 1 free, 2 applications per customer, 1 used: the cart's one group is every group the cap leaves.
    No cart can get one more, so the offer is dropped before its cart is quoted (and never shown); with the cap
    not reached, the same cart is quoted and offered."""
    from plugin.engine import offers as cart_page, product_offers

    lines = (CartLine("a", 1, 1_000), CartLine("b", 1, 900), CartLine("c", 1, 800), CartLine("d", 1, 700))
    cart = Cart(lines)
    rule = bxgy(buy_quantity=2, per_customer_cap=2)
    book = RuleBook((rule,))
    import plugin.engine.quote as quoting

    for used, offered in (({"x": 1}, False), ({}, True)):
        carts = []
        original = quoting.quote_cart

        def counting(the_cart, *args, **kwargs):
            carts.append(the_cart)
            return original(the_cart, *args, **kwargs)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(quoting, "quote_cart", counting)
            quote = quoting.quote_cart(cart, book, TOPS, now=NOW, customer_used=used)
        assert [d.applications for d in quote.discounts] == [1]
        assert bool(quote.offers) is offered
        assert len(carts) == (2 if offered else 1)  # the cart's own quote, and the offer's cart only if it may show
        priced = []

        def price_with(additions, used=used):
            priced.append(additions)
            return quote_cart(cart.adding(additions), book, TOPS, now=NOW, customer_used=used, with_offers=False)

        left = rule.applications_left(used.get("x", 0))
        found = cart_page.cart_offers(cart, quote, [rule], TOPS, price_with, None, limits={"x": left})
        assert bool(found) is offered and bool(priced) is offered
        priced.clear()
        on_page = product_offers.product_offers(TOPS["f"], cart, quote, [rule], TOPS, price_with, now=NOW,
                                                locale=None, applications_left=lambda _rule, left=left: left)
        assert bool(on_page) is offered and bool(priced) is offered
    assert cart_page.at_cap(2, 2) and cart_page.at_cap(3, 2) and not cart_page.at_cap(1, 2)
    assert not cart_page.at_cap(5, None)


def test_one_more_group_is_not_offered_when_the_cart_it_makes_gets_no_more_groups():
    """Buy 2 get 1 half price, and 2x f 60% off. Cart a, b, b, e: one group (¥450). "One more group" adds two f (the
    cheapest top), but in that cart the bundle takes both f (¥600) and the rule still has one group: it saves more,
    yet not by the group it would promise, so no "buy_get" offer is made (and the bundle touches nothing in the
    cart, so it makes none either)."""
    rule = bxgy(buy_quantity=2, value=5_000)
    pair = FixedBundle(id="b", label="b", items=(BundleItem("f", 2),), mode=PricingMode.PERCENT_OFF, value=6_000)
    cart = Cart((CartLine("a", 1, 1_000), CartLine("b", 2, 900), CartLine("e", 1, 600)))
    quote = quote_cart(cart, RuleBook((rule, pair)), TOPS, now=NOW)
    assert [(d.rule_id, d.applications, d.amount) for d in quote.discounts] == [("x", 1, 450)]
    after = quote_cart(cart.adding([(TOPS["f"], 2)]), RuleBook((rule, pair)), TOPS, now=NOW, with_offers=False)
    assert [(d.rule_id, d.applications, d.amount) for d in after.discounts] == [("b", 1, 600), ("x", 1, 450)]
    assert quote.offers == ()


def test_a_rule_with_one_application_left_and_no_group_yet_is_still_offered():
    """Buy 2 get 1 free, 2 per customer, 1 used: a cart of a and b has no group, so the one application left can still
    be reached: "あと1点で1点無料" is offered (f, ¥500 free)."""
    cart = Cart(tuple(CartLine(pid, 1, TOPS[pid].price) for pid in ("a", "b")))
    quote = quote_cart(cart, RuleBook((bxgy(buy_quantity=2, per_customer_cap=2),)), TOPS, now=NOW,
                       customer_used={"x": 1})
    assert quote.discounts == ()
    assert [(offer.kind, offer.saving, [line.product_id for line in offer.add]) for offer in quote.offers] == [
        ("buy_get", 500, ["f"])]


def test_a_unit_past_the_last_complete_group_is_not_used_by_an_exclusive_stackable_rule():
    # "2点買うと1点無料" over tops at ¥1,000, ¥900, ¥800, ¥700, stackable and exclusive: one group (¥1,000 and ¥900
    # bought, ¥800 free). The ¥700 unit starts a group it cannot finish, so the rule does not use it (docs "Buy X
    # get Y": only complete groups count) and does not hide it: a later stackable "10% off tops" takes ¥70 off it.
    products = {f"t{i}": Product(f"t{i}", "t", price, category="tops")
                for i, price in enumerate((1_000, 900, 800, 700))}
    rules = (BuyXGetY(id="1", label="2+1", buy_categories=frozenset({"tops"}), buy_quantity=2, stackable=True,
                      exclusive=True, priority=5),
             VolumeDiscount(id="2", label="v", categories=frozenset({"tops"}), tiers=(VolumeTier(1, 1_000),),
                            stackable=True))
    cart = Cart(tuple(CartLine(pid, 1, product.price) for pid, product in products.items()))
    quote = quote_cart(cart, RuleBook(rules), products, now=NOW, with_offers=False)
    assert {d.rule_id: d.amount for d in quote.discounts} == {"1": 800, "2": 70}


@pytest.mark.parametrize("seed", range(40))
def test_the_groups_of_a_rule_whose_units_may_all_buy_and_get_are_counted_as_the_walk_forms_them(seed):
    # allocation.most_groups counts such a rule's groups from its free units instead of walking them; on random
    # rows (several runs a product, some owned by another rule, other products not counted) and caps the count
    # is the walk's.
    import random

    from plugin.engine.allocation import most_groups
    from plugin.engine.units import Run, Terms, group_walk, usable_runs

    rng = random.Random(seed)
    rows, categories = {}, {}
    for index in range(rng.randint(1, 6)):
        pid = f"p{index}"
        categories[pid] = rng.choice(["tops", "tops", "shoes"])
        rows[pid] = [Run(pid, rng.choice([0, 300, 500, 800]), rng.randint(1, 4), 0,
                         owner=rng.choice([None, None, "other"])) for _ in range(rng.randint(1, 3))]
    rule = bxgy(buy_quantity=rng.randint(1, 3), get_quantity=rng.randint(1, 2),
                max_applications=rng.choice([None, 1, 2]))
    limits = {rule.id: rng.choice([None, 0, 1, 3])}
    terms = Terms(costs={pid: None for pid in rows}, categories=categories, limits=limits)
    walked = group_walk(rule, usable_runs(rule, rows, terms, free_only=True), terms.cap(rule))[0]
    free = sum(run.count for pid in rows if categories[pid] == "tops" for run in rows[pid] if run.owner is None)
    assert most_groups(rule, rows, terms) == walked
    cap = terms.cap(rule)
    assert walked == min(free // (rule.buy_quantity + rule.get_quantity), cap if cap is not None else free)
    # A get set of its own (the shoes): the walk is needed, and taken.
    other = BuyXGetY(id="y", label="y", buy_categories=frozenset({"tops"}), get_categories=frozenset({"shoes"}),
                     buy_quantity=rule.buy_quantity, get_quantity=rule.get_quantity)
    terms = Terms(costs={pid: None for pid in rows}, categories=categories, limits={})
    assert most_groups(other, rows, terms) == group_walk(other, usable_runs(other, rows, terms, free_only=True),
                                                         None)[0]
