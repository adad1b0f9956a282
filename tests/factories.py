"""Small builders for engine values, so a test reads like the shop it describes."""
from __future__ import annotations

from datetime import datetime, timezone

from plugin import (
    BundleItem,
    Cart,
    CartLine,
    FixedBundle,
    PricingMode,
    Product,
    RuleBook,
    ShippingThreshold,
    VolumeDiscount,
    VolumeTier,
    quote_cart,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)

CATALOGUE = {
    product.id: product
    for product in [
        Product("healthfood", "健康食品", 3_000, "food", cost=1_200),
        Product("sneakers", "Sneakers", 12_000, "shoes", cost=6_000),
        Product("spray", "Waterproof spray", 1_500, "shoe-care", cost=500),
        Product("brush", "Brush", 800, "shoe-care", cost=300),
        Product("cleaner", "Cleaner", 1_200, "shoe-care", cost=400),
        Product("camera", "Camera", 65_000, "camera", cost=50_000),
        Product("lens", "Lens", 28_000, "camera", cost=20_000),
        Product("tripod", "Tripod", 6_000, "camera", cost=3_000),
        Product("sdcard", "SD card", 3_000, "camera", cost=1_000),
        Product("socks", "Socks", 1_000, "accessories", cost=300),
        Product("cap", "Cap", 2_500, "accessories", cost=900),
        Product("tote", "Tote bag", 2_000, "accessories", cost=700),
        Product("scarf", "Scarf", 3_500, "accessories", cost=1_500, in_stock=False),
    ]
}


def cart(*items: tuple[str, int], customer_id: str | None = None) -> Cart:
    return Cart(tuple(CartLine(pid, qty, CATALOGUE[pid].price) for pid, qty in items), customer_id)


def bundle(rule_id: str, items: dict[str, int], mode: str, value: int, **terms) -> FixedBundle:
    return FixedBundle(
        id=rule_id,
        label=terms.pop("label", rule_id),
        items=tuple(BundleItem(pid, qty) for pid, qty in items.items()),
        mode=PricingMode(mode),
        value=value,
        **terms,
    )


def volume(rule_id: str, tiers: dict[int, int], products=(), categories=(), **terms) -> VolumeDiscount:
    return VolumeDiscount(
        id=rule_id,
        label=terms.pop("label", rule_id),
        product_ids=frozenset(products),
        categories=frozenset(categories),
        tiers=tuple(VolumeTier(qty, bp) for qty, bp in sorted(tiers.items())),
        **terms,
    )


def shipping(threshold: int = 5_000, fee: int = 600, currency: str = "JPY", **terms) -> ShippingThreshold:
    return ShippingThreshold(
        id=terms.pop("id", f"ship-{currency}"), label="Free shipping", currency=currency, threshold=threshold,
        fee=fee, **terms
    )


def quote(the_cart: Cart, *rules, **options):
    options.setdefault("now", NOW)
    return quote_cart(the_cart, RuleBook(tuple(rules)), CATALOGUE, **options)
