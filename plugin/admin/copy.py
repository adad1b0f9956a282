"""Shopper copy made from a rule's values, and the numbers in custom copy checked against them.

A label left empty is written from the values, in ja and en ("¥5,000以上で送料無料" /
"Free shipping from ¥5,000"). A label the owner wrote stays theirs, but when a number in it
is none of the rule's values (the threshold moved to ¥4,000, the label still says 5,000円),
:func:`contradictions` says so, as a warning on save.

Both read a record as the API takes and answers it (:func:`plugin.admin.records.public`):
percentages in percent (``discount_percent``), amounts in minor units.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from ..storage.percent import as_decimal, percent_to_bp
from ..storefront.honest_copy import buy_get_label, bundle_label, shipping_label, tiers_label

#: Kinds whose labels can be written from their values (a thank-you offer's name is the owner's to choose).
GENERATED = ("bundles", "volume-discounts", "buy-x-get-y", "shipping-thresholds")

_NUMBER = re.compile(r"\d[\d,，]*(?:\.\d+)?")


def _count(data: Mapping) -> int:
    return sum(item.get("quantity", 1) for item in data.get("items", []))


def _price(data: Mapping):
    """The discount of a priced record: its ``discount_percent`` (percent_off) or ``pricing_value``, or ``None``."""
    return data.get("discount_percent" if data.get("pricing_mode", "percent_off") == "percent_off" else "pricing_value")


def label_for(kind: str, data: Mapping, locale: str, currency: str = "JPY") -> str | None:
    """The label ``data`` (validated form or API values) reads as in ``locale`` ("ja" or "en"), or ``None``.

    The words are the storefront's (:mod:`plugin.storefront.honest_copy`), which writes the same copy from a
    saved rule when a label's urgency is untrue.
    """
    if kind == "shipping-thresholds" and data.get("threshold"):
        return shipping_label(data["threshold"], data.get("currency") or currency, locale)
    if kind == "bundles" and data.get("items") and _price(data) is not None:
        mode = data.get("pricing_mode") or "percent_off"
        value = percent_to_bp(_price(data)) if mode == "percent_off" else _price(data)
        return bundle_label(_count(data), mode, value, locale, currency)
    if kind == "buy-x-get-y" and data.get("buy_quantity") and _price(data) is not None:
        mode = data.get("pricing_mode") or "percent_off"
        value = percent_to_bp(_price(data)) if mode == "percent_off" else _price(data)
        return buy_get_label(data["buy_quantity"], data.get("get_quantity") or 1, mode, value, locale, currency)
    if kind == "volume-discounts" and data.get("tiers"):
        return tiers_label(((tier["min_quantity"], percent_to_bp(tier["discount_percent"])) for tier in data["tiers"]),
                           locale)
    return None


def fill_labels(kind: str, data: dict, default_locale: str, currency: str, before: Mapping | None = None) -> None:
    """Write from the values each label the owner left empty, or left as it was generated from ``before``.

    ``data`` is changed in place; ``before`` is the record as saved (for an update).
    """
    if kind not in GENERATED:
        return
    main = "en" if default_locale == "en" else "ja"
    merged = {**(before or {}), **data}
    for field, locale in (("label", main), ("label_en", "en")):
        if field == "label_en" and main == "en":
            continue
        current = data[field] if field in data else (before or {}).get(field)
        was_generated = before is not None and current == label_for(kind, before, locale, currency)
        if current and not was_generated:
            continue
        generated = label_for(kind, merged, locale, currency)
        if generated:
            data[field] = generated


def fill_variant_labels(kind: str, data: dict, default_locale: str, currency: str,
                        before: Mapping | None = None) -> None:
    """A variant with its own discount says that discount, never the offer's.

    Buy X get Y: each label the variant leaves empty (or as written from its discount as saved in ``before``) is
    written from the rule's values with the variant's discount, so a variant at 50% never reads "2点買うと1点無料".
    A bundle's label is often its name ("シューケアセット"), which a variant may keep: an empty variant label is
    written from the variant's discount only when the offer's own label in that language names a number that is
    none of the variant's values ("3点で20%オフ" for a variant at 30%). ``data["variants"]`` is replaced, changed
    copies inside."""
    if kind not in ("buy-x-get-y", "bundles") or not isinstance(data.get("variants"), list):
        return
    main = "en" if default_locale == "en" else "ja"
    merged = {**(before or {}), **data}
    saved = {variant.get("name"): variant for variant in (before or {}).get("variants") or []
             if isinstance(variant, dict)}
    variants = []
    for variant in data["variants"]:
        if not isinstance(variant, dict) or _price(dict(variant, pricing_mode=merged.get("pricing_mode") or "percent_off")) is None:
            variants.append(variant)
            continue
        variant = dict(variant)
        own = {**merged, "discount_percent": variant.get("discount_percent"), "pricing_value": variant.get("pricing_value")}
        earlier = saved.get(variant.get("name"))
        was = earlier and {**before, "discount_percent": earlier.get("discount_percent"),
                           "pricing_value": earlier.get("pricing_value")}
        for field, locale in (("label", main), ("label_en", "en")):
            if field == "label_en" and main == "en":
                continue
            current = variant.get(field)
            if current and not (was and current == label_for(kind, was, locale, currency)):
                continue
            offers_words = merged.get(field) or merged.get("label") or ""
            if kind == "bundles" and not current and not _numbers(offers_words) - _values(kind, own):
                continue  # the offer's own words stay true at the variant's discount
            generated = label_for(kind, own, locale, currency)
            if generated:
                variant[field] = generated
        variants.append(variant)
    data["variants"] = variants


def _numbers(text: str) -> set[Decimal]:
    """The numbers a label mentions; "7割" is 70 (percent), as Japanese copy writes a tenth."""
    found = set()
    for match in _NUMBER.finditer(text or ""):
        number = Decimal(match.group(0).replace(",", "").replace("，", ""))
        found.add(number * 10 if (text or "")[match.end():match.end() + 1] == "割" else number)
    return found


def _values(kind: str, data: Mapping) -> set[Decimal]:
    """Every number the rule's copy may rightly mention."""
    found: set[Decimal] = set()

    if kind == "shipping-thresholds":
        found |= {Decimal(data.get("threshold") or 0), Decimal(data.get("fee") or 0)}
        found |= {Decimal(reward["threshold"]) for reward in data.get("rewards", [])}
    elif kind in ("bundles", "post-purchase-offers"):
        found |= {Decimal(item.get("quantity", 1)) for item in data.get("items", [])} | {Decimal(_count(data))}
        if _price(data) is not None:
            found.add(as_decimal(_price(data)))
    elif kind == "volume-discounts":
        for tier in data.get("tiers", []):
            found.add(Decimal(tier["min_quantity"]))
            found.add(as_decimal(tier["discount_percent"]))
    elif kind == "buy-x-get-y":
        found |= {Decimal(data.get(name) or 1) for name in ("buy_quantity", "get_quantity")}
        if _price(data) is not None:
            found.add(as_decimal(_price(data)))
        found.add(Decimal((data.get("buy_quantity") or 1) + (data.get("get_quantity") or 1)))  # "3点目半額"
    for name in ("max_units", "max_applications"):  # "お一人様3点まで"
        if data.get(name):
            found.add(Decimal(data[name]))
    return found


def contradictions(kind: str, data: Mapping) -> list[dict]:
    """Custom labels with a number that is none of the rule's values: ``[{"field", "label", "numbers"}]``."""
    allowed = _values(kind, data)
    found = []
    for field in ("label", "label_en"):
        wrong = sorted(number for number in _numbers(data.get(field) or "") if number not in allowed)
        if wrong:
            found.append({"field": field, "label": data[field], "numbers": [f"{number:,}" for number in wrong]})
    return found
