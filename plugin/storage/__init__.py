"""Storage: the plugin's tables (all ``tsuide_*``) in the shop's database, the per-worker rule cache, the migrations.

Owns: the tables, grouped by what they hold (:mod:`.base` the metadata, stamp
and settings; :mod:`.rules` the rules and their variants and redemptions;
:mod:`.events`; :mod:`.post_purchase` the thank-you offers; :mod:`.mining`;
:mod:`.audit`; :mod:`.subscriptions` the answers to renewal add-ons), :mod:`.rule_cache`, the order-time writes in :mod:`.orders`,
and :mod:`.migrate` with its Alembic ``migrations``.

May import: :mod:`plugin.engine` (saving a rule validates it there) and the
leaf :mod:`plugin.errors`; never the storefront, admin, insights or extension.
Importing this package registers every table on the plugin's metadata.
"""
from .audit import AuditEntry
from .base import NAMING, Base, Setting, State, as_utc, plain_number, row_id, to_storage, utcnow
from .events import HOLDOUT, Event
from .mining import BlockedPair, MinedPair, MiningRun
from .post_purchase import PostPurchaseItem, PostPurchaseOffer, PostPurchaseResponse, PostPurchaseTrigger
from .subscriptions import RenewalAnswer
from .rules import (
    Bundle,
    Redemption,
    Rule,
    RuleCategory,
    RuleItem,
    RuleStep,
    BuyGetRule,
    ShippingRule,
    SpendRule,
    GiftRule,
    Variant,
    VolumeRule,
    build_rule,
    changed_parents,
    variant_errors,
)

__all__ = [
    "HOLDOUT",
    "NAMING",
    "AuditEntry",
    "Base",
    "Bundle",
    "Event",
    "BlockedPair",
    "MinedPair",
    "MiningRun",
    "PostPurchaseItem",
    "PostPurchaseOffer",
    "PostPurchaseResponse",
    "PostPurchaseTrigger",
    "Redemption",
    "RenewalAnswer",
    "Rule",
    "RuleCategory",
    "RuleItem",
    "RuleStep",
    "Setting",
    "BuyGetRule",
    "ShippingRule",
    "SpendRule",
    "GiftRule",
    "State",
    "Variant",
    "VolumeRule",
    "as_utc",
    "plain_number",
    "build_rule",
    "changed_parents",
    "row_id",
    "to_storage",
    "utcnow",
    "variant_errors",
]
