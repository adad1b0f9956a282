"""Tsuide (ついで買い): bundles, volume tiers, a free-shipping bar and post-purchase offers for Flask shops.

Mount it with ``Tsuide(app, db=db, adapter=MyShopAdapter())``.
"""
from . import models_audit, models_mining, models_post_purchase  # noqa: F401  (registers their tables)
from .adapter import ShopAdapter
from .bundles import (
    Cart,
    CartLine,
    Customer,
    Discount,
    FreeShippingProgress,
    Offer,
    Order,
    Product,
    Quote,
    quote_cart,
)
from .errors import CapReached
from .extension import Tsuide
from .rules import (
    BundleItem,
    FixedBundle,
    PricingMode,
    Reward,
    RuleBook,
    RuleError,
    ShippingThreshold,
    VolumeDiscount,
    VolumeTier,
)

__all__ = [
    "BundleItem",
    "CapReached",
    "Cart",
    "CartLine",
    "Customer",
    "Discount",
    "FixedBundle",
    "FreeShippingProgress",
    "Offer",
    "Order",
    "PricingMode",
    "Product",
    "Quote",
    "Reward",
    "RuleBook",
    "RuleError",
    "ShippingThreshold",
    "ShopAdapter",
    "Tsuide",
    "VolumeDiscount",
    "VolumeTier",
    "quote_cart",
]
