"""The admin's HTML pages at ``<prefix>/admin/``: server-rendered forms that work without JavaScript.

The same rule as the JSON API guards them (closed until ``adapter.is_admin()``,
a CSRF token on every POST), and every change goes through
:mod:`plugin.admin.service`, so it is validated, audited and one transaction.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select
from werkzeug.exceptions import Conflict, Forbidden, HTTPException, default_exceptions

from ..errors import InvalidRequest, JSONTooComplex
from ..storage import plain_number
from ..storefront.i18n import format_percent
from ..storefront.request_limits import load_json
from ..storefront.safe_urls import link_url
from ..engine.rules import RuleError
from . import pages_forms as forms
from . import pages_audit, pages_picker as picker, pages_preview, service
from .api import guard, search_query, security_headers
from .records import KINDS, status_of
from .schemas import SettingsSchema

pages = Blueprint("tsuide_admin", __name__)
pages.before_request(guard)
pages.after_request(security_headers)

KIND_NAMES = tuple(KINDS)
#: The table's ``kind`` of a record kind whose engine errors name fields their own way (see service._api_names).
_TABLE_KIND = {"spend-discounts": "spend"}
KIND_URL = "<any({}):kind>".format(", ".join(f'"{name}"' for name in KIND_NAMES))
STATUSES = ("active", "scheduled", "expired", "paused", "deleted")
PER_PAGE = 20
AUDIT_PER_PAGE = 30
#: Messages shown after a row action or a save, by the ``notice`` query argument.
NOTICES = {
    "saved": "Saved.",
    "created": "Created.",
    "paused": "Paused: shoppers no longer see it.",
    "resumed": "Resumed.",
    "duplicated": "Copied. The copy is paused until you resume it.",
    "deleted": "Deleted. You can restore it from the Deleted list.",
    "restored": "Restored.",
    "conflict": "Someone else changed this record meanwhile. Reload it and make your change again.",
    "settings": "Settings saved.",
    "imported": "Imported.",
    "linted": "Saved. The rule linter found something to check: see below.",
    "saved-check-copy": "Saved. Check the label: it mentions a number that is none of the rule's values.",
}
#: Form fields a category picker sends as several values, read as one comma-separated list.
CATEGORY_FIELDS = ("categories", "trigger_categories", "downsell-trigger_categories")


def _tsuide():
    return current_app.extensions["tsuide"]


def _render(template: str, http_status: int = 200, /, **context) -> tuple[str, int]:
    """``template`` with the admin's helpers, answered with ``http_status``.

    The status is positional-only, so a template variable of any name (a list's ``status`` filter) stays one.
    """
    tsuide = _tsuide()
    for name in ("errors", "fields"):
        if context.get(name):
            context[name] = forms.explain_all(context[name], tsuide.gettext)
    return render_template(
        f"tsuide/admin/{template}", _=tsuide.gettext, money=tsuide.format_money, locale=tsuide.locale(),
        csrf_token=generate_csrf(), kinds=KINDS, notice=NOTICES.get(request.args.get("notice", "")),
        local_time=_local_time, percent=format_percent, safe_link=link_url, **context,
    ), http_status


def _local_time(value) -> str:
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    zone = ZoneInfo(current_app.config["TSUIDE_TIMEZONE"])
    return format_datetime(moment, "yyyy-MM-dd HH:mm", tzinfo=zone, locale=_tsuide().locale())


def _error_page(error: HTTPException):
    if isinstance(error, Forbidden):  # the admin is closed: nothing of it shows, only the way back to the shop
        return _render("closed.html", 403, error=error, shop_url=current_app.config["TSUIDE_SHOP_URL"])
    fields = forms.flatten(error.fields, {}) if isinstance(error, InvalidRequest) else None
    return _render("error.html", error.code or 500, error=error, fields=fields)


pages.register_error_handler(HTTPException, _error_page)
for _code in default_exceptions:  # ahead of a shop's own error pages
    pages.register_error_handler(_code, _error_page)


# -- home ------------------------------------------------------------------------------------------------

@pages.get("/")
def home():
    session = _tsuide()._state().db.session
    now = datetime.now(timezone.utc)
    counts = {}
    for name, kind in KINDS.items():
        by_status = dict.fromkeys(STATUSES, 0)
        for row in session.scalars(kind.query(select)):
            by_status[status_of(row, now)] += 1
        counts[name] = by_status
    return _render("home.html", counts=counts, statuses=STATUSES, missing=_tsuide().missing_features())


# -- lists and row actions -------------------------------------------------------------------------------

def _page_number() -> int:
    number = plain_number(request.args.get("page"), 7)
    return min(number, 10**6) if number else 1


@pages.get(f"/{KIND_URL}/")
def list_records(kind: str):
    records = KINDS[kind]
    status = request.args.get("status")
    status = status if status in STATUSES else None
    page = _page_number()
    listing = service.list_records(records, status, page, PER_PAGE)
    wanted = set()
    for item in listing["items"]:
        wanted |= {entry["product_id"] for entry in item.get("items", [])}
        wanted |= set(item.get("product_ids", [])) | set(item.get("trigger_products", []))
        if item.get("gift_product_id"):
            wanted.add(item["gift_product_id"])
        wanted |= set(item.get("buy_product_ids", [])) | set(item.get("get_product_ids", []))
    names = {pid: product.name for pid, product in _tsuide()._adapter.products(wanted).items()} if wanted else {}
    pages_count = max(1, -(-listing["total"] // PER_PAGE))
    return _render("list.html", kind=records, listing=listing, status=status, statuses=STATUSES, page=page,
                   pages_count=pages_count, names=names)


@pages.post(f"/{KIND_URL}/<record_id>/<any(pause, resume, duplicate, delete, restore):action>")
def act(kind: str, record_id: str, action: str):
    records = KINDS[kind]
    version = request.form.get("version", "")
    try:
        if action == "delete":
            service.delete(records, record_id, plain_number(version))
        elif action == "restore":
            service.restore(records, record_id)
        elif action == "duplicate":
            service.duplicate(records, record_id)
        else:
            service.set_paused(records, record_id, action == "pause")
        notice = {"pause": "paused", "resume": "resumed", "duplicate": "duplicated", "delete": "deleted",
                  "restore": "restored"}[action]
    except Conflict:
        notice = "conflict"
    except InvalidRequest as error:  # e.g. resuming a volume discount that now overlaps another
        return _render("error.html", 400, error=error, fields=forms.flatten(error.fields, {}))
    status = request.form.get("status")
    return redirect(url_for(".list_records", kind=kind, notice=notice, status=status if status in STATUSES else None))


# -- create and edit -------------------------------------------------------------------------------------

def _form(records, values, record_id=None, errors=None, status=200, warnings=(), result=None, conflict=None,
          record=None, copy_warnings=(), asked=None):
    return _render("edit.html", status, kind=records, values=values, record_id=record_id, errors=errors or {},
                   warnings=warnings, copy_warnings=copy_warnings, preview=result, conflict=conflict,
                   record=record, rows=forms.rows_to_show, products=picker.choices(),
                   picker=picker.is_on(), known=picker.known_products(values),
                   found=picker.searches(records.name, values, asked), focus_group=asked,
                   categories=service.shop_categories(), lint=(record or {}).get("warnings", []))


def _try_preview(records, data, record_id=None):
    """The rule, its preview (of the form's sample cart) and margin warnings; or the engine's errors."""
    try:
        rule = pages_preview.build(records, data)
    except RuleError as error:
        return None, None, forms.flatten(service._api_names(error.errors, kind=_TABLE_KIND.get(records.name)), {})
    warnings = pages_preview.margin_warnings(rule) if pages_preview.is_priced(rule) else []
    try:
        warnings += pages_preview.variant_margin_warnings(rule, data.get("variants", []))
    except RuleError as error:
        return None, None, forms.flatten(service._api_names(error.errors, kind=_TABLE_KIND.get(records.name)), {})
    return pages_preview.preview(rule, record_id, request.values.get("sample_cart")), warnings, {}


@pages.get(f"/{KIND_URL}/new")
def new(kind: str):
    records = KINDS[kind]
    values = {"priority": "0"}
    if kind == "bundles":
        values["pricing_mode"] = "percent_off"
    elif kind in ("shipping-thresholds", "spend-discounts", "free-gifts"):
        values["currency"] = current_app.config["TSUIDE_CURRENCY"]
    elif kind == "post-purchase-offers":
        values.update(kind="add_on", pricing_mode="percent_off", segment="any")
    return _form(records, values)


@pages.get(f"/{KIND_URL}/<record_id>")
def edit(kind: str, record_id: str):
    records = KINDS[kind]
    record = service.get_record(records, record_id)
    values = forms.form_values(kind, records.public(record))
    parsed = forms.read_form(kind, values)
    result, warnings = None, []
    try:
        data = service.load(records.schema, parsed.body)
        result, warnings, _ = _try_preview(records, data, record_id)
    except InvalidRequest:
        pass  # a record saved before a rule tightened: the form shows it, saving will say what to fix
    copy_warnings = service.label_warnings(records, records.public(record), _tsuide().gettext)
    return _form(records, values, record_id, warnings=warnings, result=result, record=record,
                 copy_warnings=copy_warnings)


@pages.post(f"/{KIND_URL}/new", defaults={"record_id": None})
@pages.post(f"/{KIND_URL}/<record_id>")
def save(kind: str, record_id: str | None):
    records = KINDS[kind]
    record = service.get_record(records, record_id) if record_id else None
    values = request.form.to_dict()
    for name in CATEGORY_FIELDS:  # a category picker sends one value per chosen category
        if len(request.form.getlist(name)) > 1:
            values[name] = ", ".join(request.form.getlist(name))
    action = request.form.get("action", "save")
    # The picker without JavaScript, and Enter in any field (the form's default button is "find:"): the form
    # again, with what its searches find; nothing is checked or saved.
    if request.form.get("pick") or action.startswith("find:"):
        asked = (picker.add_picked(kind, values, request.form["pick"]) if request.form.get("pick")
                 else picker.asked_group(kind, values, action[5:]))
        return _form(records, values, record_id, record=record, asked=asked)
    parsed = forms.read_form(kind, values)
    if request.form.get("confirm_price_test"):
        parsed.body["confirm_price_test"] = True
    parsed.body = service.with_labels(records, parsed.body, records.public(record) if record else None)
    try:
        data = service.load(records.schema, parsed.body)
    except InvalidRequest as error:
        errors = forms.flatten(error.fields, parsed.rows)
        errors.update(parsed.errors)  # "type a number" beats "missing" for the same field
        return _form(records, values, record_id, errors, 400, record=record)
    if parsed.errors:
        return _form(records, values, record_id, parsed.errors, 400, record=record)
    result, warnings, errors = _try_preview(records, data, record_id)
    if errors:
        return _form(records, values, record_id, errors, 400, record=record)
    copy_warnings = service.label_warnings(records, parsed.body, _tsuide().gettext)
    if request.form.get("action") == "preview":
        return _form(records, values, record_id, warnings=warnings, result=result, record=record,
                     copy_warnings=copy_warnings)
    if warnings and not request.form.get("confirm_margin"):
        errors = {"confirm_margin": [_tsuide().gettext("Tick the box to save a discount below the margin.")]}
        return _form(records, values, record_id, errors, 400, warnings, result, record=record)
    try:
        if record_id is None:
            saved = service.create(records, parsed.body)
        else:
            saved = service.update(records, record_id, parsed.body, None, partial=False)
    except InvalidRequest as error:
        return _form(records, values, record_id, forms.flatten(error.fields, parsed.rows), 400, warnings, result,
                     record=record)
    except Conflict:
        conflict = _tsuide().gettext(
            "Someone else changed this record meanwhile, so nothing was saved. Reload it and make your change again."
        )
        return _form(records, values, record_id, {}, 409, warnings, result, conflict=conflict, record=record)
    if copy_warnings:  # saved, but back to the form, which says what to check
        return redirect(url_for(".edit", kind=kind, record_id=saved["id"], notice="saved-check-copy"))
    if saved.get("warnings"):  # saved all the same: the edit page shows what the linter found
        return redirect(url_for(".edit", kind=kind, record_id=saved["id"], notice="linted"))
    notice = "created" if record_id is None else "saved"
    return redirect(url_for(".list_records", kind=kind, notice=notice, _anchor=f"record-{saved['id']}"))


# -- products (the picker without JavaScript) ------------------------------------------------------------

@pages.get("/products")
def products():
    query = search_query()
    tsuide = _tsuide()
    off = "search_products" in tsuide.missing_features()
    found = [] if off else tsuide._adapter.search_products(query, 50)
    return _render("products.html", query=query, found=found, off=off)


# -- settings, audit log, export and import --------------------------------------------------------------

@pages.route("/settings", methods=["GET", "POST"])
def settings():
    if request.method == "GET":
        return _render("settings.html", values=forms.settings_values(service.settings()), errors={})
    values = request.form.to_dict()
    parsed = forms.read_settings(values)
    try:
        if parsed.errors:  # check the rest too, so every wrong field is marked at once
            service.load(SettingsSchema, parsed.body, partial=True)
            raise InvalidRequest("Some fields need fixing.", parsed.errors)
        service.save_settings(parsed.body)
    except InvalidRequest as error:
        errors = forms.flatten(error.fields, {})
        errors.update(parsed.errors)
        return _render("settings.html", 400, values=values, errors=errors)
    return redirect(url_for(".settings", notice="settings"))


@pages.get("/pairs")
def pairs():
    """What is bought together (from ``flask tsuide mine``), each a click away from being a bundle."""
    page = _page_number()
    found = service.mined_pairs(page, AUDIT_PER_PAGE)
    pages_count = max(1, -(-found["total"] // AUDIT_PER_PAGE))
    return _render("pairs.html", pairs=found["items"], page=page, pages_count=pages_count)


@pages.post("/pairs/promote")
def promote_pair():
    created = service.promote_pair({"product_a": request.form.get("product_a", ""),
                                    "product_b": request.form.get("product_b", "")})
    return redirect(url_for(".edit", kind="bundles", record_id=created["id"], notice="created"))


@pages.post("/pairs/block")
def block_pair():
    service.block_pair({"product_a": request.form.get("product_a", ""),
                        "product_b": request.form.get("product_b", "")}, request.form.get("blocked", "1") == "1")
    return redirect(url_for(".pairs"))


@pages.get("/audit")
def audit():
    page = _page_number()
    log = service.audit_log(page, AUDIT_PER_PAGE)
    tsuide = _tsuide()
    entries = [dict(entry, changes=pages_audit.changes(entry["before"], entry["after"], tsuide.gettext,
                                                       tsuide.format_money, _local_time))
               for entry in log["items"]]
    pages_count = max(1, -(-log["total"] // AUDIT_PER_PAGE))
    return _render("audit.html", entries=entries, page=page, pages_count=pages_count)


@pages.get("/export.json")
def export():
    body = json.dumps(service.export_all(), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="tsuide-settings.json"'})


@pages.route("/transfer", methods=["GET", "POST"])
def transfer():
    if request.method == "GET":
        return _render("transfer.html", values={}, errors={})
    _ = _tsuide().gettext
    upload = request.files.get("document")
    if not request.form.get("confirm_replace"):
        return _render("transfer.html", 400, values={}, errors={"confirm_replace": [_("Tick the box to replace everything.")]})
    if upload is None or not upload.filename:
        return _render("transfer.html", 400, values={}, errors={"document": [_("Choose the exported JSON file.")]})
    try:  # the whole request is at most TSUIDE_MAX_IMPORT_BYTES (see the guard)
        document = load_json(upload.read().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return _render("transfer.html", 400, values={}, errors={"document": [_("This file is not JSON.")]})
    except JSONTooComplex as error:
        return _render("transfer.html", 400, values={}, errors={"document": [error.description]})
    try:
        result = service.import_all(document)
    except InvalidRequest as error:
        return _render("transfer.html", 400, values={}, errors=forms.flatten(error.fields, {}), refused=error.description)
    return _render("transfer.html", values={}, errors={}, created=result["created"])

