"""The admin's HTML forms: what a shop owner types, as the API's request bodies, and back.

Forms speak in the owner's units, as the API does: percentages as "10" or
"12.5" (``discount_percent``, ``margin_floor_percent``), amounts as whole yen (or
the currency's minor unit), times as ``datetime-local`` values in the shop's
``TSUIDE_TIMEZONE``. Field names are the API's, so the service's per-field errors
land next to the right input; rows (items, tiers, rewards) are
``<group>-<n>-<field>``, and a downsell's fields start with ``downsell-``. A
price has one input, ``pricing_value``, read in the unit of the pricing mode
next to it: the API's ``discount_percent`` for percent off, else an amount.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app

from ..storage import plain_number
from ..storage.percent import NotAPercentage, as_decimal, percent_to_bp
from .schemas import EARLIEST, LATEST, OUT_OF_RANGE, value_field

TEXT, INT, MONEY, PERCENT, BOOL, WHEN, LIST = "text", "int", "money", "percent", "bool", "when", "list"
PRICE = "price"  # percent or money, by the pricing mode next to it
FIRST_PRICE = "first_price"  # the same, by a subscription's first-delivery pricing mode

#: Empty means "none" (sent as null, so an edit can clear it); other empty fields are left out.
NULLABLE = {"label_en", "starts_at", "ends_at", "per_customer_cap", "global_cap", "margin_floor_percent",
            "max_units", "max_applications",
            "accept_label", "accept_label_en", "decline_label", "decline_label_en", "replaces_product_id",
            "min_order_total", "max_order_total", "cycle_every", "cycle_unit", "first_pricing_mode",
            "first_pricing_value", "min_deliveries", "payment_terms", "payment_terms_en", "cancel_terms",
            "cancel_terms_en"}

TERMS = (("label", TEXT), ("label_en", TEXT), ("starts_at", WHEN), ("ends_at", WHEN), ("priority", INT),
         ("paused", BOOL))
RULE_TERMS = (*TERMS, ("stackable", BOOL), ("exclusive", BOOL), ("per_customer_cap", INT), ("global_cap", INT),
              ("margin_floor_percent", PERCENT), ("max_units", INT))
ITEM_ROW = (("product_id", TEXT), ("quantity", INT))
OFFER_FIELDS = (*TERMS, ("kind", TEXT), ("accept_label", TEXT), ("accept_label_en", TEXT), ("decline_label", TEXT),
                ("decline_label_en", TEXT), ("replaces_product_id", TEXT), ("pricing_mode", TEXT),
                ("pricing_value", PRICE), ("min_order_total", MONEY), ("max_order_total", MONEY),
                ("segment", TEXT), ("global_cap", INT), ("trigger_categories", LIST),
                # a subscription's plan and terms (shown when the kind is "subscribe")
                ("cycle_every", INT), ("cycle_unit", TEXT), ("first_pricing_mode", TEXT),
                ("first_pricing_value", FIRST_PRICE), ("min_deliveries", INT), ("payment_terms", TEXT),
                ("payment_terms_en", TEXT), ("cancel_terms", TEXT), ("cancel_terms_en", TEXT))


VARIANT_COPY = (("name", TEXT), ("weight", INT), ("label", TEXT), ("label_en", TEXT), ("button_label", TEXT),
                ("button_label_en", TEXT))
VARIANT_ROW = (*VARIANT_COPY, ("pricing_value", PRICE))
#: A spend discount's or a free gift's variant: its copy only (no discount to vary, no button of the shop's words).
VARIANT_LABELS = VARIANT_COPY[:4]


@dataclass(frozen=True)
class FormSpec:
    """One kind's form: plain fields, and groups of rows (a row of one unnamed field is a list of strings)."""

    fields: tuple[tuple[str, str], ...]
    rows: Mapping[str, tuple[tuple[str | None, str], ...]] = field(default_factory=dict)
    downsell: bool = False


SPECS = {
    "bundles": FormSpec((*RULE_TERMS, ("pricing_mode", TEXT), ("pricing_value", PRICE)),
                        {"items": ITEM_ROW, "variants": VARIANT_ROW}),
    "volume-discounts": FormSpec((*RULE_TERMS, ("categories", LIST)),
                                 {"product_ids": ((None, TEXT),),
                                  "tiers": (("min_quantity", INT), ("discount_percent", PERCENT)),
                                  "variants": VARIANT_COPY}),
    "buy-x-get-y": FormSpec((*RULE_TERMS, ("buy_quantity", INT), ("get_quantity", INT), ("pricing_mode", TEXT),
                             ("pricing_value", PRICE), ("max_applications", INT), ("buy_categories", LIST),
                             ("get_categories", LIST)),
                            {"buy_product_ids": ((None, TEXT),), "get_product_ids": ((None, TEXT),),
                             "variants": VARIANT_ROW}),
    "shipping-thresholds": FormSpec((*TERMS, ("currency", TEXT), ("threshold", MONEY), ("fee", MONEY),
                                     ("count_before_discounts", BOOL)),
                                    {"fee_steps": (("threshold", MONEY), ("fee", MONEY)),
                                     "rewards": (("threshold", MONEY), ("label", TEXT), ("label_en", TEXT))}),
    "spend-discounts": FormSpec((*RULE_TERMS, ("currency", TEXT)),
                                {"steps": (("threshold", MONEY), ("amount_off", MONEY), ("discount_percent", PERCENT)),
                                 "variants": VARIANT_LABELS}),
    "free-gifts": FormSpec((*TERMS, ("currency", TEXT), ("gift_product_id", TEXT), ("threshold", MONEY),
                            ("per_customer_cap", INT), ("global_cap", INT)),
                           {"trigger_products": ((None, TEXT),), "variants": VARIANT_LABELS}),
    "post-purchase-offers": FormSpec(OFFER_FIELDS, {"items": ITEM_ROW, "trigger_products": ((None, TEXT),),
                                                    "variants": VARIANT_ROW},
                                     downsell=True),
}
#: Blank rows a form offers below the filled ones, for adding without JavaScript.
BLANK_ROWS = 2


class Unreadable(ValueError):
    """A value the form cannot turn into what the API expects; the message says what to type."""


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TSUIDE_TIMEZONE"])


#: Full-width digits and signs an owner may type with a Japanese input method, as ASCII.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，－＋", "0123456789.,-+")
#: What the forms read as numbers: ASCII digits with an optional sign (and decimals for a percentage), no
#: exponents, ``Infinity`` or ``NaN``, and short enough that converting them costs nothing.
_WHOLE = re.compile(r"[+-]?[0-9]{1,15}")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]{1,12}(?:\.[0-9]{0,12})?|\.[0-9]{1,12})")


def parse_percent(text: str) -> Decimal:
    """ "10" -> 10; "12,5 %" or "１２.５％" -> 12.5, as the API takes it (at most two decimals)."""
    cleaned = text.translate(_FULL_WIDTH).replace("%", "").replace("％", "").strip()
    if not _DECIMAL.fullmatch(cleaned):
        raise Unreadable("Enter a percentage, like 10.")
    try:
        percent_to_bp(cleaned)
    except NotAPercentage:
        raise Unreadable("Use at most two decimals.") from None
    return Decimal(cleaned)


def parse_amount(text: str) -> int:
    cleaned = text.translate(_FULL_WIDTH)
    for sign in (",", "¥", "￥", "円"):
        cleaned = cleaned.replace(sign, "")
    if not _WHOLE.fullmatch(cleaned.strip()):
        raise Unreadable("Enter a whole number.")
    return int(cleaned)


def parse_when(text: str) -> str:
    """A ``datetime-local`` value in the shop's time zone -> an ISO time with its offset."""
    try:
        local = datetime.fromisoformat(text.strip())
        moment = local.replace(tzinfo=_zone()) if local.tzinfo is None else local
        in_utc = moment.astimezone(timezone.utc)
    except ValueError:
        raise Unreadable("Enter a date and time.") from None
    except OverflowError:  # year 1 east of Greenwich, year 9999 west of it
        raise Unreadable(OUT_OF_RANGE) from None
    if not EARLIEST <= in_utc < LATEST:
        raise Unreadable(OUT_OF_RANGE)
    return moment.isoformat()


def show_when(value: str | None) -> str:
    if not value:
        return ""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(_zone()).strftime("%Y-%m-%dT%H:%M")


def show_percent(basis_points: int | None) -> str:
    if basis_points is None:
        return ""
    whole, rest = divmod(basis_points, 100)
    return str(whole) if rest == 0 else f"{whole}.{rest:02d}".rstrip("0")


def show_percent_number(percent) -> str:
    """A percentage as the API answers it (``10``, ``12.5``) as typed in a form: "10", "12.5"."""
    return "" if percent is None else show_percent(percent_to_bp(as_decimal(percent)))


def _read(kind: str, text: str, mode: str | None):
    if kind in (TEXT, LIST):
        return text.strip()
    if kind == WHEN:
        return parse_when(text)
    if kind == PERCENT or (kind == PRICE and mode == "percent_off"):
        return parse_percent(text)
    return parse_amount(text)


@dataclass
class Parsed:
    """A form read into a request body, with what could not be read and where each body row came from."""

    body: dict
    errors: dict[str, list[str]]
    rows: dict[str, list[int]]  # group key (e.g. "items", "downsell-items") -> form row number of each body row


def _key(name: str, kind: str, mode: str | None) -> str:
    """Where the form's field goes in the request body: a price in percent is the API's ``discount_percent``."""
    return value_field(mode) if kind == PRICE else name


def _fields(values: Mapping[str, str], spec_fields, prefix: str, parsed: Parsed) -> dict:
    body: dict = {}
    mode = values.get(f"{prefix}pricing_mode") or None
    for name, kind in spec_fields:
        key = f"{prefix}{name}"
        if kind == BOOL:
            body[name] = values.get(key) in ("1", "on", "true")
            continue
        text = (values.get(key) or "").strip()
        if not text:
            if name in NULLABLE:
                body[name] = None
            elif kind == LIST:
                body[name] = []
            continue
        if kind == LIST:
            body[name] = [part.strip() for part in text.replace("、", ",").split(",") if part.strip()]
            continue
        try:
            if kind == FIRST_PRICE:  # the plan's first delivery: a percentage is the API's first_discount_percent
                first_mode = values.get(f"{prefix}first_pricing_mode") or None
                body["first_discount_percent" if first_mode == "percent_off" else name] = _read(PRICE, text, first_mode)
            else:
                body[_key(name, kind, mode)] = _read(kind, text, mode)
        except Unreadable as error:
            parsed.errors[key] = [str(error)]
    return body


def row_numbers(values: Mapping[str, str], group: str) -> list[int]:
    """The row numbers a form sent for ``group`` (``items-0-product_id`` -> 0)."""
    numbers = set()
    for key in values:
        if key.startswith(f"{group}-"):
            number = plain_number(key[len(group) + 1:].split("-", 1)[0], 3)
            if number is not None:
                numbers.add(number)
    return sorted(numbers)


def _rows(values: Mapping[str, str], group: str, columns, prefix: str, parsed: Parsed) -> list:
    rows, sent_from = [], []
    mode = values.get(f"{prefix}pricing_mode") or None
    for number in row_numbers(values, f"{prefix}{group}"):
        base = f"{prefix}{group}-{number}"
        texts = {name: (values.get(f"{base}-{name}" if name else base) or "").strip() for name, _ in columns}
        if not any(texts.values()):
            continue  # a blank row
        row: dict = {}
        for name, kind in columns:
            text = texts[name]
            if not text:
                continue
            try:
                row[_key(name, kind, mode)] = _read(kind, text, mode)
            except Unreadable as error:
                parsed.errors[f"{base}-{name}" if name else base] = [str(error)]
        rows.append(row.get(None, "") if columns[0][0] is None else row)
        sent_from.append(number)
    parsed.rows[f"{prefix}{group}"] = sent_from
    return rows


def read_form(kind_name: str, values: Mapping[str, str]) -> Parsed:
    """The request body the service takes for this form; unreadable values are in ``errors`` instead."""
    spec = SPECS[kind_name]
    parsed = Parsed({}, {}, {})

    def part(prefix: str) -> dict:
        body = _fields(values, spec.fields, prefix, parsed)
        starts, ends = body.get("starts_at"), body.get("ends_at")
        if starts and ends and datetime.fromisoformat(ends) <= datetime.fromisoformat(starts):
            # The schema checks this too, but only once every field reads: say it now, with the rest.
            parsed.errors[f"{prefix}ends_at"] = ["The end must come after the start."]
        for group, columns in spec.rows.items():
            if prefix and group == "variants":
                continue  # a downsell is shown once, after a decline: there is nothing to test
            body[group] = _rows(values, group, columns, prefix, parsed)
        return body

    parsed.body = part("")
    if kind_name == "free-gifts" and "threshold" not in parsed.body and "threshold" not in parsed.errors:
        parsed.body["threshold"] = None  # an empty spend threshold clears it: the gift is earned by products alone
    if spec.downsell:
        parsed.body["downsell"] = part("downsell-") if values.get("has_downsell") else None
    version = plain_number(values.get("version"))
    if version is not None:
        parsed.body["version"] = version
    return parsed


def _show(kind: str, value, mode: str | None) -> str:
    if value is None:
        return ""
    if kind == WHEN:
        return show_when(value)
    if kind == PERCENT or (kind == PRICE and mode == "percent_off"):
        return show_percent_number(value)
    if kind == LIST:
        return ", ".join(value)
    return str(value)


def form_values(kind_name: str, record: Mapping) -> dict[str, str]:
    """A record as the API answers it (:func:`plugin.admin.records.public`) -> the form's values, as if typed."""
    spec = SPECS[kind_name]
    values: dict[str, str] = {}

    def put(prefix: str, data: Mapping) -> None:
        mode = data.get("pricing_mode")
        for name, kind in spec.fields:
            if kind == BOOL:
                if data.get(name):
                    values[f"{prefix}{name}"] = "1"
            elif kind == FIRST_PRICE and data.get("first_pricing_mode") == "percent_off":
                values[f"{prefix}{name}"] = _show(PRICE, data.get("first_discount_percent"), "percent_off")
            elif name in data and kind == FIRST_PRICE:
                values[f"{prefix}{name}"] = _show(PRICE, data[name], data.get("first_pricing_mode"))
            elif _key(name, kind, mode) in data:
                values[f"{prefix}{name}"] = _show(kind, data[_key(name, kind, mode)], mode)
        for group, columns in spec.rows.items():
            for number, row in enumerate(data.get(group) or []):
                if columns[0][0] is None:
                    values[f"{prefix}{group}-{number}"] = str(row)
                    continue
                for name, kind in columns:
                    values[f"{prefix}{group}-{number}-{name}"] = _show(kind, row.get(_key(name, kind, mode)), mode)

    put("", record)
    if spec.downsell and record.get("downsell"):
        values["has_downsell"] = "1"
        put("downsell-", record["downsell"])
    if "version" in record:
        values["version"] = str(record["version"])
    return values


#: An error for the API's ``discount_percent`` of a price (the record's, a downsell's, a variant's) belongs to the
#: form's one price input, ``pricing_value``; a tier's ``discount_percent`` is an input of its own.
_PRICE_IN_PERCENT = re.compile(r"^((?:downsell-)?(?:variants-\d+-)?)discount_percent$")


def flatten(errors, rows: Mapping[str, list[int]], prefix: str = "") -> dict[str, list[str]]:
    """The service's nested per-field errors, keyed by the form's field names."""
    flat = _flatten(errors, rows, prefix)
    if prefix:
        return flat
    merged: dict[str, list[str]] = {}
    for key, messages in flat.items():
        merged.setdefault(_PRICE_IN_PERCENT.sub(r"\1pricing_value", key), []).extend(messages)
    return merged


def _flatten(errors, rows: Mapping[str, list[int]], prefix: str = "") -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    if isinstance(errors, (list, tuple)):
        if all(isinstance(message, str) for message in errors):
            return {prefix.rstrip("-") or "_form": list(errors)}
        for message in errors:
            for key, messages in _flatten(message, rows, prefix).items():
                flat.setdefault(key, []).extend(messages)
        return flat
    if not isinstance(errors, Mapping):
        return {prefix.rstrip("-") or "_form": [str(errors)]}
    group = prefix.rstrip("-")
    for key, value in errors.items():
        name = str(key)
        if name.isdigit() and group in rows and int(name) < len(rows[group]):
            name = str(rows[group][int(name)])  # the body's row n came from this row of the form
        for flat_key, messages in _flatten(value, rows, f"{prefix}{name}-").items():
            flat.setdefault(flat_key, []).extend(messages)
    return flat


def rows_to_show(values: Mapping[str, str], group: str, at_least: int = 1) -> list[int]:
    """The row numbers a form shows for ``group``: those filled in, and a few blank ones."""
    numbers = row_numbers(values, group)
    count = max((numbers[-1] + 1 if numbers else 0) + BLANK_ROWS, at_least)
    return list(range(count))


# -- settings --------------------------------------------------------------------------------------------

SETTINGS_FIELDS = ("max_cart_offers", "max_gap_fillers", "post_purchase_minutes", "decline_days", "upsell_max_ratio",
                   "loyal_orders", "holdout_percent", "significance", "event_retention_days")
#: Settings an admin enters as a percentage, and what one basis point of the entry is in the stored value.
_PERCENT_SETTINGS = {"upsell_max_ratio": 1 / 10_000, "holdout_percent": 1 / 100, "significance": 1 / 10_000}


def read_settings(values: Mapping[str, str]) -> Parsed:
    parsed = Parsed({}, {}, {})
    for name in SETTINGS_FIELDS:
        text = (values.get(name) or "").strip()
        if not text:
            parsed.errors[name] = ["Missing data for required field."]
            continue
        try:
            if name in _PERCENT_SETTINGS:
                parsed.body[name] = percent_to_bp(parse_percent(text)) * _PERCENT_SETTINGS[name]
            else:
                parsed.body[name] = parse_amount(text)
        except Unreadable as error:
            parsed.errors[name] = [str(error)]
    return parsed


def settings_values(settings: Mapping) -> dict[str, str]:
    values = {name: str(settings[name]) for name in SETTINGS_FIELDS}
    for name, unit in _PERCENT_SETTINGS.items():
        values[name] = show_percent(round(settings[name] / unit))
    return values


# -- messages --------------------------------------------------------------------------------------------

#: Validation messages with numbers or names in them, as the owner's language says them.
_PATTERNS = (
    (re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
     "Must be from %(first)s to %(second)s."),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), "Must be at least %(first)s."),
    (re.compile(r"^Must be greater than (\S+) and less than or equal to (\S+)\.$"),
     "Must be above %(first)s and at most %(second)s."),
    (re.compile(r"^Shorter than minimum length 1\.$"), "Required."),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), "At most %(first)s characters."),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), "Enter %(first)s to %(second)s."),
    (re.compile(r"^(?:Must be|Choose) one of: (.*?)\.?$"), "Choose one of: %(first)s."),
    (re.compile(r"^(.+) is listed twice\.$"), "%(first)s is listed twice."),
    (re.compile(r"^(.+) already counts toward volume discount (.+)\.$"),
     "%(first)s already counts toward volume discount %(second)s."),
    (re.compile(r"^The request is too large: this address takes at most ([0-9,]+) bytes\.$"),
     "The request is too large: this address takes at most %(first)s bytes."),
    (re.compile(r"^The JSON is nested too deeply: at most ([0-9,]+) levels\.$"),
     "The JSON is nested too deeply: at most %(first)s levels."),
    (re.compile(r"^A list or object in the JSON has too many members: at most ([0-9,]+)\.$"),
     "A list or object in the JSON has too many members: at most %(first)s."),
    (re.compile(r"^At most ([0-9,]+) records can be imported at once; this document has ([0-9,]+)\.$"),
     "At most %(first)s records can be imported at once; this document has %(second)s."),
    (re.compile(r"^An urgency claim must be true \(景品表示法\): give the offer an end date within (\d+) days, or a "
                r"limit in total \(first N\), or remove the wording\.$"),
     "An urgency claim must be true (景品表示法): give the offer an end date within %(first)s days, or a limit in "
     "total (first N), or remove the wording."),
    (re.compile(r"^Your shop does not sell (.+): pick a product id from your catalogue\.$"),
     "Your shop does not sell %(first)s: pick a product id from your catalogue."),
    (re.compile(r"^Your shop has no category (.+): choose one of its categories \(the id, not the display name\)\.$"),
     "Your shop has no category %(first)s: choose one of its categories (the id, not the display name)."),
    (re.compile(r"^Checking stopped after ([0-9,]+) records with errors: fix these and import again\.$"),
     "Checking stopped after %(first)s records with errors: fix these and import again."),
)


def explain(message: str, gettext) -> str:
    """A validation message in the admin's language (messages the catalogue lacks stay in English)."""
    for pattern, text in _PATTERNS:
        found = pattern.match(message)
        if found:
            parts = found.groups() + ("", "")
            return gettext(text, first=parts[0], second=parts[1])
    return gettext(message)


def explain_all(errors: Mapping[str, list], gettext) -> dict[str, list[str]]:
    return {name: [explain(str(message), gettext) for message in messages] for name, messages in errors.items()}
