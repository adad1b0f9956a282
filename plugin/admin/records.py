"""Each kind of record the admin edits: how a validated request fills its row, and how a row reads back.

A row reads back (``dump``) as the tables keep it, basis points included: the
audit log, the linter and the forms read that. What a person or a client reads,
the API's answers and an export, is :func:`public`: percentages in percent.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from marshmallow import Schema

from .. import storage as models
from ..storage.base import to_storage
from ..storage.percent import percent_number
from ..storage.post_purchase import PostPurchaseItem, PostPurchaseOffer, PostPurchaseTrigger
from . import schemas

TERMS = ("label", "label_en", "starts_at", "ends_at", "priority", "paused")
RULE_TERMS = (*TERMS, "stackable", "exclusive", "per_customer_cap", "global_cap", "margin_floor_bp", "max_units")


def _iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=timezone.utc).isoformat() if value is not None else None


def status_of(row, now: datetime) -> str:
    """``deleted``, ``paused``, ``scheduled``, ``expired`` or ``active``, as an admin list shows it."""
    naive_now = now.astimezone(timezone.utc).replace(tzinfo=None)
    if row.deleted_at is not None:
        return "deleted"
    if row.paused:
        return "paused"
    if row.starts_at is not None and naive_now < row.starts_at:
        return "scheduled"
    if row.ends_at is not None and naive_now >= row.ends_at:
        return "expired"
    return "active"


def _set_terms(row, data: dict, names) -> None:
    for name in names:
        if name in data:
            value = data[name]
            setattr(row, name, to_storage(value) if isinstance(value, datetime) else value)


def _dump_terms(row, names) -> dict:
    body = {"id": str(row.id), "version": row.row_version}
    for name in names:
        value = getattr(row, name)
        body[name] = _iso(value) if isinstance(value, datetime) else value
    body["created_at"] = _iso(row.created_at)
    body["updated_at"] = _iso(row.updated_at)
    body["deleted_at"] = _iso(row.deleted_at)
    return body


def _sync(current: list, wanted: list[dict], key: str, model: type, **extra) -> list:
    """The children ``wanted`` describes, reusing the rows already there by ``key``.

    Reusing matters: a new row with the same key as an old one would meet it in a
    unique constraint before the old one is deleted.
    """
    existing = {getattr(child, key): child for child in current}
    children = []
    for position, data in enumerate(wanted):
        values = dict(data, **{name: value(position) if callable(value) else value for name, value in extra.items()})
        child = existing.pop(values[key], None) or model()
        for name, value in values.items():
            setattr(child, name, value)
        children.append(child)
    return children


VARIANT_FIELDS = ("name", "weight", "label", "label_en", "button_label", "button_label_en", "pricing_value")


def _fill_variants(row, data: dict) -> None:
    if "variants" in data:
        wanted = [{name: variant.get(name) for name in VARIANT_FIELDS} for variant in data["variants"]]
        for variant in wanted:
            variant["weight"] = variant["weight"] or 1
        row.variants = _sync(row.variants, wanted, "name", models.Variant, position=lambda index: index)


def _dump_variants(row) -> list[dict]:
    return [{name: getattr(variant, name) for name in VARIANT_FIELDS} for variant in row.variants]


def _items(row, data: list[dict], model: type = models.RuleItem) -> list:
    wanted = [{"product_id": item["product_id"], "quantity": item.get("quantity", 1)} for item in data]
    return _sync(row.items, wanted, "product_id", model, position=lambda index: index)


# -- bundles ---------------------------------------------------------------------------------------------

def _fill_bundle(row: models.Bundle, data: dict) -> None:
    _set_terms(row, data, RULE_TERMS)
    for name in ("pricing_mode", "pricing_value"):
        if name in data:
            setattr(row, name, data[name])
    if "items" in data:
        row.items = _items(row, data["items"])
    _fill_variants(row, data)


def _dump_bundle(row: models.Bundle) -> dict:
    body = _dump_terms(row, RULE_TERMS)
    body.update(
        pricing_mode=row.pricing_mode,
        pricing_value=row.pricing_value,
        items=[{"product_id": item.product_id, "quantity": item.quantity} for item in row.items],
        variants=_dump_variants(row),
    )
    return body


# -- volume discounts ------------------------------------------------------------------------------------

def _fill_volume(row: models.VolumeRule, data: dict) -> None:
    _set_terms(row, data, RULE_TERMS)
    if "product_ids" in data:
        row.items = _items(row, [{"product_id": pid} for pid in dict.fromkeys(data["product_ids"])])
    if "categories" in data:
        row.categories = _sync(row.categories, [{"category": c} for c in dict.fromkeys(data["categories"])],
                               "category", models.RuleCategory)
    if "tiers" in data:
        tiers = {tier["min_quantity"]: tier["percent_bp"] for tier in data["tiers"]}
        row.steps = _sync(row.steps, [{"threshold": q, "percent_bp": bp} for q, bp in tiers.items()],
                          "threshold", models.RuleStep)
    _fill_variants(row, data)


def _dump_volume(row: models.VolumeRule) -> dict:
    body = _dump_terms(row, RULE_TERMS)
    body.update(
        product_ids=[item.product_id for item in row.items],
        categories=[category.category for category in row.categories],
        tiers=[{"min_quantity": step.threshold, "percent_bp": step.percent_bp} for step in row.steps],
        variants=_dump_variants(row),
    )
    return body


# -- buy X get Y -------------------------------------------------------------------------------------------

BUY_GET_FIELDS = ("buy_quantity", "get_quantity", "pricing_mode", "pricing_value", "max_applications")


def _fill_buy_get(row: models.BuyGetRule, data: dict) -> None:
    _set_terms(row, data, RULE_TERMS)
    for name in BUY_GET_FIELDS:
        if name in data:
            setattr(row, name, data[name])
    if "buy_product_ids" in data:
        row.items = _items(row, [{"product_id": pid} for pid in dict.fromkeys(data["buy_product_ids"])])
    if "buy_categories" in data:
        row.categories = _sync(row.categories, [{"category": c} for c in dict.fromkeys(data["buy_categories"])],
                               "category", models.RuleCategory)
    for name in ("get_product_ids", "get_categories"):
        if name in data:
            setattr(row, name, list(dict.fromkeys(data[name])))
    _fill_variants(row, data)


def _dump_buy_get(row: models.BuyGetRule) -> dict:
    body = _dump_terms(row, RULE_TERMS)
    body.update(
        buy_product_ids=[item.product_id for item in row.items],
        buy_categories=[category.category for category in row.categories],
        get_product_ids=list(row.get_product_ids or []),
        get_categories=list(row.get_categories or []),
        **{name: getattr(row, name) for name in BUY_GET_FIELDS},
        variants=_dump_variants(row),
    )
    return body


# -- shipping thresholds ---------------------------------------------------------------------------------

def _fill_shipping(row: models.ShippingRule, data: dict) -> None:
    _set_terms(row, data, TERMS)
    for name in ("currency", "threshold", "fee", "count_before_discounts"):
        if name in data:
            setattr(row, name, data[name])
    if "rewards" in data or "fee_steps" in data:  # both live in ``steps``: rewards carry a label, fee steps a fee
        rewards = data["rewards"] if "rewards" in data else _dump_rewards(row)
        fee_steps = data["fee_steps"] if "fee_steps" in data else _dump_fee_steps(row)
        wanted = {reward["threshold"]: {"threshold": reward["threshold"], "label": reward["label"],
                                        "label_en": reward.get("label_en"), "fee": None} for reward in rewards}
        wanted.update({step["threshold"]: {"threshold": step["threshold"], "fee": step["fee"], "label": None,
                                           "label_en": None} for step in fee_steps})
        row.steps = _sync(row.steps, list(wanted.values()), "threshold", models.RuleStep)


def _dump_rewards(row: models.ShippingRule) -> list[dict]:
    return [{"threshold": step.threshold, "label": step.label, "label_en": step.label_en}
            for step in row.steps if step.fee is None]


def _dump_fee_steps(row: models.ShippingRule) -> list[dict]:
    return [{"threshold": step.threshold, "fee": step.fee} for step in row.steps if step.fee is not None]


def _dump_shipping(row: models.ShippingRule) -> dict:
    body = _dump_terms(row, TERMS)
    body.update(
        currency=row.currency,
        threshold=row.threshold,
        fee=row.fee,
        count_before_discounts=row.count_before_discounts,
        fee_steps=_dump_fee_steps(row),
        rewards=_dump_rewards(row),
    )
    return body


# -- spend discounts and free gifts ------------------------------------------------------------------------

def _fill_spend(row: models.SpendRule, data: dict) -> None:
    _set_terms(row, data, RULE_TERMS)
    if "currency" in data:
        row.currency = data["currency"]
    if "steps" in data:
        wanted = [{"threshold": step["threshold"], "amount_off": step.get("amount_off"),
                   "percent_bp": step.get("percent_bp")} for step in data["steps"]]
        row.steps = _sync(row.steps, wanted, "threshold", models.RuleStep)
    _fill_variants(row, data)


def _dump_spend(row: models.SpendRule) -> dict:
    body = _dump_terms(row, RULE_TERMS)
    body.update(
        currency=row.currency,
        steps=[{"threshold": step.threshold, "amount_off": step.amount_off, "percent_bp": step.percent_bp}
               for step in row.steps],
        variants=_dump_variants(row),
    )
    return body


GIFT_TERMS = (*TERMS, "per_customer_cap", "global_cap")


def _fill_gift(row: models.GiftRule, data: dict) -> None:
    _set_terms(row, data, GIFT_TERMS)
    for name in ("currency", "gift_product_id", "threshold"):
        if name in data:
            setattr(row, name, data[name])
    if "trigger_products" in data:
        row.items = _items(row, [{"product_id": pid} for pid in dict.fromkeys(data["trigger_products"])])
    _fill_variants(row, data)


def _dump_gift(row: models.GiftRule) -> dict:
    body = _dump_terms(row, GIFT_TERMS)
    body.update(
        currency=row.currency,
        gift_product_id=row.gift_product_id,
        threshold=row.threshold,
        trigger_products=[item.product_id for item in row.items],
        variants=_dump_variants(row),
    )
    return body


# -- thank-you offers ------------------------------------------------------------------------------------

OFFER_FIELDS = ("kind", "accept_label", "accept_label_en", "decline_label", "decline_label_en",
                "replaces_product_id", "pricing_mode", "pricing_value", "min_order_total", "max_order_total",
                "segment", "global_cap", *schemas.PLAN_FIELDS)


def _fill_offer(row: PostPurchaseOffer, data: dict) -> None:
    _set_terms(row, data, TERMS)
    for name in OFFER_FIELDS:
        if name in data:
            setattr(row, name, data[name])
    if "items" in data:
        row.items = _items(row, data["items"], PostPurchaseItem)
    if "trigger_products" in data or "trigger_categories" in data:
        products = data.get("trigger_products", [t.product_id for t in row.triggers if t.product_id])
        categories = data.get("trigger_categories", [t.category for t in row.triggers if t.category])
        row.triggers = [PostPurchaseTrigger(product_id=pid) for pid in dict.fromkeys(products)] + [
            PostPurchaseTrigger(category=category) for category in dict.fromkeys(categories)
        ]
    _fill_variants(row, data)
    if "downsell" in data:
        current = row.downsell
        if data["downsell"] is None:
            # Soft-delete it but keep it this offer's: unhooked, it would read as an offer of its own.
            if current is not None and current.deleted_at is None:
                current.deleted_at = models.utcnow()
        else:
            downsell = current or PostPurchaseOffer()
            downsell.deleted_at = None
            _fill_offer(downsell, data["downsell"])
            row.downsell = downsell


def _dump_offer(row: PostPurchaseOffer, with_downsell: bool = True) -> dict:
    body = _dump_terms(row, TERMS)
    body.update({name: getattr(row, name) for name in OFFER_FIELDS})
    body.update(
        items=[{"product_id": item.product_id, "quantity": item.quantity} for item in row.items],
        trigger_products=[t.product_id for t in row.triggers if t.product_id],
        trigger_categories=[t.category for t in row.triggers if t.category],
        accepted=row.accepted,
    )
    if with_downsell:
        body["variants"] = _dump_variants(row)
        live = row.downsell is not None and row.downsell.deleted_at is None
        body["downsell"] = _dump_offer(row.downsell, with_downsell=False) if live else None
    return body


# -- what people read: percent, not basis points --------------------------------------------------------

def _public_price(body: dict) -> dict:
    """A priced record's ``pricing_value`` as ``discount_percent`` (percent_off) or as it is (an amount)."""
    in_percent = body.get("pricing_mode") == "percent_off"
    for variant in body.get("variants") or []:
        value = variant.pop("pricing_value", None)
        variant["discount_percent"] = percent_number(value) if in_percent else None
        variant["pricing_value"] = None if in_percent else value
    if "pricing_value" not in body:
        return body
    public = {}
    for name, value in body.items():
        if name == "pricing_value":
            public["discount_percent"] = percent_number(value) if in_percent else None
            public["pricing_value"] = None if in_percent else value
        else:
            public[name] = value
    return public


def _public_first_price(body: dict) -> dict:
    """A 定期 offer's first-delivery discount as people read it: ``first_discount_percent`` for percent_off."""
    if "first_pricing_value" in body:
        in_percent = body.get("first_pricing_mode") == "percent_off"
        value = body["first_pricing_value"]
        body["first_discount_percent"] = percent_number(value) if in_percent else None
        body["first_pricing_value"] = None if in_percent else value
    return body


def public(kind_name: str, record: dict) -> dict:
    """A dumped record as the API answers and an export holds it: percentages in percent (``10``, ``12.5``).

    ``margin_floor_bp`` is ``margin_floor_percent``, a tier's ``percent_bp`` its ``discount_percent``, and a
    percent-off price (or variant) ``discount_percent``, with ``pricing_value`` (amounts) ``None``. Fields
    other than these are as dumped.
    """
    body = {("margin_floor_percent" if name == "margin_floor_bp" else name):
            (percent_number(value) if name == "margin_floor_bp" else value) for name, value in record.items()}
    if isinstance(body.get("variants"), list):
        body["variants"] = [dict(variant) for variant in body["variants"]]
    if kind_name == "volume-discounts":
        body["tiers"] = [{"min_quantity": tier.get("min_quantity"),
                          "discount_percent": percent_number(tier.get("percent_bp"))}
                         for tier in body.get("tiers") or [] if isinstance(tier, dict)]
        for variant in body.get("variants") or []:
            variant["discount_percent"] = percent_number(variant.pop("pricing_value", None))
            variant["pricing_value"] = None
        return body
    if kind_name in ("spend-discounts", "free-gifts"):  # variants test copy only: both discount keys, null
        for variant in body.get("variants") or []:
            variant.setdefault("discount_percent", None)
    if kind_name == "spend-discounts":
        body["steps"] = [{"threshold": step.get("threshold"), "amount_off": step.get("amount_off"),
                          "discount_percent": percent_number(step.get("percent_bp"))}
                         for step in body.get("steps") or [] if isinstance(step, dict)]
        return body
    if kind_name == "buy-x-get-y":
        return _public_price(body)
    if kind_name in ("bundles", "post-purchase-offers"):
        body = _public_first_price(_public_price(body))
        if isinstance(body.get("downsell"), dict):
            body["downsell"] = _public_first_price(_public_price(dict(body["downsell"])))
    return body


@dataclass(frozen=True)
class Kind:
    """One kind of record in the admin: its URL name, table, request schema, and how to fill and read it."""

    name: str
    title: str
    model: type
    schema: type[Schema]
    fill: Callable
    dump: Callable

    def new_row(self):
        return self.model()

    def public(self, record: dict) -> dict:
        """``record`` (as dumped) as people read it: see :func:`public`."""
        return public(self.name, record)

    def query(self, select_):
        statement = select_(self.model)
        if self.model is PostPurchaseOffer:
            statement = statement.where(PostPurchaseOffer.parent_id.is_(None))
        return statement


KINDS = {
    kind.name: kind
    for kind in (
        Kind("bundles", "Bundles", models.Bundle, schemas.BundleSchema, _fill_bundle, _dump_bundle),
        Kind("volume-discounts", "Volume discounts", models.VolumeRule, schemas.VolumeSchema, _fill_volume,
             _dump_volume),
        Kind("buy-x-get-y", "Buy X get Y", models.BuyGetRule, schemas.BuyGetSchema, _fill_buy_get, _dump_buy_get),
        Kind("shipping-thresholds", "Free-shipping thresholds", models.ShippingRule, schemas.ShippingSchema,
             _fill_shipping, _dump_shipping),
        Kind("post-purchase-offers", "Thank-you offers", PostPurchaseOffer, schemas.OfferSchema, _fill_offer,
             _dump_offer),
        Kind("spend-discounts", "Spend discounts", models.SpendRule, schemas.SpendSchema, _fill_spend, _dump_spend),
        Kind("free-gifts", "Free gifts", models.GiftRule, schemas.GiftSchema, _fill_gift, _dump_gift),
    )
}
