"""What the engine remembers within a quote never changes a figure (the worst-case work of issue 11).

A cart page's quote prices the carts its offers would make; each of those carts is quoted once, however many
rules would make it, and each offer still says what quoting its own cart alone says (``docs/engine.md``,
"Offers"). The search remembers a buy-X-get-Y's walk per units left and a rule's saving per units used: a
quote equals the quote of the same cart on a fresh engine call, for every layout of its lines.
"""
from factories import CATALOGUE, NOW, bundle, cart, quote

from plugin import BundleItem, BuyXGetY, Cart, CartLine, FixedBundle, PricingMode, Product, RuleBook, VolumeDiscount
from plugin import VolumeTier, quote_cart
from plugin.engine import quote as quote_module

ONE_SOCK = bundle("one-sock", {"socks": 1, "brush": 1}, "percent_off", 1_000)
TWO_SOCKS = bundle("two-socks", {"socks": 2, "brush": 1}, "percent_off", 2_500)
ONE_SOCK_AMOUNT = bundle("one-sock-amount", {"socks": 1, "brush": 1}, "amount_off", 150)


def test_offers_adding_the_same_product_in_other_quantities_are_each_priced_by_their_own_cart():
    q = quote(cart(("brush", 1)), ONE_SOCK, TWO_SOCKS, max_offers=3)
    added = {offer.rule_id: [(line.product_id, line.quantity) for line in offer.add] for offer in q.offers}
    assert added == {"one-sock": [("socks", 1)], "two-socks": [("socks", 2)]}
    for offer in q.offers:
        after = quote(cart(("brush", 1), *[(line.product_id, line.quantity) for line in offer.add]),
                      ONE_SOCK, TWO_SOCKS, with_offers=False)
        assert (offer.new_total, offer.saving) == (after.total, after.discount_total - q.discount_total)


def test_rules_that_lack_the_same_items_share_one_quote_of_the_cart_they_make(monkeypatch):
    carts = []
    original = quote_module.quote_cart

    def counting(the_cart, *args, **options):
        carts.append(tuple(sorted((line.product_id, line.quantity) for line in the_cart.lines)))
        return original(the_cart, *args, **options)

    monkeypatch.setattr(quote_module, "quote_cart", counting)
    q = counting(cart(("brush", 1)), RuleBook((ONE_SOCK, ONE_SOCK_AMOUNT, TWO_SOCKS)), CATALOGUE, now=NOW,
                 max_offers=3)
    # Three candidates, two carts: one sock more (both one-sock rules; the 10% beats ¥150 on it, so only that one
    # is reached and offered) and two socks more. Each cart is quoted once.
    assert sorted(offer.rule_id for offer in q.offers) == ["one-sock", "two-socks"]
    assert sorted(carts) == [(("brush", 1),), (("brush", 1), ("socks", 1)), (("brush", 1), ("socks", 2))]


def _shop():
    products = {pid: Product(pid, pid, price, category="all") for pid, price in
                (("a", 1_000), ("b", 1_300), ("c", 700), ("d", 2_000))}
    rules = (
        FixedBundle(id="1", label="ab", items=(BundleItem("a"), BundleItem("b", 2)), mode=PricingMode.PERCENT_OFF,
                    value=1_500),
        FixedBundle(id="2", label="bc", items=(BundleItem("b"), BundleItem("c")), mode=PricingMode.AMOUNT_OFF,
                    value=300),
        BuyXGetY(id="3", label="2+1", buy_product_ids=frozenset("abcd"), buy_quantity=2, get_quantity=1,
                 value=10_000, max_applications=2),
        BuyXGetY(id="4", label="1+1 half", buy_product_ids=frozenset("bd"), get_product_ids=frozenset("ac"),
                 buy_quantity=1, get_quantity=1, value=5_000),
        VolumeDiscount(id="5", label="v", categories=frozenset({"all"}), max_units=3,
                       tiers=(VolumeTier(2, 500), VolumeTier(6, 1_000))),
    )
    return products, rules


def test_a_quote_with_remembered_walks_equals_the_quote_of_each_layout_alone():
    """Bundles, two buy-X-get-Y rules and a limited volume over the same units, products at two prices: the
    searched quote is the same for every order of the lines and line split (each a fresh call), offers included."""
    products, rules = _shop()
    book = RuleBook(rules)
    layouts = [
        [("a", 2, 1_000), ("b", 3, 1_300), ("c", 2, 700), ("d", 1, 2_000), ("b", 1, 900)],
        [("b", 1, 900), ("d", 1, 2_000), ("c", 1, 700), ("b", 2, 1_300), ("a", 2, 1_000), ("c", 1, 700),
         ("b", 1, 1_300)],
    ]
    seen = set()
    for layout in layouts:
        q = quote_cart(Cart(tuple(CartLine(*line) for line in layout)), book, products, now=NOW, max_offers=3)
        seen.add((q.total, tuple((d.rule_id, d.amount, d.applications) for d in q.discounts),
                  tuple((o.rule_id, o.saving, o.new_total) for o in q.offers)))
        for offer in q.offers:  # each offer's figures are its own cart's, quoted alone
            after = quote_cart(Cart(tuple(CartLine(*line) for line in layout) + offer.add), book, products, now=NOW,
                               with_offers=False)
            assert (offer.new_total, offer.saving) == (after.total, after.discount_total - q.discount_total)
    assert len(seen) == 1


def test_units_a_rule_took_nothing_off_keep_their_floor_for_the_rules_after_it():
    """``docs/engine.md``: a unit's floor is the strictest of the rules that discounted it (gave it more than 0).
    A ¥2 bundle with a 50% floor spread over 3 alike units gives ¥1 to two of them and nothing to the third: the
    third keeps no floor, so a stackable 50% with no floor of its own may take its whole ¥500."""
    products = {"p": Product("p", "p", 1_000, cost=500)}
    floored = FixedBundle(id="1", label="a", items=(BundleItem("p", 3),), mode=PricingMode.AMOUNT_OFF, value=2,
                          margin_floor_bp=5_000)
    half = VolumeDiscount(id="2", label="s", product_ids=frozenset({"p"}), tiers=(VolumeTier(2, 5_000),),
                          stackable=True)
    q = quote_cart(Cart((CartLine("p", 3, 1_000),)), RuleBook((floored, half)), products, now=NOW,
                   with_offers=False)
    # Floors: 750 on the two units the bundle gave ¥1 (249 left each), none on the third (1,000 left).
    assert [(d.rule_id, d.amount) for d in q.discounts] == [("1", 2), ("2", 249 + 249 + 1_000)]


def test_one_more_group_counts_the_units_already_in_the_cart_at_that_price():
    """Buy 2 get 1 on one product, 2 units in the cart: one more unit of it forms the group ("あと1点で1点無料")."""
    products = {"x": Product("x", "x", 1_000)}
    rule = BuyXGetY(id="1", label="2+1", buy_product_ids=frozenset({"x"}), buy_quantity=2, get_quantity=1)
    q = quote_cart(Cart((CartLine("x", 2, 1_000),)), RuleBook((rule,)), products, now=NOW)
    [offer] = q.offers
    assert [(line.product_id, line.quantity) for line in offer.add] == [("x", 1)]
    assert (offer.saving, offer.new_total) == (1_000, 2_000)


def test_a_bundle_taking_dear_units_leaves_every_cheaper_unit_to_the_groups():
    """Product a at two prices (2 at ¥1,000, 3 at ¥500). The bundle a + b (¥1,000 off) takes the first ¥1,000 a;
    buy 1 get 1 free on a then forms two groups from the ¥1,000 and three ¥500 left: ¥1,000 more. The best is
    both (¥2,000), which the search must see although the bundle's unit is not of the cheaper run."""
    products = {"a": Product("a", "a", 1_000), "b": Product("b", "b", 800)}
    rules = (FixedBundle(id="1", label="ab", items=(BundleItem("a"), BundleItem("b")), mode=PricingMode.AMOUNT_OFF,
                         value=1_000),
             BuyXGetY(id="2", label="1+1", buy_product_ids=frozenset({"a"}), buy_quantity=1, get_quantity=1))
    lines = (CartLine("a", 2, 1_000), CartLine("a", 3, 500), CartLine("b", 1, 800))
    q = quote_cart(Cart(lines), RuleBook(rules), products, now=NOW, with_offers=False)
    assert [(d.rule_id, d.amount, d.applications) for d in q.discounts] == [("1", 1_000, 1), ("2", 1_000, 2)]


def test_rules_a_later_rule_links_into_one_group_keep_the_order_given():
    """``allocation.groups`` lists each group's rules in the order given (their importance, which the search's
    ties and the stackable rules' order read), also when a later rule links two groups: 1 and 3 on p1, 2 on p2,
    4 on both."""
    from plugin.engine import allocation
    from plugin.engine.units import Run, Terms

    rows = {pid: [Run(pid, 1_000, 1, 1_000)] for pid in ("p1", "p2")}
    rules = [bundle("1", {"p1": 1}, "amount_off", 100), bundle("2", {"p2": 1}, "amount_off", 100),
             bundle("3", {"p1": 1}, "amount_off", 50), bundle("4", {"p1": 1, "p2": 1}, "amount_off", 150)]
    terms = Terms(costs={}, categories={"p1": None, "p2": None}, limits={})
    found = allocation.groups(rows, rules, terms)
    assert [(sorted(products), [rule.id for rule in group]) for products, group in found] == [
        (["p1", "p2"], ["1", "2", "3", "4"])]
    assert [[rule.id for rule in group] for _, group in allocation.groups(rows, rules[:3], terms)] == [["1", "3"], ["2"]]


def test_a_discounts_units_read_compare_and_hash_as_the_tuple_they_stand_for():
    from plugin.bundles import DiscountedUnits
    from plugin.engine.values import DiscountedUnitsList

    quantities, amounts = {"socks": 2, "brush": 1}, {"socks": 300, "brush": 150}
    units = DiscountedUnitsList(quantities, amounts)
    as_tuple = (DiscountedUnits("socks", 2, 300), DiscountedUnits("brush", 1, 150))
    quantities["socks"], amounts["brush"] = 9, 9  # the caller writes its dicts on: the units it gave stay
    assert len(units) == 2 and units[1] == as_tuple[1] and units[-1].product_id == "brush"
    assert list(units) == list(as_tuple) and units == as_tuple and as_tuple == units
    assert hash(units) == hash(as_tuple) and repr(units) == repr(as_tuple)
    assert units == DiscountedUnitsList({"socks": 2, "brush": 1}, {"socks": 300, "brush": 150})
    assert units != DiscountedUnitsList({"brush": 1, "socks": 2}, {"socks": 300, "brush": 150})  # order booked
    assert units != DiscountedUnitsList({"socks": 2, "brush": 1}, {"socks": 300, "brush": 151})
    assert units != [as_tuple[0], as_tuple[1]] and units.index(as_tuple[1]) == 1


def test_a_quotes_discounts_name_the_units_each_rule_took():
    q = quote(cart(("socks", 2), ("brush", 1)), TWO_SOCKS, with_offers=False)
    (discount,) = q.discounts
    assert [(units.product_id, units.quantity) for units in discount.units] == [("brush", 1), ("socks", 2)]
    assert sum(units.amount for units in discount.units) == discount.amount > 0


def test_a_volume_offer_counts_the_cart_units_its_rule_counts_read_by_category():
    """``_CartView.units_counted``, for every mix of named products and categories, equals counting the cart's
    lines one by one (a product named and in a counted category once; a product unknown to the catalogue never)."""
    import itertools

    from plugin.engine.offers import _CartView

    products = {pid: Product(pid, pid, 100, category=category) for pid, category in
                (("a", "x"), ("b", "x"), ("c", "y"), ("d", None), ("e", "z"))}
    lines = (CartLine("a", 2, 100), CartLine("b", 1, 100), CartLine("c", 3, 100), CartLine("d", 4, 100),
             CartLine("a", 1, 90), CartLine("ghost", 5, 100))
    view = _CartView(Cart(lines), products)
    for named in itertools.chain.from_iterable(itertools.combinations("abcdeg", n) for n in range(3)):
        for categories in ((), ("x",), ("y",), ("x", "y"), ("z",)):
            if not named and not categories:
                continue
            rule = VolumeDiscount(id="v", label="v", product_ids=frozenset(pid if pid != "g" else "ghost"
                                                                           for pid in named),
                                  categories=frozenset(categories), tiers=(VolumeTier(2, 500),))
            by_lines = sum(line.quantity for line in lines
                           if line.product_id in products and rule.counts(line.product_id,
                                                                          products[line.product_id].category))
            assert view.units_counted(rule) == by_lines, (named, categories)
