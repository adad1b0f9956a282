"""Bad rule data is refused with every wrong field named, before it can price anything."""
import pytest
from factories import bundle, shipping, volume

from plugin import FixedBundle, PricingMode, RuleError, VolumeDiscount, VolumeTier


def errors_of(build):
    with pytest.raises(RuleError) as caught:
        build()
    return caught.value.errors


def test_a_bundle_of_nothing_is_refused():
    errors = errors_of(lambda: FixedBundle(id="b", label="Empty", items=(), mode=PricingMode.FIXED_PRICE, value=100))
    assert "items" in errors


def test_a_negative_bundle_price_is_refused():
    assert "value" in errors_of(lambda: bundle("b", {"brush": 1, "cleaner": 1}, "fixed_price", -1))


def test_percentages_must_be_within_0_and_100():
    assert "value" in errors_of(lambda: bundle("b", {"brush": 1, "cleaner": 1}, "percent_off", 10_001))
    assert "value" in errors_of(lambda: bundle("b", {"brush": 1, "cleaner": 1}, "percent_off", 0))


def test_every_error_is_reported_at_once():
    errors = errors_of(
        lambda: FixedBundle(id="", label=" ", items=(), mode=PricingMode.AMOUNT_OFF, value=-5, global_cap=0)
    )
    assert {"id", "label", "items", "value", "global_cap"} <= errors.keys()


def test_a_volume_discount_with_no_items_is_refused():
    errors = errors_of(lambda: VolumeDiscount(id="v", label="Tiers", tiers=(VolumeTier(2, 1_000),)))
    assert "product_ids" in errors


def test_a_volume_discount_with_no_tiers_is_refused():
    assert "tiers" in errors_of(lambda: volume("v", {}, products=["socks"]))


def test_overlapping_tiers_are_refused():
    same_quantity = lambda: VolumeDiscount(  # noqa: E731
        id="v", label="T", product_ids=frozenset({"socks"}), tiers=(VolumeTier(2, 1_000), VolumeTier(2, 2_000))
    )
    assert "overlap" in " ".join(errors_of(same_quantity)["tiers"])
    shrinking = lambda: volume("v", {2: 2_000, 3: 1_000}, products=["socks"])  # noqa: E731
    assert "overlap" in " ".join(errors_of(shrinking)["tiers"])


def test_schedule_must_end_after_it_starts():
    from factories import NOW

    assert "ends_at" in errors_of(lambda: bundle("b", {"brush": 2}, "amount_off", 1, starts_at=NOW, ends_at=NOW))


def test_shipping_needs_a_currency_code_and_positive_threshold():
    errors = errors_of(lambda: shipping(threshold=0, fee=-1, currency="yen"))
    assert {"threshold", "fee", "currency"} <= errors.keys()


def test_a_rule_may_start_at_one_unit():
    """"この商品10%オフ": one unit is a set, and a tier may start at 1; zero units never are."""
    one = bundle("b", {"brush": 1}, "percent_off", 1_000)
    assert one.items[0].quantity == 1
    VolumeDiscount(id="v", label="1点から", product_ids=frozenset({"socks"}), tiers=(VolumeTier(1, 1_000),))
    assert "items" in errors_of(lambda: bundle("b", {"brush": 0}, "amount_off", 100))
    assert "tiers" in errors_of(lambda: VolumeDiscount(id="v", label="0", product_ids=frozenset({"socks"}),
                                                       tiers=(VolumeTier(0, 1_000),)))


def test_shipping_steps_go_up_in_threshold_and_down_in_fee_below_free_shipping():
    from plugin import ShippingStep, ShippingThreshold

    def threshold(*steps):
        return ShippingThreshold(id="s", label="送料", currency="JPY", threshold=5_000, fee=600, steps=steps)

    assert threshold(ShippingStep(3_000, 300), ShippingStep(4_000, 0)).fee_at(4_500) == 0
    for steps in [(ShippingStep(5_000, 300),), (ShippingStep(0, 300),), (ShippingStep(3_000, 600),),
                  (ShippingStep(3_000, 300), ShippingStep(2_000, 200)), (ShippingStep(3_000, -1),),
                  (ShippingStep(3_000, True),)]:
        assert "steps" in errors_of(lambda: threshold(*steps)), steps


def test_error_message_names_the_field():
    with pytest.raises(RuleError, match="value: A bundle price must not be negative"):
        bundle("b", {"brush": 1, "cleaner": 1}, "fixed_price", -1)


def test_negative_prices_from_the_shop_are_refused_by_name():
    from plugin import CartLine, Product

    with pytest.raises(ValueError, match="price of product 'tea'"):
        Product("tea", "Tea", -1)
    with pytest.raises(ValueError, match="unit_price of 'tea'"):
        CartLine("tea", 1, -500)
    with pytest.raises(ValueError, match="quantity of 'tea'"):
        CartLine("tea", 0, 500)
