"""The engine prices carts with no Flask app: amounts a shopper is charged."""
from datetime import timedelta

from factories import CATALOGUE, NOW, bundle, cart, quote, shipping, volume
from hypothesis import given, settings
from hypothesis import strategies as st

from plugin import Cart, CartLine, Product, RuleBook, VolumeDiscount, VolumeTier, quote_cart

HEALTH_SET = bundle("health-set", {"healthfood": 3}, "percent_off", 1_000, label="3袋セット")
SHOE_CARE = bundle("shoe-care", {"spray": 1, "brush": 1, "cleaner": 1}, "fixed_price", 2_900)
ACCESSORIES = volume("accessories", {2: 1_000, 3: 2_000}, categories=["accessories"])


def assert_parts_add_up(q):
    assert sum(line.discount for line in q.lines) == q.discount_total
    for discount in q.discounts:
        assert sum(units.amount for units in discount.units) == discount.amount
    for line in q.lines:
        assert 0 <= line.discount <= line.subtotal
    assert q.total == q.subtotal - q.discount_total + q.shipping_fee >= 0


def test_three_bag_health_food_set_costs_8100():
    q = quote(cart(("healthfood", 3)), HEALTH_SET)
    assert (q.subtotal, q.discount_total, q.total) == (9_000, 900, 8_100)
    assert q.discounts[0].label == "3袋セット"
    assert q.discounts[0].units[0].quantity == 3
    assert_parts_add_up(q)


def test_four_bags_make_one_set_and_one_bag_at_full_price():
    q = quote(cart(("healthfood", 4)), HEALTH_SET)
    assert q.total == 8_100 + 3_000
    assert q.discounts[0].applications == 1


def test_six_bags_make_two_sets():
    q = quote(cart(("healthfood", 6)), HEALTH_SET)
    assert (q.discount_total, q.discounts[0].applications) == (1_800, 2)


def test_fixed_price_bundle_charges_the_bundle_price():
    q = quote(cart(("spray", 1), ("brush", 1), ("cleaner", 1)), SHOE_CARE)
    assert q.total == 2_900
    assert_parts_add_up(q)


def test_amount_off_bundle():
    kit = bundle("kit", {"camera": 1, "lens": 1}, "amount_off", 5_000)
    assert quote(cart(("camera", 1), ("lens", 1)), kit).total == 65_000 + 28_000 - 5_000


def test_a_bundle_dearer_than_its_items_gives_no_negative_discount():
    dear = bundle("dear", {"brush": 1, "cleaner": 1}, "fixed_price", 5_000)
    q = quote(cart(("brush", 1), ("cleaner", 1)), dear)
    assert q.discounts == () and q.total == 2_000


def test_an_amount_off_larger_than_the_items_stops_at_zero():
    huge = bundle("huge", {"brush": 1, "cleaner": 1}, "amount_off", 50_000)
    q = quote(cart(("brush", 1), ("cleaner", 1), ("camera", 1)), huge)
    assert q.discount_total == 2_000
    assert q.total == 65_000
    assert_parts_add_up(q)


def test_a_hundred_percent_discount_makes_the_items_free():
    free = bundle("free", {"brush": 1, "cleaner": 1}, "percent_off", 10_000)
    q = quote(cart(("brush", 1), ("cleaner", 1)), free, shipping(threshold=5_000, fee=600))
    assert q.discount_total == 2_000
    assert q.total == 600  # the items are free; shipping is still owed below the threshold
    assert_parts_add_up(q)


def test_volume_tiers_mix_and_match_over_a_collection():
    assert quote(cart(("socks", 1)), ACCESSORIES).discount_total == 0
    two = quote(cart(("socks", 1), ("cap", 1)), ACCESSORIES)
    assert two.discount_total == 350  # 10% of 3,500
    three = quote(cart(("socks", 2), ("cap", 1)), ACCESSORIES)
    assert three.discount_total == 900  # 20% of 4,500
    assert_parts_add_up(three)


def test_rounding_spreads_so_lines_add_up():
    odd = bundle("odd", {"brush": 1, "cleaner": 1, "spray": 1}, "percent_off", 333)
    q = quote(cart(("brush", 1), ("cleaner", 1), ("spray", 1)), odd)
    assert q.discount_total == 117  # 3.33% of 3,500 = 116.55, rounded once
    assert_parts_add_up(q)


def test_greedy_first_match_loses_money_the_engine_does_not():
    """Greedy takes the most important rule first (A+B) and then nothing else fits.

    Pairing A with C and B with D saves the shopper more, so the engine picks that.
    """
    a_b = bundle("a+b", {"camera": 1, "lens": 1}, "amount_off", 10_000, priority=10)
    a_c = bundle("a+c", {"camera": 1, "tripod": 1}, "amount_off", 8_000)
    b_d = bundle("b+d", {"lens": 1, "sdcard": 1}, "amount_off", 8_000)
    q = quote(cart(("camera", 1), ("lens", 1), ("tripod", 1), ("sdcard", 1)), a_b, a_c, b_d)
    greedy_saving = 10_000
    assert q.discount_total == 16_000 > greedy_saving
    assert {d.rule_id for d in q.discounts} == {"a+c", "b+d"}


def test_a_bundle_that_would_break_a_better_volume_tier_is_left_out():
    # Three accessories reach 20% off (1,300 of 6,500 with the cap); taking the socks for a
    # small bundle would drop the tier to 10% (cap and tote: 450) plus 100 off the pair.
    socks_and_spray = bundle("socks+spray", {"socks": 1, "spray": 1}, "amount_off", 100)
    q = quote(cart(("socks", 1), ("cap", 1), ("tote", 1), ("spray", 1)), ACCESSORIES, socks_and_spray)
    assert q.discount_total == 1_100  # 20% of 5,500
    assert [d.rule_id for d in q.discounts] == ["accessories"]


def test_no_unit_is_used_by_two_exclusive_rules():
    pair = bundle("socks-pair", {"socks": 2}, "amount_off", 500)
    q = quote(cart(("socks", 2), ("cap", 1)), ACCESSORIES, pair)
    used = {}
    for discount in q.discounts:
        for units in discount.units:
            used[units.product_id] = used.get(units.product_id, 0) + units.quantity
    assert used["socks"] <= 2
    # 20% of 4,500 (900) beats 500 off the pair plus nothing on a lone cap.
    assert q.discount_total == 900


def test_a_stackable_rule_applies_on_top_of_the_price_left():
    extra = volume("member-5", {2: 500}, categories=["shoe-care"], stackable=True)
    q = quote(cart(("spray", 1), ("brush", 1), ("cleaner", 1)), SHOE_CARE, extra)
    assert q.discount_total == 600 + 145  # the set, then 5% of the 2,900 left
    assert_parts_add_up(q)


def test_schedule_and_pause_are_checked_on_every_quote():
    later = bundle("later", {"healthfood": 3}, "percent_off", 1_000, starts_at=NOW + timedelta(hours=1))
    ended = bundle("ended", {"healthfood": 3}, "percent_off", 1_000, ends_at=NOW)
    paused = bundle("paused", {"healthfood": 3}, "percent_off", 1_000, paused=True)
    three = cart(("healthfood", 3))
    assert quote(three, later, ended, paused).discount_total == 0
    assert quote(three, later, now=NOW + timedelta(hours=1)).discount_total == 900
    assert quote(three, ended, now=NOW - timedelta(seconds=1)).discount_total == 900


def test_global_cap_limits_the_sets_left():
    first_100 = bundle("first-100", {"healthfood": 3}, "percent_off", 1_000, global_cap=100, redeemed=99)
    assert quote(cart(("healthfood", 6)), first_100).discount_total == 900
    sold_out = bundle("sold-out", {"healthfood": 3}, "percent_off", 1_000, global_cap=100, redeemed=100)
    q = quote(cart(("healthfood", 3)), sold_out)
    assert q.discount_total == 0 and q.offers == ()


def test_per_customer_cap_counts_this_shoppers_uses():
    once = bundle("once", {"healthfood": 3}, "percent_off", 1_000, per_customer_cap=1)
    assert quote(cart(("healthfood", 6)), once).discount_total == 900
    used = quote(cart(("healthfood", 3)), once, customer_used={"once": 1})
    assert used.discount_total == 0


def test_margin_floor_keeps_the_price_above_cost_plus_margin():
    # Camera + lens cost 70,000; a 30% floor means never below 91,000 of the 93,000.
    deep = bundle("deep", {"camera": 1, "lens": 1}, "percent_off", 2_000, margin_floor_bp=3_000)
    q = quote(cart(("camera", 1), ("lens", 1)), deep)
    assert q.discount_total == 2_000
    assert q.total == 91_000


def test_margin_floor_is_ignored_when_a_cost_is_unknown():
    from dataclasses import replace

    from plugin import RuleBook, quote_cart

    deep = bundle("deep", {"camera": 1, "lens": 1}, "percent_off", 2_000, margin_floor_bp=3_000)
    catalogue = dict(CATALOGUE, lens=replace(CATALOGUE["lens"], cost=None))
    q = quote_cart(cart(("camera", 1), ("lens", 1)), RuleBook((deep,)), catalogue, now=NOW)
    assert q.discount_total == 18_600


def test_free_shipping_counts_the_subtotal_after_discounts():
    ship = shipping(threshold=9_000, fee=600)
    q = quote(cart(("healthfood", 3)), HEALTH_SET, ship)
    assert q.free_shipping.counted == 8_100
    assert q.free_shipping.remaining == 900
    assert (q.shipping_fee, q.total) == (600, 8_700)
    before = shipping(threshold=9_000, fee=600, count_before_discounts=True)
    assert quote(cart(("healthfood", 3)), HEALTH_SET, before).shipping_fee == 0


def test_free_shipping_progress_and_reward_tiers():
    from plugin import Reward

    ship = shipping(threshold=5_000, fee=600, rewards=(Reward(20_000, "gift"),))
    q = quote(cart(("healthfood", 1)), ship)
    assert (q.free_shipping.remaining, q.free_shipping.fraction, q.shipping_fee) == (2_000, 0.6, 600)
    q = quote(cart(("healthfood", 2)), ship)
    assert (q.free_shipping.remaining, q.shipping_fee, q.free_shipping.reached) == (0, 0, True)
    assert (q.free_shipping.next_reward.label, q.free_shipping.next_reward_remaining) == ("gift", 14_000)
    q = quote(cart(("healthfood", 7)), ship)
    assert [reward.label for reward in q.free_shipping.rewards_unlocked] == ["gift"]


def test_thresholds_are_per_currency_never_converted():
    usd = shipping(threshold=5_000, fee=800, currency="USD")
    q = quote(cart(("healthfood", 1)), usd)
    assert q.free_shipping is None and q.shipping_fee == 0
    q = quote(cart(("healthfood", 1)), usd, currency="USD")
    assert (q.free_shipping.remaining, q.shipping_fee) == (2_000, 800)


def test_an_empty_cart_pays_nothing():
    q = quote(cart(), shipping())
    assert (q.subtotal, q.shipping_fee, q.total) == (0, 0, 0)
    assert q.free_shipping.remaining == 5_000


def test_labels_follow_the_shoppers_language():
    named = bundle("named", {"healthfood": 3}, "percent_off", 1_000, label="3袋セット",
                   translations=(("en", "3-bag set"),))
    assert quote(cart(("healthfood", 3)), named, locale="en").discounts[0].label == "3-bag set"
    assert quote(cart(("healthfood", 3)), named, locale="ja").discounts[0].label == "3袋セット"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4_999), st.integers(0, 599)), max_size=3), st.integers(1, 12),
       st.integers(0, 2_000))
def test_shipping_steps_charge_the_fee_of_the_last_step_reached(raw_steps, units, discount):
    """docs/engine.md: the fee of the last step the counted amount reaches, the base fee below the first, 0 from
    the threshold; the next step is the first above the counted amount."""
    from plugin import ShippingStep, ShippingThreshold

    steps, last_threshold, last_fee = [], 0, 600
    for threshold, fee in sorted(raw_steps):
        if threshold > last_threshold and fee < last_fee:
            steps.append(ShippingStep(threshold, fee))
            last_threshold, last_fee = threshold, fee
    rule = ShippingThreshold(id="s", label="送料", currency="JPY", threshold=5_000, fee=600, steps=tuple(steps))
    rules = [rule]
    if discount:
        rules.append(VolumeDiscount(id="v", label="v", product_ids=frozenset({"a"}), tiers=(VolumeTier(1, 1_000),)))
    cart = Cart((CartLine("a", units, 500),))
    q = quote_cart(cart, RuleBook(tuple(rules)), {"a": Product("a", "A", 500)}, now=NOW, with_offers=False)
    counted = q.subtotal - q.discount_total
    reached = [step.fee for step in steps if counted >= step.threshold]
    expected = 0 if counted >= 5_000 else (reached[-1] if reached else 600)
    assert q.shipping_fee == q.free_shipping.fee == expected
    ahead = [step for step in steps if step.threshold > counted]
    assert q.free_shipping.next_step == (ahead[0] if ahead else None)
    assert q.free_shipping.next_step_remaining == (ahead[0].threshold - counted if ahead else None)
    assert q.total == counted + expected
