"""The thank-you offer engine, with no app: what an order is offered and what accepting costs."""
from datetime import timedelta

import pytest

from factories import CATALOGUE, NOW
from plugin import BundleItem, CartLine, Customer, Order, PricingMode, RuleError
from plugin.engine.post_purchase import (
    OfferKind,
    PostPurchaseOffer,
    Segment,
    Shopper,
    choose,
    eligible,
    price_offer,
)

TERMS = {"now": NOW, "max_ratio_bp": 5_000, "loyal_orders": 5}
GUEST = Shopper(None, ())


def order(*items, total=None, placed_minutes_ago=1):
    lines = tuple(CartLine(pid, qty, CATALOGUE[pid].price) for pid, qty in items)
    return Order("A-1", lines, "c-1", NOW - timedelta(minutes=placed_minutes_ago),
                 total if total is not None else sum(line.subtotal for line in lines))


def add_on(offer_id="1", items=(("spray", 1), ("brush", 1), ("cleaner", 1)), **terms):
    terms.setdefault("trigger_products", frozenset({"sneakers"}))
    return PostPurchaseOffer(id=offer_id, kind=OfferKind.ADD_ON, label="Shoe care",
                             items=tuple(BundleItem(pid, qty) for pid, qty in items),
                             mode=terms.pop("mode", PricingMode.PERCENT_OFF), value=terms.pop("value", 2_000), **terms)


def test_an_add_on_charges_the_offer_price_and_adds_to_the_total():
    amendment = price_offer(add_on(), order(("sneakers", 1)), CATALOGUE)
    assert (amendment.list_price, amendment.price, amendment.charge, amendment.saving) == (3_500, 2_800, 2_800, 700)
    assert amendment.new_total == 14_800
    assert [line.product_id for line in amendment.add] == ["spray", "brush", "cleaner"]


def test_an_upgrade_charges_only_the_difference():
    upgrade = PostPurchaseOffer(id="2", kind=OfferKind.UPGRADE, label="3-bag set", replaces="healthfood",
                                items=(BundleItem("healthfood", 3),), mode=PricingMode.PERCENT_OFF, value=1_000)
    amendment = price_offer(upgrade, order(("healthfood", 1), ("lens", 1)), CATALOGUE)
    assert (amendment.price, amendment.credit, amendment.charge) == (8_100, 3_000, 5_100)
    assert [(line.product_id, line.quantity) for line in amendment.remove] == [("healthfood", 1)]
    assert amendment.new_total == 31_000 + 5_100


def test_never_offer_what_was_just_bought_or_is_out_of_stock():
    assert price_offer(add_on(items=(("spray", 1),)), order(("sneakers", 1), ("spray", 1)), CATALOGUE) is None
    assert price_offer(add_on(items=(("scarf", 1),)), order(("sneakers", 1)), CATALOGUE) is None


def test_the_upsell_ceiling_keeps_the_charge_within_half_the_order():
    pricey = add_on(items=(("tripod", 1),), value=0)  # ¥6,000 on a ¥12,000 order is exactly half
    assert eligible(pricey, order(("sneakers", 1)), CATALOGUE, GUEST, **TERMS) is not None
    assert eligible(pricey, order(("sneakers", 1), total=11_999), CATALOGUE, GUEST, **TERMS) is None


@pytest.mark.parametrize(("segment", "orders", "shown"), [
    (Segment.NEW, 1, True), (Segment.NEW, 3, False), (Segment.RETURNING, 1, False), (Segment.LOYAL, 5, True),
])
def test_segments(segment, orders, shown):
    shopper = Shopper(Customer("c-1", orders_count=orders), ())
    found = eligible(add_on(segment=segment), order(("sneakers", 1)), CATALOGUE, shopper, **TERMS)
    assert (found is not None) == shown


def test_declined_capped_and_unscheduled_offers_are_not_chosen():
    sneakers = order(("sneakers", 1))
    assert choose([add_on()], sneakers, CATALOGUE, Shopper(None, {"1"}), **TERMS) is None
    assert choose([add_on(global_cap=100, accepted=100)], sneakers, CATALOGUE, GUEST, **TERMS) is None
    assert choose([add_on(starts_at=NOW + timedelta(hours=1))], sneakers, CATALOGUE, GUEST, **TERMS) is None


def test_the_most_important_offer_wins_then_the_bigger_saving():
    small = add_on("small", items=(("brush", 1),), value=1_000)
    big = add_on("big", value=2_000)
    urgent = add_on("urgent", items=(("socks", 1),), value=500, priority=5)
    sneakers = order(("sneakers", 1))
    assert choose([small, big], sneakers, CATALOGUE, GUEST, **TERMS).offer.id == "big"
    assert choose([small, big, urgent], sneakers, CATALOGUE, GUEST, **TERMS).offer.id == "urgent"


def test_bad_offer_data_names_every_field():
    with pytest.raises(RuleError) as caught:
        PostPurchaseOffer(id="", kind=OfferKind.UPGRADE, label="", items=(), mode=PricingMode.PERCENT_OFF,
                          value=20_000)
    assert {"id", "label", "items", "replaces", "value"} <= caught.value.errors.keys()
