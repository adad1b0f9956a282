"""Buy X get Y and per-unit limits in the admin: the JSON API (400 by field, never 500), the form with its preview,
export and import, the audit log, labels written from the values, and the quote the saved rule makes."""
import pytest

from plugin.storage.audit import AuditEntry

API = "/tsuide/admin/api"
ADMIN = "/tsuide/admin"
#: "シューケア用品2点買うと1点無料": spray ¥1,500, cleaner ¥1,200, brush ¥800.
BXGY = {"buy_categories": ["shoe-care"], "buy_quantity": 2, "get_quantity": 1, "pricing_mode": "percent_off",
        "discount_percent": 100, "label": ""}
SNEAKER_CARE = {"buy_product_ids": ["sneakers"], "get_categories": ["shoe-care"], "buy_quantity": 1,
                "discount_percent": 20, "label": "スニーカーを買うとシューケア用品20%オフ"}


@pytest.fixture
def shop(admin_shop):
    return admin_shop



def quote_of(shop, lines):
    app, _, tsuide, adapter = shop
    adapter.lines = lines
    with app.test_request_context():
        return tsuide.quote()


def test_a_buy_x_get_y_is_created_read_and_prices_the_cart(shop, admin):
    response = admin.post(f"{API}/buy-x-get-y", json=BXGY)
    assert response.status_code == 201, response.json
    created = response.json
    assert (created["label"], created["label_en"]) == ("2点買うと1点無料", "Buy 2, get 1 free")  # from the values
    assert created["discount_percent"] == 100 and created["pricing_value"] is None
    assert admin.get(f"{API}/buy-x-get-y/{created['id']}").json["buy_categories"] == ["shoe-care"]
    quote = quote_of(shop, {"spray": 1, "cleaner": 1, "brush": 1})
    assert [(d.rule_id, d.amount, d.applications) for d in quote.discounts] == [(created["id"], 800, 1)]


def test_a_get_set_of_its_own_and_an_amount_off(shop, admin):
    created = admin.post(f"{API}/buy-x-get-y", json=SNEAKER_CARE).json
    assert quote_of(shop, {"sneakers": 1, "spray": 1}).discount_total == 300  # 20% of 1,500
    amount = admin.post(f"{API}/buy-x-get-y", json=dict(SNEAKER_CARE, label="", pricing_mode="amount_off",
                                                        discount_percent=None, pricing_value=500, priority=5))
    assert amount.status_code == 201, amount.json
    assert amount.json["label"] == "1点買うと1点¥500引き"
    assert created["get_categories"] == ["shoe-care"]


@pytest.mark.parametrize(("body", "fields"), [
    ({}, {"label", "buy_quantity"}),
    (dict(BXGY, buy_categories=[]), {"buy_product_ids"}),
    (dict(BXGY, buy_quantity=0), {"buy_quantity"}),
    (dict(BXGY, get_quantity="two"), {"get_quantity"}),
    (dict(BXGY, pricing_mode="fixed_price", discount_percent=None, pricing_value=100), {"pricing_mode"}),
    (dict(BXGY, discount_percent=101), {"discount_percent"}),
    (dict(BXGY, discount_percent=None, label="x"), {"discount_percent"}),
    (dict(BXGY, max_applications=0), {"max_applications"}),
    (dict(BXGY, max_units=0), {"max_units"}),
    (dict(BXGY, get_quantity=3, max_units=2), {"max_units"}),  # the engine's own check, by field
    (dict(BXGY, get_product_ids=["ghost"]), {"get_product_ids"}),
    (dict(BXGY, buy_product_ids=["spray", "spray"]), {"buy_product_ids"}),
])
def test_bad_input_is_400_by_field_and_nothing_is_saved(shop, admin, body, fields):
    response = admin.post(f"{API}/buy-x-get-y", json=body)
    assert response.status_code == 400, response.json
    assert fields <= set(response.json["error"]["fields"]), response.json
    assert admin.get(f"{API}/buy-x-get-y").json["total"] == 0


def test_a_limit_in_units_on_a_volume_discount_and_a_bundle(shop, admin):
    volume = admin.post(f"{API}/volume-discounts", json={
        "label": "シューケア2点以上で10%オフ", "categories": ["shoe-care"], "max_units": 2,
        "tiers": [{"min_quantity": 2, "discount_percent": 10}]})
    assert volume.status_code == 201, volume.json
    assert volume.json["max_units"] == 2
    # Three units reach the tier; the two dearest are discounted: 10% of 1,500 + 1,200 = 270.
    assert quote_of(shop, {"spray": 1, "cleaner": 1, "brush": 1}).discount_total == 270
    bundle = admin.post(f"{API}/bundles", json={"label": "", "items": [{"product_id": "socks", "quantity": 2}],
                                                "pricing_mode": "percent_off", "discount_percent": 10,
                                                "max_units": 1})
    assert bundle.status_code == 400 and "max_units" in bundle.json["error"]["fields"]
    patched = admin.patch(f"{API}/volume-discounts/{volume.json['id']}",
                          json={"max_units": None, "version": volume.json["version"]})
    assert patched.status_code == 200 and patched.json["max_units"] is None
    assert quote_of(shop, {"spray": 1, "cleaner": 1, "brush": 1}).discount_total == 350


def test_export_and_import_carry_both(shop, admin):
    admin.post(f"{API}/buy-x-get-y", json=dict(BXGY, max_units=2, max_applications=2))
    admin.post(f"{API}/volume-discounts", json={"label": "v", "categories": ["accessories"], "max_units": 3,
                                                "tiers": [{"min_quantity": 2, "discount_percent": 10}]})
    exported = admin.get(f"{API}/export").json
    [bxgy] = exported["buy-x-get-y"]
    assert (bxgy["max_units"], bxgy["max_applications"], bxgy["discount_percent"]) == (2, 2, 100)
    assert exported["volume-discounts"][0]["max_units"] == 3
    response = admin.post(f"{API}/import", json=exported)
    assert response.status_code == 200, response.json
    again = admin.get(f"{API}/export").json
    assert again["buy-x-get-y"] == exported["buy-x-get-y"]
    broken = dict(exported, **{"buy-x-get-y": [dict(bxgy, buy_quantity=-1)]})
    refused = admin.post(f"{API}/import", json=broken)
    assert refused.status_code == 400 and "buy-x-get-y" in refused.json["error"]["fields"]
    assert admin.get(f"{API}/export").json["buy-x-get-y"] == exported["buy-x-get-y"]  # nothing half-written


def test_changes_are_audited(shop, admin):
    created = admin.post(f"{API}/buy-x-get-y", json=BXGY).json
    admin.patch(f"{API}/buy-x-get-y/{created['id']}", json={"max_applications": 1, "version": created["version"]})
    app, db, *_ = shop
    with app.app_context():
        entries = db.session.query(AuditEntry).filter_by(entity="buy-x-get-y", entity_id=created["id"]).all()
        assert [entry.action for entry in entries] == ["create", "update"]
        assert entries[-1].before["max_applications"] is None and entries[-1].after["max_applications"] == 1


def test_the_openapi_document_describes_the_kind_and_the_limit(shop, admin):
    document = admin.get(f"{API}/openapi.json").json
    schema = document["components"]["schemas"]["BuyXGetY"]
    assert {"buy_product_ids", "buy_quantity", "get_quantity", "max_applications", "max_units"} <= set(
        schema["properties"])
    assert "max_units" in document["components"]["schemas"]["VolumeDiscount"]["properties"]
    assert "/buy-x-get-y" in document["paths"] and "/buy-x-get-y/{record_id}" in document["paths"]


def test_the_form_saves_previews_and_shows_errors_by_field(shop, admin):
    page = admin.get(f"{ADMIN}/buy-x-get-y/new")
    assert page.status_code == 200 and 'name="buy_quantity"' in page.text and 'name="max_units"' in page.text
    form = {"buy_categories": "shoe-care", "buy_quantity": "2", "get_quantity": "1", "pricing_mode": "percent_off",
            "pricing_value": "100", "max_units": "1", "action": "preview", "sample_cart": "spray×1, cleaner×1, brush×1"}
    preview = admin.post(f"{ADMIN}/buy-x-get-y/new", data=form)
    assert preview.status_code == 200 and "data-preview-note" in preview.text
    wrong = admin.post(f"{ADMIN}/buy-x-get-y/new", data=dict(form, action="save", buy_quantity="zero"))
    assert wrong.status_code == 400 and "ta-callout--error" in wrong.text and 'id="f-buy_quantity"' in wrong.text
    # Free brushes (cost ¥300) sell below cost: the form says so and saves only once the owner confirms.
    unconfirmed = admin.post(f"{ADMIN}/buy-x-get-y/new", data=dict(form, action="save"))
    assert unconfirmed.status_code == 400 and "data-margin-warning" in unconfirmed.text
    saved = admin.post(f"{ADMIN}/buy-x-get-y/new", data=dict(form, action="save", confirm_margin="1"))
    assert saved.status_code in (302, 303)
    [record] = admin.get(f"{API}/buy-x-get-y").json["items"]
    assert (record["label"], record["max_units"], record["buy_quantity"]) == ("2点買うと1点無料", 1, 2)
    listing = admin.get(f"{ADMIN}/buy-x-get-y/")
    assert listing.status_code == 200 and "2点買うと1点無料" in listing.text


def test_the_analytics_count_a_buy_x_get_y_offer_like_the_others(shop, admin):
    from datetime import datetime

    from plugin import models

    created = admin.post(f"{API}/buy-x-get-y", json=BXGY).json
    app, db, *_ = shop
    day = datetime(2026, 11, 10, 3, 0)
    with app.app_context():
        db.session.add_all([models.Event(kind="impression", visitor_id=f"v{n}", rule_id=created["id"], created_at=day)
                            for n in range(4)]
                           + [models.Event(kind="add", visitor_id="v1", rule_id=created["id"], created_at=day)])
        db.session.commit()
    body = admin.get(f"{API}/analytics", query_string={"start": "2026-11-01", "end": "2026-11-30"}).json
    [offer] = [offer for offer in body["offers"] if offer["offer_id"] == created["id"]]
    assert offer["label"] == "2点買うと1点無料"
    assert (offer["variants"][0]["seen"], offer["variants"][0]["takes"]) == (4, 1)


def test_the_linter_warns_of_a_sold_out_product_and_free_units_below_cost(shop, admin):
    created = admin.post(f"{API}/buy-x-get-y", json=dict(BXGY, buy_product_ids=["scarf"])).json
    codes = {(warning["code"], tuple(warning["fields"])) for warning in created["warnings"]}
    assert ("out_of_stock", ("buy_product_ids", "get_product_ids")) in codes
    assert ("below_margin", ("discount_percent",)) in codes  # a free brush sells below its cost of ¥300
    fair = admin.post(f"{API}/buy-x-get-y", json=dict(SNEAKER_CARE, discount_percent=10, margin_floor_percent=0)).json
    assert not [warning for warning in fair["warnings"] if warning["code"] == "below_margin"]
