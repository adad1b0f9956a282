"""The admin's JSON API at ``<prefix>/admin/api/``, described by ``openapi.json``.

Closed until the shop's ``adapter.is_admin()`` says otherwise (403). Every
write needs the CSRF token, like the shopper's API. Records go out as people
read them (:func:`plugin.admin.records.public`: percentages in percent).
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.exceptions import Forbidden, HTTPException, default_exceptions
from wtforms import ValidationError as TokenError

from ..errors import InvalidRequest
from ..storage import plain_number
from ..storefront.request_limits import limit_request
from ..storefront.safe_urls import link_url
from . import openapi, service
from .records import KINDS
from .schemas import PageSchema, SearchSchema

api = Blueprint("tsuide_admin_api", __name__)

CLOSED = (
    "The Tsuide admin is closed. To open it for your staff, return True from is_admin() in your shop's "
    "adapter (for example: return current_user.is_authenticated and current_user.is_staff)."
)


def _tsuide():
    return current_app.extensions["tsuide"]


#: The admin's endpoints that take a whole export: ``TSUIDE_MAX_IMPORT_BYTES`` instead of ``TSUIDE_MAX_REQUEST_BYTES``.
IMPORT_ENDPOINTS = frozenset({"tsuide_admin_api.import_", "tsuide_admin.transfer"})
#: On every admin answer, page or JSON: never inside another site's frame, never sniffed as another type.
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}


def guard() -> None:
    """Admin only; then the body's size and shape (before the CSRF check reads it); every write carries the token."""
    if not _tsuide()._adapter.is_admin():
        raise Forbidden(CLOSED)
    limit = "TSUIDE_MAX_IMPORT_BYTES" if request.endpoint in IMPORT_ENDPOINTS else "TSUIDE_MAX_REQUEST_BYTES"
    limit_request(current_app.config[limit])
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and current_app.config.get("WTF_CSRF_ENABLED", True):
        token = request.headers.get("X-CSRFToken") or request.form.get("csrf_token")
        try:
            validate_csrf(token)
        except TokenError:
            raise CSRFError("The CSRF token is missing or stale: reload the admin and try again.") from None


api.before_request(guard)


def security_headers(response):
    """:data:`SECURITY_HEADERS` on the response, unless the view set its own."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


api.after_request(security_headers)


def _error(error: HTTPException):
    body = {"error": {"message": error.description}}
    if isinstance(error, InvalidRequest):
        body["error"]["fields"] = error.fields
    return jsonify(body), error.code


api.register_error_handler(HTTPException, _error)
for _code in default_exceptions:  # ahead of a shop's own error pages
    api.register_error_handler(_code, _error)


def _page_args() -> dict:
    return service.load(PageSchema, request.args.to_dict())


def search_query() -> str:
    """The product picker's ``?q=``, at most 100 characters; 400 if it holds what no database can search for."""
    return service.load(SearchSchema, {"q": request.args.get("q", "")})["q"][:100]


def _if_match() -> int | None:
    """The version from ``If-Match: "3"``, if sent."""
    raw = request.headers.get("If-Match", "").strip().strip('"').removeprefix("W/").strip('"')
    if not raw:
        return None
    version = plain_number(raw)
    if version is None:
        raise InvalidRequest("If-Match must be the record's version.", {"If-Match": ["Not a version."]})
    return version


def _record(kind, body: dict, status: int = 200):
    """A record of ``kind`` as the API answers it, with its version as the ``ETag``."""
    response = jsonify(kind.public(body))
    response.status_code = status
    if "version" in body:
        response.headers["ETag"] = f'"{body["version"]}"'
    return response


@api.get("/<kind>")
def list_records(kind: str):
    args = _page_args()
    records = service.kind_named(kind)
    listing = service.list_records(records, args["status"], args["page"], args["per_page"])
    return jsonify(dict(listing, items=[records.public(item) for item in listing["items"]]))


@api.post("/<kind>")
def create(kind: str):
    records = service.kind_named(kind)
    return _record(records, _warned(records, service.create(records, request.get_json(silent=True))), 201)


@api.get("/<kind>/<record_id>")
def get(kind: str, record_id: str):
    records = service.kind_named(kind)
    return _record(records, service.get_record(records, record_id))


@api.put("/<kind>/<record_id>")
@api.patch("/<kind>/<record_id>")
def update(kind: str, record_id: str):
    records = service.kind_named(kind)
    return _record(records, _warned(records, service.update(records, record_id, request.get_json(silent=True),
                                                            _if_match(), partial=request.method == "PATCH")))


def _warned(records, body: dict) -> dict:
    """The saved record with ``warnings``: what was saved but may be a mistake, the linter's findings and copy that
    contradicts the values, each as ``{code, severity, fields, message: {ja, en}}``."""
    return dict(body, warnings=[*body.get("warnings", []), *service.label_findings(records, records.public(body))])


@api.delete("/<kind>/<record_id>")
def delete(kind: str, record_id: str):
    records = service.kind_named(kind)
    return _record(records, service.delete(records, record_id, _if_match()))


@api.post("/<kind>/<record_id>/<action>")
def act(kind: str, record_id: str, action: str):
    records = service.kind_named(kind)
    actions = {
        "restore": lambda: service.restore(records, record_id),
        "pause": lambda: service.set_paused(records, record_id, True),
        "resume": lambda: service.set_paused(records, record_id, False),
        "duplicate": lambda: service.duplicate(records, record_id),
    }
    if action not in actions:
        raise InvalidRequest("Unknown action.", {"action": [f"Choose one of: {', '.join(actions)}."]})
    return _record(records, actions[action](), 201 if action == "duplicate" else 200)


@api.get("/settings")
def get_settings():
    return jsonify(service.settings())


@api.put("/settings")
@api.patch("/settings")
def put_settings():
    return jsonify(service.save_settings(request.get_json(silent=True)))


@api.get("/audit")
def audit():
    args = _page_args()
    log = service.audit_log(args["page"], args["per_page"])
    return jsonify(dict(log, items=[_public_entry(entry) for entry in log["items"]]))


def _public_entry(entry: dict) -> dict:
    """An audit entry with the records before and after as people read them (percent, not basis points)."""
    kind = KINDS.get(entry["entity"])
    if kind is None:
        return entry
    return dict(entry, **{name: kind.public(entry[name]) if isinstance(entry[name], dict) else entry[name]
                          for name in ("before", "after")})


@api.get("/export")
def export():
    response = jsonify(service.export_all())
    response.headers["Content-Disposition"] = 'attachment; filename="tsuide-settings.json"'
    return response


@api.post("/import")
def import_():
    return jsonify(service.import_all(request.get_json(silent=True)))


@api.get("/features")
def features():
    """Adapter methods the shop has not provided, and what stays off without them."""
    return jsonify({"off": _tsuide().missing_features()})


@api.get("/products")
def products():
    """The product picker, backed by ``adapter.search_products``."""
    tsuide = _tsuide()
    if "search_products" in tsuide.missing_features():
        return jsonify({"items": [], "message": "The product picker needs search_products() in the adapter."})
    found = tsuide._adapter.search_products(search_query(), 20)
    return jsonify({"items": [
        {"id": p.id, "name": p.name, "price": p.price, "price_display": tsuide.format_money(p.price),
         "category": p.category, "in_stock": p.in_stock, "cost": p.cost, "image_url": link_url(p.image_url)}
        for p in found
    ]})


@api.get("/mined-pairs")
def mined_pairs():
    """Products bought together, from the last ``flask tsuide mine``, strongest lift first."""
    args = _page_args()
    return jsonify(service.mined_pairs(args["page"], args["per_page"]))


@api.post("/mined-pairs/promote")
def promote_pair():
    """One click: a live bundle of the two products at 10% off."""
    return _record(KINDS["bundles"], service.promote_pair(request.get_json(silent=True)), 201)


@api.post("/mined-pairs/block")
def block_pair():
    """Never offer these two products together; ``{"blocked": false}`` lifts the block."""
    body = request.get_json(silent=True)
    blocked = body.pop("blocked", True) if isinstance(body, dict) else True
    if not isinstance(blocked, bool):
        raise InvalidRequest("Some fields need fixing.", {"blocked": ["Must be true or false."]})
    return jsonify(service.block_pair(body, blocked))


@api.get("/analytics")
def analytics():
    """Per offer and variant over ``?start=&end=`` (the shop's local days), and offers against the holdout."""
    from . import dashboard

    return jsonify(dashboard.as_json(dashboard.load(request.args.to_dict())))


@api.get("/openapi.json")
def openapi_document():
    base = url_for(".get_settings").removesuffix("/settings")
    return jsonify(openapi.document(base))
