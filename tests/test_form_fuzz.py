"""Hostile values in the HTML admin forms and the shopper's forms: never a 5xx, and a refusal writes nothing.

The JSON APIs have their own fuzzes (``test_admin_fuzz.py``, ``test_shopper_api_fuzz.py``); these post what a
browser's form would carry, form-encoded, with values no browser would: huge numbers, NaN, Infinity, NUL,
lone surrogates (sent as the raw bytes a form encoder would make of them), very long strings, negative numbers
and odd dates. On SQLite and PostgreSQL, which refuse different things.
"""
import io
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from plugin import models
from plugin.admin.pages_forms import SPECS
from plugin.storage.audit import AuditEntry
from plugin.storage.post_purchase import PostPurchaseItem, PostPurchaseOffer, PostPurchaseTrigger
from shop import OrderingAdapter

ADMIN = "/tsuide/admin"
#: What no browser would send, and what breaks parsers and databases.
NUMBERS = st.sampled_from([
    "", " ", "0", "-0", "-1", "-999999999999999999999", "9" * 400, "1e999999", "-1e999999", "1e-999999", "NaN",
    "sNaN", "Infinity", "-Infinity", "inf", "0x10", "1_000", "1.5", "10.005", "１０", "²", "٣", "%", "¥1,000",
])
DATES = st.sampled_from([
    "0001-01-01T00:00", "9999-12-31T23:59", "0001-01-01T00:00+14:00", "9999-12-31T23:59-14:00",
    "2026-02-30T00:00", "2026-01-01T25:00", "2026-01-01T00:00+23:59", "1999-12-31T23:59", "2100-01-01T00:00",
    "２０２６-01-01T00:00", "2026-13-01", "-2026-01-01T00:00",
])
#: Text a database may refuse to store: a NUL, another control character, a lone surrogate, inside any text.
UNSTORABLE = st.builds("{}{}{}".format, st.text(max_size=8), st.sampled_from(["\x00", "\ud800", "\udfff", "\x1b",
                                                                              "\x7f", "\x08"]), st.text(max_size=8))
TEXTS = UNSTORABLE | st.sampled_from([
    "", " ", "\r\n", "\u202e", "🙂" * 50, "x" * 5_000, "<script>alert(1)</script>", "'; DROP TABLE tsuide_rules; --",
    "healthfood", "sneakers", "percent_off", "fixed_price", "amount_off", "upgrade", "add_on", "loyal", "JPY", "on",
    "save", "preview", "//evil.example/", "/\\evil.example/", "http://localhost//evil.example/",
    "/%2F%2Fevil.example/",
])
NASTY = NUMBERS | DATES | TEXTS
#: What a field of each kind of the admin's forms (plugin.admin.pages_forms) gets: mostly what hurts that
#: kind, else anything hostile, else random text.
HOSTILE = {"text": TEXTS, "list": TEXTS, "when": DATES, "bool": NASTY}
VALUES = NASTY | st.text(max_size=30) | st.integers(-10**20, 10**20).map(str) | st.floats().map(str)
BASE_FORMS = {
    "bundles": {"label": "Set", "items-0-product_id": "healthfood", "items-0-quantity": "3",
                "pricing_mode": "percent_off", "pricing_value": "10", "priority": "0", "action": "save"},
    "volume-discounts": {"label": "Tiers", "product_ids-0": "socks", "tiers-0-min_quantity": "2",
                         "tiers-0-discount_percent": "10", "priority": "0", "action": "save"},
    "shipping-thresholds": {"label": "Free shipping", "currency": "JPY", "threshold": "5000", "fee": "600",
                            "priority": "0", "action": "save"},
    "post-purchase-offers": {"label": "Care", "kind": "add_on", "trigger_products-0": "sneakers",
                             "items-0-product_id": "spray", "items-0-quantity": "1", "pricing_mode": "percent_off",
                             "pricing_value": "20", "segment": "any", "priority": "0", "action": "save"},
}
SETTINGS_FORM = {"max_cart_offers": "2", "max_gap_fillers": "2", "post_purchase_minutes": "15", "decline_days": "30",
                 "upsell_max_ratio": "50", "loyal_orders": "5", "holdout_percent": "0", "significance": "5",
                 "event_retention_days": "400"}
COUNTED = (models.Rule, models.RuleItem, models.RuleCategory, models.RuleStep, models.Variant, PostPurchaseOffer,
           PostPurchaseItem, PostPurchaseTrigger, models.Setting, AuditEntry, models.Event)


def form_fields(kind: str) -> dict[str, str]:
    """Every field of the kind's form (two rows of each group, the downsell's, a far row), each with its kind."""
    spec = SPECS[kind]
    fields = dict(spec.fields)
    for group, columns in spec.rows.items():
        for number in (0, 1, 999):
            fields.update({f"{group}-{number}" if column is None else f"{group}-{number}-{column}": field_kind
                           for column, field_kind in columns})
    if spec.downsell:
        fields.update({f"downsell-{name}": field_kind for name, field_kind in fields.items()
                       if not name.startswith("variants")})
        fields["has_downsell"] = "bool"
    return fields | {"version": "int", "action": "text", "confirm_margin": "bool", "unknown": "text"}


def hostile(field_kind: str):
    return st.one_of(HOSTILE.get(field_kind, NUMBERS), NASTY, st.text(max_size=30))


def form_body(fields: dict[str, str]) -> bytes:
    """Form-encoded as a browser would; a lone surrogate goes as the bytes a lax encoder makes of it."""
    return urlencode(list(fields.items()), encoding="utf-8", errors="surrogatepass").encode("ascii")


def post_form(client, url, fields, **headers):
    return client.post(url, data=form_body(fields), content_type="application/x-www-form-urlencoded",
                       headers=headers)


def written(app, db):
    """Row counts of every plugin table, and the rules' version stamp."""
    with app.app_context():
        counts = tuple(db.session.scalar(select(func.count()).select_from(model)) for model in COUNTED)
        state = db.session.get(models.State, 1)
        db.session.remove()
    return counts, state.version if state else None


@st.composite
def admin_posts(draw, record_ids):
    """(url, fields or an uploaded file) of one admin form, with hostile values in a few of its fields."""
    kind = draw(st.sampled_from(list(BASE_FORMS)))
    target = draw(st.sampled_from(["new", "edit", "action", "settings", "promote", "import"]))
    if target in ("new", "edit"):
        fields = dict(BASE_FORMS[kind])
        kinds = form_fields(kind)
        # A field or two at a time, so the rest of the form is valid and a value gets as far as the database.
        for name in draw(st.lists(st.sampled_from(sorted(kinds)), min_size=1, max_size=2, unique=True)):
            fields[name] = draw(hostile(kinds[name]))
        record = "new" if target == "new" else draw(st.sampled_from([record_ids[kind], "0", "99999999999", "x"]))
        return f"{ADMIN}/{kind}/{record}", fields
    if target == "action":
        action = draw(st.sampled_from(["pause", "resume", "duplicate", "delete", "restore"]))
        record = draw(st.sampled_from([record_ids[kind], "0", "99999999999", "-1"]))
        return f"{ADMIN}/{kind}/{record}/{action}", {"version": draw(VALUES), "status": draw(VALUES)}
    if target == "settings":
        fields = dict(SETTINGS_FORM)
        fields.update(draw(st.dictionaries(st.sampled_from(list(SETTINGS_FORM)), NUMBERS | VALUES, min_size=1,
                                           max_size=2)))
        return f"{ADMIN}/settings", fields
    if target == "promote":
        return f"{ADMIN}/pairs/promote", {"product_a": draw(TEXTS | VALUES), "product_b": draw(TEXTS | VALUES)}
    record = draw(st.dictionaries(st.sampled_from(sorted(form_fields(kind)) + ["items", "tiers", "label"]),
                                  VALUES | st.integers() | st.floats() | st.none(), max_size=5))
    document = draw(st.sampled_from([
        json.dumps({"format": "tsuide-settings", kind: [record]}).encode(),
        json.dumps({"format": "tsuide-settings", "settings": record}).encode(),
        b"[" * 10_000 + b"]" * 10_000, b"\xff\xfe{}", b'{"format": "tsuide-settings", "bundles": 1e400}',
    ]) | st.binary(max_size=100))
    return f"{ADMIN}/transfer", {"confirm_replace": draw(st.sampled_from(["1", ""])),
                                 "document": (io.BytesIO(document), "export.json")}


def test_the_admin_forms_never_5xx_and_a_refusal_writes_nothing(database_url, make_shop):
    # CSRF is off here only: the fuzz is about the values; tests/test_admin_pages.py checks the token.
    app, db, tsuide, adapter = make_shop(database_url, WTF_CSRF_ENABLED=False, TSUIDE_TIMEZONE="Asia/Tokyo")
    adapter.admin = True
    client = app.test_client()
    record_ids = {}
    for kind, form in BASE_FORMS.items():
        response = post_form(client, f"{ADMIN}/{kind}/new", form)
        assert response.status_code == 302, (kind, response.get_data(as_text=True)[:500])
        record_ids[kind] = client.get(f"{ADMIN}/api/{kind}").json["items"][0]["id"]
    seen = set()

    @given(post=admin_posts(record_ids))
    @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def fuzz(post):
        url, fields = post
        before = written(app, db)
        if url.endswith("/transfer"):
            response = client.post(url, data=fields, content_type="multipart/form-data")
        else:
            response = post_form(client, url, fields)
        seen.add(response.status_code)
        assert response.status_code < 500, (url, fields, response.get_data(as_text=True)[:500])
        if response.status_code >= 400:
            assert written(app, db) == before, (url, fields, response.status_code)

    fuzz()
    assert {302, 400} <= seen  # the fuzz reached both sides of the validation


SHOPPER_FIELDS = ["bundle_id", "product_id", "quantity", "offer", "offer_id", "idempotency_key", "next", "kind",
                  "offers", "page", "order", "unit_price"]


@st.composite
def shopper_posts(draw, bundle_id, offer_id):
    path = draw(st.sampled_from(["/tsuide/api/cart/items", "/tsuide/api/orders/A-1/offer/accept",
                                 "/tsuide/api/orders/A-1/offer/decline", "/tsuide/api/events"]))
    fields = draw(st.fixed_dictionaries({}, optional={
        "bundle_id": st.sampled_from([bundle_id]) | VALUES, "product_id": st.sampled_from(["spray", "scarf"]) | VALUES,
        "quantity": VALUES, "offer": st.sampled_from(["gap:spray", "pair:spray"]) | VALUES,
        "offer_id": st.sampled_from([offer_id]) | VALUES,
        "idempotency_key": st.sampled_from(["key-0123456789"]) | VALUES, "next": VALUES,
        "kind": st.sampled_from(["view", "impression", "click"]) | VALUES, "offers": VALUES, "page": VALUES,
        "order": VALUES, "unit_price": VALUES,
    }))
    return path, fields, draw(st.booleans())


def test_the_shopper_forms_never_5xx_and_a_refusal_changes_nothing(database_url, make_shop):
    adapter = OrderingAdapter()
    app, db, tsuide, _ = make_shop(database_url, adapter=adapter, WTF_CSRF_ENABLED=False)
    adapter.customer_id = "c-1"
    adapter.place("A-1", [("sneakers", 1)], datetime.now(timezone.utc) - timedelta(minutes=1))
    with app.app_context():
        bundle = models.Bundle(label="Set", pricing_mode="percent_off", pricing_value=1000,
                               items=[models.RuleItem(product_id="healthfood", quantity=3)])
        offer = PostPurchaseOffer(kind="add_on", label="Care", pricing_mode="percent_off", pricing_value=1000,
                                  items=[PostPurchaseItem(product_id="spray")],
                                  triggers=[PostPurchaseTrigger(product_id="sneakers")])
        db.session.add_all([bundle, offer])
        db.session.commit()
        bundle_id, offer_id = str(bundle.id), str(offer.id)
    client = app.test_client()
    seen = set()

    @given(post=shopper_posts(bundle_id, offer_id))
    @example(post=("/tsuide/api/cart/items", {"product_id": "spray", "quantity": "2"}, True))
    @example(post=("/tsuide/api/cart/items", {"product_id": "spray", "quantity": "1.5",
                                               "next": "http://localhost//evil.example/"}, False))
    @example(post=("/tsuide/api/events", {"kind": "view"}, False))
    @settings(max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def fuzz(post):
        path, fields, wants_json = post
        before = dict(adapter.lines), list(adapter.charges), written(app, db)
        response = post_form(client, path, fields, **({"Accept": "application/json"} if wants_json else {}))
        seen.add(response.status_code)
        assert response.status_code < 500, (path, fields, response.get_data(as_text=True)[:500])
        if response.status_code in (302, 303):
            location = response.headers["Location"]
            assert location.startswith("/") and not location.startswith(("//", "/\\")), (fields, location)
        if response.status_code >= 400:
            assert (dict(adapter.lines), list(adapter.charges), written(app, db)) == before, (path, fields)

    fuzz()
    assert {200, 204, 303, 400} <= seen  # both sides of the validation, and the no-JavaScript way back
