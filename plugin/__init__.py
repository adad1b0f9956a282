"""Tsuide (ついで買い): bundles, volume tiers, a free-shipping bar and post-purchase offers for Flask shops.

Mount it with ``Tsuide(app, db=db, adapter=MyShopAdapter())``.
"""
from .adapter import ShopAdapter
from .bundles import (
    BundleItem,
    BuyXGetY,
    Cart,
    CartLine,
    Customer,
    Discount,
    FixedBundle,
    FreeGift,
    FreeShippingProgress,
    Offer,
    Order,
    PricingMode,
    Product,
    Quote,
    Reward,
    RuleBook,
    RuleError,
    ShippingStep,
    ShippingThreshold,
    SpendDiscount,
    SpendStep,
    VolumeDiscount,
    VolumeTier,
    quote_cart,
)
from .engine.subscriptions import CycleUnit, Plan, Subscription
from .errors import CapReached
from .extension import Tsuide

__all__ = [
    "BundleItem",
    "BuyXGetY",
    "CapReached",
    "Cart",
    "CartLine",
    "Customer",
    "CycleUnit",
    "Discount",
    "FixedBundle",
    "FreeGift",
    "FreeShippingProgress",
    "Offer",
    "Order",
    "Plan",
    "PricingMode",
    "Product",
    "Quote",
    "Reward",
    "RuleBook",
    "RuleError",
    "ShippingStep",
    "ShippingThreshold",
    "ShopAdapter",
    "SpendDiscount",
    "SpendStep",
    "Subscription",
    "Tsuide",
    "VolumeDiscount",
    "VolumeTier",
    "quote_cart",
]
