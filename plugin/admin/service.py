"""What the admin does to the shop's offers, for the JSON API and the HTML pages alike.

Every write is one transaction: validated (marshmallow, then the engine),
recorded in the audit log with the record before and after, and committed
together, or not at all. Deletes are soft and can be restored. Updates carry
the version the admin edited, so two admins editing one record get a 409
rather than a silent overwrite.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import Conflict, NotFound

from .. import storage as models
from ..errors import InvalidRequest
from ..storage.audit import AuditEntry
from ..engine.rules import FreeGift, RuleError
from ..engine.variants import VariantSpec
from ..storage.percent import percent_number
from ..storefront import i18n
from . import linter
from . import copy
from .records import KINDS, Kind, status_of
from .urgency import urgency_errors
from .schemas import SETTING_KEYS, SettingsSchema, settle_price, value_field

EXPORT_FORMAT = "tsuide-settings"
#: The export's version: 2 writes percentages in percent; version 1 (before 0.1.0) wrote basis points, and
#: an import reads it by converting them.
EXPORT_VERSION = 2
#: An import holds at most this many records in all; a larger one is refused before any is checked.
MAX_IMPORT_RECORDS = 2_000
#: Records whose errors a refused import names; checking stops there, so a bad document answers fast and small.
MAX_IMPORT_ERRORS = 50
_NOT_EXPORTED = {"id", "version", "created_at", "updated_at", "deleted_at", "accepted"}


def _session():
    return current_app.extensions["tsuide"]._state().db.session


def _actor() -> str:
    tsuide = current_app.extensions["tsuide"]
    name = None if "admin_name" in tsuide.missing_features() else tsuide._adapter.admin_name()
    return name or "admin"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def kind_named(name: str) -> Kind:
    if name not in KINDS:
        raise NotFound(f"No such kind of record: {name}.")
    return KINDS[name]


def load(schema, data, partial: bool = False) -> dict:
    """Validate a request body; every wrong field is named at once (400)."""
    if not isinstance(data, dict):
        raise InvalidRequest("Send a JSON object.", {"_schema": ["Send a JSON object."]})
    instance = schema()
    try:
        # Partial at the top only: a nested item or tier must still be whole.
        return instance.load(data, partial=tuple(instance.fields) if partial else False)
    except ValidationError as error:
        raise InvalidRequest("Some fields need fixing.", error.messages) from None


def _commit(kind: Kind, action: str, row, before: dict | None, after_flush=None) -> dict:
    """Validate (the engine checks at flush, then ``after_flush``), audit and commit; on any error nothing is written."""
    session = _session()
    try:
        session.flush()
        if after_flush is not None:
            after_flush()
        session.add(AuditEntry(actor=_actor(), action=action, entity=kind.name, entity_id=str(row.id),
                               before=before, after=kind.dump(row)))
        session.commit()
    except RuleError as error:
        session.rollback()
        fields = _api_names(error.errors, getattr(row, "pricing_mode", None), getattr(row, "kind", None))
        raise InvalidRequest("Some fields need fixing.", fields) from None
    except StaleDataError:
        session.rollback()
        raise Conflict("Someone else changed this record meanwhile. Reload it and make your change again.") from None
    except Exception:
        session.rollback()
        raise
    return kind.dump(row)


#: The engine's names for fields that the API calls otherwise.
_API_FIELDS = {"mode": "pricing_mode", "replaces": "replaces_product_id", "margin_floor_bp": "margin_floor_percent",
               "steps": "fee_steps", "trigger_product_ids": "trigger_products"}
#: Kinds (as the table names them) whose engine field keeps its own name in the API: a spend discount's steps.
_OWN_NAMES = {"spend": {"steps"}}


def _api_names(errors: dict, mode: str | None = None, kind: str | None = None) -> dict:
    """The engine's errors under the API's field names; a price's ``value`` is the field of its ``mode``."""
    own = _OWN_NAMES.get(kind or "", set())
    return {(value_field(mode) if name == "value" else name if name in own else _API_FIELDS.get(name, name)): messages
            for name, messages in errors.items()}


def list_records(kind: Kind, status: str | None, page: int, per_page: int) -> dict:
    """One page of records, newest first; ``status`` filters (deleted ones only when asked for)."""
    session = _session()
    rows = session.scalars(kind.query(select).order_by(kind.model.id.desc())).all()
    now = _now()
    if status is None:
        rows = [row for row in rows if row.deleted_at is None]
    else:
        rows = [row for row in rows if status_of(row, now) == status]
    start = (page - 1) * per_page
    warnings = lint_shop().get(kind.name, {})
    items = [dict(kind.dump(row), status=status_of(row, now), warnings=warnings.get(str(row.id), []))
             for row in rows[start:start + per_page]]
    return {"items": items, "page": page, "per_page": per_page, "total": len(rows)}


def get_row(kind: Kind, record_id: str):
    number = models.row_id(record_id)
    row = _session().get(kind.model, number) if number is not None else None
    if row is None or (hasattr(row, "parent_id") and row.parent_id is not None):
        raise NotFound(f"No such record in {kind.title.lower()}: {record_id}.")
    return row


def get_record(kind: Kind, record_id: str) -> dict:
    row = get_row(kind, record_id)
    return dict(kind.dump(row), status=status_of(row, _now()), warnings=warnings_for(kind, str(row.id)))


def with_labels(kind: Kind, body, before: dict | None = None):
    """``body`` with the labels left empty written from its values (see :mod:`.copy`); odd input as it came."""
    if not isinstance(body, dict):
        return body
    body = dict(body)
    config = current_app.config
    try:
        copy.fill_labels(kind.name, body, config["TSUIDE_DEFAULT_LOCALE"], config["TSUIDE_CURRENCY"], before)
        copy.fill_variant_labels(kind.name, body, config["TSUIDE_DEFAULT_LOCALE"], config["TSUIDE_CURRENCY"], before)
    except (TypeError, KeyError, ValueError, AttributeError, ArithmeticError):
        pass  # malformed values: the schema names what is wrong
    return body


def label_warnings(kind: Kind, record: dict, gettext) -> list[dict]:
    """Custom labels that contradict the record's values, as warnings for the API and the form."""
    return [
        {"field": found["field"], "message": gettext(
            "The label %(label)s mentions %(numbers)s, which is none of this rule's values: check the copy.",
            label=f"“{found['label']}”", numbers=", ".join(found["numbers"]))}
        for found in copy.contradictions(kind.name, record)
    ]


def label_findings(kind: Kind, record: dict) -> list[dict]:
    """:func:`label_warnings` in the linter's shape, with the message in Japanese and English."""
    by_language = {lang: label_warnings(kind, record, lambda text, _lang=lang, **values: i18n.gettext(text, _lang, **values))
                   for lang in ("ja", "en")}
    return [
        {"code": "label_contradicts_values", "severity": "warning", "fields": [ja["field"]],
         "message": {"ja": ja["message"], "en": en["message"]}}
        for ja, en in zip(by_language["ja"], by_language["en"])
    ]


def create(kind: Kind, body) -> dict:
    body = with_labels(kind, body)
    data = load(kind.schema, body)
    data.pop("version", None)
    confirmed = data.pop("confirm_price_test", False)
    row = kind.new_row()
    kind.fill(row, data)
    vet(kind, kind.dump(row), data)
    _session().add(row)
    return _with_warnings(kind, _commit(kind, "create", row, None, _price_test_check(kind, row, data, confirmed)))


def _check_version(row, expected: int | None) -> None:
    if expected is not None and expected != row.row_version:
        raise Conflict(
            f"This record is at version {row.row_version}, not {expected}: someone else changed it. "
            "Reload it and make your change again."
        )


def update(kind: Kind, record_id: str, body, expected_version: int | None, partial: bool) -> dict:
    row = get_row(kind, record_id)
    data = load(kind.schema, with_labels(kind, body, kind.public(kind.dump(row))), partial=partial)
    _settle_as_saved(row, data)
    _check_version(row, data.pop("version", expected_version))
    _check_variant_pricing(row, data)
    confirmed = data.pop("confirm_price_test", False)
    before = kind.dump(row)
    kind.fill(row, data)
    try:
        vet(kind, kind.dump(row), data)
    except InvalidRequest:
        _session().rollback()
        raise
    return _with_warnings(kind, _commit(kind, "update", row, before, _price_test_check(kind, row, data, confirmed)))


def _settle_as_saved(row, data: dict) -> None:
    """A change that leaves the pricing mode as saved: its discount (and its variants') in the saved mode's unit.

    A change of mode must bring the discount in the new mode: the saved one, in the old mode's unit
    (10% as 1000 basis points), would mean something else (¥1,000 off).
    """
    saved = getattr(row, "pricing_mode", None)
    if saved is None:
        return
    mode = data.get("pricing_mode")
    if mode is not None and mode != saved and "pricing_value" not in data:
        field = value_field(mode)
        raise InvalidRequest("Some fields need fixing.", {field: [
            f"The pricing mode changed to {mode}: send its {field} too."]})
    errors = settle_price(data, saved) if mode is None else {}
    if errors:
        raise InvalidRequest("Some fields need fixing.", errors)


def _check_variant_pricing(row, data: dict) -> None:
    """A new pricing mode would silently change what the variants' discounts mean: they must come with it."""
    mode = data.get("pricing_mode")
    variants = getattr(row, "variants", [])
    if mode is None or mode == row.pricing_mode or "variants" in data:
        return
    if any(variant.pricing_value is not None for variant in variants):
        raise InvalidRequest("Some fields need fixing.", {"variants": [
            "The pricing mode changed: send the variants too, with each discount in the new mode (or none)."]})


def delete(kind: Kind, record_id: str, expected_version: int | None) -> dict:
    row = get_row(kind, record_id)
    _check_version(row, expected_version)
    if row.deleted_at is not None:
        return kind.dump(row)
    before = kind.dump(row)
    row.deleted_at = models.utcnow()
    return _commit(kind, "delete", row, before)


def restore(kind: Kind, record_id: str) -> dict:
    row = get_row(kind, record_id)
    before = kind.dump(row)
    row.deleted_at = None
    return _commit(kind, "restore", row, before)


def set_paused(kind: Kind, record_id: str, paused: bool) -> dict:
    row = get_row(kind, record_id)
    before = kind.dump(row)
    row.paused = paused
    return _commit(kind, "pause" if paused else "resume", row, before)


def _as_input(dumped: dict) -> dict:
    """A dumped record as a request body: what an export holds and a duplicate starts from."""
    data = {key: value for key, value in dumped.items() if key not in _NOT_EXPORTED and key != "status"}
    if isinstance(data.get("downsell"), dict):
        data["downsell"] = _as_input(data["downsell"])
    return data


def duplicate(kind: Kind, record_id: str) -> dict:
    """A paused copy, to edit and then resume."""
    source = get_row(kind, record_id)
    data = load(kind.schema, _as_input(kind.public(kind.dump(source))))
    data["label"] = f"{data['label']} (copy)"[:200]
    data["paused"] = True
    row = kind.new_row()
    kind.fill(row, data)
    _session().add(row)
    return _commit(kind, "duplicate", row, None)


# -- settings --------------------------------------------------------------------------------------------

def settings() -> dict:
    """Each setting with its value in force: the saved one, else the app's ``TSUIDE_*`` config."""
    saved = {row.key: row.value for row in _session().scalars(select(models.Setting))}
    return {name: saved.get(name, current_app.config[key]) for name, key in SETTING_KEYS.items()}


def save_settings(body) -> dict:
    data = load(SettingsSchema, body, partial=True)
    session = _session()
    before = settings()
    for name, value in data.items():
        row = session.get(models.Setting, name) or models.Setting(key=name)
        row.value = value
        session.add(row)
    session.add(AuditEntry(actor=_actor(), action="update", entity="settings", entity_id=None, before=before,
                           after=dict(before, **data)))
    session.commit()
    return settings()


# -- audit log, export, import ---------------------------------------------------------------------------

def audit_log(page: int, per_page: int) -> dict:
    session = _session()
    total = session.scalar(select(func.count()).select_from(AuditEntry))
    rows = session.scalars(
        select(AuditEntry).order_by(AuditEntry.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    items = [
        {"id": row.id, "at": row.at.replace(tzinfo=timezone.utc).isoformat(), "actor": row.actor,
         "action": row.action, "entity": row.entity, "entity_id": row.entity_id, "before": row.before,
         "after": row.after}
        for row in rows
    ]
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def export_all() -> dict:
    """Every live record and the settings, as one document another shop can import."""
    session = _session()
    document = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "exported_at": _now().isoformat()}
    for kind in KINDS.values():
        rows = session.scalars(kind.query(select).order_by(kind.model.id)).all()
        document[kind.name] = [_as_input(kind.public(kind.dump(row))) for row in rows if row.deleted_at is None]
    document["settings"] = {row.key: row.value for row in session.scalars(select(models.Setting))}
    return document


def import_all(document, actor: str | None = None) -> dict:
    """Replace this shop's offers and settings with ``document``: all of it, or (on any error) none of it.

    Everything is validated first, the products and categories records name included (against the adapter's
    ``products(ids)`` and, when the shop has it, ``categories()``); the records it replaces are soft-deleted,
    so they can be restored. A version 1 export (basis points) is read by converting it to percent.
    ``actor`` names who imported in the audit log (by default, the admin of this request).
    """
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise InvalidRequest("This is not a Tsuide export.", {"format": [f"Expected {EXPORT_FORMAT!r}."]})
    version = document.get("version")
    if isinstance(version, bool) or version not in (1, EXPORT_VERSION):
        raise InvalidRequest("The import was refused; nothing was changed.", {"version": [
            f"Unknown export version {version!r}: this shop reads versions 1 and {EXPORT_VERSION}. Export again "
            "from the admin (Export / import), which writes the version."]})
    if version == 1:
        document = from_version_1(document)
    errors: dict = {}
    counted = sum(len(records) for records in (document.get(kind, []) for kind in KINDS) if isinstance(records, list))
    if counted > MAX_IMPORT_RECORDS:
        raise InvalidRequest("The import was refused; nothing was changed.", {"_schema": [
            f"At most {MAX_IMPORT_RECORDS:,} records can be imported at once; this document has {counted:,}."]})
    loaded: dict[str, list[dict]] = {}
    positions: dict[str, list[int]] = {}  # where in the document each loaded record is
    wrong = 0
    for kind in KINDS.values():
        records = document.get(kind.name, [])
        if not isinstance(records, list):
            errors[kind.name] = ["Must be a list."]
            continue
        loaded[kind.name], positions[kind.name] = [], []
        for index, record in enumerate(records):
            if wrong == MAX_IMPORT_ERRORS:
                errors["_schema"] = [f"Checking stopped after {MAX_IMPORT_ERRORS} records with errors: fix these "
                                     "and import again."]
                break
            try:
                loaded[kind.name].append(kind.schema().load(record))
                positions[kind.name].append(index)
            except (ValidationError, TypeError) as error:
                errors.setdefault(kind.name, {})[index] = getattr(error, "messages", [str(error)])
                wrong += 1
                continue
            refused = urgency_errors(loaded[kind.name][-1], _now(), _urgency_days())
            if refused:
                errors.setdefault(kind.name, {})[index] = refused
                wrong += 1
    _catalogue_check(loaded, positions, errors, wrong)
    try:
        new_settings = SettingsSchema().load(document.get("settings", {}))
    except ValidationError as error:
        errors["settings"] = error.messages
        new_settings = {}
    if errors:
        raise InvalidRequest("The import was refused; nothing was changed.", errors)

    session = _session()
    now = models.utcnow()
    created = {}
    try:
        for kind in KINDS.values():
            for row in session.scalars(kind.query(select).where(kind.model.deleted_at.is_(None))):
                row.deleted_at = now
            session.flush()
            for index, data in enumerate(loaded[kind.name]):
                data.pop("version", None)
                row = kind.new_row()
                kind.fill(row, data)
                session.add(row)
                try:
                    session.flush()  # one record at a time, so the engine's errors say which
                except RuleError as error:
                    session.rollback()
                    fields = {kind.name: {index: _api_names(error.errors, data.get("pricing_mode"),
                                                            getattr(row, "kind", None))}}
                    raise InvalidRequest("The import was refused; nothing was changed.", fields) from None
            created[kind.name] = len(loaded[kind.name])
        for name, value in new_settings.items():
            row = session.get(models.Setting, name) or models.Setting(key=name)
            row.value = value
            session.add(row)
        session.add(AuditEntry(actor=actor or _actor(), action="import", entity="all", entity_id=None, before=None,
                               after={"created": created}))
        session.commit()
    except RuleError as error:
        session.rollback()
        raise InvalidRequest("The import was refused; nothing was changed.", _api_names(error.errors)) from None
    except Exception:
        session.rollback()
        raise
    return {"created": created, "settings": settings(), "warnings": {
        name: {record_id: found for record_id, found in by_id.items() if found} for name, by_id in lint_shop().items()}}


def describe_errors(errors, path: str = "") -> list[str]:
    """Per-field errors as lines a person reads in a terminal: ``bundles[0].items: Your shop does not sell …``."""
    if isinstance(errors, dict):
        lines = []
        for key, value in errors.items():
            name = f"[{key}]" if isinstance(key, int) or str(key).isdigit() else (f".{key}" if path else str(key))
            lines += describe_errors(value, f"{path}{name}")
        return lines
    if isinstance(errors, (list, tuple)) and all(isinstance(message, str) for message in errors):
        return [f"{path or 'document'}: {message}" for message in errors]
    if isinstance(errors, (list, tuple)):
        return [line for part in errors for line in describe_errors(part, path)]
    return [f"{path or 'document'}: {errors}"]


def _catalogue_check(loaded: dict[str, list[dict]], positions: dict[str, list[int]], errors: dict, wrong: int) -> None:
    """Refuse, per record and field, the products and categories the shop does not have; one adapter call each.

    ``positions`` says where in the document each loaded record was; records already wrong keep their errors.
    """
    named = {pid for records in loaded.values() for record in records for pid in _named_products(record)}
    named |= {pid for records in loaded.values() for record in records
              if isinstance(record.get("downsell"), dict) for pid in _named_products(record["downsell"])}
    known = current_app.extensions["tsuide"]._adapter.products(named) if named else {}
    categories = shop_categories()
    for name, records in loaded.items():
        for index, record in zip(positions[name], records):
            if wrong >= MAX_IMPORT_ERRORS:
                errors["_schema"] = [f"Checking stopped after {MAX_IMPORT_ERRORS} records with errors: fix these "
                                     "and import again."]
                return
            if index in errors.get(name, {}):
                continue
            refused = catalogue_errors(record, known, categories)
            if refused:
                errors.setdefault(name, {})[index] = refused
                wrong += 1


def from_version_1(document: dict) -> dict:
    """A version 1 export (percentages in basis points) as version 2 (in percent); other values as they were.

    A value that is not a whole number of basis points is carried over as it is, so the import names it.
    """
    def percent(value):
        return percent_number(value) if isinstance(value, int) and not isinstance(value, bool) else value

    def priced(record: dict, default_mode: str | None) -> dict:
        record = dict(record)
        in_percent = record.get("pricing_mode", default_mode) == "percent_off"
        if in_percent and "pricing_value" in record:
            record["discount_percent"] = percent(record.pop("pricing_value"))
        if isinstance(record.get("variants"), list):
            record["variants"] = [
                {("discount_percent" if in_percent and key == "pricing_value" else key):
                 (percent(value) if in_percent and key == "pricing_value" else value) for key, value in variant.items()}
                if isinstance(variant, dict) else variant for variant in record["variants"]]
        if isinstance(record.get("downsell"), dict):
            record["downsell"] = priced(record["downsell"], "percent_off")
        return record

    def converted(kind_name: str, record):
        if not isinstance(record, dict):
            return record
        record = {("margin_floor_percent" if key == "margin_floor_bp" else key):
                  (percent(value) if key == "margin_floor_bp" else value) for key, value in record.items()}
        if kind_name == "volume-discounts" and isinstance(record.get("tiers"), list):
            record["tiers"] = [{("discount_percent" if key == "percent_bp" else key):
                                (percent(value) if key == "percent_bp" else value) for key, value in tier.items()}
                               if isinstance(tier, dict) else tier for tier in record["tiers"]]
        if kind_name in ("bundles", "post-purchase-offers", "buy-x-get-y"):
            record = priced(record, "percent_off" if kind_name == "post-purchase-offers" else None)
        return record

    upgraded = dict(document, version=EXPORT_VERSION)
    for name in KINDS:
        if isinstance(document.get(name), list):
            upgraded[name] = [converted(name, record) for record in document[name]]
    return upgraded


# -- catalogue checks, urgency and the linter ------------------------------------------------------------

def _urgency_days() -> int:
    return int(current_app.config["TSUIDE_URGENCY_MAX_DAYS"])


def shop_categories() -> dict[str, str] | None:
    """The shop's categories (id -> display name), or ``None`` when the adapter cannot list them."""
    tsuide = current_app.extensions["tsuide"]
    if "categories" in tsuide.missing_features():
        return None
    return {str(key): str(name) for key, name in tsuide._adapter.categories()}


#: Fields naming products and categories, per record body (a downsell's are checked inside it).
_PRODUCT_ROWS = ("items",)
_PRODUCT_LISTS = ("product_ids", "trigger_products", "buy_product_ids", "get_product_ids")
_CATEGORY_LISTS = ("categories", "trigger_categories", "buy_categories", "get_categories")
_PRODUCT_FIELDS = ("replaces_product_id", "gift_product_id")


def _named_products(record: dict) -> set[str]:
    ids = {row["product_id"] for name in _PRODUCT_ROWS for row in record.get(name) or []}
    ids |= {pid for name in _PRODUCT_LISTS for pid in record.get(name) or []}
    for name in _PRODUCT_FIELDS:
        if record.get(name):
            ids.add(record[name])
    return ids


_ASK = object()


def catalogue_errors(record: dict, known=None, categories=_ASK) -> dict:
    """Products ``products(ids)`` does not know, and categories ``categories()`` does not list, per field.

    ``known`` (the products by id) and ``categories`` (id -> name, or ``None``) are asked of the adapter unless given.
    """
    asked = known is None
    if asked:
        named = _named_products(record)
        known = current_app.extensions["tsuide"]._adapter.products(named) if named else {}
    if categories is _ASK:
        categories = shop_categories()
    errors: dict = {}
    unknown_message = "Your shop does not sell %s: pick a product id from your catalogue."
    for name in _PRODUCT_ROWS:
        unknown = [row["product_id"] for row in record.get(name) or [] if row["product_id"] not in known]
        if unknown:
            errors[name] = [unknown_message % ", ".join(unknown)]
    for name in _PRODUCT_LISTS:
        unknown = [pid for pid in record.get(name) or [] if pid not in known]
        if unknown:
            errors[name] = [unknown_message % ", ".join(unknown)]
    for name in _PRODUCT_FIELDS:
        if record.get(name) and record[name] not in known:
            errors[name] = [unknown_message % record[name]]
    if categories is not None:
        for name in _CATEGORY_LISTS:
            unknown = [category for category in record.get(name) or [] if category not in categories]
            if unknown:
                errors[name] = [f"Your shop has no category {', '.join(unknown)}: choose one of its categories "
                                "(the id, not the display name)."]
    if isinstance(record.get("downsell"), dict):
        nested = catalogue_errors(record["downsell"], None if asked else known, categories)
        if nested:
            errors["downsell"] = nested
    return errors


def is_price_test(record: dict) -> bool:
    specs = [VariantSpec(v["name"], v.get("weight") or 1, pricing_value=v.get("pricing_value"))
             for v in record.get("variants") or []]
    return linter.price_test(record.get("pricing_value"), specs)


def _price_test_check(kind: Kind, row, data: dict, confirmed: bool):
    """After the engine accepted the variants: variants with different discounts need ``confirm_price_test``."""
    def check() -> None:
        touches_prices = any(name in data for name in ("variants", "pricing_value", "pricing_mode"))
        if touches_prices and is_price_test(kind.dump(row)) and not confirmed:
            raise InvalidRequest("Some fields need fixing.", {"confirm_price_test": [
                "Variants with different discounts show shoppers different prices for the same products: send "
                "confirm_price_test: true to save this price test."]})
    return check


def vet(kind: Kind, record: dict, data: dict) -> None:
    """Refuse (400, per field) unknown products and categories, and untrue urgency."""
    errors = catalogue_errors(record) if any(name in data for name in (
        *_PRODUCT_ROWS, *_PRODUCT_LISTS, *_CATEGORY_LISTS, "replaces_product_id", "downsell")) else {}
    for name, messages in urgency_errors(record, _now(), _urgency_days()).items():
        errors.setdefault(name, messages)
    if errors:
        raise InvalidRequest("Some fields need fixing.", errors)


def _margin_floor_bp() -> int | None:
    percent = current_app.config.get("TSUIDE_MARGIN_FLOOR_PERCENT")
    return None if percent is None else round(float(percent) * 100)


def lint_shop() -> dict[str, dict[str, list[dict]]]:
    """The linter's findings for every record that is not deleted: kind name -> record id -> warnings (JSON)."""
    session = _session()
    tsuide = current_app.extensions["tsuide"]
    rows = session.scalars(select(models.Rule).where(models.Rule.deleted_at.is_(None))).all()
    rules, tests, kinds, modes = [], {}, {}, {}
    for row in rows:
        try:
            rule = row.to_rule()
        except RuleError:
            continue
        rules.append(rule)
        kinds[rule.id] = {"bundle": "bundles", "volume": "volume-discounts", "spend": "spend-discounts",
                          "gift": "free-gifts", "buy_get": "buy-x-get-y"}.get(row.kind, "shipping-thresholds")
        modes[rule.id] = row.pricing_mode
        if row.variants:
            tests[rule.id] = tuple(VariantSpec.of(variant) for variant in row.variants)
    offer_kind = KINDS["post-purchase-offers"]
    offers = [offer_kind.dump(row) for row in session.scalars(offer_kind.query(select)) if row.deleted_at is None]
    named = {pid for rule in rules for pid in getattr(rule, "product_ids", ())}
    named |= {pid for rule in rules if isinstance(rule, FreeGift) for pid in (rule.gift_product_id,
                                                                                *rule.trigger_product_ids)}
    named |= {pid for offer in offers for pid in _named_products(offer)}
    products = dict(tsuide._adapter.products(named)) if named else {}
    if "search_products" not in tsuide.missing_features() and any(getattr(r, "categories", ()) for r in rules):
        for product in tsuide._adapter.search_products("", 500):
            products.setdefault(product.id, product)
    found = linter.lint(rules, products, now=_now(), categories=shop_categories(), tests=tests,
                        margin_floor_bp=_margin_floor_bp(), currency=current_app.config["TSUIDE_CURRENCY"])
    result: dict[str, dict[str, list[dict]]] = {name: {} for name in KINDS}
    for rule_id, findings in found.items():
        result[kinds[rule_id]][rule_id] = [_api_fields(finding.as_json(), modes[rule_id]) for finding in findings]
    for offer in offers:
        result["post-purchase-offers"][offer["id"]] = [
            finding.as_json() for finding in linter.lint_offer(offer, products)]
    return result


def _api_fields(warning: dict, mode: str | None) -> dict:
    """A finding naming the engine's ``pricing_value`` names the API's field for the rule's mode."""
    return dict(warning, fields=[value_field(mode) if name == "pricing_value" else name for name in warning["fields"]])


def warnings_for(kind: Kind, record_id: str) -> list[dict]:
    return lint_shop().get(kind.name, {}).get(record_id, [])


def _with_warnings(kind: Kind, record: dict) -> dict:
    return dict(record, warnings=warnings_for(kind, record["id"]))


# -- mined pairs -----------------------------------------------------------------------------------------

def mined_pairs(page: int, per_page: int) -> dict:
    """The pairs from the last ``flask tsuide mine``, strongest lift first, with the products' names."""
    from ..storage.mining import BlockedPair, MinedPair

    session = _session()
    blocked = {(row.product_a, row.product_b) for row in session.scalars(select(BlockedPair))}
    total = session.scalar(select(func.count()).select_from(MinedPair))
    rows = session.scalars(
        select(MinedPair).order_by(MinedPair.lift.desc(), MinedPair.orders_together.desc())
        .offset((page - 1) * per_page).limit(per_page)
    ).all()
    tsuide = current_app.extensions["tsuide"]
    names = {pid: product.name for pid, product in tsuide._adapter.products(
        {pid for row in rows for pid in (row.product_a, row.product_b)}).items()}
    items = [
        {"product_a": row.product_a, "product_b": row.product_b, "name_a": names.get(row.product_a, row.product_a),
         "name_b": names.get(row.product_b, row.product_b), "orders_together": row.orders_together,
         "support": row.support, "confidence_ab": row.confidence_ab, "confidence_ba": row.confidence_ba,
         "lift": row.lift, "blocked": (row.product_a, row.product_b) in blocked}
        for row in rows
    ]
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def promote_pair(body) -> dict:
    """Turn a mined pair into a live bundle of the two at 10% off, to edit from there."""
    from ..storage.mining import MinedPair
    from .schemas import PairSchema

    data = load(PairSchema, body)
    first, second = sorted((data["product_a"], data["product_b"]))
    if _session().get(MinedPair, (first, second)) is None:
        raise NotFound("No such pair among the mined ones: run flask tsuide mine, then pick one from the list.")
    tsuide = current_app.extensions["tsuide"]
    products = tsuide._adapter.products({first, second})
    label = " + ".join(products[pid].name if pid in products else pid for pid in (first, second))
    return create(KINDS["bundles"], {
        "label": label[:200], "pricing_mode": "percent_off", "discount_percent": 10,
        "items": [{"product_id": first, "quantity": 1}, {"product_id": second, "quantity": 1}],
    })


def block_pair(body, blocked: bool = True) -> dict:
    """Never offer (or stop never offering) two products together, as "bought together" or a gap filler.

    The block outlives re-mining; the rule caches of every worker reload on their next request.
    """
    from ..storage.mining import BlockedPair
    from .schemas import PairSchema

    data = load(PairSchema, body)
    first, second = sorted((data["product_a"], data["product_b"]))
    session = _session()
    row = session.get(BlockedPair, (first, second))
    if blocked and row is None:
        session.add(BlockedPair(product_a=first, product_b=second))
    elif not blocked and row is not None:
        session.delete(row)
    else:
        return {"product_a": first, "product_b": second, "blocked": blocked}
    session.add(AuditEntry(actor=_actor(), action="block" if blocked else "unblock", entity="mined_pairs",
                           entity_id=f"{first}+{second}", before=None, after={"blocked": blocked}))
    session.commit()
    return {"product_a": first, "product_b": second, "blocked": blocked}
