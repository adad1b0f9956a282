"""The admin can be trusted: categories from the shop, a rule linter, urgency only when true, price tests confirmed."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from shop import MemoryAdapter

from plugin import models
from shop import csrf_client

API = "/tsuide/admin/api"
ADMIN = "/tsuide/admin"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
SHOE_CARE = {"label": "シューケアまとめ買い", "categories": ["shoe-care"], "tiers": [{"min_quantity": 2, "discount_percent": 10}]}
PAIR = {"label": "お手入れセット", "items": [{"product_id": "spray"}, {"product_id": "brush"}],
        "pricing_mode": "percent_off", "discount_percent": 10}


class CategoryAdapter(MemoryAdapter):
    """A shop that lists its categories: id -> display name."""

    admin = True
    shop_categories = {"food": "健康食品", "shoes": "靴", "shoe-care": "シューケア", "camera": "カメラ",
                       "accessories": "小物"}

    def categories(self):
        return list(self.shop_categories.items())


@pytest.fixture
def shop(database_url, make_shop):
    return make_shop(database_url, adapter=CategoryAdapter())


def client_with_token(app):
    client = csrf_client(app)
    return client


@pytest.fixture
def admin(shop):
    return client_with_token(shop[0])


def codes(record):
    return [warning["code"] for warning in record["warnings"]]


def later(days):
    return (datetime.now(timezone.utc) + timedelta(days=days)).isoformat()


# -- categories from the shop ----------------------------------------------------------------------------

def test_a_category_by_its_display_name_is_refused_naming_the_field(admin):
    response = admin.post(f"{API}/volume-discounts", json=dict(SHOE_CARE, categories=["シューケア"]))
    assert response.status_code == 400
    assert "シューケア" in response.json["error"]["fields"]["categories"][0]
    created = admin.post(f"{API}/volume-discounts", json=SHOE_CARE)
    assert created.status_code == 201 and created.json["warnings"] == []


def test_an_unknown_product_is_refused_in_every_field_that_names_products(admin):
    response = admin.post(f"{API}/bundles", json=dict(PAIR, items=[{"product_id": "spray"}, {"product_id": "nope"}]))
    assert response.status_code == 400 and "nope" in response.json["error"]["fields"]["items"][0]
    response = admin.post(f"{API}/volume-discounts", json={"label": "x", "product_ids": ["ghost"],
                                                           "tiers": SHOE_CARE["tiers"]})
    assert set(response.json["error"]["fields"]) == {"product_ids"}
    response = admin.post(f"{API}/post-purchase-offers", json={
        "label": "x", "kind": "add_on", "items": [{"product_id": "spray"}], "trigger_products": ["ghost"],
        "trigger_categories": ["靴"]})
    assert set(response.json["error"]["fields"]) == {"trigger_products", "trigger_categories"}
    assert admin.get(f"{API}/volume-discounts").json["total"] == 0


def test_without_categories_in_the_adapter_categories_are_typed_and_not_checked(database_url, make_shop):
    app, _, _, adapter = make_shop(database_url)
    adapter.admin = True
    client = client_with_token(app)
    assert "categories" in client.get(f"{API}/features").json["off"]
    assert client.post(f"{API}/volume-discounts", json=dict(SHOE_CARE, categories=["anything"])).status_code == 201
    page = client.get(f"{ADMIN}/volume-discounts/new").get_data(as_text=True)
    assert "data-category-picker" not in page and 'name="categories" type="text"' in page


def test_the_form_offers_a_picker_of_display_names_and_saves_the_ids(shop, admin):
    page = admin.get(f"{ADMIN}/volume-discounts/new").get_data(as_text=True)
    assert 'data-category-picker' in page and '<option value="shoe-care">シューケア</option>' in page
    token = TOKEN.search(page).group(1)
    form = {"csrf_token": token, "label": "まとめ買い", "categories": ["shoe-care", "accessories"],
            "tiers-0-min_quantity": "2", "tiers-0-discount_percent": "10", "priority": "0", "action": "save"}
    response = admin.post(f"{ADMIN}/volume-discounts/new", data=form)
    assert response.status_code == 302
    saved = admin.get(f"{API}/volume-discounts").json["items"][0]
    assert sorted(saved["categories"]) == ["accessories", "shoe-care"]
    refused = admin.post(f"{ADMIN}/volume-discounts/new", data=dict(form, categories="シューケア"))
    assert refused.status_code == 400
    assert "ショップにカテゴリー「シューケア」はありません" in refused.get_data(as_text=True)


# -- the linter ------------------------------------------------------------------------------------------

def test_dead_rules_deleted_and_out_of_stock_products_and_categories(shop, admin):
    adapter = shop[3]
    sold_out = admin.post(f"{API}/bundles", json=dict(PAIR, items=[{"product_id": "scarf"}, {"product_id": "tote"}]))
    assert sold_out.status_code == 201 and codes(sold_out.json) == ["out_of_stock"]
    assert {"ja", "en"} <= sold_out.json["warnings"][0]["message"].keys()
    bundle = admin.post(f"{API}/bundles", json=PAIR).json
    volume = admin.post(f"{API}/volume-discounts", json={"label": "カメラ", "categories": ["camera"],
                                                         "tiers": SHOE_CARE["tiers"]}).json
    assert bundle["warnings"] == [] and volume["warnings"] == []
    del adapter.catalogue["brush"]  # the shop stops selling it
    adapter.shop_categories = {k: v for k, v in adapter.shop_categories.items() if k != "camera"}
    for pid in ("camera", "lens", "tripod", "sdcard"):
        del adapter.catalogue[pid]
    assert codes(admin.get(f"{API}/bundles/{bundle['id']}").json) == ["unknown_product", "unreachable"]
    volume_codes = codes(admin.get(f"{API}/volume-discounts/{volume['id']}").json)
    assert volume_codes == ["unknown_category", "unreachable"]


def test_a_rule_shadowed_on_its_own_smallest_cart(admin):
    weak = admin.post(f"{API}/bundles", json=PAIR).json
    strong = admin.post(f"{API}/bundles", json=dict(PAIR, label="30%", discount_percent=30)).json
    assert codes(admin.get(f"{API}/bundles/{weak['id']}").json) == ["shadowed"]
    assert "30%" in admin.get(f"{API}/bundles/{weak['id']}").json["warnings"][0]["message"]["en"]
    assert codes(strong) == []
    # Stacking on top of it, the weak one applies again.
    patched = admin.patch(f"{API}/bundles/{weak['id']}", json={"stackable": True})
    assert codes(patched.json) == []


def test_a_volume_tier_shadowed_by_a_bundle_on_the_cheapest_counted_products(admin):
    volume = admin.post(f"{API}/volume-discounts", json={"label": "ブラシ2本", "product_ids": ["brush"],
                                                         "tiers": [{"min_quantity": 2, "discount_percent": 5}]}).json
    admin.post(f"{API}/bundles", json={"label": "ブラシ2本セット", "items": [{"product_id": "brush", "quantity": 2}],
                                       "pricing_mode": "percent_off", "discount_percent": 20})
    assert codes(admin.get(f"{API}/volume-discounts/{volume['id']}").json) == ["shadowed"]


def test_duplicates_with_overlapping_schedules_but_not_apart(admin):
    first = admin.post(f"{API}/bundles", json=dict(PAIR, ends_at=later(30))).json
    second = admin.post(f"{API}/bundles", json=dict(PAIR, label="again", starts_at=later(10))).json
    assert "duplicate" in codes(second) and "duplicate" in codes(admin.get(f"{API}/bundles/{first['id']}").json)
    moved = admin.patch(f"{API}/bundles/{second['id']}", json={"starts_at": later(31)})
    assert "duplicate" not in codes(moved.json)


def test_below_the_margin_floor_per_rule_and_shop_wide(database_url, make_shop):
    app, *_ = make_shop(database_url, adapter=CategoryAdapter(), TSUIDE_MARGIN_FLOOR_PERCENT=50)
    admin = client_with_token(app)
    socks = {"label": "靴下", "product_ids": ["socks"], "tiers": [{"min_quantity": 2, "discount_percent": 60}]}
    assert codes(admin.post(f"{API}/volume-discounts", json=socks).json) == ["below_margin"]  # 400 < 300 + 50%
    set_of_three = {"label": "3袋", "items": [{"product_id": "healthfood", "quantity": 3}],
                    "pricing_mode": "percent_off", "discount_percent": 30, "margin_floor_percent": 0}
    assert codes(admin.post(f"{API}/bundles", json=set_of_three).json) == []  # 6,300 over cost 3,600
    deep = admin.post(f"{API}/bundles", json=dict(set_of_three, label="7割", discount_percent=70)).json
    assert codes(deep) == ["below_margin"] and deep["warnings"][0]["fields"] == ["discount_percent"]


def test_a_price_test_needs_confirming_and_is_flagged(admin):
    test = dict(PAIR, variants=[{"name": "A"}, {"name": "B", "discount_percent": 20}])
    refused = admin.post(f"{API}/bundles", json=test)
    assert refused.status_code == 400 and "confirm_price_test" in refused.json["error"]["fields"]
    saved = admin.post(f"{API}/bundles", json=dict(test, confirm_price_test=True))
    assert saved.status_code == 201 and "price_test" in codes(saved.json)
    copy_only = admin.post(f"{API}/bundles", json=dict(PAIR, label="copy", priority=5, variants=[
        {"name": "A"}, {"name": "B", "label": "お得なセット"}]))
    assert copy_only.status_code == 201 and "price_test" not in codes(copy_only.json)
    assert admin.patch(f"{API}/bundles/{saved.json['id']}", json={"priority": 3}).status_code == 200


def test_a_variant_whose_rule_is_shadowed_starves(admin):
    admin.post(f"{API}/bundles", json=dict(PAIR, label="8%", discount_percent=8))
    test = admin.post(f"{API}/bundles", json=dict(PAIR, variants=[{"name": "A"}, {"name": "B", "discount_percent": 5}],
                                                  confirm_price_test=True)).json
    assert "starved_variant" in codes(test)
    starved = next(w for w in test["warnings"] if w["code"] == "starved_variant")
    assert "B" in starved["message"]["en"] and starved["fields"] == ["variants"]


def test_a_variant_with_no_weight_starves(shop, admin):
    test = admin.post(f"{API}/bundles", json=dict(PAIR, variants=[{"name": "A"}, {"name": "B"}])).json
    app, db, *_ = shop
    with app.app_context():
        db.session.query(models.Variant).filter_by(name="B").update({"weight": 0})
        db.session.commit()
    assert codes(admin.get(f"{API}/bundles/{test['id']}").json) == ["starved_variant"]


def test_warnings_in_the_list_the_badge_the_import_and_the_openapi_schema(admin):
    admin.post(f"{API}/bundles", json=dict(PAIR, items=[{"product_id": "scarf"}, {"product_id": "tote"}]))
    admin.post(f"{API}/bundles", json=dict(PAIR, label="fine", items=[{"product_id": "cap"}, {"product_id": "tote"}]))
    listing = admin.get(f"{API}/bundles").json["items"]
    assert [codes(item) for item in listing] == [[], ["out_of_stock"]]
    page = admin.get(f"{ADMIN}/bundles/").get_data(as_text=True)
    assert page.count("data-lint-count=") == 1 and 'data-lint-count="1"' in page
    exported = admin.get(f"{API}/export").json
    imported = admin.post(f"{API}/import", json=exported).json
    assert [found for found in imported["warnings"]["bundles"].values()][0][0]["code"] == "out_of_stock"
    schema = admin.get(f"{API}/openapi.json").json["components"]["schemas"]["Bundle"]
    assert schema["properties"]["warnings"]["readOnly"] is True


def test_the_form_saves_and_shows_the_linters_warnings(admin):
    page = admin.get(f"{ADMIN}/bundles/new").get_data(as_text=True)
    form = {"csrf_token": TOKEN.search(page).group(1), "label": "スカーフ", "items-0-product_id": "scarf",
            "items-1-product_id": "tote", "pricing_mode": "percent_off", "pricing_value": "10", "priority": "0",
            "action": "save"}
    response = admin.post(f"{ADMIN}/bundles/new", data=form)
    assert response.status_code == 302 and "notice=linted" in response.headers["Location"]
    shown = admin.get(response.headers["Location"], headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert 'data-lint-code="out_of_stock"' in shown and "在庫切れ" in shown


def test_the_form_asks_to_confirm_a_price_test(admin):
    page = admin.get(f"{ADMIN}/bundles/new").get_data(as_text=True)
    form = {"csrf_token": TOKEN.search(page).group(1), "label": "テスト", "items-0-product_id": "spray",
            "items-1-product_id": "brush", "pricing_mode": "percent_off", "pricing_value": "10", "priority": "0",
            "variants-0-name": "A", "variants-1-name": "B", "variants-1-pricing_value": "20", "action": "save"}
    refused = admin.post(f"{ADMIN}/bundles/new", data=form)
    assert refused.status_code == 400 and 'name="confirm_price_test"' in refused.get_data(as_text=True)
    assert admin.post(f"{ADMIN}/bundles/new", data=dict(form, confirm_price_test="1")).status_code == 302


# -- urgency only when true ------------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "field"), [
    ({"label": "今だけ10%オフ"}, "label"),
    ({"label_en": "ＬＩＭＩＴＥＤ　ＴＩＭＥ set"}, "label_en"),
    ({"label_en": "Hurry! 2 left"}, "label_en"),
    ({"label": "期間限定セット"}, "label"),
    ({"label": "ﾗｽﾄﾁｬﾝｽ"}, "label"),
    ({"label": "本日限り", "ends_at": later(20)}, "label"),
    ({"variants": [{"name": "A"}, {"name": "B", "label_en": "Last chance"}]}, "variants"),
])
def test_untrue_urgency_is_refused_per_field(admin, changes, field):
    response = admin.post(f"{API}/bundles", json=dict(PAIR, **changes))
    assert response.status_code == 400
    assert field in response.json["error"]["fields"]
    assert "景品表示法" in str(response.json["error"]["fields"][field])
    assert admin.get(f"{API}/bundles").json["total"] == 0


@pytest.mark.parametrize("changes", [
    {"label": "今だけ10%オフ", "ends_at": later(7)},
    {"label": "先着100名", "global_cap": 100},
    {"label": "お手入れセット"},
])
def test_true_urgency_is_allowed(admin, changes):
    assert admin.post(f"{API}/bundles", json=dict(PAIR, **changes)).status_code == 201


def test_urgency_on_thank_you_offers_rewards_and_imports(admin):
    offer = {"label": "ご購入ありがとう", "kind": "add_on", "items": [{"product_id": "spray"}],
             "trigger_products": ["sneakers"], "accept_label": "残りわずか！追加する"}
    response = admin.post(f"{API}/post-purchase-offers", json=offer)
    assert response.status_code == 400 and "accept_label" in response.json["error"]["fields"]
    shipping = {"label": "送料無料", "currency": "JPY", "threshold": 5000, "fee": 600,
                "rewards": [{"threshold": 8000, "label": "本日限りのプレゼント"}]}
    response = admin.post(f"{API}/shipping-thresholds", json=shipping)
    assert response.status_code == 400 and response.json["error"]["fields"]["rewards"]["0"]["label"]
    document = {"format": "tsuide-settings", "version": 2, "bundles": [dict(PAIR, label="Ends soon!")]}
    response = admin.post(f"{API}/import", json=document)
    assert response.status_code == 400 and "label" in response.json["error"]["fields"]["bundles"]["0"]


def test_the_urgency_window_is_a_setting(database_url, make_shop):
    app, *_ = make_shop(database_url, adapter=CategoryAdapter(), TSUIDE_URGENCY_MAX_DAYS=30)
    admin = client_with_token(app)
    assert admin.post(f"{API}/bundles", json=dict(PAIR, label="期間限定", ends_at=later(20))).status_code == 201
    assert admin.post(f"{API}/bundles", json=dict(PAIR, label="期間限定2", ends_at=later(40))).status_code == 400
