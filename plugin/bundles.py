"""The pricing engine's front door: :func:`quote_cart` and the values a host shop uses.

One pure function prices the widget, the cart panel and the checkout, so what
is shown is what is charged. The engine itself lives in :mod:`plugin.engine`
(no Flask, no SQLAlchemy, no I/O); this module names what a shop or a
checkout needs from it.
"""
from __future__ import annotations

from .engine.quote import quote_cart
from .engine.rules import (
    BundleItem,
    BuyXGetY,
    FixedBundle,
    FreeGift,
    PricingMode,
    Reward,
    RuleBook,
    RuleError,
    ShippingStep,
    ShippingThreshold,
    SpendDiscount,
    SpendStep,
    VolumeDiscount,
    VolumeTier,
)
from .engine.values import (
    MAX_LINE_QUANTITY,
    Cart,
    CartLine,
    Customer,
    Discount,
    DiscountedUnits,
    FreeShippingProgress,
    GapFiller,
    Offer,
    Order,
    Product,
    Quote,
    QuotedLine,
    Rung,
)

__all__ = [
    "MAX_LINE_QUANTITY",
    "BundleItem",
    "BuyXGetY",
    "Cart",
    "CartLine",
    "Customer",
    "Discount",
    "DiscountedUnits",
    "FixedBundle",
    "FreeGift",
    "FreeShippingProgress",
    "GapFiller",
    "Offer",
    "Order",
    "PricingMode",
    "Product",
    "Quote",
    "QuotedLine",
    "Reward",
    "RuleBook",
    "RuleError",
    "Rung",
    "ShippingStep",
    "ShippingThreshold",
    "SpendDiscount",
    "SpendStep",
    "VolumeDiscount",
    "VolumeTier",
    "quote_cart",
]
