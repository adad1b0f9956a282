"""The engine's promises through the shop's database and the extension: rules saved as a merchant saves them.

Each case was a counterexample found against ``docs/engine.md``; the figures are worked out from it.
"""
from datetime import datetime, timedelta, timezone

import pytest
from factories import NOW, bundle, cart, quote

from plugin import (
    BundleItem,
    Cart,
    CartLine,
    FixedBundle,
    PricingMode,
    Product,
    RuleBook,
    RuleError,
    VolumeDiscount,
    VolumeTier,
    models,
    quote_cart,
)
from plugin.engine import allocation

A_AND_B = {
    "a": Product("a", "A", 1_000, "acc"),
    "b": Product("b", "B", 1_000, "acc"),
}
FLOOR_SHOP = {
    "x": Product("x", "X", 1_000, "c"),  # no cost
    "y": Product("y", "Y", 1_000, "c", cost=900),
}


@pytest.fixture
def shop(database_url, make_shop):
    from shop import MemoryAdapter

    def open_shop(catalogue, **config):
        return make_shop(database_url, adapter=MemoryAdapter(catalogue), **config)

    return open_shop


def test_priority_ties_go_to_the_older_rule_by_number_not_by_text(shop):
    """Bundle id 2 (a+b 20% off) and a volume id 10 on category acc (5%): the bundle is older and wins."""
    app, db, tsuide, adapter = shop(A_AND_B)
    with app.app_context():
        pair = models.Bundle(label="a+b 20% off", pricing_mode="percent_off", pricing_value=2_000,
                             items=[models.RuleItem(product_id="a", quantity=1), models.RuleItem(product_id="b", quantity=1)])
        db.session.add(pair)
        db.session.flush()
        db.session.add_all([models.ShippingRule(label=f"filler {n}", currency="USD", threshold=100, fee=1)
                            for n in range(8)])  # ids 2..9 go to rules that never touch the cart
        db.session.flush()
        volume = models.VolumeRule(label="acc 5%", categories=[models.RuleCategory(category="acc")],
                                   steps=[models.RuleStep(threshold=2, percent_bp=500)])
        db.session.add(volume)
        db.session.commit()
        pair_id, volume_id = pair.id, volume.id
        adapter.lines = {"a": 1, "b": 1}
        with app.test_request_context():
            q = tsuide.quote(with_offers=False)
    # Both save the most on their own: 20% of ¥2,000 = ¥400 against 5% = ¥100; the bundle must win.
    assert q.discount_total == 400
    assert volume_id >= 10 > pair_id  # ids that compare the wrong way as text
    assert [d.rule_id for d in q.discounts] == [str(pair_id)]


def test_priority_ties_compare_numeric_ids_as_numbers_in_the_engine():
    two = FixedBundle(id="2", label="a+b", items=(BundleItem("a"), BundleItem("b")), mode=PricingMode.PERCENT_OFF,
                      value=2_000)
    ten = VolumeDiscount(id="10", label="acc", categories=frozenset({"acc"}), tiers=(VolumeTier(2, 2_000),))
    q = quote_cart(Cart((CartLine("a", 1, 1_000), CartLine("b", 1, 1_000))), RuleBook((ten, two)), A_AND_B,
                   now=NOW, with_offers=False)
    # Equal savings (¥400 each): the tie goes to rule "2", older than "10".
    assert [(d.rule_id, d.amount) for d in q.discounts] == [("2", 400)]


def test_the_margin_floor_holds_per_unit_through_the_database(shop):
    """x has no cost, y costs 900: the volume's floor of 0% keeps every y at ¥900 or more."""
    app, db, tsuide, adapter = shop(FLOOR_SHOP)
    with app.app_context():
        db.session.add(models.VolumeRule(label="c 50%", margin_floor_bp=0, categories=[models.RuleCategory(category="c")],
                                         steps=[models.RuleStep(threshold=2, percent_bp=5_000)]))
        db.session.add(models.Bundle(label="2 x ¥1,500 off", priority=9, pricing_mode="amount_off", pricing_value=1_500,
                                     items=[models.RuleItem(product_id="x", quantity=2)]))
        db.session.commit()
        adapter.lines = {"x": 2, "y": 2}
        with app.test_request_context():
            q = tsuide.quote(with_offers=False)
    y_line = next(line for line in q.lines if line.product_id == "y")
    assert y_line.total >= 2 * 900
    # Best: the volume on all four: 50% of ¥4,000 = ¥2,000, within the headroom (x: ¥2,000, y: 2 × ¥100), spread
    # by headroom so the y's keep their floor. The bundle on the x's (¥1,500) plus the y's (¥200) is less.
    assert q.discount_total == 2_000
    assert [d.rule_id for d in q.discounts] == ["1"]


def test_the_shop_wide_margin_floor_applies_to_rules_without_their_own(shop):
    app, db, tsuide, adapter = shop(FLOOR_SHOP, TSUIDE_MARGIN_FLOOR_PERCENT=10)
    with app.app_context():
        db.session.add(models.VolumeRule(label="c 50%", categories=[models.RuleCategory(category="c")],
                                         steps=[models.RuleStep(threshold=2, percent_bp=5_000)]))
        db.session.commit()
        adapter.lines = {"y": 2}
        with app.test_request_context():
            q = tsuide.quote(with_offers=False)
    assert q.lines[0].total == 2 * 990  # cost 900 plus 10%, per unit
    assert q.discount_total == 2_000 - 1_980


@pytest.mark.parametrize("percent", [-1, "10", True, 1_001])
def test_a_wrong_shop_wide_floor_stops_the_app_at_start_up(database_url, make_shop, percent):
    with pytest.raises(ValueError, match="TSUIDE_MARGIN_FLOOR_PERCENT"):
        make_shop(database_url, TSUIDE_MARGIN_FLOOR_PERCENT=percent)


def test_an_exclusive_rule_saved_in_the_database_keeps_stackable_rules_off_its_units(shop):
    app, db, tsuide, adapter = shop(A_AND_B)
    with app.app_context():
        pair = models.Bundle(label="a+b ¥300 off", exclusive=True, pricing_mode="amount_off", pricing_value=300,
                             items=[models.RuleItem(product_id="a", quantity=1), models.RuleItem(product_id="b", quantity=1)])
        db.session.add(pair)
        db.session.add(models.VolumeRule(label="acc 10%", stackable=True, categories=[models.RuleCategory(category="acc")],
                                         steps=[models.RuleStep(threshold=2, percent_bp=1_000)]))
        db.session.commit()
        pair_id = str(pair.id)
        adapter.lines = {"a": 2, "b": 1}
        with app.test_request_context():
            q = tsuide.quote(with_offers=False)
    # The bundle takes one a and the b; only the other a is left for the stackable volume, too few for its tier.
    # Without the bundle, the volume alone would save 10% of ¥3,000 = ¥300: the same, and the bundle is kept as
    # the larger choice.
    assert [(d.rule_id, d.amount) for d in q.discounts] == [(pair_id, 300)]


def test_a_rule_deleted_in_the_admin_stops_pricing_carts_at_once(shop):
    app, db, tsuide, adapter = shop(A_AND_B)
    with app.app_context():
        pair = models.Bundle(label="a+b ¥300 off", pricing_mode="amount_off", pricing_value=300,
                             items=[models.RuleItem(product_id="a", quantity=1), models.RuleItem(product_id="b", quantity=1)])
        db.session.add(pair)
        db.session.commit()
        adapter.lines = {"a": 1, "b": 1}
        with app.test_request_context():
            assert tsuide.quote(with_offers=False).discount_total == 300
        pair.deleted_at = datetime.now(timezone.utc).replace(tzinfo=None)
        db.session.commit()
        with app.test_request_context():
            assert tsuide.quote(with_offers=False).discount_total == 0


def test_a_floor_that_is_not_a_whole_yen_rounds_up():
    products = {"p": Product("p", "P", 1_200, cost=999)}
    rule = VolumeDiscount(id="v", label="v", product_ids=frozenset({"p"}), tiers=(VolumeTier(2, 5_000),),
                          margin_floor_bp=500)
    q = quote_cart(Cart((CartLine("p", 2, 1_200),)), RuleBook((rule,)), products, now=NOW, with_offers=False)
    assert q.lines[0].total == 2 * 1_049  # 999 * 1.05 = 1,048.95, rounded up: never a yen under


def test_a_stackable_amount_off_bundle_saves_its_amount_for_every_set():
    rule = bundle("two", {"socks": 2}, "amount_off", 300, stackable=True)
    assert quote(cart(("socks", 4)), rule).discount_total == 600


def test_a_capped_stackable_bundle_with_one_application_left_applies_once():
    rule = bundle("two", {"socks": 2}, "amount_off", 300, stackable=True, global_cap=5, redeemed=4)
    assert quote(cart(("socks", 6)), rule).discounts[0].applications == 1


def test_a_reach_tier_offer_names_the_tier_its_cart_gets():
    """Volume a/b 2+ 10%, 4+ 20%; bundle 2x a ¥900 off, priority 5; cart 3x a: adding 1 b leaves 2 units for the
    volume (the bundle takes two a's), so the offer's tier is 10%, not the 20% the count alone suggests."""
    products = {"a": Product("a", "A", 1_000), "b": Product("b", "B", 1_000)}
    volume = VolumeDiscount(id="v", label="v", product_ids=frozenset({"a", "b"}),
                            tiers=(VolumeTier(2, 1_000), VolumeTier(4, 2_000)))
    pair = FixedBundle(id="p", label="p", items=(BundleItem("a", 2),), mode=PricingMode.AMOUNT_OFF, value=900,
                       priority=5)
    q = quote_cart(Cart((CartLine("a", 3, 1_000),)), RuleBook((volume, pair)), products, now=NOW)
    for offer in q.offers:
        after = quote_cart(Cart((CartLine("a", 3, 1_000), *offer.add)), RuleBook((volume, pair)), products, now=NOW,
                           with_offers=False)
        reached = next(d for d in after.discounts if d.rule_id == offer.rule_id)
        assert offer.tier == reached.tier
        assert offer.new_total == after.total


def test_a_reach_tier_offer_never_suggests_an_out_of_stock_product():
    products = {
        "a": Product("a", "A", 1_000),
        "cheap": Product("cheap", "Cheap", 100, in_stock=False),
        "dear": Product("dear", "Dear", 500),
    }
    volume = VolumeDiscount(id="v", label="v", product_ids=frozenset(products), tiers=(VolumeTier(2, 1_000),))
    q = quote_cart(Cart((CartLine("a", 1, 1_000),)), RuleBook((volume,)), products, now=NOW)
    assert [line.product_id for offer in q.offers for line in offer.add] == ["dear"]


def test_bad_input_is_refused_naming_the_field():
    with pytest.raises(ValueError, match="quantity"):
        CartLine("a", True, 100)
    with pytest.raises(RuleError) as refused:
        VolumeDiscount(id="v", label="v", product_ids=frozenset({"a"}), tiers=(VolumeTier(2, 1_000),),
                       starts_at=datetime(2026, 1, 1), ends_at=NOW)
    assert "starts_at" in refused.value.errors
    rule = bundle("two", {"socks": 2}, "amount_off", 300, per_customer_cap=1)
    with pytest.raises(ValueError, match="now"):
        quote_cart(cart(("socks", 2)), RuleBook((rule,)), {}, now=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="usage"):
        quote_cart(cart(("socks", 2)), RuleBook((rule,)), {}, now=NOW, customer_used={"two": -5})
    with pytest.raises(ValueError, match="max_offers"):
        quote_cart(cart(("socks", 2)), RuleBook((rule,)), {}, now=NOW, max_offers=-1)


def test_a_budget_cut_search_is_never_worse_than_greedy(monkeypatch):
    """Twenty overlapping bundles on ten products: the budget stops the search, above the greedy answer."""
    products = {f"p{i}": Product(f"p{i}", f"p{i}", 1_000 + 100 * i) for i in range(10)}
    rules = tuple(
        FixedBundle(id=str(k), label=f"b{k}", items=(BundleItem(f"p{k % 10}"), BundleItem(f"p{(k * 3 + 1) % 10}", 2)),
                    mode=PricingMode.PERCENT_OFF, value=500 + 97 * k)
        for k in range(20)
    )
    lines = Cart(tuple(CartLine(pid, 3, p.price) for pid, p in products.items()))
    searched = quote_cart(lines, RuleBook(rules), products, now=NOW, with_offers=False)
    monkeypatch.setattr(allocation, "SEARCH_BUDGET", 0)
    greedy = quote_cart(lines, RuleBook(rules), products, now=NOW, with_offers=False)
    assert searched.discount_total >= greedy.discount_total > 0


def test_now_moves_a_rule_out_of_its_schedule_exactly_at_its_end():
    rule = bundle("two", {"socks": 2}, "amount_off", 300, ends_at=NOW + timedelta(hours=1))
    assert quote(cart(("socks", 2)), rule, now=NOW + timedelta(minutes=59)).discount_total == 300
    assert quote(cart(("socks", 2)), rule, now=NOW + timedelta(hours=1)).discount_total == 0


def test_a_stackable_rule_skips_the_units_an_exclusive_rule_used_and_takes_the_free_ones():
    """An exclusive bundle (one left) takes the dear a; a stackable a+b bundle must use the cheap a, not the dear one."""
    products = {"a": Product("a", "A", 1_000), "b": Product("b", "B", 500)}
    lines = Cart((CartLine("a", 1, 1_000), CartLine("a", 1, 400), CartLine("b", 2, 500)))
    exclusive = FixedBundle(id="1", label="a+b", items=(BundleItem("a"), BundleItem("b")), mode=PricingMode.AMOUNT_OFF,
                            value=1_000, exclusive=True, priority=5, global_cap=1)
    stacked = FixedBundle(id="2", label="a+b 50%", items=(BundleItem("a"), BundleItem("b")),
                          mode=PricingMode.PERCENT_OFF, value=5_000, stackable=True)
    q = quote_cart(lines, RuleBook((exclusive, stacked)), products, now=NOW, with_offers=False)
    # The exclusive set: a ¥1,000 + b ¥500, ¥1,000 off. The stackable set: the other a (¥400) + b (¥500), 50% = ¥450.
    # Together ¥1,450, more than the stackable rule alone on everything (50% of ¥2,400 = ¥1,200).
    assert [(d.rule_id, d.amount) for d in q.discounts] == [("1", 1_000), ("2", 450)]


def test_the_search_weighs_what_a_bundle_really_saves_under_its_floor():
    """y costs ¥900: a floored 50% bundle can only save ¥200 on two; the 15% volume (¥300) is the better choice."""
    products = {"y": Product("y", "Y", 1_000, cost=900)}
    capped = FixedBundle(id="1", label="2y 50%", items=(BundleItem("y", 2),), mode=PricingMode.PERCENT_OFF, value=5_000,
                         margin_floor_bp=0)
    volume = VolumeDiscount(id="2", label="y 15%", product_ids=frozenset({"y"}), tiers=(VolumeTier(2, 1_500),))
    q = quote_cart(Cart((CartLine("y", 2, 1_000),)), RuleBook((capped, volume)), products, now=NOW, with_offers=False)
    assert [(d.rule_id, d.amount) for d in q.discounts] == [("2", 300)]


def test_offers_are_priced_under_the_shop_wide_floor_like_the_cart_they_make():
    products = {"y": Product("y", "Y", 1_000, cost=900), "z": Product("z", "Z", 1_000, cost=900)}
    pair = FixedBundle(id="1", label="y+z 50%", items=(BundleItem("y"), BundleItem("z")), mode=PricingMode.PERCENT_OFF,
                       value=5_000)
    q = quote_cart(Cart((CartLine("y", 1, 1_000),)), RuleBook((pair,)), products, now=NOW, margin_floor_bp=500)
    (offer,) = q.offers
    after = quote_cart(Cart((CartLine("y", 1, 1_000), *offer.add)), RuleBook((pair,)), products, now=NOW,
                       margin_floor_bp=500, with_offers=False)
    assert (offer.saving, offer.new_total) == (after.discount_total, after.total) == (110, 1_890)  # floor ¥945 each


def test_a_reach_tier_offer_prefers_a_product_not_yet_in_the_cart():
    products = {"a": Product("a", "A", 300), "b": Product("b", "B", 800)}
    volume = VolumeDiscount(id="v", label="v", product_ids=frozenset(products), tiers=(VolumeTier(2, 1_000),))
    q = quote_cart(Cart((CartLine("a", 1, 300),)), RuleBook((volume,)), products, now=NOW)
    assert [line.product_id for offer in q.offers for line in offer.add] == ["b"]


def test_no_offer_places_means_no_offers_and_no_quoting():
    rule = bundle("two", {"socks": 2}, "amount_off", 300)
    assert quote(cart(("socks", 1)), rule, max_offers=0).offers == ()


def test_a_floor_binds_only_the_units_its_rule_discounted():
    """V (floor 50%) can give b nothing (its floor is above b's price) and so leaves b free of that floor: the
    stackable 90% after it owes b's units no floor (docs/engine.md: the rules that gave a unit more than 0)."""
    products = {"a": Product("a", "A", 1_000), "b": Product("b", "B", 1_000, cost=890)}
    floored = VolumeDiscount(id="1", label="V", product_ids=frozenset({"a", "b"}), tiers=(VolumeTier(2, 5_000),),
                             margin_floor_bp=5_000)
    deep = VolumeDiscount(id="2", label="S", product_ids=frozenset({"b"}), tiers=(VolumeTier(2, 9_000),),
                          stackable=True)
    q = quote_cart(Cart((CartLine("a", 1, 1_000), CartLine("b", 2, 1_000))), RuleBook((floored, deep)), products,
                   now=NOW, with_offers=False)
    # V: 50% of ¥3,000 = ¥1,500, capped by headroom: a (no cost) ¥1,000, the b's none (floor ¥1,335): ¥1,000, all
    # on a. S on the b's: 90% of ¥2,000 = ¥1,800. Together ¥2,800, more than S alone (¥1,800).
    assert [(d.rule_id, d.amount) for d in q.discounts] == [("1", 1_000), ("2", 1_800)]


def test_offers_are_ranked_by_what_they_save_even_when_their_bound_said_more():
    """Two 50% sets whose floors leave ¥20 each, and a ¥300-off set: the ¥300 set is shown first."""
    products = {
        "a": Product("a", "A", 1_000, cost=990),
        "p1": Product("p1", "P1", 1_000, cost=990),
        "p2": Product("p2", "P2", 1_000, cost=990),
        "p3": Product("p3", "P3", 1_000),
    }
    half = [FixedBundle(id=str(n), label=f"a+p{n}", items=(BundleItem("a"), BundleItem(f"p{n}")),
                        mode=PricingMode.PERCENT_OFF, value=5_000, margin_floor_bp=0) for n in (1, 2)]
    amount = FixedBundle(id="3", label="a+p3", items=(BundleItem("a"), BundleItem("p3")),
                         mode=PricingMode.AMOUNT_OFF, value=300)
    q = quote_cart(Cart((CartLine("a", 1, 1_000),)), RuleBook((*half, amount)), products, now=NOW, max_offers=2)
    assert [(offer.rule_id, offer.saving) for offer in q.offers] == [("3", 300), ("1", 20)]
