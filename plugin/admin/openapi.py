"""The admin API's OpenAPI 3 document, built from the marshmallow schemas with apispec."""
from __future__ import annotations

from functools import lru_cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from . import schemas
from .records import KINDS

ERROR = {"description": "Refused; `error.message` says why, `error.fields` names each wrong field",
         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
RECORD = {"description": "The record", "content": {"application/json": {"schema": {"type": "object"}}}}


def _json_body(schema: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _responses(ok: str, *errors: str) -> dict:
    responses = {ok: RECORD}
    for code in ("400", "403", *errors):
        responses[code] = ERROR
    return responses


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
        info={"description": "Bundles, volume discounts, free-shipping thresholds, thank-you offers and settings. "
                             "Writes need the X-CSRFToken header; the admin is open only when the shop's "
                             "adapter.is_admin() is true."},
        servers=[{"url": base}],
    )
    spec.components.security_scheme("csrfToken", {"type": "apiKey", "in": "header", "name": "X-CSRFToken"})
    spec.components.schema("Error", {"type": "object", "properties": {"error": {"type": "object", "properties": {
        "message": {"type": "string"}, "fields": {"type": "object"}}}}})
    names = {
        "bundles": "Bundle", "volume-discounts": "VolumeDiscount", "shipping-thresholds": "ShippingThreshold",
        "post-purchase-offers": "ThankYouOffer",
    }
    for kind in KINDS.values():
        spec.components.schema(names[kind.name], schema=kind.schema)
    spec.components.schema("Settings", schema=schemas.SettingsSchema)
    for kind in KINDS.values():
        schema = names[kind.name]
        spec.path(path=f"/{kind.name}", operations={
            "get": {"summary": f"List {kind.title.lower()}", "parameters": [*PAGE, STATUS],
                    "responses": _responses("200")},
            "post": {"summary": f"Create one of the {kind.title.lower()}", "requestBody": _json_body(schema),
                     "security": CSRF, "responses": _responses("201")},
        })
        spec.path(path=f"/{kind.name}/{{record_id}}", parameters=[ID], operations={
            "get": {"summary": "Read one", "responses": _responses("200", "404")},
            "put": {"summary": "Replace it", "parameters": [IF_MATCH], "requestBody": _json_body(schema),
                    "security": CSRF, "responses": _responses("200", "404", "409")},
            "patch": {"summary": "Change some fields", "parameters": [IF_MATCH], "requestBody": _json_body(schema),
                      "security": CSRF, "responses": _responses("200", "404", "409")},
            "delete": {"summary": "Delete it (soft: it can be restored)", "parameters": [IF_MATCH],
                       "security": CSRF, "responses": _responses("200", "404", "409")},
        })
        for action, summary in (("restore", "Restore a deleted one"), ("pause", "Pause it"),
                                ("resume", "Resume it"), ("duplicate", "Make a paused copy")):
            spec.path(path=f"/{kind.name}/{{record_id}}/{action}", parameters=[ID], operations={
                "post": {"summary": summary, "security": CSRF,
                         "responses": _responses("201" if action == "duplicate" else "200", "404")},
            })
    spec.path(path="/settings", operations={
        "get": {"summary": "Settings in force", "responses": _responses("200")},
        "put": {"summary": "Save settings", "requestBody": _json_body("Settings"), "security": CSRF,
                "responses": _responses("200")},
    })
    spec.path(path="/audit", operations={"get": {"summary": "The audit log", "parameters": PAGE,
                                                 "responses": _responses("200")}})
    spec.path(path="/export", operations={"get": {"summary": "Everything as one JSON document",
                                                  "responses": _responses("200")}})
    spec.path(path="/import", operations={"post": {
        "summary": "Replace everything with an export: all or nothing", "security": CSRF,
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": _responses("200")}})
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
    spec.path(path="/features", operations={"get": {"summary": "Features the adapter leaves off",
                                                    "responses": _responses("200")}})
    spec.path(path="/products", operations={"get": {
        "summary": "Product picker", "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}],
        "responses": _responses("200")}})
    return spec.to_dict()
