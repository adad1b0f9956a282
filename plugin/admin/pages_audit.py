"""The audit log as people read it: the form's field names, yen and percent, and before → after per field."""
from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import current_app

from ..storefront.i18n import format_percent

#: Field -> the form's label for it (msgids the form and settings page already use).
FIELD_LABELS = {
    "label": "Name (Japanese)", "label_en": "Name (English)", "starts_at": "Starts", "ends_at": "Ends",
    "priority": "Priority", "paused": "Paused (shoppers do not see it)",
    "stackable": "Stackable: applies on top of other discounts",
    "exclusive": "Exclusive: no stackable discount applies on top of this one",
    "per_customer_cap": "Times per customer", "global_cap": "Times in total (first N)",
    "margin_floor_bp": "Margin floor (%)", "items": "Products", "pricing_mode": "Pricing", "pricing_value": "Value",
    "product_ids": "Products that count", "categories": "Categories that count", "tiers": "Tiers",
    "currency": "Currency", "threshold": "Free from (amount)", "fee": "Shipping fee below it",
    "count_before_discounts": "Count the cart before discounts", "rewards": "Rewards above free shipping",
    "kind": "Kind", "accept_label": "Accept button (Japanese)", "accept_label_en": "Accept button (English)",
    "decline_label": "Decline button (Japanese)", "decline_label_en": "Decline button (English)",
    "trigger_products": "Orders holding these products get it", "trigger_categories": "Trigger categories",
    "replaces_product_id": "Replaces product id (upgrade only)", "segment": "Customers", "downsell": "Downsell",
    "variants": "A/B test", "max_cart_offers": "Offers shown on the cart page at most",
    "max_gap_fillers": "Products suggested to reach free shipping",
    "post_purchase_minutes": "Minutes an offer stays open after the order",
    "decline_days": "Days before a declined offer is shown to that shopper again",
    "upsell_max_ratio": "An offer charges at most this share of the order (%)",
    "loyal_orders": "Orders that make a customer loyal",
    "holdout_percent": "Holdout: visitors who see no offers (%)", "significance": "Significance level (%)",
    "event_retention_days": "Days to keep events",
    "steps": "Spend steps", "gift_product_id": "Gift product",
}
#: Field -> the order fields are shown in (the form's order); others after them, by name.
_ORDER = {name: number for number, name in enumerate(FIELD_LABELS)}
_MONEY = {"threshold", "fee", "min_order_total", "max_order_total"}
_BASIS_POINTS = {"margin_floor_bp"}
#: Settings saved as a share (0.5) or as percent (2.5).
_SHARES = {"upsell_max_ratio": 10_000, "significance": 10_000, "holdout_percent": 100}
_BOOLS = {"paused", "stackable", "exclusive", "count_before_discounts"}
_CHOICES = {
    "percent_off": "Percent off (%)", "add_on": "Add-on: add products to the order",
    "upgrade": "Upgrade: replace a product in the order", "any": "Everyone", "new": "First order",
    "returning": "Ordered before", "loyal": "Loyal customers",
}
NOT_DIFFED = {"id", "version", "created_at", "updated_at", "status"}


def _unit(gettext: Callable[..., str]) -> str:
    currency = current_app.config["TSUIDE_CURRENCY"]
    return gettext("yen") if currency == "JPY" else currency


def field_label(name: str, gettext: Callable[..., str]) -> str:
    if name == "min_order_total":
        return gettext("Order total from (%(unit)s)", unit=_unit(gettext))
    if name == "max_order_total":
        return gettext("Order total up to (%(unit)s)", unit=_unit(gettext))
    return gettext(FIELD_LABELS[name]) if name in FIELD_LABELS else name


def show(name: str, value, record: Mapping, gettext: Callable[..., str], money: Callable[[int], str],
         when: Callable[[str], str]) -> str:
    """``value`` of field ``name`` as the owner reads it: ¥5,000, 10%, the choice's words, a list of products."""
    if value is None or value == [] or value == "":
        return "—"
    if name in _BOOLS:
        return gettext("Yes") if value else gettext("No")
    if name in _MONEY and isinstance(value, int):
        return money(value)
    if name in _BASIS_POINTS and isinstance(value, int):
        return format_percent(value)
    if name in _SHARES and isinstance(value, (int, float)):
        return format_percent(round(value * _SHARES[name]))
    if name == "pricing_value" and isinstance(value, int):
        return format_percent(value) if record.get("pricing_mode", "percent_off") == "percent_off" else money(value)
    if name == "pricing_mode":
        unit = _unit(gettext)
        return {"amount_off": gettext("Amount off (%(unit)s)", unit=unit),
                "fixed_price": gettext("Set price (%(unit)s)", unit=unit)}.get(value) or gettext(_CHOICES.get(value, value))
    if name in ("kind", "segment") and value in _CHOICES:
        return gettext(_CHOICES[value])
    if name in ("starts_at", "ends_at") and isinstance(value, str):
        return when(value)
    if name == "items" and isinstance(value, list):
        return ", ".join(f"{item.get('product_id')}×{item.get('quantity', 1)}" for item in value if isinstance(item, dict))
    if name == "tiers" and isinstance(value, list):
        return ", ".join(gettext("%(quantity)s or more: %(percent)s", quantity=tier.get("min_quantity"),
                                 percent=format_percent(tier.get("percent_bp", 0)))
                         for tier in value if isinstance(tier, dict))
    if name == "steps" and isinstance(value, list):  # a spend discount's steps: "¥5,000: ¥500", "¥10,000: 10%"
        return ", ".join(f"{money(step.get('threshold') or 0)}: " + (
            money(step["amount_off"]) if isinstance(step.get("amount_off"), int)
            else format_percent(step.get("percent_bp") or 0)) for step in value if isinstance(step, dict))
    if name == "rewards" and isinstance(value, list):
        return ", ".join(f"{money(reward.get('threshold', 0))}: {reward.get('label', '')}"
                         for reward in value if isinstance(reward, dict))
    if name == "downsell" and isinstance(value, dict):
        return value.get("label") or "—"
    if name == "variants" and isinstance(value, list):
        return ", ".join(str(variant.get("name")) for variant in value if isinstance(variant, dict))
    if isinstance(value, list):
        return ", ".join(str(part) for part in value)
    return str(value)


def changes(before, after, gettext, money, when) -> list[tuple[str, str, str]]:
    """(field label, before, after) for each field an audit entry changed, in the form's order."""
    before, after = before or {}, after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    names = sorted((set(before) | set(after)) - NOT_DIFFED, key=lambda name: (_ORDER.get(name, len(_ORDER)), name))
    return [(field_label(name, gettext), show(name, before.get(name), before, gettext, money, when),
             show(name, after.get(name), after, gettext, money, when))
            for name in names if before.get(name) != after.get(name)]
