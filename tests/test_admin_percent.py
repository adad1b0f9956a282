"""Percent for people, basis points inside: the admin API, its export and the models speak percent.

A person types 10 or 12.5; the tables keep 1000 and 1250 basis points. These tests check both sides: what the
API answers and what the columns and the checkout's quote hold.
"""
import re

import pytest

from plugin import RuleError, models
from plugin.storage.audit import AuditEntry
from plugin.storage.post_purchase import PostPurchaseItem, PostPurchaseOffer, PostPurchaseTrigger

API = "/tsuide/admin/api"
ADMIN = "/tsuide/admin"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
#: 3 bags of ¥3,000 at 12.5% off, no unit below cost + 7.5%, and a variant at 15%.
BUNDLE = {"label": "3袋セット", "items": [{"product_id": "healthfood", "quantity": 3}], "pricing_mode": "percent_off",
          "discount_percent": 12.5, "margin_floor_percent": 7.5, "confirm_price_test": True,
          "variants": [{"name": "A"}, {"name": "B", "discount_percent": 15}]}
VOLUME = {"label": "小物", "categories": ["accessories"],
          "tiers": [{"min_quantity": 2, "discount_percent": 10}, {"min_quantity": 3, "discount_percent": 12.25}]}
OFFER = {"label": "Care", "kind": "add_on", "items": [{"product_id": "spray"}], "trigger_products": ["sneakers"],
         "discount_percent": 20, "confirm_price_test": True,
         "variants": [{"name": "A"}, {"name": "B", "discount_percent": 33.33}],
         "downsell": {"label": "Brush", "kind": "add_on", "items": [{"product_id": "brush"}],
                      "trigger_products": ["sneakers"], "discount_percent": 5.5}}


@pytest.fixture
def shop(admin_shop):
    return admin_shop



def stored(shop, model, **where):
    app, db, *_ = shop
    with app.app_context():
        row = db.session.query(model).filter_by(**where).one()
        return {
            "value": row.pricing_value, "floor": getattr(row, "margin_floor_bp", None),
            "steps": [step.percent_bp for step in getattr(row, "steps", [])],
            "variants": [variant.pricing_value for variant in row.variants],
            "downsell": row.downsell.pricing_value if getattr(row, "downsell", None) is not None else None,
        }


def count(shop, model):
    app, db, *_ = shop
    with app.app_context():
        return db.session.query(model).count()


# -- the API takes and answers percent; the columns keep basis points ------------------------------------

def test_every_percent_field_goes_in_and_comes_back_in_percent_and_is_stored_in_basis_points(shop, admin):
    bundle = admin.post(f"{API}/bundles", json=BUNDLE)
    assert bundle.status_code == 201, bundle.json
    assert (bundle.json["discount_percent"], bundle.json["pricing_value"], bundle.json["margin_floor_percent"]) == (
        12.5, None, 7.5)
    assert [v["discount_percent"] for v in bundle.json["variants"]] == [None, 15]
    assert "margin_floor_bp" not in bundle.json and "percent_bp" not in str(bundle.json)
    assert stored(shop, models.Bundle)["value"] == 1250
    assert stored(shop, models.Bundle)["floor"] == 750
    assert stored(shop, models.Bundle)["variants"] == [None, 1500]

    volume = admin.post(f"{API}/volume-discounts", json=VOLUME)
    assert volume.status_code == 201, volume.json
    assert volume.json["tiers"] == VOLUME["tiers"]
    assert stored(shop, models.VolumeRule)["steps"] == [1000, 1225]

    offer = admin.post(f"{API}/post-purchase-offers", json=OFFER)
    assert offer.status_code == 201, offer.json
    assert (offer.json["discount_percent"], offer.json["downsell"]["discount_percent"]) == (20, 5.5)
    assert offer.json["variants"][1]["discount_percent"] == 33.33
    assert stored(shop, PostPurchaseOffer, parent_id=None) == {
        "value": 2000, "floor": None, "steps": [], "variants": [None, 3333], "downsell": 550}

    for kind, record in (("bundles", bundle.json), ("volume-discounts", volume.json),
                         ("post-purchase-offers", offer.json)):
        assert admin.get(f"{API}/{kind}/{record['id']}").json == dict(record, status="active")
        assert admin.get(f"{API}/{kind}").json["items"][0]["id"] == record["id"]
        assert admin.get(f"{API}/{kind}").json["items"][0].get("discount_percent") == record.get("discount_percent")

    ended = admin.patch(f"{API}/bundles/{bundle.json['id']}", json={"variants": []})  # one price for every visitor
    assert ended.status_code == 200, ended.json
    app, db, tsuide, adapter = shop
    adapter.lines = {"healthfood": 3}
    with app.test_request_context():
        assert tsuide.quote(with_offers=False).discount_total == 1_125  # 12.5% of ¥9,000, not 1250% nor 0.125%


def test_amounts_stay_whole_numbers_in_minor_units(shop, admin):
    body = dict(BUNDLE, pricing_mode="amount_off", discount_percent=None, pricing_value=900,
                variants=[{"name": "A"}, {"name": "B", "pricing_value": 1200}])
    created = admin.post(f"{API}/bundles", json=body)
    assert created.status_code == 201, created.json
    assert (created.json["pricing_value"], created.json["discount_percent"]) == (900, None)
    assert [v["pricing_value"] for v in created.json["variants"]] == [None, 1200]
    assert stored(shop, models.Bundle)["value"] == 900


BAD_PERCENTAGES = [
    (12.345, "at most two decimals"), (-1, "greater than"), (100.5, "less than or equal to 100"),
    (True, "Send a number"), ("10", "not text"), ([10], "Send a number"), ({"percent": 10}, "Send a number"),
]
PERCENT_FIELDS = {
    "bundle": ("bundles", lambda v: dict(BUNDLE, discount_percent=v), lambda f: f["discount_percent"]),
    "tier": ("volume-discounts", lambda v: dict(VOLUME, tiers=[{"min_quantity": 2, "discount_percent": v}]),
             lambda f: f["tiers"]["0"]["discount_percent"]),
    "variant": ("bundles", lambda v: dict(BUNDLE, variants=[{"name": "A"}, {"name": "B", "discount_percent": v}]),
                lambda f: f["variants"]["1"]["discount_percent"]),
    "margin floor": ("bundles", lambda v: dict(BUNDLE, margin_floor_percent=v if v != 100.5 else 1000.5),
                     lambda f: f["margin_floor_percent"]),
    "offer": ("post-purchase-offers", lambda v: dict(OFFER, discount_percent=v), lambda f: f["discount_percent"]),
    "downsell": ("post-purchase-offers", lambda v: dict(OFFER, downsell=dict(OFFER["downsell"], discount_percent=v)),
                 lambda f: f["downsell"]["discount_percent"]),
}


@pytest.mark.parametrize("where", PERCENT_FIELDS)
@pytest.mark.parametrize(("value", "says"), BAD_PERCENTAGES, ids=[repr(v) for v, _ in BAD_PERCENTAGES])
def test_a_wrong_percentage_is_a_400_naming_its_field_and_writes_nothing(shop, admin, where, value, says):
    kind, body, field = PERCENT_FIELDS[where]
    response = admin.post(f"{API}/{kind}", json=body(value))
    assert response.status_code == 400, response.json
    assert says in " ".join(field(response.json["error"]["fields"])), response.json
    assert (count(shop, models.Rule), count(shop, PostPurchaseOffer), count(shop, AuditEntry)) == (0, 0, 0)


@pytest.mark.parametrize(("kind", "body", "field"), [
    ("bundles", dict(BUNDLE, discount_percent=0), lambda f: f["discount_percent"]),
    ("volume-discounts", dict(VOLUME, tiers=[{"min_quantity": 2, "discount_percent": 0}]),
     lambda f: f["tiers"]["0"]["discount_percent"]),
])
def test_zero_percent_off_a_set_or_a_tier_is_refused_by_name(shop, admin, kind, body, field):
    response = admin.post(f"{API}/{kind}", json=body)
    assert response.status_code == 400
    assert field(response.json["error"]["fields"]) == ["Must be greater than 0 and less than or equal to 100."]
    assert admin.post(f"{API}/post-purchase-offers", json=dict(OFFER, discount_percent=0)).status_code == 201


def test_the_engines_errors_name_the_field_of_the_records_unit():
    from plugin.admin.service import _api_names

    assert _api_names({"value": ["x"], "margin_floor_bp": ["y"]}, "percent_off") == {
        "discount_percent": ["x"], "margin_floor_percent": ["y"]}
    assert _api_names({"value": ["x"]}, "amount_off") == {"pricing_value": ["x"]}


def test_the_margin_floor_goes_up_to_1000_percent_and_a_discount_to_100(shop, admin):
    assert admin.post(f"{API}/bundles", json=dict(BUNDLE, margin_floor_percent=1000, variants=[])).status_code == 201
    assert admin.post(f"{API}/bundles", json=dict(BUNDLE, label="all", discount_percent=100, variants=[])).status_code == 201
    assert admin.post(f"{API}/bundles", json=dict(BUNDLE, discount_percent=0.01, variants=[])).status_code == 201


@pytest.mark.parametrize(("body", "field", "says"), [
    (dict(BUNDLE, discount_percent=None, pricing_value=1000), "pricing_value", "discount_percent"),
    (dict(BUNDLE, pricing_mode="amount_off", pricing_value=300), "discount_percent", "pricing_value"),
    (dict(BUNDLE, pricing_mode="fixed_price", discount_percent=None), "pricing_value", "Missing"),
    (dict(BUNDLE, variants=[{"name": "A"}, {"name": "B", "pricing_value": 1500}]), "variants", "discount_percent"),
])
def test_a_discount_in_the_other_unit_is_refused_not_reread(shop, admin, body, field, says):
    response = admin.post(f"{API}/bundles", json=body)
    assert response.status_code == 400
    assert says in str(response.json["error"]["fields"][field])
    assert count(shop, models.Rule) == 0


def test_a_change_keeps_the_saved_mode_and_a_new_mode_needs_its_discount(shop, admin):
    created = admin.post(f"{API}/bundles", json=dict(BUNDLE, variants=[])).json
    path = f"{API}/bundles/{created['id']}"
    changed = admin.patch(path, json={"discount_percent": 7.5})
    assert changed.status_code == 200 and changed.json["discount_percent"] == 7.5
    assert stored(shop, models.Bundle)["value"] == 750
    assert admin.patch(path, json={"pricing_value": 750}).status_code == 400  # 750 what? not reread as 7.5%
    refused = admin.patch(path, json={"pricing_mode": "amount_off"})
    assert refused.status_code == 400 and "pricing_value" in refused.json["error"]["fields"]
    assert stored(shop, models.Bundle)["value"] == 750  # not ¥750 off
    moved = admin.patch(path, json={"pricing_mode": "amount_off", "pricing_value": 500})
    assert moved.status_code == 200 and (moved.json["pricing_value"], moved.json["discount_percent"]) == (500, None)
    tested = admin.patch(path, json={"variants": [{"name": "A"}, {"name": "B", "discount_percent": 5}]})
    assert tested.status_code == 400 and "discount_percent" in str(tested.json["error"]["fields"]["variants"])


def test_the_audit_log_reads_in_percent_in_the_api(shop, admin):
    created = admin.post(f"{API}/bundles", json=dict(BUNDLE, variants=[])).json
    admin.patch(f"{API}/bundles/{created['id']}", json={"discount_percent": 15, "margin_floor_percent": None})
    entry = admin.get(f"{API}/audit").json["items"][0]
    assert (entry["before"]["discount_percent"], entry["after"]["discount_percent"]) == (12.5, 15)
    assert (entry["before"]["margin_floor_percent"], entry["after"]["margin_floor_percent"]) == (7.5, None)
    assert "1250" not in str(entry) and "margin_floor_bp" not in str(entry)


# -- export and import -----------------------------------------------------------------------------------

def test_the_export_is_in_percent_and_imports_back_the_same(shop, admin):
    admin.post(f"{API}/bundles", json=BUNDLE)
    admin.post(f"{API}/volume-discounts", json=VOLUME)
    admin.post(f"{API}/post-purchase-offers", json=OFFER)
    document = admin.get(f"{API}/export").json
    assert document["version"] == 2
    assert (document["bundles"][0]["discount_percent"], document["bundles"][0]["margin_floor_percent"]) == (12.5, 7.5)
    assert document["volume-discounts"][0]["tiers"] == VOLUME["tiers"]
    assert document["post-purchase-offers"][0]["downsell"]["discount_percent"] == 5.5
    before = [stored(shop, model, deleted_at=None) for model in (models.Bundle, models.VolumeRule)]
    imported = admin.post(f"{API}/import", json=document)
    assert imported.status_code == 200, imported.json
    assert [stored(shop, model, deleted_at=None) for model in (models.Bundle, models.VolumeRule)] == before


def test_a_version_1_export_in_basis_points_is_read_as_percent(shop, admin):
    old = {"format": "tsuide-settings", "version": 1,
           "bundles": [{"label": "3袋", "items": [{"product_id": "healthfood", "quantity": 3}],
                        "pricing_mode": "percent_off", "pricing_value": 1250, "margin_floor_bp": 750,
                        "variants": [{"name": "A", "pricing_value": None}, {"name": "B", "pricing_value": 1500}]},
                       {"label": "set", "items": [{"product_id": "spray"}, {"product_id": "brush"}],
                        "pricing_mode": "amount_off", "pricing_value": 300}],
           "volume-discounts": [{"label": "小物", "categories": ["accessories"],
                                 "tiers": [{"min_quantity": 2, "percent_bp": 1000}]}],
           "post-purchase-offers": [{"label": "Care", "kind": "add_on", "items": [{"product_id": "spray"}],
                                     "trigger_products": ["sneakers"], "pricing_value": 2000,
                                     "downsell": {"label": "B", "kind": "add_on", "items": [{"product_id": "brush"}],
                                                  "trigger_products": ["sneakers"], "pricing_value": 550}}]}
    response = admin.post(f"{API}/import", json=old)
    assert response.status_code == 200, response.json
    app, db, *_ = shop
    with app.app_context():
        bundles = {row.label: (row.pricing_value, row.margin_floor_bp, [v.pricing_value for v in row.variants])
                   for row in db.session.query(models.Bundle)}
        assert bundles == {"3袋": (1250, 750, [None, 1500]), "set": (300, None, [])}
        assert [step.percent_bp for step in db.session.query(models.VolumeRule).one().steps] == [1000]
    assert stored(shop, PostPurchaseOffer, parent_id=None) == {
        "value": 2000, "floor": None, "steps": [], "variants": [], "downsell": 550}
    listed = admin.get(f"{API}/bundles").json["items"]
    assert sorted(item["discount_percent"] or 0 for item in listed) == [0, 12.5]


@pytest.mark.parametrize("version", [None, 3, "2", True])
def test_an_export_without_a_known_version_is_refused_with_a_message(shop, admin, version):
    document = {"format": "tsuide-settings", "bundles": [dict(BUNDLE, variants=[])]}
    if version is not None:
        document["version"] = version
    response = admin.post(f"{API}/import", json=document)
    assert response.status_code == 400
    assert "versions 1 and 2" in response.json["error"]["fields"]["version"][0]
    assert count(shop, models.Rule) == 0


# -- the models take percent too --------------------------------------------------------------------------

def test_the_models_take_percent_and_keep_basis_points(shop):
    app, db, tsuide, adapter = shop
    with app.app_context():
        db.session.add(models.Bundle(
            label="3袋", discount_percent=12.5, margin_floor_percent=7.5,
            items=[models.RuleItem(product_id="healthfood", quantity=3)],
            variants=[models.Variant(name="A"), models.Variant(name="B", discount_percent=15)]))
        db.session.add(models.VolumeRule(label="小物", categories=[models.RuleCategory(category="accessories")],
                                         steps=[models.RuleStep(threshold=2, discount_percent=10)]))
        db.session.add(PostPurchaseOffer(kind="add_on", label="Care", discount_percent=20,
                                         items=[PostPurchaseItem(product_id="spray")],
                                         triggers=[PostPurchaseTrigger(product_id="sneakers")]))
        db.session.commit()
        bundle = db.session.query(models.Bundle).one()
        assert (bundle.pricing_mode, bundle.pricing_value, bundle.margin_floor_bp) == ("percent_off", 1250, 750)
        assert (bundle.discount_percent, bundle.margin_floor_percent) == (12.5, 7.5)
        assert [variant.pricing_value for variant in bundle.variants] == [None, 1500]
        assert db.session.query(models.RuleStep).one().percent_bp == 1000
        offer = db.session.query(PostPurchaseOffer).one()
        assert (offer.pricing_mode, offer.pricing_value, offer.discount_percent) == ("percent_off", 2000, 20)
    adapter.lines = {"healthfood": 3}
    with app.test_request_context():
        assert tsuide.quote(with_offers=False).discount_total in (1_125, 1_350)  # 12.5% or the variant's 15%


def test_a_model_refuses_percent_it_cannot_keep_exactly_or_in_the_wrong_mode(shop):
    app, db, *_ = shop
    with pytest.raises(RuleError) as error:
        models.Bundle(label="x", discount_percent=12.345)
    assert "two decimals" in str(error.value.errors["discount_percent"])
    for keywords in ({"discount_percent": 10, "pricing_mode": "amount_off"},
                     {"pricing_mode": "fixed_price", "discount_percent": 10},
                     {"discount_percent": 10, "pricing_value": 1000}):
        with pytest.raises(RuleError) as error:
            models.Bundle(label="x", **keywords)
        assert "discount_percent" in error.value.errors
    with app.app_context():
        db.session.add(models.Bundle(label="x", pricing_mode="amount_off", pricing_value=300,
                                     items=[models.RuleItem(product_id="spray"), models.RuleItem(product_id="brush")],
                                     variants=[models.Variant(name="A"), models.Variant(name="B", discount_percent=10)]))
        with pytest.raises(RuleError) as error:
            db.session.commit()
        assert "discount_percent is for a percent-off offer" in str(error.value.errors["variants"])
        db.session.rollback()
        assert db.session.query(models.Rule).count() == 0


# -- the forms: one price input, read in the unit of its mode --------------------------------------------

def test_the_form_shows_percent_and_puts_a_percent_error_next_to_the_price_input(shop, admin):
    created = admin.post(f"{API}/bundles", json=dict(BUNDLE, variants=[])).json
    page = admin.get(f"{ADMIN}/bundles/{created['id']}").get_data(as_text=True)
    assert re.search(r'name="pricing_value" type="text" value="12.5"', page)
    assert re.search(r'name="margin_floor_percent" type="text" value="7.5"', page)
    token = TOKEN.search(page).group(1)
    form = {"csrf_token": token, "label": "3袋", "items-0-product_id": "healthfood", "items-0-quantity": "3",
            "pricing_mode": "percent_off", "pricing_value": "150", "priority": "0", "action": "save"}
    refused = admin.post(f"{ADMIN}/bundles/new", data=form, headers={"Accept-Language": "en"})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert 'id="pricing_value-error"' in html and 'id="discount_percent-error"' not in html
    assert count(shop, models.Rule) == 1
