"""Work a quote saves on long carts never changes a figure (issue 11's bounds, the 200-line cases of
``bench/engine_worst_case.py``).

What is checked here, each against the same engine with the shortcut switched off (the quote must be equal,
every line, discount, rung and offer), or against what the doc and the rules themselves say:

- gifts weighed declined (``docs/engine.md``, "Best price with order rules") are totalled without writing any
  share first, and only the order rules that stand are priced;
- a spend discount after the first changes the runs the first one built in place, and a bundle or volume
  discount changes in place the runs its own allocation built (``_take`` gave them their owner); no run the
  caller, a cache or another allocation holds is ever changed;
- a spend discount's saving read from running maxima over its steps is its ``saving_at``;
- a cart's units per product are worked out once, and only for a cart whose lines cannot change.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugin import Cart, CartLine, Product, RuleBook, quote_cart
from plugin.engine import order_rules, units
from plugin.engine.order_rules import ShippingSaved, _saving_at, price_order
from plugin.engine.rules import FreeGift, ShippingStep, ShippingThreshold, SpendDiscount, SpendStep
from plugin.engine.units import Booking, Run, Terms
from test_engine_reference import FAST, NOW
from test_engine_spend_search import replaced, replaced_in, shops_with_steps_ahead, spend_discounts


@st.composite
def shops_with_steps_and_shipping(draw):
    """A shop with spend steps and gifts ahead (``shops_with_steps_ahead``) and, half the time, a shipping
    threshold whose steps lie between what the item discounts leave and the subtotal (so it is weighed)."""
    shop, extra = draw(shops_with_steps_ahead())
    if draw(st.booleans()):
        plain = shop.quote()
        counted, subtotal = plain.subtotal - plain.discount_total, plain.subtotal
        free = draw(st.integers(max(1, counted), subtotal + 1))
        steps = (ShippingStep(max(1, free // 2), 300),) if draw(st.booleans()) and free > 2 else ()
        extra = extra + [ShippingThreshold(id="ship", label="ship", currency="JPY", threshold=free, fee=600,
                                           steps=steps)]
    return shop, extra


def never_in_place(original):
    """``_spread`` that never changes a run in place: each spread builds every run it changes."""
    def spread(rule, rows, amount, terms, own=None):
        return original(rule, rows, amount, terms)
    return spread


def booked_fresh(original):
    """``units._book`` that never changes a run in place, whatever its caller says."""
    def book(rule, taken, rows, applications, tier, terms, fresh=False):
        return original(rule, taken, rows, applications, tier, terms)
    return book


#: Each shortcut switched off: (module, name, the replacement made from the original).
SHORTCUTS = {
    # every order spread discount by discount, as on rows of several units
    "spreads over one-unit rows in one pass": (order_rules, "_one_unit_rows", lambda original: lambda *args: False),
    # _declined_choice answers "a floor may bind": every declined subset is priced in full
    "gifts weighed declined before any share is written": (order_rules, "_declined_choice",
                                                          lambda original: lambda *args: None),
    "spreads changing their own runs in place": (order_rules, "_spread", never_in_place),
    "bookings changing the runs their allocation built in place": (units, "_book", booked_fresh),
}


@pytest.mark.parametrize("shortcut", sorted(SHORTCUTS))
@settings(max_examples=300, **FAST)
@given(drawn=shops_with_steps_and_shipping(), offers=st.booleans())
def test_each_shortcut_changes_no_quote(shortcut, drawn, offers):
    module, name, switched_off = SHORTCUTS[shortcut]
    shop, extra = drawn
    expected = shop.quote(extra=extra, with_offers=offers, max_offers=3)
    with replaced_in(module, name, switched_off(getattr(module, name))):
        assert shop.quote(extra=extra, with_offers=offers, max_offers=3) == expected


def snapshot(rows) -> dict:
    """Each row's run objects and their fields: what a caller holds."""
    return {pid: [(id(run), run.as_tuple()) for run in row] for pid, row in rows.items()}


@settings(max_examples=300, **FAST)
@given(shops_with_steps_and_shipping())
def test_pricing_never_changes_a_run_it_was_given(drawn):
    """Every allocation priced and every order priced leaves the runs it read as they were: the cart's rows, a
    group's remembered allocation and a menu's options are shared by the candidates and the offers' carts."""
    shop, extra = drawn
    changed = []

    def watching(module, name):
        original = getattr(module, name)

        def watched(rows, *args, **kwargs):
            before = snapshot(rows)
            found = original(rows, *args, **kwargs)
            if snapshot(rows) != before:
                changed.append(name)
            return found
        return watched

    with replaced_in(units, "apply", watching(units, "apply")), \
            replaced_in(order_rules, "apply", watching(order_rules, "apply")), \
            replaced("price_order", watching(order_rules, "price_order")):
        shop.quote(extra=extra, with_offers=True, max_offers=3)
    assert changed == []


@settings(max_examples=100, **FAST)
@given(shops_with_steps_and_shipping())
def test_a_quote_sharing_what_another_quote_of_the_same_rules_remembered_is_that_quote(drawn):
    """The carts offers make share the groups and menus a quote remembers (``_groups``): runs changed in place
    there would show in the next quote that reads them."""
    shop, extra = drawn
    cart = Cart(tuple(shop.lines))
    book = RuleBook(tuple(shop.rules()) + tuple(extra))
    options = dict(now=NOW, customer_used=shop.customer_used, with_offers=False)
    if shop.floor_bp is not None:
        options["margin_floor_bp"] = shop.floor_bp
    alone = quote_cart(cart, book, shop.products, **options)
    shared: dict = {}
    assert quote_cart(cart, book, shop.products, _groups=shared, **options) == alone
    assert quote_cart(cart, book, shop.products, _groups=shared, **options) == alone


def test_three_spend_discounts_spread_in_turn_write_the_shares_each_would_alone():
    """Two units of one product at two prices left, three spend discounts spread in turn: the second and third
    change the runs the first built. Each takes its share of what is left, in proportion to it, the first units
    one yen more (docs "How a rule's saving is spread"); the given runs are never touched."""
    given_rows = {"a": [Run("a", 1_000, 3, 1_000)], "b": [Run("b", 500, 1, 500)]}
    before = snapshot(given_rows)
    rules = [SpendDiscount(id=f"s{n}", label="s", currency="JPY", stackable=True,
                           steps=(SpendStep(1_000, amount_off=amount),)) for n, amount in enumerate((350, 100, 7), 1)]
    priced = price_order(given_rows, [], rules, Terms({}, {}, {}), {})
    assert snapshot(given_rows) == before
    # s1: 350 over a (3,000) and b (500): 300 and 50, a's 100 a unit. s2: 100 over 2,700 and 450: 86 and 14,
    # a's 28.67: 29, 29, 28. s3: 7 over 2,614 and 436: 6 and 1, a's 2 a unit.
    assert [(booking.rule.id, booking.amount, booking.units) for booking in priced.bookings] == [
        ("s1", 350, {"a": [3, 300], "b": [1, 50]}),
        ("s2", 100, {"a": [3, 86], "b": [1, 14]}),
        ("s3", 7, {"a": [3, 6], "b": [1, 1]})]
    assert [(run.count, run.unit_left) for run in priced.runs["a"]] == [(2, 1_000 - 100 - 29 - 2),
                                                                        (1, 1_000 - 100 - 28 - 2)]
    assert [(run.count, run.unit_left) for run in priced.runs["b"]] == [(1, 500 - 50 - 14 - 1)]
    assert priced.spend_saving == 457 and priced.counted == 3_500


def test_a_volume_and_bundle_writing_the_runs_their_allocation_took_leave_the_cart_rows_alone():
    from plugin import BundleItem, FixedBundle, PricingMode, VolumeDiscount, VolumeTier
    rows = {"a": [Run("a", 1_000, 3, 1_000)], "b": [Run("b", 600, 2, 600)], "c": [Run("c", 400, 1, 400)]}
    before = snapshot(rows)
    terms = Terms({"a": None, "b": None, "c": None}, {"a": "x", "b": "x", "c": "x"}, {})
    pair = FixedBundle(id="1", label="ab", items=(BundleItem("a"), BundleItem("b")), mode=PricingMode.PERCENT_OFF,
                       value=1_000, exclusive=True)
    volume = VolumeDiscount(id="2", label="v", categories=frozenset({"x"}), tiers=(VolumeTier(2, 500),))
    priced = units.apply(rows, [pair, volume], [2, 1], [], terms)
    assert snapshot(rows) == before
    # The bundle: 2 sets of a + b (3,200), 320 off, a's 200 (100 each), b's 120 (60 each), units locked. The
    # volume: the a and c left (1,400), 5%: 70, a 50, c 20.
    assert [(b.rule.id, b.amount, b.units) for b in priced.bookings] == [
        ("1", 320, {"a": [2, 200], "b": [2, 120]}), ("2", 70, {"a": [1, 50], "c": [1, 20]})]
    assert [(run.count, run.unit_left, run.locked, run.owner) for run in priced.runs["a"]] == [
        (2, 900, True, "1"), (1, 950, False, "2")]
    assert [(run.count, run.unit_left, run.locked, run.owner) for run in priced.runs["b"]] == [(2, 540, True, "1")]


# -- the pieces -------------------------------------------------------------------------------------------------

@st.composite
def one_unit_rows(draw):
    """Rows of one unit each (some used by an exclusive rule, some floored or taken by a rule already), and the
    products' costs: none, or one product's (then the one-pass spread does not apply)."""
    rows = {}
    for index in range(draw(st.integers(1, 8))):
        pid = f"p{index}"
        price = draw(st.integers(0, 3_000))
        rows[pid] = [Run(pid, price, 1, draw(st.integers(0, price)), draw(st.none() | st.integers(0, 3_000)),
                         draw(st.booleans()), draw(st.none() | st.just("b")))]
    return rows


@st.composite
def spreads_asked(draw):
    """Up to four (spend discount, amount asked) pairs, each discount with or without its own margin floor."""
    return [(SpendDiscount(id=f"s{n}", label="s", currency="JPY", stackable=True, steps=(SpendStep(1, amount_off=1),),
                           margin_floor_bp=draw(st.none() | st.integers(0, 5_000))), draw(st.integers(1, 20_000)))
            for n in range(draw(st.integers(1, 4)))]


@settings(max_examples=500, **FAST)
@given(one_unit_rows(), spreads_asked(), st.none() | st.integers(0, 5_000))
def test_spreads_over_one_unit_rows_in_one_pass_write_what_spreading_each_in_turn_writes(rows, spreads, shop_floor):
    """Every unit its own group of alike units (docs "How a rule's saving is spread"), headroom its price left: the
    one pass books each discount's shares and leaves each run as ``_spread`` called in turn does."""
    terms = Terms({pid: None for pid in rows}, {}, {}, default_floor_bp=shop_floor)
    assert order_rules._one_unit_rows(rows, terms)
    before = snapshot(rows)
    in_turn, at_once = {pid: list(row) for pid, row in rows.items()}, {pid: list(row) for pid, row in rows.items()}
    own: dict = {}
    expected = [order_rules._spread(rule, in_turn, amount, terms, own) for rule, amount in spreads]
    found = order_rules._spread_one_units(spreads, at_once, terms)
    assert snapshot(rows) == before  # the given runs are never changed: rebuilt where a share was written
    read = lambda bookings: [None if b is None else (b.rule.id, b.amount, b.units) for b in bookings]  # noqa: E731
    assert read(found) == read(expected)
    assert {pid: [run.as_tuple() for run in row] for pid, row in at_once.items()} == {
        pid: [run.as_tuple() for run in row] for pid, row in in_turn.items()}


def test_only_rows_of_one_unit_without_a_cost_are_spread_in_one_pass():
    one = {"a": [Run("a", 500, 1, 500)], "b": [Run("b", 300, 1, 300)]}
    assert order_rules._one_unit_rows(one, Terms({"a": None, "b": None}, {}, {}))
    assert not order_rules._one_unit_rows(one, Terms({"a": None, "b": 100}, {}, {}))  # a cost: floors may bind
    assert not order_rules._one_unit_rows({"a": [Run("a", 500, 2, 500)]}, Terms({}, {}, {}))  # a run may split
    assert not order_rules._one_unit_rows({"a": [Run("a", 500, 1, 500), Run("a", 400, 1, 400)]}, Terms({}, {}, {}))
    assert not order_rules._one_unit_rows({"a": []}, Terms({}, {}, {}))


def test_three_spend_discounts_over_one_unit_rows_write_the_shares_each_would_alone():
    """Three one-unit rows, 1,000, 600 (locked: no share) and 250 left: ¥300 then ¥100 then ¥51, in turn on what
    is left, in proportion to it (docs "How a rule's saving is spread")."""
    rows = {"a": [Run("a", 1_000, 1, 1_000)], "b": [Run("b", 600, 1, 600, locked=True)], "c": [Run("c", 250, 1, 250)]}
    rules = [SpendDiscount(id=f"s{n}", label="s", currency="JPY", stackable=True,
                           steps=(SpendStep(1_000, amount_off=amount),)) for n, amount in enumerate((300, 100, 51), 1)]
    priced = price_order(rows, [], rules, Terms({pid: None for pid in rows}, {}, {}), {})
    # s1: 300 of 1,250: a 240, c 60. s2: 100 of 950 (760, 190): a 80, c 20. s3: 51 of 850 (680, 170): a 40.8 ->
    # 41, c 10.
    assert [(booking.rule.id, booking.amount, booking.units) for booking in priced.bookings] == [
        ("s1", 300, {"a": [1, 240], "c": [1, 60]}), ("s2", 100, {"a": [1, 80], "c": [1, 20]}),
        ("s3", 51, {"a": [1, 41], "c": [1, 10]})]
    assert [priced.runs[pid][0].unit_left for pid in "abc"] == [1_000 - 361, 600, 250 - 90]
    assert priced.spend_saving == 451

@settings(max_examples=300, **FAST)
@given(st.lists(spend_discounts(), min_size=1, max_size=4), st.lists(st.integers(0, 25_000), min_size=1, max_size=8))
def test_a_spend_discounts_saving_read_from_running_maxima_is_its_saving_at(rules, amounts):
    terms = Terms({}, {}, {})
    at_steps = {step.threshold + offset for rule in rules for step in rule.steps for offset in (-1, 0, 1)}
    for counted in sorted(set(amounts) | at_steps):
        for rule in rules:
            assert _saving_at(rule, counted, terms) == rule.saving_at(counted)


def test_the_shipping_weighed_is_read_from_its_own_fee():
    shipping = ShippingThreshold(id="ship", label="ship", currency="JPY", threshold=5_000, fee=600,
                                 steps=(ShippingStep(3_000, 300),))
    saved = ShippingSaved.of(shipping)
    assert [_saving_at(saved, counted, Terms({}, {}, {})) for counted in (2_999, 3_000, 4_999, 5_000)] == [
        0, 300, 300, 600]


def test_a_rule_read_once_a_quote_is_read_for_itself_not_another_of_its_id():
    terms = Terms({}, {}, {})
    first = SpendDiscount(id="s", label="s", currency="JPY", steps=(SpendStep(1_000, amount_off=100),))
    other = SpendDiscount(id="s", label="s", currency="JPY", steps=(SpendStep(1_000, percent_bp=5_000),))
    assert _saving_at(first, 2_000, terms) == 100
    assert _saving_at(other, 2_000, terms) == 1_000


def test_a_carts_units_per_product_add_up_its_lines():
    cart = Cart((CartLine("a", 2, 100), CartLine("b", 1, 50), CartLine("a", 3, 90)))
    assert [cart.quantity_of(pid) for pid in ("a", "b", "z")] == [5, 1, 0]
    assert [cart.quantity_of(pid) for pid in ("a", "b", "z")] == [5, 1, 0]  # read again: the same
    bigger = cart.adding([(Product("a", "a", 100), 4), (Product("c", "c", 10), 1)])
    assert [bigger.quantity_of(pid) for pid in ("a", "c")] == [9, 1] and cart.quantity_of("a") == 5
    # What is remembered is no field: equality, hashing and the repr see the lines only.
    fresh = Cart(cart.lines)
    assert cart == fresh and hash(cart) == hash(fresh) and repr(cart) == repr(fresh)


def test_a_cart_of_a_list_of_lines_is_counted_afresh():
    lines = [CartLine("a", 2, 100)]
    cart = Cart(lines)
    assert cart.quantity_of("a") == 2
    lines.append(CartLine("a", 1, 100))
    assert cart.quantity_of("a") == 3


def test_gifts_declined_by_the_order_rules_are_the_ones_pricing_each_in_full_declines():
    """¥4,900 of goods and a ¥300 gift (the docs' case): given, ¥300 free but ¥4,600 counted, below the ¥5,000
    step worth ¥500; declined, the step is reached. Both readings pick the gift declined."""
    rows = {"a": [Run("a", 4_600, 1, 4_600)], "g": [Run("g", 300, 1, 300)]}
    products = {"a": Product("a", "a", 4_600), "g": Product("g", "g", 300)}
    gift = FreeGift(id="gift", label="g", currency="JPY", gift_product_id="g", threshold=1)
    spend = SpendDiscount(id="s", label="s", currency="JPY", steps=(SpendStep(4_900, amount_off=500),))
    terms = Terms({}, {}, {})
    whole = order_rules._sum_tallies([order_rules._tally(row, terms) for row in rows.values()])
    assert order_rules._declined_choice(rows, whole, [], [gift, spend], terms, products) == [spend]
    weighed = price_order(rows, [], [gift, spend], terms, products, whole=whole)
    with replaced("_declined_choice", lambda *args: None):
        in_full = price_order(rows, [], [gift, spend], terms, products)
    assert [(b.rule.id, b.amount) for b in weighed.bookings] == [(b.rule.id, b.amount) for b in in_full.bookings] == [
        ("s", 500)]
    # A floor that may bind: only pricing each in full tells.
    floored = Terms({"a": 4_000}, {}, {}, default_floor_bp=0)
    assert order_rules._declined_choice(rows, whole, [], [gift, spend], floored, products) is None


def test_a_booking_records_the_item_rules_saving_the_declined_gifts_are_weighed_on():
    rows = {"a": [Run("a", 4_600, 1, 4_400, owner="b")], "g": [Run("g", 300, 1, 300)]}
    products = {"a": Product("a", "a", 4_600), "g": Product("g", "g", 300)}
    gift = FreeGift(id="gift", label="g", currency="JPY", gift_product_id="g", threshold=1)
    spend = SpendDiscount(id="s", label="s", currency="JPY", steps=(SpendStep(4_600, amount_off=250),))
    from plugin import BundleItem, FixedBundle, PricingMode
    item = Booking(FixedBundle(id="b", label="b", items=(BundleItem("a"),), mode=PricingMode.AMOUNT_OFF, value=200),
                   1, 200, None, {"a": [1, 200]})
    terms = Terms({}, {}, {})
    whole = order_rules._sum_tallies([order_rules._tally(row, terms) for row in rows.values()])
    # Given: 200 + 300 = 500 (4,400 counted, below the step); declined: 200 + 250 = 450. The gift stays.
    assert order_rules._declined_choice(rows, whole, [item], [gift, spend], terms, products) == [gift, spend]


def test_a_one_item_bundle_booked_on_one_run_spreads_its_saving_evenly_the_first_units_one_yen_more():
    from plugin import BundleItem, FixedBundle, PricingMode
    rows = {"a": [Run("a", 1_000, 5, 1_000)]}
    before = snapshot(rows)
    three = FixedBundle(id="3a", label="3a", items=(BundleItem("a", 3),), mode=PricingMode.AMOUNT_OFF, value=100)
    priced = units.apply(rows, [three], [1], [], Terms({"a": None}, {"a": None}, {}))
    assert snapshot(rows) == before
    assert [(b.rule.id, b.amount, b.units) for b in priced.bookings] == [("3a", 100, {"a": [3, 100]})]
    assert [(run.count, run.unit_left, run.owner) for run in priced.runs["a"]] == [
        (1, 966, "3a"), (2, 967, "3a"), (2, 1_000, None)]
    # Cost 900 and a 5% floor: each unit may end at 945 at least, so 55 a unit, 165 for three, of 600 asked.
    floored = FixedBundle(id="f", label="f", items=(BundleItem("a", 3),), mode=PricingMode.AMOUNT_OFF, value=600,
                          margin_floor_bp=500)
    priced = units.apply(rows, [floored], [1], [], Terms({"a": 900}, {"a": None}, {}))
    assert [(b.amount, b.units) for b in priced.bookings] == [(165, {"a": [3, 165]})]
    assert [(run.count, run.unit_left, run.floor_bp) for run in priced.runs["a"]] == [(3, 945, 500), (2, 1_000, None)]
    # Exclusive with no headroom (cost at the price, a 0% floor): it saves nothing, no discount is booked, and the
    # units it took are locked all the same.
    locked = FixedBundle(id="x", label="x", items=(BundleItem("a", 2),), mode=PricingMode.AMOUNT_OFF, value=50,
                         exclusive=True, margin_floor_bp=0)
    priced = units.apply(rows, [locked], [1], [], Terms({"a": 1_000}, {"a": None}, {}))
    assert priced.bookings == []
    assert [(run.count, run.unit_left, run.locked) for run in priced.runs["a"]] == [(2, 1_000, True), (3, 1_000, False)]


def test_a_spend_discount_changing_a_run_in_place_raises_its_floor_for_the_ones_after_it():
    """a (cost 500) and b (no cost) at ¥1,000; three stackable spend discounts in turn: ¥200 with no floor (100 each),
    ¥210 with a 50% floor (a may end at 750: 150 of room against b's 900, so 30 and 180), then ¥1,000 with no floor
    of its own: a's units keep the 50% floor the second wrote (docs "Margin floor": the strictest of the rules that
    discounted them), so it takes 120 of a and all of b's 720, 840 in all."""
    rows = {"a": [Run("a", 1_000, 1, 1_000)], "b": [Run("b", 1_000, 1, 1_000)]}
    terms = Terms({"a": 500, "b": None}, {}, {})
    rules = [SpendDiscount(id=rule_id, label="s", currency="JPY", stackable=True, margin_floor_bp=floor,
                           steps=(SpendStep(1_000, amount_off=amount),))
             for rule_id, amount, floor in (("s1", 200, None), ("s2", 210, 5_000), ("s3", 1_000, None))]
    priced = price_order(rows, [], rules, terms, {})
    assert [(b.rule.id, b.amount, b.units) for b in priced.bookings] == [
        ("s1", 200, {"a": [1, 100], "b": [1, 100]}), ("s2", 210, {"a": [1, 30], "b": [1, 180]}),
        ("s3", 840, {"a": [1, 120], "b": [1, 720]})]
    assert [(run.unit_left, run.floor_bp) for pid in "ab" for run in priced.runs[pid]] == [(750, 5_000), (0, 5_000)]
    with replaced("_spread", never_in_place(order_rules._spread)):
        assert [(b.rule.id, b.amount, b.units) for b in price_order(rows, [], rules, terms, {}).bookings] == [
            (b.rule.id, b.amount, b.units) for b in priced.bookings]


def test_a_booking_changing_alike_runs_in_place_writes_what_building_them_writes():
    """Two alike runs of a taken by one rule (one group of two units): ¥101 is 50 a unit and one yen more on the
    first. Changed in place (runs its own allocation built) or built anew, the same units and shares."""
    from plugin import BundleItem, FixedBundle, PricingMode
    pair = FixedBundle(id="2a", label="2a", items=(BundleItem("a", 2),), mode=PricingMode.AMOUNT_OFF, value=101)
    terms = Terms({"a": None}, {"a": None}, {})
    found = []
    for fresh in (False, True):
        rows = {"a": [Run("a", 1_000, 1, 1_000, owner="2a"), Run("a", 1_000, 1, 1_000, owner="2a")]}
        booking = units._book(pair, [(0, "a", 1), (1, "a", 1)], rows, 1, None, terms, fresh)
        found.append(([(run.count, run.unit_left, run.owner) for run in rows["a"]], booking.amount, booking.units))
    assert found[0] == found[1] == ([(1, 949, "2a"), (1, 950, "2a")], 101, {"a": [2, 101]})


def test_a_saving_over_several_runs_is_allocated_in_proportion_rounded_half_up_on_the_running_sum():
    """docs "How a rule's saving is spread": ``allocate`` over the runs' headroom. ¥101 over a and b at ¥1,000:
    a's exact share is 50.5, rounded half up to 51; b gets the 50 left. Three runs, ¥100 over 1,000, 1,000 and
    1,000: 33.3 then 66.7 on the running sum, so 33, 34, 33."""
    from plugin import BundleItem, FixedBundle, PricingMode
    from plugin.engine.money import allocate
    terms = Terms({"a": None, "b": None, "c": None}, {}, {})
    for items, value, shares in ((("a", "b"), 101, [51, 50]), (("a", "b", "c"), 100, [33, 34, 33])):
        rows = {pid: [Run(pid, 1_000, 1, 1_000)] for pid in items}
        rule = FixedBundle(id="x", label="x", items=tuple(BundleItem(pid) for pid in items),
                           mode=PricingMode.AMOUNT_OFF, value=value)
        priced = units.apply(rows, [rule], [1], [], terms)
        assert [priced.bookings[0].units[pid][1] for pid in items] == shares == allocate(value, [1_000] * len(items))


def test_units_an_exclusive_rule_took_nothing_off_are_locked_and_keep_their_floor_either_way():
    """docs "Margin floor": a unit's floor is the strictest of the rules that discounted it. An exclusive one-item
    bundle with no headroom (cost at the price, a 5% floor) takes nothing off: its units are locked, their floor
    unchanged, and no discount is booked, whether its runs are changed in place or built anew."""
    from plugin import BundleItem, FixedBundle, PricingMode
    rule = FixedBundle(id="x", label="x", items=(BundleItem("a", 2),), mode=PricingMode.AMOUNT_OFF, value=100,
                       exclusive=True, margin_floor_bp=500)
    terms = Terms({"a": 1_000}, {"a": None}, {})
    for fresh in (False, True):
        rows = {"a": [Run("a", 1_000, 2, 1_000, owner="x")]}
        assert units._book(rule, [(0, "a", 2)], rows, 1, None, terms, fresh) is None
        assert [(run.count, run.unit_left, run.floor_bp, run.locked) for run in rows["a"]] == [(2, 1_000, None, True)]


@st.composite
def rows_gifts_and_steps(draw):
    """Rows of a few products (runs of one or more units, some used by an exclusive rule, some a price left below
    their list price), gift rules (several may give the same product) and spend discounts, none with a floor."""
    rows = {}
    for index in range(draw(st.integers(1, 4))):
        pid = f"p{index}"
        price = draw(st.integers(1, 3_000))
        runs = []
        for _ in range(draw(st.integers(1, 3))):
            runs.append(Run(pid, price, draw(st.integers(1, 3)), draw(st.integers(0, price)), None, draw(st.booleans())))
        rows[pid] = runs
    total = sum(run.unit_left * run.count for row in rows.values() for run in row)
    gifts = [FreeGift(id=f"g{n}", label="g", currency="JPY", gift_product_id=draw(st.sampled_from(sorted(rows))),
                      threshold=draw(st.integers(1, max(1, total))))
             for n in range(draw(st.integers(0, 4)))]
    spends = []
    for n in range(draw(st.integers(0, 3))):
        threshold = draw(st.integers(1, max(1, total)))  # an amount off is at most its threshold
        spends.append(SpendDiscount(id=f"s{n}", label="s", currency="JPY", stackable=draw(st.booleans()),
                                    steps=(SpendStep(threshold, amount_off=draw(st.integers(1, threshold))),)))
    return rows, gifts + spends


@settings(max_examples=500, **FAST)
@given(rows_gifts_and_steps())
def test_the_order_saving_weighed_without_writing_shares_is_what_pricing_the_order_saves(drawn):
    """Gifts weighed without copying a row (each takes the next unit of its product with a price left, never one
    an exclusive rule used out of the headroom) and spend discounts held to the headroom left: the same total as
    the order priced in full, gifts declined where that saves more (docs "Best price with order rules")."""
    rows, rules = drawn
    products = {pid: Product(pid, pid, row[0].price) for pid, row in rows.items()}
    terms = Terms({pid: None for pid in rows}, {}, {})
    whole = order_rules._sum_tallies([order_rules._tally(row, terms) for row in rows.values()])
    saving, counted = order_rules._order_saving(rows, whole, 0, rules, terms, products)
    priced = price_order(rows, [], rules, terms, products)
    assert saving == priced.weight
    given_none, _, _ = order_rules._weigh(rows, whole, 0, [rule for rule in rules if isinstance(rule, SpendDiscount)],
                                          terms, products)
    assert given_none == price_order(rows, [], [rule for rule in rules if isinstance(rule, SpendDiscount)], terms,
                                     products, decline=False).weight


def test_two_gifts_of_one_product_take_two_of_its_units_and_a_used_unit_leaves_the_headroom_alone():
    """Two gifts of g: the first takes g's dearer unit (300), the second the next one with a price left (the one
    at 0 is skipped: 200). The 300 unit was used by an exclusive rule, so the headroom a spend discount may take
    loses only the 200."""
    rows = {"a": [Run("a", 1_000, 1, 1_000)],
            "g": [Run("g", 300, 1, 300, locked=True), Run("g", 250, 1, 0), Run("g", 200, 2, 200)]}
    products = {"a": Product("a", "a", 1_000), "g": Product("g", "g", 300)}
    gifts = [FreeGift(id=f"g{n}", label="g", currency="JPY", gift_product_id="g", threshold=1) for n in (1, 2)]
    spend = SpendDiscount(id="s", label="s", currency="JPY", steps=(SpendStep(1_200, amount_off=1_200),))
    terms = Terms({"a": None, "g": None}, {}, {})
    whole = order_rules._sum_tallies([order_rules._tally(row, terms) for row in rows.values()])
    assert whole[:2] == (1_700, 1_400)  # 300 of g's price left is on a used unit
    saving, counted, given = order_rules._weigh(rows, whole, 0, gifts + [spend], terms, products)
    # Gifts: 300 + 200 = 500; counted 1,700 - 500 = 1,200; headroom 1,400 - 200 = 1,200: the spend takes all of it.
    assert (saving, counted, [rule.id for rule in given]) == (500 + 1_200, 1_200, ["g1", "g2"])
    assert saving == price_order(rows, [], gifts + [spend], terms, products, decline=False).weight


def test_a_booking_over_two_runs_of_one_product_counts_every_unit_it_took():
    """A volume over one product's two runs at different prices left (two groups of alike units, one after the
    other): 10% of 1,000 + 2 × 900 = 280, 100 and 180 by headroom; the booking took 3 units of a for 280."""
    from plugin import VolumeDiscount, VolumeTier
    rows = {"a": [Run("a", 1_000, 1, 1_000), Run("a", 1_000, 2, 900)]}
    volume = VolumeDiscount(id="v", label="v", categories=frozenset({"x"}), tiers=(VolumeTier(2, 1_000),))
    for exclusive, stackable in (([volume], []), ([], [volume])):
        priced = units.apply(rows, exclusive, [1] * len(exclusive), stackable, Terms({"a": None}, {"a": "x"}, {}))
        assert [(b.rule.id, b.amount, b.units) for b in priced.bookings] == [("v", 280, {"a": [3, 280]})]
        assert [(run.count, run.unit_left) for run in priced.runs["a"]] == [(1, 900), (2, 810)]


def test_a_rows_free_units_are_those_no_non_stackable_rule_took():
    """``free_units``: a one-run row read directly (most rows) and a row of several runs alike."""
    assert units.free_units([Run("a", 100, 2, 100)]) == 2
    assert units.free_units([Run("a", 100, 2, 100, owner="b")]) == 0
    assert units.free_units([Run("a", 100, 2, 90, owner="b"), Run("a", 100, 3, 100)]) == 3
    assert units.free_units([]) == 0


def test_a_quote_lists_the_non_stackable_rules_discounts_before_the_stackable_ones_each_by_importance():
    """docs/engine.md: the bookings, so the quote's discounts, come non-stackable rules first, then stackable ones,
    each in order of importance, even where a stackable rule is the more important (sorted by one number per
    rule: ``allocation.booking_order``)."""
    from plugin import BundleItem, FixedBundle, PricingMode, VolumeDiscount, VolumeTier
    products = {pid: Product(pid, pid, 1_000, category="x") for pid in "abcd"}
    cart = Cart(tuple(CartLine(pid, 1, 1_000) for pid in "abcd"))
    rules = (VolumeDiscount(id="1", label="v", categories=frozenset({"x"}), tiers=(VolumeTier(2, 500),),
                            stackable=True, priority=9),
             FixedBundle(id="2", label="ab", items=(BundleItem("a"), BundleItem("b")), mode=PricingMode.PERCENT_OFF,
                         value=1_000),
             VolumeDiscount(id="3", label="w", categories=frozenset({"x"}), tiers=(VolumeTier(2, 300),),
                            stackable=True, priority=5),
             FixedBundle(id="4", label="cd", items=(BundleItem("c"), BundleItem("d")), mode=PricingMode.PERCENT_OFF,
                         value=2_000, priority=1))
    quote = quote_cart(cart, RuleBook(rules), products, now=NOW, with_offers=False)
    assert [discount.rule_id for discount in quote.discounts] == ["4", "2", "1", "3"]


def test_a_bundle_of_single_units_shares_its_saving_as_every_booking_does():
    """A bundle's saving on one unit of each of its products is written by ``units._book_singles`` (no cost, each
    run a group of its own), elsewhere by ``units._book``: the shares are the same, the running sum rounded half up
    in unit order (a ¥100 + ¥100 pair ¥15 off: ¥8 and ¥7), on random prices, modes and values. A cost of ¥0 with no
    floor leaves the headroom the price and takes the general path."""
    import random

    from plugin import BundleItem, Cart, CartLine, FixedBundle, PricingMode, Product, RuleBook, quote_cart

    pair = FixedBundle(id="1", label="p", items=(BundleItem("a"), BundleItem("b")), mode=PricingMode.AMOUNT_OFF,
                       value=15)
    products = {pid: Product(pid, pid, 100) for pid in "ab"}
    quote = quote_cart(Cart((CartLine("a", 1, 100), CartLine("b", 1, 100))), RuleBook((pair,)), products, now=NOW,
                       with_offers=False)
    assert [(line.product_id, line.discount) for line in quote.lines] == [("a", 8), ("b", 7)]
    one_yen = FixedBundle(id="1", label="p", items=(BundleItem("a"), BundleItem("b")), mode=PricingMode.AMOUNT_OFF,
                          value=1)
    quote = quote_cart(Cart((CartLine("a", 1, 100), CartLine("b", 1, 100))), RuleBook((one_yen,)), products, now=NOW,
                       with_offers=False)
    assert [(u.product_id, u.quantity, u.amount) for u in quote.discounts[0].units] == [("a", 1, 1), ("b", 1, 0)]
    # An exclusive pair's units take no spend discount: 10% from ¥1 falls on c alone.
    exclusive = FixedBundle(id="1", label="p", items=(BundleItem("a"), BundleItem("b")),
                            mode=PricingMode.AMOUNT_OFF, value=20, exclusive=True)
    spend = SpendDiscount(id="s", label="s", currency="JPY", steps=(SpendStep(1, percent_bp=1_000),))
    products = {pid: Product(pid, pid, 100) for pid in "abc"}
    quote = quote_cart(Cart(tuple(CartLine(pid, 1, 100) for pid in "abc")), RuleBook((exclusive, spend)), products,
                       now=NOW, with_offers=False)
    assert [(d.rule_id, [(u.product_id, u.amount) for u in d.units]) for d in quote.discounts] == [
        ("1", [("a", 10), ("b", 10)]), ("s", [("c", 28)])]
    draw = random.Random(7)
    for _ in range(200):
        pids = draw.sample("abcdef", draw.randint(2, 5))
        prices = {pid: draw.choice([99, 100, 101, 333, 1_000, 2_999]) for pid in pids}
        mode = draw.choice(list(PricingMode))
        value = {PricingMode.PERCENT_OFF: draw.choice([333, 1_000, 2_500]), PricingMode.AMOUNT_OFF: draw.randint(1, 999),
                 PricingMode.FIXED_PRICE: draw.randint(0, 999)}[mode]
        rule = FixedBundle(id="1", label="p", items=tuple(BundleItem(pid) for pid in pids), mode=mode, value=value,
                           exclusive=draw.random() < 0.3)
        cart = Cart(tuple(CartLine(pid, 1, prices[pid]) for pid in pids))
        quoted = []
        for cost in (None, 0):
            products = {pid: Product(pid, pid, prices[pid], cost=cost) for pid in pids}
            found = quote_cart(cart, RuleBook((rule,)), products, now=NOW, with_offers=False)
            quoted.append(([(line.product_id, line.discount) for line in found.lines],
                           [(d.rule_id, d.amount, tuple(d.units)) for d in found.discounts]))
        assert quoted[0] == quoted[1], (pids, prices, mode, value)
