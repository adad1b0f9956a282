"""The admin's product picker on the server: products by name, with their image, price and stock.

Without JavaScript, a form's "Find a product by name" search lists products as plain form buttons, and
the one pressed goes into the first empty row of its group; nothing is saved until Save. With it,
``static/admin-picker.js`` makes each product field a combobox over ``GET <prefix>/admin/api/products``.
Both go through the adapter's optional ``search_products(query, limit)``; without it the fields take ids.
"""
from __future__ import annotations

import re

from flask import current_app

from ..engine.values import Product
from ..storage import plain_number
from . import pages_forms as forms
from .pages_preview import CATALOGUE_SAMPLE

#: The groups of a form that name products, where the picker adds what the owner picks: rows of a product and
#: its quantity (``items``), or rows of a product alone.
PRODUCT_GROUPS = {"bundles": ("items",), "volume-discounts": ("product_ids",),
                  "buy-x-get-y": ("buy_product_ids", "get_product_ids"),
                  "post-purchase-offers": ("items", "trigger_products", "downsell-items",
                                           "downsell-trigger_products")}
#: Products a search in the form lists at most.
RESULTS = 12
_NAMES_A_PRODUCT = re.compile(r"^(?:downsell-)?(?:items-\d+-product_id|(?:product_ids|trigger_products|buy_product_ids|"
                              r"get_product_ids)-\d+|"
                              r"replaces_product_id)$")


def _adapter():
    return current_app.extensions["tsuide"]._adapter


def is_on() -> bool:
    """Whether the shop's adapter can search its products."""
    return "search_products" not in current_app.extensions["tsuide"].missing_features()


def choices() -> list[Product]:
    """Products for the fields' plain suggestion list (``<datalist>``), for browsers without the script."""
    return list(_adapter().search_products("", CATALOGUE_SAMPLE)) if is_on() else []


def known_products(values) -> dict[str, Product]:
    """The products a form's fields name, as the shop describes them (for their name, image, price and stock)."""
    ids = {value.strip() for key, value in values.items() if _NAMES_A_PRODUCT.match(key) and value and value.strip()}
    return dict(_adapter().products(ids)) if ids else {}


def searches(kind: str, values, asked: str | None) -> dict[str, list[Product]]:
    """The results of each product search of the form that holds a query, or that was just asked for."""
    if not is_on():
        return {}
    found = {}
    for group in PRODUCT_GROUPS.get(kind, ()):
        query = (values.get(f"find-{group}") or "").strip()[:100]
        if query or group == asked:
            found[group] = list(_adapter().search_products(query, RESULTS))
    return found


def asked_group(kind: str, values, group: str) -> str | None:
    """The group a search was asked for: the one named, or (Enter in a field) the first holding a query."""
    if group in PRODUCT_GROUPS.get(kind, ()):
        return group
    return next((name for name in PRODUCT_GROUPS.get(kind, ()) if (values.get(f"find-{name}") or "").strip()), None)


def add_picked(kind: str, values: dict, picked: str) -> str | None:
    """Put the product picked (``"items:tote"``) in the first empty row of its group; return the group.

    Picked again, a product with a quantity gets one more; a product the shop does not know is left out.
    """
    group, _, product_id = picked.partition(":")
    if group not in PRODUCT_GROUPS.get(kind, ()) or not product_id or not _adapter().products({product_id}):
        return None
    if group.startswith("downsell-"):
        values["has_downsell"] = "1"
    with_quantity = group.endswith("items")

    def key(number: int) -> str:
        return f"{group}-{number}-product_id" if with_quantity else f"{group}-{number}"

    numbers = forms.row_numbers(values, group)
    for number in numbers:
        if (values.get(key(number)) or "").strip() == product_id:
            if with_quantity:
                quantity = plain_number(values.get(f"{group}-{number}-quantity")) or 1
                values[f"{group}-{number}-quantity"] = str(min(quantity + 1, 999))
            return group
    number = next(n for n in range(len(numbers) + 1) if not (values.get(key(n)) or "").strip())
    values[key(number)] = product_id
    if with_quantity and not (values.get(f"{group}-{number}-quantity") or "").strip():
        values[f"{group}-{number}-quantity"] = "1"
    return group
