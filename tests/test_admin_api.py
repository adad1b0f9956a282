"""The admin's JSON API: closed by default, CSRF on writes, every field validated, 409 on stale edits."""
import pytest

from plugin import models
from plugin.storage.audit import AuditEntry
from shop import csrf_client

API = "/tsuide/admin/api"
BUNDLE = {"label": "3袋セット", "label_en": "3-bag set", "items": [{"product_id": "healthfood", "quantity": 3}],
          "pricing_mode": "percent_off", "discount_percent": 10}


@pytest.fixture
def shop(admin_shop):
    return admin_shop


@pytest.fixture
def admin(shop):
    """A test client with a CSRF token bound to its session, sent on every write."""
    app = shop[0]
    client = csrf_client(app)
    return client


def rows(shop, model):
    app, db, *_ = shop
    with app.app_context():
        return db.session.query(model).count()


def test_the_admin_is_closed_until_the_shop_opens_it(shop, admin):
    shop[3].admin = False
    response = admin.get(f"{API}/bundles")
    assert response.status_code == 403
    assert "is_admin()" in response.json["error"]["message"]
    assert admin.post(f"{API}/bundles", json=BUNDLE).status_code == 403
    assert rows(shop, models.Rule) == 0


def test_a_write_without_the_csrf_token_is_400(shop):
    client = shop[0].test_client()
    response = client.post(f"{API}/bundles", json=BUNDLE)
    assert response.status_code == 400
    assert "CSRF" in response.json["error"]["message"]
    assert rows(shop, models.Rule) == 0


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_change_or_delete_without_the_csrf_token_is_400_and_changes_nothing(shop, admin, method):
    created = admin.post(f"{API}/bundles", json=BUNDLE).json
    admin.environ_base.pop("HTTP_X_CSRFTOKEN")  # the admin's own session, a forged request without the token
    response = getattr(admin, method)(f"{API}/bundles/{created['id']}",
                                      json=dict(BUNDLE, label="forged", version=created["version"]))
    assert response.status_code == 400
    assert "CSRF" in response.json["error"]["message"]
    after = admin.get(f"{API}/bundles/{created['id']}").json
    assert (after["label"], after["status"], after["version"]) == ("3袋セット", "active", 1)


def test_create_read_and_price_with_a_bundle(shop, admin):
    response = admin.post(f"{API}/bundles", json=BUNDLE)
    assert response.status_code == 201, response.json
    created = response.json
    assert created["version"] == 1 and response.headers["ETag"] == '"1"'
    assert admin.get(f"{API}/bundles/{created['id']}").json["status"] == "active"
    app, db, tsuide, adapter = shop
    adapter.lines = {"healthfood": 3}
    with app.test_request_context():
        assert tsuide.quote().total == 8_100


@pytest.mark.parametrize(("kind", "body", "fields"), [
    ("bundles", {}, {"label", "items", "pricing_mode"}),
    ("bundles", dict(BUNDLE, discount_percent=None), {"discount_percent"}),
    ("bundles", dict(BUNDLE, items=[]), {"items"}),
    ("bundles", dict(BUNDLE, discount_percent=-1), {"discount_percent"}),
    ("bundles", dict(BUNDLE, pricing_mode="amount_off", discount_percent=None, pricing_value=-1), {"pricing_value"}),
    ("bundles", dict(BUNDLE, pricing_mode="half_off"), {"pricing_mode"}),
    ("bundles", dict(BUNDLE, discount_percent=100.01), {"discount_percent"}),
    ("bundles", dict(BUNDLE, items=[{"product_id": "healthfood", "quantity": 0}]), {"items"}),
    ("bundles", dict(BUNDLE, items=[{"product_id": "a"}, {"product_id": "a"}]), {"items"}),
    ("bundles", dict(BUNDLE, starts_at="2026-12-01T00:00:00+09:00", ends_at="2026-11-01T00:00:00+09:00"),
     {"ends_at"}),
    ("bundles", dict(BUNDLE, global_cap=0), {"global_cap"}),
    ("bundles", dict(BUNDLE, colour="red"), {"colour"}),
    ("volume-discounts", {"label": "Tiers", "tiers": [{"min_quantity": 2, "discount_percent": 10}]}, {"product_ids"}),
    ("volume-discounts", {"label": "Tiers", "categories": ["accessories"], "tiers": []}, {"tiers"}),
    ("volume-discounts", {"label": "Tiers", "categories": ["accessories"],
                          "tiers": [{"min_quantity": 2, "discount_percent": 20}, {"min_quantity": 3, "discount_percent": 10}]},
     {"tiers"}),
    ("shipping-thresholds", {"label": "Free", "currency": "yen", "threshold": 0, "fee": -1},
     {"currency", "threshold", "fee"}),
    ("shipping-thresholds", {"label": "Free", "currency": "JPY", "threshold": 5000, "fee": 600,
                             "rewards": [{"threshold": 4000, "label": "gift"}]}, {"rewards"}),
    ("post-purchase-offers", {"label": "Up", "kind": "upgrade", "items": [{"product_id": "healthfood"}]},
     {"replaces_product_id"}),
    ("post-purchase-offers", {"label": "Add", "kind": "add_on", "items": [{"product_id": "spray"}],
                              "min_order_total": 5000, "max_order_total": 100}, {"max_order_total"}),
    ("post-purchase-offers", {"label": "Add", "kind": "add_on", "items": [{"product_id": "spray"}]},
     {"trigger_products"}),
])
def test_every_validation_rule_names_its_field_and_writes_nothing(shop, admin, kind, body, fields):
    response = admin.post(f"{API}/{kind}", json=body)
    assert response.status_code == 400, response.json
    assert fields <= response.json["error"]["fields"].keys()
    assert rows(shop, models.Rule) == 0
    assert rows(shop, AuditEntry) == 0


def test_overlapping_volume_discounts_are_refused(shop, admin):
    tiers = [{"min_quantity": 2, "discount_percent": 10}]
    assert admin.post(f"{API}/volume-discounts", json={"label": "A", "categories": ["accessories"],
                                                       "tiers": tiers}).status_code == 201
    response = admin.post(f"{API}/volume-discounts", json={"label": "B", "categories": ["accessories"],
                                                           "tiers": tiers})
    assert response.status_code == 400 and "categories" in response.json["error"]["fields"]


def test_two_admins_editing_one_record_get_a_409_not_a_silent_overwrite(shop, admin):
    created = admin.post(f"{API}/bundles", json=BUNDLE).json
    first = admin.patch(f"{API}/bundles/{created['id']}", json={"discount_percent": 15, "version": 1})
    assert first.status_code == 200 and first.json["version"] == 2
    second = admin.patch(f"{API}/bundles/{created['id']}", json={"discount_percent": 5},
                         headers={"If-Match": '"1"'})
    assert second.status_code == 409
    assert "someone else changed it" in second.json["error"]["message"]
    assert admin.get(f"{API}/bundles/{created['id']}").json["discount_percent"] == 15


def test_pause_resume_duplicate_delete_and_restore(shop, admin):
    created = admin.post(f"{API}/bundles", json=BUNDLE).json
    path = f"{API}/bundles/{created['id']}"
    assert admin.post(f"{path}/pause").json["paused"] is True
    assert admin.get(f"{API}/bundles?status=paused").json["total"] == 1
    assert admin.post(f"{path}/resume").json["paused"] is False
    copy = admin.post(f"{path}/duplicate")
    assert copy.status_code == 201
    assert (copy.json["label"], copy.json["paused"]) == ("3袋セット (copy)", True)
    assert admin.delete(path).status_code == 200
    assert admin.get(f"{API}/bundles").json["total"] == 1  # the copy; deleted ones are listed on request
    assert admin.get(f"{API}/bundles?status=deleted").json["items"][0]["id"] == created["id"]
    assert admin.post(f"{path}/restore").json["deleted_at"] is None
    assert admin.get(f"{API}/bundles").json["total"] == 2


def test_lists_page_and_filter_by_status(shop, admin):
    for index in range(5):
        admin.post(f"{API}/bundles", json=dict(BUNDLE, label=f"Set {index}"))
    admin.post(f"{API}/bundles", json=dict(BUNDLE, label="Later", starts_at="2099-01-01T00:00:00+00:00"))
    admin.post(f"{API}/bundles", json=dict(BUNDLE, label="Over", ends_at="2001-01-01T00:00:00+00:00"))
    page = admin.get(f"{API}/bundles?per_page=3&page=2").json
    assert (page["total"], len(page["items"]), page["page"]) == (7, 3, 2)
    assert [item["label"] for item in admin.get(f"{API}/bundles?status=scheduled").json["items"]] == ["Later"]
    assert [item["label"] for item in admin.get(f"{API}/bundles?status=expired").json["items"]] == ["Over"]
    assert admin.get(f"{API}/bundles?status=active").json["total"] == 5
    assert admin.get(f"{API}/bundles?per_page=1000").status_code == 400


def test_the_audit_log_says_who_changed_what_before_and_after(shop, admin):
    created = admin.post(f"{API}/bundles", json=BUNDLE).json
    admin.patch(f"{API}/bundles/{created['id']}", json={"discount_percent": 15})
    log = admin.get(f"{API}/audit").json["items"]
    assert [(entry["action"], entry["actor"]) for entry in log] == [
        ("update", "hanako@shop.example"), ("create", "hanako@shop.example")
    ]
    assert (log[0]["before"]["discount_percent"], log[0]["after"]["discount_percent"]) == (10, 15)


def test_settings_override_the_config_and_change_what_shoppers_see(shop, admin):
    assert admin.get(f"{API}/settings").json["max_cart_offers"] == 2
    response = admin.put(f"{API}/settings", json={"max_cart_offers": 1, "post_purchase_minutes": 30})
    assert response.status_code == 200 and response.json["max_cart_offers"] == 1
    assert admin.put(f"{API}/settings", json={"max_cart_offers": 99}).status_code == 400
    app, db, tsuide, adapter = shop
    with app.test_request_context():
        assert tsuide.setting("TSUIDE_MAX_CART_OFFERS") == 1


def test_export_and_import_move_everything_all_or_nothing(shop, admin, make_shop, database_url):
    admin.post(f"{API}/bundles", json=BUNDLE)
    admin.post(f"{API}/shipping-thresholds", json={"label": "Free", "currency": "JPY", "threshold": 5000,
                                                   "fee": 600, "rewards": [{"threshold": 20000, "label": "gift"}]})
    admin.post(f"{API}/post-purchase-offers", json={
        "label": "Care", "kind": "add_on", "items": [{"product_id": "spray"}], "trigger_products": ["sneakers"],
        "discount_percent": 20, "downsell": {"label": "Spray", "kind": "add_on", "items": [{"product_id": "brush"}],
                                            "trigger_products": ["sneakers"]}})
    admin.put(f"{API}/settings", json={"max_gap_fillers": 3})
    document = admin.get(f"{API}/export").json
    assert [len(document[kind]) for kind in ("bundles", "shipping-thresholds", "post-purchase-offers")] == [1, 1, 1]

    broken = dict(document, bundles=[dict(BUNDLE, discount_percent=-5)])
    response = admin.post(f"{API}/import", json=broken)
    assert response.status_code == 400 and "bundles" in response.json["error"]["fields"]
    assert admin.get(f"{API}/bundles").json["total"] == 1  # nothing changed

    response = admin.post(f"{API}/import", json=document)
    assert response.status_code == 200, response.json
    assert response.json["created"] == {"bundles": 1, "volume-discounts": 0, "buy-x-get-y": 0,
                                        "shipping-thresholds": 1, "post-purchase-offers": 1,
                                        "spend-discounts": 0, "free-gifts": 0}
    assert admin.get(f"{API}/bundles").json["total"] == 1
    assert admin.get(f"{API}/bundles?status=deleted").json["total"] == 1  # the replaced one can be restored
    imported = admin.get(f"{API}/post-purchase-offers").json["items"][0]
    assert imported["downsell"]["label"] == "Spray"


def test_features_the_adapter_leaves_off_are_listed(shop, admin):
    off = admin.get(f"{API}/features").json["off"]
    assert off["amend_order"] == "one-click post-purchase offers"
    assert "search_products" not in off


def test_the_product_picker_searches_the_shop(shop, admin):
    found = admin.get(f"{API}/products?q=spray").json["items"]
    assert [item["id"] for item in found] == ["spray"]


def test_the_openapi_document_describes_every_kind(shop, admin):
    document = admin.get(f"{API}/openapi.json").json
    assert document["openapi"] == "3.0.3"
    assert {"/bundles", "/bundles/{record_id}", "/settings", "/import"} <= document["paths"].keys()
    assert "pricing_mode" in document["components"]["schemas"]["Bundle"]["properties"]


def test_editing_a_records_items_keeps_its_history_straight(shop, admin):
    created = admin.post(f"{API}/bundles", json=BUNDLE).json
    changed = admin.put(f"{API}/bundles/{created['id']}", json=dict(
        BUNDLE, items=[{"product_id": "healthfood", "quantity": 2}, {"product_id": "spray", "quantity": 1}]))
    assert changed.status_code == 200, changed.json
    assert changed.json["items"] == [{"product_id": "healthfood", "quantity": 2}, {"product_id": "spray",
                                                                                 "quantity": 1}]
    tiers = {"label": "T", "categories": ["accessories"],
             "tiers": [{"min_quantity": 2, "discount_percent": 10}, {"min_quantity": 2, "discount_percent": 20}]}
    assert admin.post(f"{API}/volume-discounts", json=tiers).status_code == 400


def test_removing_a_downsell_never_turns_it_into_an_offer_of_its_own(shop, admin):
    offer = {"label": "Care", "kind": "add_on", "items": [{"product_id": "spray"}], "trigger_products": ["sneakers"],
             "downsell": {"label": "Brush", "kind": "add_on", "items": [{"product_id": "brush"}],
                          "trigger_products": ["sneakers"]}}
    created = admin.post(f"{API}/post-purchase-offers", json=offer).json
    changed = admin.patch(f"{API}/post-purchase-offers/{created['id']}", json={"downsell": None})
    assert changed.status_code == 200 and changed.json["downsell"] is None
    assert admin.get(f"{API}/post-purchase-offers").json["total"] == 1
    back = admin.patch(f"{API}/post-purchase-offers/{created['id']}", json={"downsell": offer["downsell"]})
    assert back.json["downsell"]["label"] == "Brush"


def test_an_exclusive_bundle_keeps_a_stackable_discount_off_its_units(shop, admin):
    pair = {"label": "靴ケアセット", "items": [{"product_id": "spray", "quantity": 1}, {"product_id": "brush", "quantity": 1}],
            "pricing_mode": "amount_off", "pricing_value": 300}
    created = admin.post(f"{API}/bundles", json=dict(pair, exclusive=True))
    assert created.status_code == 201, created.json
    assert created.json["exclusive"] is True
    stacked = {"label": "シューケア10%", "categories": ["shoe-care"], "stackable": True,
               "tiers": [{"min_quantity": 2, "discount_percent": 10}]}
    assert admin.post(f"{API}/volume-discounts", json=stacked).status_code == 201
    app, db, tsuide, adapter = shop
    adapter.lines = {"spray": 1, "brush": 1}
    with app.test_request_context():
        exclusive_quote = tsuide.quote(with_offers=False)
    assert exclusive_quote.discount_total == 300  # the 10% never stacks on the set's units
    version = admin.get(f"{API}/bundles/{created.json['id']}").json["version"]
    edited = admin.patch(f"{API}/bundles/{created.json['id']}", json={"exclusive": False},
                         headers={"If-Match": f'"{version}"'})
    assert edited.status_code == 200, edited.json
    with app.test_request_context():
        stacked_quote = tsuide.quote(with_offers=False)
    # ¥2,300 less ¥300 leaves ¥2,000 on the two units; 10% of that stacks: ¥200.
    assert stacked_quote.discount_total == 500
    assert "exclusive" in admin.get(f"{API}/export").json["bundles"][0]
