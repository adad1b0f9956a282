"""The admin API's OpenAPI 3 document, built from the marshmallow schemas with apispec.

Requests are the schemas in :mod:`.schemas`; answers are described too: a record is its request schema
without the write-only fields, plus what the server adds (``id``, ``version``, times, ``status``, the
linter's ``warnings``), and nothing else (``additionalProperties: false``), so a test can check every answer
against this document (``tests/test_admin_openapi.py``).
"""
from __future__ import annotations

import copy
from functools import lru_cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from . import schemas
from .records import KINDS

ERROR = {"description": "Refused; `error.message` says why, `error.fields` names each wrong field",
         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
OBJECT = {"description": "The answer", "content": {"application/json": {"schema": {"type": "object"}}}}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json_body(schema: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _answer(schema: dict, description: str = "The answer") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _responses(ok: str, *errors: str, answer: dict = OBJECT) -> dict:
    responses = {ok: answer}
    for code in ("400", "403", *errors):
        responses[code] = ERROR
    return responses


#: What the server adds to every record it answers with.
_SERVER_FIELDS = {
    "id": {"type": "string", "pattern": "^[0-9]+$", "readOnly": True},
    "version": {"type": "integer", "minimum": 1, "readOnly": True,
                "description": "Send it back with a change (or as If-Match): a stale one is a 409."},
    "created_at": {"type": "string", "format": "date-time", "readOnly": True},
    "updated_at": {"type": "string", "format": "date-time", "readOnly": True},
    "deleted_at": {"type": "string", "format": "date-time", "nullable": True, "readOnly": True},
}
_STATUS = {"type": "string", "enum": ["active", "scheduled", "expired", "paused", "deleted"], "readOnly": True,
           "description": "As the lists show it (in reads and lists)."}


def _record(request: dict, *, drop: tuple[str, ...] = (), extra: dict | None = None) -> dict:
    """A record as answered: ``request`` (a component schema) without its write-only fields, plus the server's."""
    properties = {name: prop for name, prop in request["properties"].items()
                  if not prop.get("writeOnly") and name not in drop}
    properties.update(copy.deepcopy(_SERVER_FIELDS))
    properties.update(extra or {})
    required = [name for name in request.get("required", []) if name in properties]
    return {"type": "object", "properties": properties, "additionalProperties": False,
            "required": [*required, *_SERVER_FIELDS]}


def _add_answers(document: dict, names: dict[str, str]) -> None:
    """Component schemas for what the API answers: records, pages of them, an import, an export."""
    schemas = document["components"]["schemas"]
    warnings = {"type": "array", "items": _ref("Warning"), "readOnly": True}
    for kind, name in names.items():
        extra = {"status": _STATUS, "warnings": warnings}
        if kind == "post-purchase-offers":
            extra.update(accepted={"type": "integer", "minimum": 0, "readOnly": True},
                         downsell={"allOf": [_ref("DownsellRecord")], "nullable": True})
            schemas["DownsellRecord"] = _record(schemas["Downsell"], drop=("variants", "downsell", "warnings"),
                                                extra={"accepted": {"type": "integer", "minimum": 0}})
        schemas[f"{name}Record"] = _record(schemas[name], extra=extra)
        schemas[f"{name}Page"] = {"type": "object", "additionalProperties": False,
                                  "required": ["items", "page", "per_page", "total"], "properties": {
            "items": {"type": "array", "items": _ref(f"{name}Record")},
            "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"}}}
    schemas["Imported"] = {"type": "object", "required": ["created", "settings", "warnings"], "properties": {
        "created": {"type": "object", "additionalProperties": {"type": "integer"},
                    "description": "How many records of each kind were created."},
        "settings": _ref("Settings"),
        "warnings": {"type": "object", "description": "The linter's warnings: kind -> record id -> warnings.",
                     "additionalProperties": {"type": "object", "additionalProperties": warnings}}}}
    schemas["Export"] = {"type": "object", "required": ["format", "version", *names], "properties": {
        "format": {"type": "string", "enum": ["tsuide-settings"]},
        "version": {"type": "integer", "enum": [1, 2], "description": "2: percentages in percent. An import also "
                    "reads version 1 (before 0.1.0), whose percentages were basis points, by converting them."},
        "exported_at": {"type": "string", "format": "date-time"},
        **{kind: {"type": "array", "items": _ref(name)} for kind, name in names.items()},
        "settings": {"type": "object"}}}
    schemas["AuditPage"] = {"type": "object", "required": ["items", "page", "per_page", "total"], "properties": {
        "items": {"type": "array", "items": {"type": "object", "required": ["id", "at", "actor", "action"],
                                             "properties": {
            "id": {"type": "integer"}, "at": {"type": "string", "format": "date-time"}, "actor": {"type": "string"},
            "action": {"type": "string"}, "entity": {"type": "string"},
            "entity_id": {"type": "string", "nullable": True},
            "before": {"type": "object", "nullable": True,
                       "description": "The record before the change, as the API reads it (percent)."},
            "after": {"type": "object", "nullable": True}}}},
        "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"}}}
    figures = {name: {"type": "integer", "minimum": 0} for name in ("adds", "added_amount", "pending", "declines")}
    schemas["Renewals"] = {"type": "object", "additionalProperties": False, "required": [
        "available", "renewal_offers", "renewal_pairs", "renewal_excluded_rules", "sources", "results", "totals"],
        "properties": {
        "available": {"type": "boolean", "description": "False when the adapter has no add_to_next_delivery()."},
        "renewal_offers": {"type": "boolean"}, "renewal_pairs": {"type": "boolean"},
        "renewal_excluded_rules": {"type": "array", "items": {"type": "string"}},
        "sources": {"type": "array", "items": {"type": "object", "additionalProperties": False, "required": [
            "rule_id", "label", "kind", "paused", "product_ids", "categories", "feeds"], "properties": {
            "rule_id": {"type": "string"}, "label": {"type": "string"}, "kind": {"type": "string", "enum": ["bundle", "volume"]},
            "paused": {"type": "boolean"}, "product_ids": {"type": "array", "items": {"type": "string"}},
            "categories": {"type": "array", "items": {"type": "string"}},
            "feeds": {"type": "boolean", "description": "Whether its offers may be suggested for a next delivery."}}}},
        "results": {"type": "array", "items": {"type": "object", "additionalProperties": False, "required": [
            "rule_id", "label", *figures], "properties": {
            "rule_id": {"type": "string", "nullable": True, "description": "A rule's id, or pair:<product>."},
            "label": {"type": "string", "nullable": True},
            **figures, "added_amount": {"type": "integer", "minimum": 0,
                                        "description": "What the adds charged, in the currency's minor unit."}}}},
        "totals": {"type": "object", "additionalProperties": False, "required": list(figures), "properties": figures},
    }}
    schemas["Products"] = {"type": "object", "required": ["items"], "properties": {
        "items": {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                             "required": ["id", "name", "price", "in_stock"], "properties": {
            "id": {"type": "string"}, "name": {"type": "string"},
            "price": {"type": "integer", "description": "In the currency's minor unit."},
            "price_display": {"type": "string", "description": "The price as the admin shows it, e.g. ￥2,000."},
            "category": {"type": "string", "nullable": True}, "in_stock": {"type": "boolean"},
            "cost": {"type": "integer", "nullable": True}, "image_url": {"type": "string", "nullable": True}}}},
        "message": {"type": "string", "description": "Why the picker is empty when the adapter has no "
                                                     "search_products()."}}}


ID = {"name": "record_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[0-9]+$"}}
IF_MATCH = {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
            "description": "The version you edited, e.g. \"3\" (or send `version` in the body); stale -> 409"}
PAGE = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
]
STATUS = {"name": "status", "in": "query",
          "schema": {"type": "string", "enum": ["active", "scheduled", "expired", "paused", "deleted"]}}
CSRF = [{"csrfToken": []}]


@lru_cache(maxsize=8)
def document(base: str) -> dict:
    spec = APISpec(
        title="Tsuide admin API",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Bundles, volume discounts, buy X get Y, free-shipping thresholds, thank-you offers and settings. "
                             "Writes need the X-CSRFToken header; the admin is open only when the shop's "
                             "adapter.is_admin() is true."},
        servers=[{"url": base}],
    )
    spec.components.security_scheme("csrfToken", {"type": "apiKey", "in": "header", "name": "X-CSRFToken"})
    spec.components.schema("Error", {"type": "object", "properties": {"error": {"type": "object", "properties": {
        "message": {"type": "string"}, "fields": {"type": "object"}}}}})
    names = {
        "bundles": "Bundle", "volume-discounts": "VolumeDiscount", "buy-x-get-y": "BuyXGetY",
        "shipping-thresholds": "ShippingThreshold",
        "post-purchase-offers": "ThankYouOffer", "spend-discounts": "SpendDiscount", "free-gifts": "FreeGift",
    }
    for kind in KINDS.values():
        spec.components.schema(names[kind.name], schema=kind.schema)
    spec.components.schema("Settings", schema=schemas.SettingsSchema)
    for kind in KINDS.values():
        schema = names[kind.name]
        record = _answer(_ref(f"{schema}Record"), "The record")
        spec.path(path=f"/{kind.name}", operations={
            "get": {"summary": f"List {kind.title.lower()}", "parameters": [*PAGE, STATUS],
                    "responses": _responses("200", answer=_answer(_ref(f"{schema}Page"), "A page of records"))},
            "post": {"summary": f"Create one of the {kind.title.lower()}", "requestBody": _json_body(schema),
                     "security": CSRF, "responses": _responses("201", answer=record)},
        })
        spec.path(path=f"/{kind.name}/{{record_id}}", parameters=[ID], operations={
            "get": {"summary": "Read one", "responses": _responses("200", "404", answer=record)},
            "put": {"summary": "Replace it", "parameters": [IF_MATCH], "requestBody": _json_body(schema),
                    "security": CSRF, "responses": _responses("200", "404", "409", answer=record)},
            "patch": {"summary": "Change some fields", "parameters": [IF_MATCH], "requestBody": _json_body(schema),
                      "security": CSRF, "responses": _responses("200", "404", "409", answer=record)},
            "delete": {"summary": "Delete it (soft: it can be restored)", "parameters": [IF_MATCH],
                       "security": CSRF, "responses": _responses("200", "404", "409", answer=record)},
        })
        for action, summary in (("restore", "Restore a deleted one"), ("pause", "Pause it"),
                                ("resume", "Resume it"), ("duplicate", "Make a paused copy")):
            spec.path(path=f"/{kind.name}/{{record_id}}/{action}", parameters=[ID], operations={
                "post": {"summary": summary, "security": CSRF,
                         "responses": _responses("201" if action == "duplicate" else "200", "404", answer=record)},
            })
    spec.path(path="/settings", operations={
        "get": {"summary": "Settings in force", "responses": _responses("200", answer=_answer(_ref("Settings")))},
        "put": {"summary": "Save settings", "requestBody": _json_body("Settings"), "security": CSRF,
                "responses": _responses("200", answer=_answer(_ref("Settings")))},
    })
    spec.path(path="/audit", operations={"get": {"summary": "The audit log", "parameters": PAGE,
                                                 "responses": _responses("200", answer=_answer(_ref("AuditPage")))}})
    spec.path(path="/export", operations={"get": {"summary": "Everything as one JSON document (version 2: percent)",
                                                  "responses": _responses("200", answer=_answer(_ref("Export")))}})
    spec.path(path="/import", operations={"post": {
        "summary": "Replace everything with an export: all or nothing. Products and categories the shop does not "
                   "have are refused, per record and field; a version 1 export (basis points) is converted",
        "security": CSRF,
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": _responses("200", answer=_answer(_ref("Imported")))}})
    spec.components.schema("Pair", schema=schemas.PairSchema)
    spec.path(path="/mined-pairs", operations={"get": {"summary": "Products bought together, strongest first",
                                                       "parameters": PAGE, "responses": _responses("200")}})
    spec.path(path="/mined-pairs/promote", operations={"post": {
        "summary": "Make a live bundle of a mined pair (10% off)", "requestBody": _json_body("Pair"),
        "security": CSRF, "responses": _responses("201", "404")}})
    spec.path(path="/mined-pairs/block", operations={"post": {
        "summary": "Never offer a mined pair together (\"blocked\": false lifts the block)",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "properties": {
            "product_a": {"type": "string"}, "product_b": {"type": "string"}, "blocked": {"type": "boolean"}},
            "required": ["product_a", "product_b"]}}}},
        "security": CSRF, "responses": _responses("200")}})
    spec.path(path="/analytics", operations={"get": {
        "summary": "Per offer and A/B variant over a date range, and offers against the holdout",
        "parameters": [{"name": name, "in": "query", "schema": {"type": "string", "format": "date"},
                        "description": "The shop's local day (TSUIDE_TIMEZONE), included; default the last 28 days"}
                       for name in ("start", "end")],
        "responses": _responses("200")}})
    spec.path(path="/renewals", operations={"get": {
        "summary": "Renewal add-ons: the settings in force (saved with PUT /settings), the rules that feed them, "
                   "and per rule or mined pair what subscribers added, are adding and declined",
        "responses": _responses("200", answer=_answer(_ref("Renewals")))}})
    spec.path(path="/features", operations={"get": {"summary": "Features the adapter leaves off",
                                                    "responses": _responses("200")}})
    spec.path(path="/products", operations={"get": {
        "summary": "Product picker: products by name or id, with their price, stock and image",
        "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}],
        "responses": _responses("200", answer=_answer(_ref("Products")))}})
    document = spec.to_dict()
    _add_answers(document, names)
    return document
