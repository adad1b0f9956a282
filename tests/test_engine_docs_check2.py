"""A second independent check of the engine against docs/engine.md (the reference: tests/docs_check2_reference.py).

Written from the docs alone: the brute-force reference enumerates every allocation the docs allow on small
carts (at most 4 lines of at most 3 units, duplicate products at two prices, at most 4 rules) and the
hypothesis tests compare ``plugin.quote_cart`` with it, then check the metamorphic promises: reorder, split or
merge lines; add a rule; add an unrelated rule; an offer's numbers are those of the cart it makes.
The counterexamples it found are named tests at the end, each with the doc sentence (all mended since).
"""
from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, assume, given, note, settings, strategies as st
from hypothesis.control import currently_in_test_context

from plugin import (
    BundleItem,
    BuyXGetY,
    Cart,
    CartLine,
    FixedBundle,
    FreeGift,
    PricingMode,
    Product,
    RuleBook,
    ShippingStep,
    ShippingThreshold,
    SpendDiscount,
    SpendStep,
    VolumeDiscount,
    VolumeTier,
    quote_cart,
)
from tests.docs_check2_reference import (FULL, Pricer, importance, make_units, order_answer, order_bounds,
                                         shipping_fee)

NOW = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
PRODUCT_IDS = ("a", "b", "c", "d")
#: Carts and rules draw mostly from a, b and c, so that rules overlap (what the docs' new promises are about).
DRAWN = ("a", "a", "b", "b", "c", "d")
# Local exploration: DOCS_CHECK2_EXAMPLES=5000 runs many more.
EXAMPLES = int(os.environ.get("DOCS_CHECK2_EXAMPLES", "100"))
CHECK = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


# ---- what a scenario is made of ---------------------------------------------------------------------------------
@st.composite
def catalogue(draw, costs=True):
    products = {}
    for pid in PRODUCT_IDS + ("e",):
        price = draw(st.sampled_from((100, 200, 300, 500, 800, 99, 333)))
        cost = draw(st.sampled_from((None, None, 40, 90, 150, 260))) if costs else None
        category = draw(st.sampled_from(("x", "x", "y", None)))
        in_stock = draw(st.sampled_from((True, True, True, True, True, False)))
        products[pid] = Product(pid, pid.upper(), price, category=category, cost=cost, in_stock=in_stock)
    return products


@st.composite
def carts(draw, products, max_lines=4, ids=DRAWN):
    lines = []
    for _ in range(draw(st.integers(1, max_lines))):
        pid = draw(st.sampled_from(ids))
        price = draw(st.sampled_from((products[pid].price, products[pid].price, 150, 400)))
        lines.append(CartLine(pid, draw(st.integers(1, 3)), price))
    return Cart(tuple(lines))


def shared_terms(draw, rule_id, floors=True, exclusive=True):
    terms = dict(id=rule_id, label=f"rule {rule_id}", priority=draw(st.sampled_from((0, 0, 1))),
                 stackable=draw(st.booleans()))
    if exclusive:
        terms["exclusive"] = draw(st.sampled_from((False, False, False, True)))
    if floors:
        terms["margin_floor_bp"] = draw(st.sampled_from((None, None, 0, 1000, 3000)))
    cap = draw(st.sampled_from((None, None, None, 1, 2)))
    if cap is not None:
        terms["global_cap"] = cap
        terms["redeemed"] = draw(st.sampled_from((0, 0, 1)))
    if draw(st.integers(0, 5)) == 0:
        terms["per_customer_cap"] = draw(st.sampled_from((1, 2)))
    if draw(st.integers(0, 7)) == 0:
        second = timedelta(seconds=1)
        start, end = draw(st.sampled_from(((NOW, None), (NOW + second, None), (None, NOW), (None, NOW + second),
                                           (NOW - second, NOW), (NOW, NOW + second))))
        terms.update(starts_at=start, ends_at=end, paused=draw(st.sampled_from((False, False, True))))
    return terms


@st.composite
def item_rules(draw, rule_id, floors=True, exclusive=True, ids=DRAWN, categories=("x", "x", "y"), stackable=None,
               kinds=("bundle", "bundle", "volume", "buy_get")):
    terms = shared_terms(draw, rule_id, floors, exclusive)
    if stackable is not None:
        terms["stackable"] = stackable
    kind = draw(st.sampled_from(kinds))
    if kind == "bundle":
        chosen = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=2, unique=True))
        items = tuple(BundleItem(pid, draw(st.integers(1, 2))) for pid in chosen)
        mode = draw(st.sampled_from(list(PricingMode)))
        value = draw(st.sampled_from({PricingMode.PERCENT_OFF: (1000, 2500, 3333, 5000, 10000),
                                      PricingMode.AMOUNT_OFF: (30, 100, 250),
                                      PricingMode.FIXED_PRICE: (0, 50, 150, 300, 600)}[mode]))
        size = sum(item.quantity for item in items)
        max_units = draw(st.sampled_from((None, None, size, size + 1, 2 * size)))
        return FixedBundle(items=items, mode=mode, value=value, max_units=max_units, **terms)
    if kind == "volume":
        pids = frozenset(draw(st.lists(st.sampled_from(ids), max_size=2)))
        cats = frozenset(draw(st.lists(st.sampled_from(categories), max_size=1)))
        if not pids and not cats:
            pids = frozenset({draw(st.sampled_from(ids))})
        first = draw(st.sampled_from((1, 2)))
        tiers = [VolumeTier(first, draw(st.sampled_from((1000, 2500, 3333, 5000))))]
        if draw(st.booleans()):
            tiers.append(VolumeTier(first + draw(st.integers(1, 2)), tiers[0].percent_bp + 2500))
        max_units = draw(st.sampled_from((None, None, 1, 2, 3)))
        return VolumeDiscount(product_ids=pids, categories=cats, tiers=tuple(tiers), max_units=max_units, **terms)
    buy_p = frozenset(draw(st.lists(st.sampled_from(ids), max_size=2)))
    buy_c = frozenset(draw(st.lists(st.sampled_from(categories), max_size=1)))
    if not buy_p and not buy_c:
        buy_p = frozenset({draw(st.sampled_from(ids))})
    get_p = frozenset()
    get_c = frozenset()
    if draw(st.booleans()):
        get_p = frozenset(draw(st.lists(st.sampled_from(ids), min_size=1, max_size=2)))
    x, y = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    mode = draw(st.sampled_from((PricingMode.PERCENT_OFF, PricingMode.AMOUNT_OFF)))
    value = draw(st.sampled_from((5000, 10000) if mode is PricingMode.PERCENT_OFF else (50, 100, 1000)))
    max_units = draw(st.sampled_from((None, None, y, 2 * y)))
    return BuyXGetY(buy_product_ids=buy_p, buy_categories=buy_c, get_product_ids=get_p, get_categories=get_c,
                    buy_quantity=x, get_quantity=y, mode=mode, value=value, max_units=max_units,
                    max_applications=draw(st.sampled_from((None, None, 1))), **terms)


@st.composite
def rule_sets(draw, most=4, floors=True, exclusive=True, max_stackable=4):
    # half the time every rule stackable: the stackable give-up ("A stackable rule is given up where that saves more")
    stackable = draw(st.sampled_from((None, True)))
    rules = [draw(item_rules(str(i + 1), floors, exclusive, stackable=stackable))
             for i in range(draw(st.integers(1, most)))]
    bundles = [r for r in rules if isinstance(r, FixedBundle)]
    if bundles and len(rules) < most and draw(st.booleans()):
        # the same items and mode at another value ("Dominated bundles are left out": no answer changes)
        twin = bundles[0]
        values = {PricingMode.PERCENT_OFF: (1000, 2500, 5000), PricingMode.AMOUNT_OFF: (30, 100, 250),
                  PricingMode.FIXED_PRICE: (0, 50, 150, 300)}[twin.mode]
        rules.append(replace(twin, id=str(len(rules) + 1), value=draw(st.sampled_from(values)),
                             global_cap=None, redeemed=0, per_customer_cap=None))
    if stackable and draw(st.booleans()):
        # a fixed-price or amount-off bundle ahead of a percentage: where giving up a rule ahead may save more
        rules[-1] = draw(item_rules(rules[-1].id, floors, exclusive, stackable=True, kinds=("volume", "buy_get")))
        if len(rules) > 1:
            rules[-2] = draw(item_rules(rules[-2].id, floors, exclusive, stackable=True, kinds=("bundle",)))
    assume(sum(r.stackable for r in rules) <= max_stackable)
    return rules


@st.composite
def shipping_thresholds(draw):
    threshold = draw(st.sampled_from((400, 600, 900, 1200, 2000)))
    fee = draw(st.sampled_from((100, 300, 600)))
    steps = ()
    if draw(st.booleans()):
        steps = (ShippingStep(threshold // 2, fee // 3),)
    return ShippingThreshold(id="90", label="送料", currency="JPY", threshold=threshold, fee=fee, steps=steps,
                             count_before_discounts=draw(st.sampled_from((False, False, False, True))))


@st.composite
def spend_discounts(draw, percent=True):
    steps = [SpendStep(draw(st.sampled_from((300, 500, 800))), amount_off=draw(st.sampled_from((50, 100, 200))))]
    if percent and draw(st.booleans()):
        steps.append(SpendStep(steps[0].threshold + draw(st.sampled_from((200, 700))), percent_bp=5000))
    return SpendDiscount(id="91", label="まとめ割", currency="JPY", steps=tuple(steps),
                         stackable=draw(st.booleans()))


@st.composite
def free_gifts(draw, rule_id, taken=()):
    gift_id = draw(st.sampled_from([p for p in PRODUCT_IDS if p not in taken]))
    threshold = draw(st.sampled_from((None, 200, 500, 900, 1500)))
    triggers = frozenset(draw(st.lists(st.sampled_from([p for p in PRODUCT_IDS if p != gift_id]), max_size=1)))
    return FreeGift(id=rule_id, label=f"gift {rule_id}", currency="JPY", gift_product_id=gift_id,
                    threshold=300 if threshold is None and not triggers else threshold, trigger_product_ids=triggers,
                    priority=draw(st.integers(0, 1)))


@st.composite
def order_rule_sets(draw, gifts=True, spends=2):
    """A shipping threshold or not, up to ``spends`` spend discounts, and up to two gifts."""
    order = [draw(shipping_thresholds())] if draw(st.booleans()) else []
    for n in range(draw(st.integers(0, spends))):
        order.append(replace(draw(spend_discounts()), id=str(91 + n)))
    if gifts:
        for n in range(draw(st.sampled_from((0, 0, 1, 2)))):
            order.append(draw(free_gifts(str(80 + n), [g.gift_product_id for g in order if isinstance(g, FreeGift)])))
    return order


def describe(cart, rules, products, shop_floor=None):
    """The scenario in full, for a failing example's report (reprs of rules are cut in assertion messages)."""
    lines = [f"cart: {[(l.product_id, l.quantity, l.unit_price) for l in cart.lines]}", f"shop floor: {shop_floor}",
             f"products: {[(p.id, p.price, p.category, p.cost, p.in_stock) for p in products.values()]}"]
    for rule in rules:
        fields = {k: v for k, v in vars(rule).items() if k not in ("label", "translations") and v not in
                  ((), frozenset()) and v is not None and v is not False}
        lines.append(f"{type(rule).__name__} {fields}")
    return "\n".join(lines)


def quote(cart, rules, products, shop_floor=None, offers=False, **kw):
    if currently_in_test_context():
        note(describe(cart, rules, products, shop_floor))
    return quote_cart(cart, RuleBook(tuple(rules)), products, now=NOW, margin_floor_bp=shop_floor,
                      with_offers=offers, **kw)


def item_discounts(q, rules):
    ids = {r.id for r in rules if isinstance(r, (FixedBundle, BuyXGetY, VolumeDiscount))}
    return {d.rule_id: d.amount for d in q.discounts if d.rule_id in ids and d.amount}


def check_parts_add_up(q):
    """"Exact money": integers, parts add up to the whole, nothing negative."""
    assert q.subtotal == sum(line.subtotal for line in q.lines)
    assert q.total == sum(line.total for line in q.lines) + q.shipping_fee
    for line in q.lines:
        assert isinstance(line.total, int) and 0 <= line.discount <= line.subtotal
        assert line.total == line.subtotal - line.discount
    for discount in q.discounts:
        assert discount.amount >= 0
        assert sum(part.amount for part in discount.units) == discount.amount
        assert all(part.amount >= 0 for part in discount.units)
    assert q.shipping_fee >= 0 and q.total >= 0


def reference_lines(cart, units):
    """Each price group's discount spread over the shop's lines of that group in line order, by quantity."""
    from tests.docs_check2_reference import allocate

    by_group: dict = {}
    for unit in units:
        key = (unit.product_id, unit.list_price)
        by_group[key] = by_group.get(key, 0) + (unit.list_price - unit.left)
    totals = []
    for key, discount in by_group.items():
        lines = [i for i, line in enumerate(cart.lines) if (line.product_id, line.unit_price) == key]
        for i, part in zip(lines, allocate(discount, [cart.lines[i].quantity for i in lines])):
            totals.append((i, part))
    return [part for _, part in sorted(totals)]


def floor_holds(units, rules, shop_floor):
    """"The margin floor, per unit": no unit ends below the floor of the strictest rule that discounted it."""
    by_id = {r.id: r for r in rules}
    for unit in units:
        floors = [by_id[rid].margin_floor_bp if by_id[rid].margin_floor_bp is not None else shop_floor
                  for rid, amount in unit.parts.items() if amount]
        floors = [f for f in floors if f is not None]
        if unit.cost is not None and floors:
            assert unit.left >= -(-unit.cost * (FULL + max(floors)) // FULL)


# ---- the item rules against the reference ------------------------------------------------------------------------
@st.composite
def item_scenarios(draw, max_stackable=4):
    products = draw(catalogue())
    cart = draw(carts(products))
    rules = draw(rule_sets(max_stackable=max_stackable))
    shop_floor = draw(st.sampled_from((None, None, 0, 2000)))
    return products, cart, rules, shop_floor


@CHECK
@given(item_scenarios(), st.data())
def test_item_rules_match_the_reference(scenario, data):
    products, cart, rules, shop_floor = scenario
    # "per_customer_cap": this shopper's past applications
    used = {r.id: data.draw(st.sampled_from((0, 1))) for r in rules if r.per_customer_cap is not None}
    q = quote(cart, rules, products, shop_floor, customer_used=used)
    check_parts_add_up(q)
    left = {r.id: max(0, r.per_customer_cap - used[r.id]) for r in rules if r.per_customer_cap is not None}
    saving, applied, units = Pricer(cart, products, rules, shop_floor, left, now=NOW).item_answer()
    assert q.discount_total == saving, (q.discounts, saving, applied)
    assert q.shipping_fee == 0
    if applied is not None:
        assert item_discounts(q, rules) == {rid: s for rid, (s, _) in applied.items() if s}
        by_product: dict = {}
        for unit in units:
            for rid, amount in unit.parts.items():
                by_product[(rid, unit.product_id)] = by_product.get((rid, unit.product_id), 0) + amount
        assert {(d.rule_id, part.product_id): part.amount for d in q.discounts for part in d.units if part.amount} \
            == {key: amount for key, amount in by_product.items() if amount}
        floor_holds(units, rules, shop_floor)
        assert [line.discount for line in q.lines] == reference_lines(cart, units)


# ---- shipping and a spend discount: the shopper's total decides ------------------------------------------------------
@st.composite
def order_scenarios(draw):
    spend = draw(st.sampled_from((None, None, "spend")))
    products = draw(catalogue(costs=spend is None))
    cart = draw(carts(products))
    # Exact where "no margin floor or exclusive rule limits a spend discount" and at most three stackable rules.
    rules = draw(rule_sets(floors=spend is None, exclusive=spend is None, max_stackable=3))
    threshold = draw(shipping_thresholds())
    spend = draw(spend_discounts()) if spend else None
    return products, cart, rules, threshold, spend


@CHECK
@given(order_scenarios())
def test_shipping_and_spend_match_the_reference(scenario):
    products, cart, rules, threshold, spend = scenario
    order = [threshold] + ([spend] if spend else [])
    q = quote(cart, rules + order, products)
    check_parts_add_up(q)
    pricer = Pricer(cart, products, rules, now=NOW, every_allocation=True)
    # exact "When every group's menu is complete": a menu holds every allocation when there are at most 32
    assume(sum(1 for _ in pricer.allocations()) <= 32)
    # a bundle that "saves nothing" may still save under stackable rules: test_a_bundle_that_saves_nothing_...
    assume(not (pricer.stackable() and pricer.skipped_bundles()))
    total, item, fee = order_answer(pricer, threshold, spend)
    assert (q.total, q.shipping_fee) == (total, fee), (q.discounts, q.shipping_fee, item)
    assert sum(item_discounts(q, rules).values()) == item


@CHECK
@given(order_scenarios(), st.data())
def test_two_spend_discounts_are_within_a_unit_of_the_reference(scenario, data):
    """"With k such spend discounts (each rounded on its own) it is within k - 1 minor units of the largest"."""
    products, cart, rules, threshold, spend = scenario
    spends = [replace(data.draw(spend_discounts()), id="91"), replace(data.draw(spend_discounts()), id="92")]
    products = {k: replace(v, cost=None) for k, v in products.items()}
    rules = [replace(r, exclusive=False, margin_floor_bp=None) for r in rules]
    q = quote(cart, rules + [threshold] + spends, products)
    check_parts_add_up(q)
    pricer = Pricer(cart, products, rules, now=NOW, every_allocation=True)
    assume(sum(1 for _ in pricer.allocations()) <= 32)  # every menu complete
    assume(not (pricer.stackable() and pricer.skipped_bundles()))  # see test_a_bundle_that_saves_nothing_...
    total, _item, _fee = order_answer(pricer, threshold, spends)
    k = sum(any(step.percent_bp for step in r.steps) for r in spends)
    assert total <= q.total <= total + max(0, k - 1), q.discounts


@CHECK
@given(item_scenarios(max_stackable=3), st.data())
def test_every_order_lies_between_the_best_configuration_and_the_first_candidate(scenario, data):
    """With gifts, floors, exclusive rules and two spend discounts, where the docs compare candidates only:
    "The first candidate is always priced" (the item allocation chosen as for item rules alone, then gifts,
    spend discounts and shipping "In what order"), so the total is at most that one's; and no candidate beats
    every allocation with every subset of stackable rules given up and every way of declining gifts."""
    products, cart, rules, shop_floor = scenario
    order = data.draw(order_rule_sets())
    q = quote(cart, rules + order, products, shop_floor)
    check_parts_add_up(q)
    least, first = order_bounds(Pricer(cart, products, rules, shop_floor, now=NOW), order)
    assert least <= q.total, q.discounts
    if first is not None:
        assert q.total <= first, q.discounts


# ---- metamorphic: the multiset of units decides --------------------------------------------------------------------------
def split_and_shuffle(draw, cart):
    lines = []
    for line in cart.lines:
        if line.quantity > 1 and draw(st.booleans()):
            k = draw(st.integers(1, line.quantity - 1))
            lines += [replace(line, quantity=k), replace(line, quantity=line.quantity - k)]
        else:
            lines.append(line)
    return Cart(tuple(draw(st.permutations(lines))))


def merged(cart):
    groups: dict = {}
    for line in cart.lines:
        key = (line.product_id, line.unit_price)
        groups[key] = groups.get(key, 0) + line.quantity
    return Cart(tuple(CartLine(pid, quantity, price) for (pid, price), quantity in groups.items()))


def summary(q):
    return (q.total, q.shipping_fee, q.discount_total, sorted((d.rule_id, d.amount, d.applications) for d in q.discounts),
            sorted((o.kind, o.rule_id, tuple(sorted((l.product_id, l.quantity) for l in o.add)), o.saving, o.new_total)
                   for o in q.offers))


@CHECK
@given(st.data())
def test_reordering_splitting_or_merging_lines_changes_nothing(data):
    products, cart, rules, shop_floor = data.draw(item_scenarios())
    order = data.draw(order_rule_sets())
    all_rules = rules + order
    base = summary(quote(cart, all_rules, products, shop_floor, offers=True))
    other = data.draw(st.sampled_from(("split", "merge")))
    changed = split_and_shuffle(data.draw, cart) if other == "split" else merged(cart)
    assert summary(quote(changed, all_rules, products, shop_floor, offers=True)) == base


# ---- adding a rule ---------------------------------------------------------------------------------------------
@CHECK
@given(st.data())
def test_adding_a_rule_never_raises_the_total(data):
    """"Adding a rule never lowers the saving ... This holds where the searches finish and with at most 3
    stackable rules (every subset then tried)"; with a shipping threshold: "where only a shipping threshold is
    weighed, adding an item rule never raises what the shopper pays, shipping included"."""
    products, cart, rules, shop_floor = data.draw(item_scenarios(max_stackable=3))
    new = data.draw(item_rules("9"))
    assume(sum(r.stackable for r in rules + [new]) <= 3)
    order = [data.draw(shipping_thresholds())] if data.draw(st.booleans()) else []
    if order:  # "within the limits below": every group's menu complete
        pricer = Pricer(cart, products, rules + [new], shop_floor, now=NOW, every_allocation=True)
        assume(sum(1 for _ in pricer.allocations()) <= 32)
    before = quote(cart, rules + order, products, shop_floor)
    after = quote(cart, rules + [new] + order, products, shop_floor)
    if order:
        assert after.total <= before.total
    else:
        assert after.discount_total >= before.discount_total


@CHECK
@given(order_scenarios(), st.data())
def test_adding_an_item_rule_under_a_spend_discount_never_raises_the_total(scenario, data):
    """Where the docs call the order rules exact ("When every group's menu is complete ... the discount total
    (plus the shipping saved) is the largest over every allocation of the item rules"), more rules are more
    allocations: the total never rises."""
    products, cart, rules, threshold, spend = scenario
    new = data.draw(item_rules("9", floors=False, exclusive=False))
    assume(sum(r.stackable for r in rules + [new]) <= 3)
    order = [threshold] + ([spend] if spend else [])
    if spend is not None:
        products = {k: replace(v, cost=None) for k, v in products.items()}
    assume(sum(1 for _ in Pricer(cart, products, rules + [new], now=NOW, every_allocation=True).allocations()) <= 32)
    before = quote(cart, rules + order, products)
    after = quote(cart, rules + [new] + order, products)
    assert after.total <= before.total


@CHECK
@given(st.data())
def test_adding_an_unrelated_rule_changes_nothing(data):
    """A rule touching no product or category of the cart changes no quote ("Units, not lines"; the rulebook's
    rules for a cart are those touching its products and categories)."""
    products, cart, rules, shop_floor = data.draw(item_scenarios())
    products = dict(products, e=replace(products["e"], category="z"), f=Product("f", "F", 300, category="z"))
    new = data.draw(item_rules("9", ids=("e", "f"), categories=("z",)))
    order = data.draw(order_rule_sets())
    before = quote(cart, rules + order, products, shop_floor)
    after = quote(cart, rules + [new] + order, products, shop_floor)
    assert summary(after)[:4] == summary(before)[:4]


@CHECK
@given(st.data())
def test_adding_a_spend_discount_or_a_gift_never_makes_the_order_dearer(data):
    """"adding a spend discount or a gift never makes the order dearer in all (shipping included)"."""
    products, cart, rules, shop_floor = data.draw(item_scenarios(max_stackable=3))
    order = data.draw(order_rule_sets())
    if data.draw(st.booleans()):
        new = data.draw(free_gifts("89", [g.gift_product_id for g in order if isinstance(g, FreeGift)]))
    else:
        new = replace(data.draw(spend_discounts()), id="99")
    before = quote(cart, rules + order, products, shop_floor)
    after = quote(cart, rules + order + [new], products, shop_floor)
    check_parts_add_up(after)
    assert after.total <= before.total


# ---- gifts: declined where that costs less in all -----------------------------------------------------------------
@st.composite
def gift_scenarios(draw):
    products = draw(catalogue(costs=False))
    cart = draw(carts(products))
    gifts = []
    for n in range(draw(st.integers(1, 2))):
        gifts.append(draw(free_gifts(str(80 + n), [g.gift_product_id for g in gifts])))
    order = [draw(shipping_thresholds())] if draw(st.booleans()) else []
    if draw(st.booleans()):
        order.append(draw(spend_discounts()))
    return products, cart, gifts, order


def gift_reference(products, cart, gifts, order):
    """No item rules: each gift in order of importance, declined in every way; the least total stands. The
    decline is tried "where a spend or shipping step lies above the counted amount after gifts and at most the
    counted amount before them, or a gift not given would reach its threshold with no gift given (its own units
    aside)"."""
    threshold = next((r for r in order if isinstance(r, ShippingThreshold)), None)
    spend = next((r for r in order if isinstance(r, SpendDiscount)), None)
    subtotal = sum(line.subtotal for line in cart.lines)
    gifts = sorted(gifts, key=importance)

    given_ids = set()

    def total_with(declined):
        units = make_units(cart, products)
        for gift in gifts:
            if gift.id in declined or not products[gift.gift_product_id].in_stock:
                continue
            counted = sum(u.left for u in units) - sum(u.left for u in units if u.product_id == gift.gift_product_id)
            if not gift.earned(counted, {u.product_id for u in units}):
                continue
            unit = next((u for u in units if u.product_id == gift.gift_product_id and u.left > 0), None)
            if unit is not None:
                unit.left = 0
                if not declined:
                    given_ids.add(gift.id)
        counted = sum(u.left for u in units)
        return counted - (spend.saving_at(counted) if spend else 0) + shipping_fee(threshold, counted, subtotal), counted

    given, after = total_with(set())
    own = {pid: sum(line.subtotal for line in cart.lines if line.product_id == pid) for pid in products}
    earnable = any(gift.id not in given_ids and gift.threshold is not None and subtotal - own[gift.gift_product_id]
                   >= gift.threshold for gift in gifts if own[gift.gift_product_id])
    steps = []
    if threshold is not None and not threshold.count_before_discounts:
        steps += [threshold.threshold] + [s.threshold for s in threshold.steps]
    if spend is not None:
        steps += [s.threshold for s in spend.steps]
    if not given_ids or not (any(after < t <= subtotal for t in steps) or earnable):
        return given, False
    import itertools

    ids = [g.id for g in gifts]
    ways = [set(c) for k in range(len(ids) + 1) for c in itertools.combinations(ids, k)]
    return min(total_with(way)[0] for way in ways), True


@CHECK
@given(gift_scenarios())
def test_gifts_without_item_rules_match_the_reference(scenario):
    products, cart, gifts, order = scenario
    q = quote(cart, gifts + order, products)
    check_parts_add_up(q)
    total, _declining = gift_reference(products, cart, gifts, order)
    assert q.total == total, q.discounts


# ---- offers: the quote of the cart they make ---------------------------------------------------------------------------
@CHECK
@given(st.data())
def test_each_offer_says_what_the_cart_it_makes_costs(data):
    """"The offer's saving is the extra discount of that cart, new_total its total, and its tier the tier that
    cart actually gets (an offer whose cart does not get the rule is dropped)"; a buy-X-get-Y's "is kept only when
    the quoted cart gets more groups of the rule"; "Out-of-stock or unknown products are never offered"; the
    ceiling ``max_added_ratio_bp``; "the offers shown in n places are the first n of those shown with no cap";
    gap fillers are "priced by quoting the cart [they] would make"."""
    products, cart, rules, shop_floor = data.draw(item_scenarios())
    order = data.draw(order_rule_sets())
    ratio = data.draw(st.sampled_from((None, None, 5000, 10000)))
    q = quote(cart, rules + order, products, shop_floor, offers=True, max_added_ratio_bp=ratio)
    check_parts_add_up(q)
    before = {d.rule_id: d for d in q.discounts}
    for offer in q.offers:
        made = cart.adding([(products[line.product_id], line.quantity) for line in offer.add])
        assert all(line.unit_price == products[line.product_id].price for line in offer.add)
        after = quote(made, rules + order, products, shop_floor)
        assert (offer.saving, offer.new_total) == (after.discount_total - q.discount_total, after.total), offer
        # a gift nudge's numbers are "those of the cart with the product" (the gift not yet in it): may be 0
        assert offer.saving > 0 or offer.kind in ("bought_together", "gift_trigger")
        assert offer.added_price == sum(line.quantity * line.unit_price for line in offer.add)
        assert all(products[line.product_id].in_stock for line in offer.add)
        if ratio is not None and offer.kind != "free_gift":  # a gift costs nothing: not a "rule offer"
            assert offer.added_price * 10000 <= ratio * q.subtotal
        got = {d.rule_id: d for d in after.discounts}
        if offer.kind in ("complete_bundle", "reach_tier", "buy_get", "free_gift"):
            assert offer.rule_id in got and got[offer.rule_id].amount > 0, offer
        if offer.kind == "reach_tier":
            assert offer.tier == got[offer.rule_id].tier
        if offer.kind == "buy_get":
            old = before[offer.rule_id].applications if offer.rule_id in before else 0
            assert got[offer.rule_id].applications > old
        if offer.kind == "gift_trigger":
            gift = next(r for r in order if r.id == offer.rule_id)
            assert products[gift.gift_product_id].in_stock
    for n in range(len(q.offers) + 1):
        capped = quote(cart, rules + order, products, shop_floor, offers=True, max_added_ratio_bp=ratio, max_offers=n)
        assert capped.offers == q.offers[:n]
    for filler in q.gap_fillers:
        assert filler.product.in_stock and cart.quantity_of(filler.product.id) == 0
        after = quote(cart.adding([(filler.product, 1)]), rules + order, products, shop_floor)
        assert filler.new_total == after.total
        assert filler.remaining_after == (after.free_shipping.remaining if after.free_shipping else 0)


# ---- the docs' own examples ----------------------------------------------------------------------------------
def test_the_docs_stackable_give_up_examples():
    """"Two a (¥100) and two b (¥100) with "a + b for ¥52" and a 50% volume discount over a's category, both
    stackable: ¥78 ... Above, the "a for ¥0" is given up (¥78); a "b for ¥0" ahead of them stands ... ¥52"."""
    products = {"a": Product("a", "A", 100, category="x"), "b": Product("b", "B", 100, category="y")}
    cart = Cart((CartLine("a", 2, 100), CartLine("b", 2, 100)))
    pair = FixedBundle(id="2", label="a+b", items=(BundleItem("a"), BundleItem("b")),
                       mode=PricingMode.FIXED_PRICE, value=52, stackable=True)
    half = VolumeDiscount(id="3", label="half", categories=frozenset({"x"}), tiers=(VolumeTier(1, 5000),),
                          stackable=True)
    free = {pid: FixedBundle(id="1", label=f"{pid} free", items=(BundleItem(pid),), mode=PricingMode.FIXED_PRICE,
                             value=0, stackable=True) for pid in "ab"}
    for rules, total in (([pair, half], 78), ([free["a"], pair, half], 78), ([free["b"], pair, half], 52)):
        assert quote(cart, rules, products).total == total
        assert Pricer(cart, products, rules).item_answer()[0] == 400 - total


# ---- counterexamples: each contradicts the doc sentence quoted --------------------------------------------------
def test_adding_a_gift_that_costs_another_gift_its_threshold_never_makes_the_order_dearer():
    """docs/engine.md, "What is guaranteed": "adding a spend discount or a gift never makes the order dearer in all
    (shipping included)". Gift 2 (h, ¥1,000) from ¥5,000 alone: a ¥4,950 + g ¥100 counts ¥5,050 without h's own
    units, so h is free: ¥5,050. Adding gift 1 (g, ¥100, from ¥1,000, more important) makes g free first, and gift 2
    then counts ¥4,950 ("read after the gifts given before it"): h is charged, ¥5,950. Declining gift 1 gives back
    ¥5,050, but a gift is only declined "where a spend or shipping step lies above the counted amount after gifts"
    (a gift's threshold is neither), so the shopper pays ¥900 more for the added gift."""
    products = {"a": Product("a", "A", 4950), "g": Product("g", "G", 100), "h": Product("h", "H", 1000)}
    cart = Cart((CartLine("a", 1, 4950), CartLine("g", 1, 100), CartLine("h", 1, 1000)))
    small = FreeGift(id="1", label="g free", currency="JPY", gift_product_id="g", threshold=1000)
    big = FreeGift(id="2", label="h free", currency="JPY", gift_product_id="h", threshold=5000)
    assert quote(cart, [big], products).total == 5050
    assert quote(cart, [small, big], products).total <= 5050


# ---- more of the docs' own examples ------------------------------------------------------------------------------
def test_the_docs_two_buy_one_free_walk():
    """"For "2点買うと1点無料" over ¥1,000, ¥900, ¥800, ¥700, ¥600 and ¥500 this forms (1,000 + 900 → 800) and
    (700 + 600 → 500): ¥1,300 off"."""
    prices = (1000, 900, 800, 700, 600, 500)
    products = {f"p{k}": Product(f"p{k}", f"P{k}", price, category="s") for k, price in enumerate(prices)}
    cart = Cart(tuple(CartLine(f"p{k}", 1, price) for k, price in enumerate(prices)))
    rule = BuyXGetY(id="1", label="2点買うと1点無料", buy_categories=frozenset({"s"}), buy_quantity=2, get_quantity=1)
    q = quote(cart, [rule], products)
    assert q.discount_total == 1300 == Pricer(cart, products, [rule]).item_answer()[0]
    assert {part.product_id: part.amount for part in q.discounts[0].units} == {"p2": 800, "p5": 500}


def test_the_docs_shipping_examples():
    """"5,100 − a ¥200 bundle = 4,900 < 5,000 loses ¥500 ... 5,100 − a 5% bundle of ¥255 = 4,845 < 5,000: ¥600 of
    shipping for ¥255 off ... without the bundle the shopper pays ¥5,100; with it, still ¥5,100 (the bundle is given
    up), never ¥5,445"; "¥4,900 of goods and a ¥300 gift, free shipping from ¥5,000: ¥4,900 + ¥600 of shipping with
    the gift free, ¥5,200 with it charged"."""
    products = {"a": Product("a", "A", 5100), "g": Product("g", "G", 300), "b": Product("b", "B", 4900)}
    free = ShippingThreshold(id="9", label="送料無料", currency="JPY", threshold=5000, fee=600)
    five = FixedBundle(id="1", label="5%", items=(BundleItem("a"),), mode=PricingMode.PERCENT_OFF, value=500)
    cart = Cart((CartLine("a", 1, 5100),))
    assert quote(cart, [free], products).total == 5100
    q = quote(cart, [five, free], products)
    assert (q.total, q.shipping_fee, q.discount_total) == (5100, 0, 0)
    spend = SpendDiscount(id="8", label="¥500引き", currency="JPY", steps=(SpendStep(5000, amount_off=500),))
    two = FixedBundle(id="2", label="¥200", items=(BundleItem("a"),), mode=PricingMode.AMOUNT_OFF, value=200)
    assert quote(cart, [two, spend], products).total == 4600
    gift = FreeGift(id="7", label="ノベルティ", currency="JPY", gift_product_id="g", threshold=1000)
    cart = Cart((CartLine("b", 1, 4900), CartLine("g", 1, 300)))
    q = quote(cart, [gift, free], products)
    assert (q.total, q.shipping_fee) == (5200, 0)


def test_the_docs_spend_give_up_examples():
    """"a stackable "5% off" that takes ¥3,147 to ¥2,990, under "¥3,000以上で10%オフ", is given up (¥315 instead of
    ¥157), and an exclusive "¥50 off" is not kept over the 5% spend discount of ¥57 it would keep off its unit"."""
    products = {"a": Product("a", "A", 3147), "b": Product("b", "B", 1140)}
    ten = SpendDiscount(id="8", label="10%", currency="JPY", steps=(SpendStep(3000, percent_bp=1000),))
    five = FixedBundle(id="1", label="5%", items=(BundleItem("a"),), mode=PricingMode.PERCENT_OFF, value=500,
                       stackable=True)
    q = quote(Cart((CartLine("a", 1, 3147),)), [five, ten], products)
    assert (q.discount_total, [d.rule_id for d in q.discounts]) == (315, ["8"])
    spend5 = SpendDiscount(id="8", label="5%", currency="JPY", steps=(SpendStep(1000, percent_bp=500),))
    fifty = FixedBundle(id="1", label="¥50", items=(BundleItem("b"),), mode=PricingMode.AMOUNT_OFF, value=50,
                        exclusive=True)
    q = quote(Cart((CartLine("b", 1, 1140),)), [fifty, spend5], products)
    assert (q.discount_total, [d.rule_id for d in q.discounts]) == (57, ["8"])


# ---- the shipping bar -------------------------------------------------------------------------------------------
@CHECK
@given(item_scenarios(max_stackable=3), st.data())
def test_the_shipping_bar_reads_the_threshold_that_wins(scenario, data):
    """"Among live thresholds of the currency, the one with the highest priority wins, then the lowest threshold";
    "the fee is that of the last step the counted amount reaches"; the counted amount is "the subtotal after item
    discounts and gifts" unless ``count_before_discounts``; "The quote reports the fee charged now and the next step
    ahead with what is still to spend to reach it"."""
    products, cart, rules, shop_floor = scenario
    thresholds = []
    for n in range(data.draw(st.integers(1, 3))):
        t = replace(data.draw(shipping_thresholds()), id=str(70 + n), priority=data.draw(st.integers(0, 1)),
                    paused=data.draw(st.sampled_from((False, False, True))),
                    currency=data.draw(st.sampled_from(("JPY", "JPY", "USD"))))
        thresholds.append(t)
    order = thresholds + [r for r in data.draw(order_rule_sets()) if not isinstance(r, ShippingThreshold)]
    q = quote(cart, rules + order, products, shop_floor)
    live = [t for t in thresholds if not t.paused and t.currency == "JPY"]
    if not live:
        assert q.free_shipping is None and q.shipping_fee == 0
        return
    wins = min(live, key=lambda t: (-t.priority, t.threshold, importance(t)))
    bar = q.free_shipping
    assert bar.threshold == wins.threshold
    item_and_gifts = sum(d.amount for d in q.discounts if not d.rule_id.startswith("9"))  # spend rules are 9x
    counted = q.subtotal if wins.count_before_discounts else q.subtotal - item_and_gifts
    assert bar.counted == counted
    assert (bar.fee, q.shipping_fee) == (wins.fee_at(counted), wins.fee_at(counted))
    assert bar.remaining == max(0, wins.threshold - counted)
    step = wins.next_step(counted)
    assert bar.next_step == step
    assert bar.next_step_remaining == (None if step is None else step.threshold - counted)


def test_a_bundle_that_saves_nothing_changes_no_quote():
    """docs/engine.md, "Bounded work": "A fixed-price bundle, not exclusive, whose price is at least what its sets
    cost on the dearest units of the cart, for every count of sets the cart and its caps allow, saves nothing in
    any allocation: it never enters the search (its sets are 0) ... Adding such a rule changes no quote."
    "a for ¥150" over a ¥100 a saves nothing. Without it: 25% off a, a, a, b (¥800) is ¥200, counted ¥600 < ¥650,
    ¥100 shipping: ¥700 (the volume off: ¥800 + ¥100). With it the engine gives two a to the bundle (¥0 off) so
    the volume counts ¥600 (¥150 off), counted ¥650 reaches free shipping: ¥650. The shopper is better off, but
    the sentence is broken; it contradicts "Best price with order rules", whose menus hold "every allocation of
    its non-stackable rules (sets that fit and caps allow ...)": the docs must say which one holds."""
    products = {"a": Product("a", "A", 100, category="x"), "b": Product("b", "B", 500, category="x")}
    cart = Cart((CartLine("a", 3, 100), CartLine("b", 1, 500)))
    volume = VolumeDiscount(id="1", label="25%", categories=frozenset({"x"}), tiers=(VolumeTier(1, 2500),))
    nothing = FixedBundle(id="2", label="a for ¥150", items=(BundleItem("a"),), mode=PricingMode.FIXED_PRICE,
                          value=150)
    shipping = ShippingThreshold(id="9", label="送料", currency="JPY", threshold=650, fee=100)
    assert quote(cart, [volume, shipping], products).total == 700
    assert quote(cart, [volume, nothing, shipping], products).total == 700


# ---- the spend ladder ------------------------------------------------------------------------------------------------
@CHECK
@given(item_scenarios(max_stackable=3), st.data())
def test_the_ladder_names_the_next_spend_steps(scenario, data):
    """"The ladder a quote shows (Quote.ladder, nearest first) names, for each spend discount, the first step ahead
    of the counted amount that would take more off than the order gets now (for a non-stackable one, more than the
    non-stackable spend discount applied)"; ``remaining`` "is counted on the quote's own ladder amount (after item
    discounts and gifts, before spend discounts and shipping)"."""
    products, cart, rules, shop_floor = scenario
    order = data.draw(order_rule_sets())
    q = quote(cart, rules + order, products, shop_floor)
    spends = {r.id: r for r in order if isinstance(r, SpendDiscount)}
    counted = q.subtotal - sum(d.amount for d in q.discounts if d.rule_id not in spends)
    applied = {d.rule_id: d.amount for d in q.discounts}
    flat_now = max((applied.get(r.id, 0) for r in spends.values() if not r.stackable), default=0)
    expected = set()
    for rule in spends.values():
        now = applied.get(rule.id, 0) if rule.stackable else flat_now
        step = next((s for s in rule.steps if s.threshold > counted and s.saving_at(s.threshold) > now), None)
        if step is not None:
            expected.add((rule.id, step.threshold, step.threshold - counted))
    rungs = [(r.rule_id, r.threshold, r.remaining) for r in q.ladder if r.kind == "spend"]
    assert set(rungs) == expected, (rungs, q.discounts)
    assert [r.remaining for r in q.ladder] == sorted(r.remaining for r in q.ladder)


def test_ties_go_to_the_largest_vector_of_choices():
    """docs/engine.md, "Best price for the shopper": "Among allocations that save the same, the one whose vector of
    choices (sets, groups, or on = 1 / off = 0; ... then the volume discounts, each in order of importance) is
    largest, compared element by element, stands." One a (¥100); volume discounts 1 (10% from 2 units: no tier on
    one unit), 2 (33.33% from 1, exclusive) and 3 (33.33% from 1, stackable). Vectors (volume 1, volume 2): (1, 1)
    and (0, 1) save ¥33 by rule 2 (exclusive: rule 3 counts nothing); (1, 0) and (0, 0) save ¥33 by rule 3. The
    largest, (1, 1), has rule 2 carry the ¥33, as the engine does without volume 1; with it, rule 3 does (whose
    caps and label are then the ones used): a rule that cannot apply is now left out of the quote."""
    products = {"a": Product("a", "A", 100, category="x")}
    cart = Cart((CartLine("a", 1, 100),))
    never = VolumeDiscount(id="1", label="10% from 2", product_ids=frozenset({"a"}), tiers=(VolumeTier(2, 1000),))
    exclusive = VolumeDiscount(id="2", label="33% exclusive", product_ids=frozenset({"a"}),
                               tiers=(VolumeTier(1, 3333),), exclusive=True)
    stacked = VolumeDiscount(id="3", label="33% stackable", product_ids=frozenset({"a"}),
                             tiers=(VolumeTier(1, 3333),), stackable=True)
    assert [(d.rule_id, d.amount) for d in quote(cart, [exclusive, stacked], products).discounts] == [("2", 33)]
    assert Pricer(cart, products, [never, exclusive, stacked]).item_answer()[1] == {"2": (33, 1)}
    assert [(d.rule_id, d.amount) for d in quote(cart, [never, exclusive, stacked], products).discounts] == [("2", 33)]


def test_a_bundle_that_saves_nothing_is_left_out_even_where_parking_a_unit_would_pay():
    """docs/engine.md, "Bounded work": a fixed-price bundle that saves nothing on the cart's dearest units "is left
    out of the quote ... whichever allocation parking units in it would lead to". Two b (¥100); non-stackable
    "b for ¥150" (1) and "b for ¥0" at most one unit (2); stackable "b for ¥0" at most one unit (3), which takes the
    first b "regardless of other rules". With rule 1 at one set (the first b parked in it), rule 2 would free the
    second b and rule 3 the first: ¥200 off. Rule 1 is left out: rule 2 frees the first b and rule 3 finds it free,
    ¥100 off, the same quote as without rule 1. (Found by this check as a contradiction of "the largest total
    saving"; the docs now define the bundle out of the quote.)"""
    products = {"b": Product("b", "B", 100)}
    cart = Cart((CartLine("b", 2, 100),))
    dear = FixedBundle(id="1", label="b for ¥150", items=(BundleItem("b"),), mode=PricingMode.FIXED_PRICE, value=150)
    free = FixedBundle(id="2", label="b free", items=(BundleItem("b"),), mode=PricingMode.FIXED_PRICE, value=0,
                       max_units=1)
    stacked = replace(free, id="3", label="b free, stackable", stackable=True)
    assert Pricer(cart, products, [dear, free, stacked], every_allocation=True).best_items()[0] == (200, (1, 1))
    assert quote(cart, [dear, free, stacked], products).total == quote(cart, [free, stacked], products).total == 100


# ---- the stackable give-up, named cases (from planted bugs that the properties missed) -------------------------------
def _stack(rule_id, items, mode, value):
    return FixedBundle(id=rule_id, label=f"bundle {rule_id}", items=tuple(BundleItem(p) for p in items), mode=mode,
                       value=value, stackable=True)


def test_a_bundle_touches_every_product_it_has_as_an_item():
    """"a live stackable rule that touches a cart product (names it, has it as an item, ...) that a later stackable
    rule ... touches too is droppable". "c + a, ¥100 off" (c ¥1, a ¥100) empties a ahead of "a + b for ¥52" and a
    50% volume over a's category: given up it saves more (a shares a with the later rules, though c does not)."""
    products = {"a": Product("a", "A", 100, category="x"), "b": Product("b", "B", 100, category="y"),
                "c": Product("c", "C", 1, category="y")}
    cart = Cart((CartLine("c", 1, 1), CartLine("a", 1, 100), CartLine("b", 1, 100)))
    rules = [_stack("1", "ca", PricingMode.AMOUNT_OFF, 100), _stack("2", "ab", PricingMode.FIXED_PRICE, 52),
             VolumeDiscount(id="3", label="half", categories=frozenset({"x"}), tiers=(VolumeTier(1, 5000),),
                            stackable=True)]
    saving, applied, _units = Pricer(cart, products, rules).item_answer()
    assert "1" not in applied  # given up
    assert quote(cart, rules, products).discount_total == saving


def test_every_droppable_rule_may_be_given_up_not_only_the_first():
    """"every subset of up to 3 of them": the docs' "a for ¥0" example behind a first droppable rule ("b 10% off",
    which touches b as the bundle does): "a for ¥0" is the one given up."""
    products = {"a": Product("a", "A", 100, category="x"), "b": Product("b", "B", 100, category="y")}
    cart = Cart((CartLine("a", 2, 100), CartLine("b", 2, 100)))
    rules = [_stack("1", "b", PricingMode.PERCENT_OFF, 1000), _stack("2", "a", PricingMode.FIXED_PRICE, 0),
             _stack("3", "ab", PricingMode.FIXED_PRICE, 52),
             VolumeDiscount(id="4", label="half", categories=frozenset({"x"}), tiers=(VolumeTier(1, 5000),),
                            stackable=True)]
    saving, applied, _units = Pricer(cart, products, rules).item_answer()
    assert "2" not in applied and "1" in applied
    q = quote(cart, rules, products)
    assert q.discount_total == saving
    assert item_discounts(q, rules) == {rid: s for rid, (s, _) in applied.items() if s}


def test_a_spend_step_at_exactly_the_subtotal_is_reached_by_giving_up_a_stackable_rule():
    """"a stackable rule's saving may take the order below a spend step ... of at most the subtotal": ¥3,000 of a,
    a stackable 5% off (¥150) and "¥3,000以上で10%オフ": giving the 5% up keeps ¥300 off (¥2,700, not ¥2,850)."""
    products = {"a": Product("a", "A", 3000)}
    ten = SpendDiscount(id="8", label="10%", currency="JPY", steps=(SpendStep(3000, percent_bp=1000),))
    five = _stack("1", "a", PricingMode.PERCENT_OFF, 500)
    assert quote(Cart((CartLine("a", 1, 3000),)), [five, ten], products).total == 2700
    free = ShippingThreshold(id="9", label="送料無料", currency="JPY", threshold=3000, fee=500)
    assert quote(Cart((CartLine("a", 1, 3000),)), [five, free], products).total == 3000


def test_a_shipping_step_is_worth_the_fee_it_saves():
    """"each of its steps (each ShippingStep and free shipping itself) is a threshold below as a spend step is,
    worth the fee it saves" ("the fee below the threshold's first step less the fee charged there"): ¥3,100 of a,
    a 5% bundle (¥155) and "¥3,000以上で送料¥100" under a ¥600 fee: the bundle costs ¥500 of shipping, so it is
    given up: ¥3,100 + ¥100, never ¥2,945 + ¥600."""
    products = {"a": Product("a", "A", 3100)}
    steps = ShippingThreshold(id="9", label="送料", currency="JPY", threshold=5000, fee=600,
                              steps=(ShippingStep(3000, 100),))
    five = FixedBundle(id="1", label="5%", items=(BundleItem("a"),), mode=PricingMode.PERCENT_OFF, value=500)
    q = quote(Cart((CartLine("a", 1, 3100),)), [five, steps], products)
    assert (q.total, q.shipping_fee, q.discount_total) == (3200, 100, 0)
    cheap = replace(five, value=2000)  # ¥620 off is worth more than the ¥500 of shipping it costs
    q = quote(Cart((CartLine("a", 1, 3100),)), [cheap, steps], products)
    assert (q.total, q.shipping_fee) == (3080, 600)


def test_gift_boundaries():
    """A gift's condition holds when the counted amount less its own units "reaches threshold" (at least it); a
    gift is declined "where a spend or shipping step lies above the counted amount after gifts and at most the
    counted amount before them": ¥4,700 of goods and a ¥300 gift, free shipping from exactly ¥5,000 (¥600 fee):
    ¥5,000 with the gift charged, not ¥4,700 + ¥600."""
    products = {"a": Product("a", "A", 4700), "g": Product("g", "G", 300)}
    gift = FreeGift(id="7", label="ノベルティ", currency="JPY", gift_product_id="g", threshold=4700)
    cart = Cart((CartLine("a", 1, 4700), CartLine("g", 1, 300)))
    assert quote(cart, [gift], products).total == 4700
    assert quote(cart, [replace(gift, threshold=4701)], products).total == 5000
    free = ShippingThreshold(id="9", label="送料無料", currency="JPY", threshold=5000, fee=600)
    q = quote(cart, [gift, free], products)
    assert (q.total, q.shipping_fee) == (5000, 0)
