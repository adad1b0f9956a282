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


def test_a_single_unit_is_not_a_bundle():
    assert "items" in errors_of(lambda: bundle("b", {"brush": 1}, "amount_off", 100))


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
