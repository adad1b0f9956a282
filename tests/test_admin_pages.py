"""The admin's HTML pages: closed by default, CSRF on every form, every field validated, previews, audit."""
import io
import json
import re
from pathlib import Path

import pytest

from plugin import models
from plugin.storage.post_purchase import PostPurchaseOffer

ADMIN = "/tsuide/admin"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
#: The demo-like health food set, as the form names its fields: 3 bags at 10% off.
BUNDLE_FORM = {"label": "3袋セット", "label_en": "3-bag set", "items-0-product_id": "healthfood",
               "items-0-quantity": "3", "pricing_mode": "percent_off", "pricing_value": "10", "priority": "0",
               "action": "save"}


@pytest.fixture
def shop(admin_shop):
    return admin_shop


@pytest.fixture
def client(shop):
    return shop[0].test_client()


def token(client, url=f"{ADMIN}/bundles/new"):
    page = client.get(url)
    assert page.status_code == 200
    return TOKEN.search(page.get_data(as_text=True)).group(1)


def post(client, url, data, **kwargs):
    return client.post(url, data={"csrf_token": token(client), **data}, **kwargs)


def query(shop, model):
    app, db, *_ = shop
    with app.app_context():
        return db.session.query(model).order_by(getattr(model, "id", None) or model.key).all()


def field_block(html, name):
    """The markup of one form field: its label, input and the errors shown with it."""
    start = html.index(f'name="{name}"')
    begin = max(html.rfind('<div class="ta-field', 0, start), html.rfind("<td", 0, start))
    end = html.index("</div>" if html[begin:begin + 4] == "<div" else "</td>", start)
    return html[begin:end]


def create_bundle(client, **changes):
    response = post(client, f"{ADMIN}/bundles/new", dict(BUNDLE_FORM, **changes))
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def test_a_closed_admin_is_403_on_pages_and_posts(shop, client):
    shop[3].admin = False
    for url in ("/", "/bundles/", "/bundles/new", "/settings", "/audit", "/transfer"):
        page = client.get(f"{ADMIN}{url}")
        assert page.status_code == 403
        assert "is_admin()" in page.get_data(as_text=True)
    assert client.post(f"{ADMIN}/bundles/new", data=BUNDLE_FORM).status_code == 403
    assert query(shop, models.Rule) == []


def test_a_form_without_the_csrf_token_is_400_and_saves_nothing(shop, client):
    response = client.post(f"{ADMIN}/bundles/new", data=BUNDLE_FORM)
    assert response.status_code == 400
    assert "フォームの有効期限が切れています" in response.get_data(as_text=True)
    stale = client.post(f"{ADMIN}/bundles/new", data=dict(BUNDLE_FORM, csrf_token="stale"))
    assert stale.status_code == 400
    assert query(shop, models.Rule) == []


def test_creating_a_bundle_through_the_form_saves_it_and_lists_it_live(shop, client):
    response = create_bundle(client)
    assert "/tsuide/admin/bundles/" in response.headers["Location"]
    [bundle] = query(shop, models.Bundle)
    assert (bundle.label, bundle.label_en, bundle.pricing_mode, bundle.pricing_value) == (
        "3袋セット", "3-bag set", "percent_off", 1000)
    assert [(item.product_id, item.quantity) for item in bundle.items] == [("healthfood", 3)]
    listing = client.get(response.headers["Location"]).get_data(as_text=True)
    row = listing[listing.index(f'id="record-{bundle.id}"'):]
    assert "3袋セット" in row and 'ta-badge--active">公開中<' in row
    assert "作成しました。" in listing
    app, db, tsuide, adapter = shop
    adapter.lines = {"healthfood": 3}
    with app.test_request_context():
        assert tsuide.quote().total == 8_100  # what the shopper is charged


def test_schedule_is_read_in_the_shops_time_zone(database_url, make_shop):
    app, db, tsuide, adapter = make_shop(database_url, TSUIDE_TIMEZONE="Asia/Tokyo")
    adapter.admin = True
    client = app.test_client()
    create_bundle(client, starts_at="2030-04-01T09:00", ends_at="2030-04-30T21:00")
    with app.app_context():
        bundle = db.session.query(models.Bundle).one()
        assert (bundle.starts_at.isoformat(), bundle.ends_at.isoformat()) == ("2030-04-01T00:00:00",
                                                                              "2030-04-30T12:00:00")
    listing = client.get(f"{ADMIN}/bundles/").get_data(as_text=True)
    assert "開始前" in listing and "2030-04-01 09:00" in listing
    edit = client.get(f"{ADMIN}/bundles/{bundle.id}").get_data(as_text=True)
    assert 'value="2030-04-01T09:00"' in edit


def test_a_form_with_errors_shows_each_next_to_its_field_and_keeps_what_was_typed(shop, client):
    response = post(client, f"{ADMIN}/bundles/new", {
        "label": "", "label_en": "typed <b>by</b> me", "items-0-product_id": "healthfood", "items-0-quantity": "0",
        "pricing_mode": "percent_off", "pricing_value": "abc", "global_cap": "0", "starts_at": "2030-05-01T10:00",
        "ends_at": "2030-04-01T10:00", "action": "save",
    })
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "保存されていません" in html
    assert "入力してください。" in field_block(html, "label")
    assert "10のように割合を入力してください。" in field_block(html, "pricing_value")
    assert "1〜999で入力してください。" in field_block(html, "items-0-quantity")
    assert "1〜1000000000で入力してください。" in field_block(html, "global_cap")
    assert "終了は開始より後にしてください。" in field_block(html, "ends_at")
    assert 'value="typed &lt;b&gt;by&lt;/b&gt; me"' in html and 'value="abc"' in html
    assert query(shop, models.Rule) == []


def test_the_engines_own_checks_show_too(shop, client):
    response = post(client, f"{ADMIN}/bundles/new", dict(BUNDLE_FORM, pricing_mode="amount_off", pricing_value="0"))
    assert response.status_code == 400
    assert "値引き額は0より大きくしてください。" in response.get_data(as_text=True)
    assert query(shop, models.Rule) == []


def test_a_stale_edit_shows_the_conflict_instead_of_overwriting(shop, client):
    create_bundle(client)
    [bundle] = query(shop, models.Bundle)
    first = post(client, f"{ADMIN}/bundles/{bundle.id}", dict(BUNDLE_FORM, label="最初の変更", version="1"))
    assert first.status_code == 302
    stale = post(client, f"{ADMIN}/bundles/{bundle.id}", dict(BUNDLE_FORM, label="古い画面から", version="1"))
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert "この間にほかの人が変更したため、保存されませんでした" in html
    assert 'value="古い画面から"' in html  # what the admin typed is still there
    [bundle] = query(shop, models.Bundle)
    assert (bundle.label, bundle.row_version) == ("最初の変更", 2)


def test_row_actions_pause_resume_duplicate_delete_and_restore(shop, client):
    create_bundle(client)
    [bundle] = query(shop, models.Bundle)
    url = f"{ADMIN}/bundles/{bundle.id}"

    def act(action, **data):
        response = post(client, f"{url}/{action}", data)
        assert response.status_code == 302
        return client.get(response.headers["Location"]).get_data(as_text=True)

    assert "停止しました" in act("pause")
    assert query(shop, models.Bundle)[0].paused is True
    assert "再開しました" in act("resume")
    assert query(shop, models.Bundle)[0].paused is False
    assert "複製しました" in act("duplicate")
    original, copy = query(shop, models.Bundle)
    assert (copy.label, copy.paused, [i.product_id for i in copy.items]) == ("3袋セット (copy)", True, ["healthfood"])
    listing = act("delete", version=str(original.row_version))
    assert query(shop, models.Bundle)[0].deleted_at is not None
    assert f'id="record-{original.id}"' not in listing
    deleted = client.get(f"{ADMIN}/bundles/?status=deleted").get_data(as_text=True)
    assert f'id="record-{original.id}"' in deleted and f"{url}/restore" in deleted
    assert "元に戻しました" in act("restore")
    assert query(shop, models.Bundle)[0].deleted_at is None


def test_a_delete_with_a_stale_version_changes_nothing(shop, client):
    create_bundle(client)
    [bundle] = query(shop, models.Bundle)
    response = post(client, f"{ADMIN}/bundles/{bundle.id}/delete", {"version": "7"})
    assert "notice=conflict" in response.headers["Location"]
    assert query(shop, models.Bundle)[0].deleted_at is None


def test_preview_shows_the_cart_panel_with_the_saving_and_saves_nothing(shop, client):
    response = post(client, f"{ADMIN}/bundles/new", dict(BUNDLE_FORM, action="preview", sample_cart="healthfood×2"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    preview = html[html.index('<aside class="ta-preview"'):]
    assert 'data-tsuide="cart"' in preview
    assert "￥900お得" in preview and "追加後の合計 ￥8,100" in preview  # 2 bags in the cart, the third completes it
    assert query(shop, models.Rule) == []


def test_the_edit_page_previews_the_saved_record(shop, client):
    create_bundle(client, **{"items-0-product_id": "spray", "items-0-quantity": "1", "items-1-product_id": "brush",
                             "items-1-quantity": "1", "pricing_mode": "amount_off", "pricing_value": "300"})
    [bundle] = query(shop, models.Bundle)
    html = client.get(f"{ADMIN}/bundles/{bundle.id}").get_data(as_text=True)
    assert 'name="version" value="1"' in html and 'value="300"' in html
    assert "￥300お得" in html[html.index('<aside class="ta-preview"'):]


def test_a_discount_below_the_margin_needs_confirming(shop, client):
    below_cost = dict(BUNDLE_FORM, pricing_mode="fixed_price", pricing_value="3000")  # 3 bags cost ¥3,600
    response = post(client, f"{ADMIN}/bundles/new", below_cost)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "「3袋セット」は￥3,000で販売されます。原価￥3,600を下回ります。" in html
    assert "利益を下回る割引を保存する場合はチェックを入れてください。" in field_block(html, "confirm_margin")
    assert query(shop, models.Rule) == []
    # 55% off ¥9,000 is ¥4,050: above cost, but below cost plus a 20% floor (¥4,320).
    floor = post(client, f"{ADMIN}/bundles/new", dict(BUNDLE_FORM, pricing_value="55", margin_floor_percent="20"))
    assert floor.status_code == 400
    assert "原価￥3,600に最低利益率20%を加えた￥4,320を下回るため" in floor.get_data(as_text=True)
    assert create_bundle(client, **dict(below_cost, confirm_margin="1"))
    [bundle] = query(shop, models.Bundle)
    assert (bundle.pricing_mode, bundle.pricing_value) == ("fixed_price", 3000)


def test_a_volume_discount_takes_tiers_in_percent(shop, client):
    response = post(client, f"{ADMIN}/volume-discounts/new", {
        "label": "小物まとめ買い", "categories": "accessories", "tiers-0-min_quantity": "2", "tiers-0-discount_percent": "10",
        "tiers-1-min_quantity": "3", "tiers-1-discount_percent": "12.5", "priority": "0", "action": "save"})
    assert response.status_code == 302, response.get_data(as_text=True)
    [rule] = query(shop, models.VolumeRule)
    assert [(step.threshold, step.percent_bp) for step in rule.steps] == [(2, 1000), (3, 1250)]
    assert [category.category for category in rule.categories] == ["accessories"]
    listing = client.get(f"{ADMIN}/volume-discounts/").get_data(as_text=True)
    assert "3点以上で12.5%オフ" in listing


def test_a_shipping_threshold_with_a_reward(shop, client):
    response = post(client, f"{ADMIN}/shipping-thresholds/new", {
        "label": "5,000円以上で送料無料", "currency": "JPY", "threshold": "5,000", "fee": "600",
        "rewards-0-threshold": "20000", "rewards-0-label": "ノベルティ", "priority": "0", "action": "preview"})
    assert response.status_code == 200
    assert "送料無料" in response.get_data(as_text=True)
    response = post(client, f"{ADMIN}/shipping-thresholds/new", {
        "label": "5,000円以上で送料無料", "currency": "JPY", "threshold": "5,000", "fee": "600",
        "rewards-0-threshold": "20000", "rewards-0-label": "ノベルティ", "priority": "0", "action": "save"})
    assert response.status_code == 302
    [rule] = query(shop, models.ShippingRule)
    assert (rule.threshold, rule.fee, [(s.threshold, s.label) for s in rule.steps]) == (5000, 600,
                                                                                       [(20000, "ノベルティ")])


OFFER_FORM = {"label": "シューケアセット", "kind": "add_on", "trigger_products-0": "sneakers",
              "items-0-product_id": "spray", "items-0-quantity": "1", "pricing_mode": "percent_off",
              "pricing_value": "20", "segment": "any", "priority": "0", "has_downsell": "1",
              "downsell-label": "スプレーだけでも", "downsell-kind": "add_on", "downsell-trigger_products-0": "sneakers",
              "downsell-items-0-product_id": "brush", "downsell-items-0-quantity": "1",
              "downsell-pricing_mode": "percent_off", "downsell-pricing_value": "10", "downsell-segment": "any",
              "downsell-priority": "0", "action": "save"}


def test_a_thank_you_offer_with_a_downsell_previews_and_saves(shop, client):
    preview = post(client, f"{ADMIN}/post-purchase-offers/new", dict(OFFER_FORM, action="preview"))
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert html.count('data-tsuide="thank-you"') == 2  # the offer, then its downsell
    assert "￥300お得" in html  # 20% off the ¥1,500 spray
    assert post(client, f"{ADMIN}/post-purchase-offers/new", OFFER_FORM).status_code == 302
    offer, downsell = query(shop, PostPurchaseOffer)
    assert (offer.pricing_value, downsell.parent_id, downsell.pricing_value) == (2000, offer.id, 1000)
    errors = post(client, f"{ADMIN}/post-purchase-offers/new", dict(OFFER_FORM, **{"downsell-label": ""}))
    assert "入力してください。" in field_block(errors.get_data(as_text=True), "downsell-label")
    errors = post(client, f"{ADMIN}/post-purchase-offers/new", dict(OFFER_FORM, kind="upgrade"))
    html = errors.get_data(as_text=True)
    assert "アップグレードでは置き換える商品を指定してください。" in field_block(html, "replaces_product_id")
    assert len(query(shop, PostPurchaseOffer)) == 2


def test_removing_a_downsell_never_leaves_it_live_on_its_own(shop, client):
    assert post(client, f"{ADMIN}/post-purchase-offers/new", OFFER_FORM).status_code == 302
    offer, _ = query(shop, PostPurchaseOffer)
    without = {key: value for key, value in OFFER_FORM.items() if not key.startswith("downsell")}
    del without["has_downsell"]
    response = post(client, f"{ADMIN}/post-purchase-offers/{offer.id}", dict(without, version="1"))
    assert response.status_code == 302
    listing = client.get(f"{ADMIN}/post-purchase-offers/").get_data(as_text=True)
    assert "スプレーだけでも" not in listing


def test_settings_are_saved_with_percent_for_the_ratio(shop, client):
    response = post(client, f"{ADMIN}/settings", {"max_cart_offers": "3", "max_gap_fillers": "1",
                                                  "post_purchase_minutes": "20", "decline_days": "7",
                                                  "upsell_max_ratio": "40", "loyal_orders": "4",
                                                  "holdout_percent": "2.5", "significance": "1",
                                                  "event_retention_days": "90"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "設定を保存しました。" in page and 'value="40"' in page
    saved = {row.key: row.value for row in query(shop, models.Setting)}
    assert saved == {"max_cart_offers": 3, "max_gap_fillers": 1, "post_purchase_minutes": 20, "decline_days": 7,
                     "upsell_max_ratio": 0.4, "loyal_orders": 4, "holdout_percent": 2.5, "significance": 0.01,
                     "event_retention_days": 90}
    assert 'value="2.5"' in page and 'value="90"' in page
    wrong = post(client, f"{ADMIN}/settings", {"max_cart_offers": "11", "max_gap_fillers": "1",
                                               "post_purchase_minutes": "x", "decline_days": "7",
                                               "upsell_max_ratio": "40", "loyal_orders": "4",
                                               "holdout_percent": "60", "significance": "5",
                                               "event_retention_days": "90"})
    assert wrong.status_code == 400
    html = wrong.get_data(as_text=True)
    assert "0〜10で入力してください。" in field_block(html, "max_cart_offers")
    assert "整数で入力してください。" in field_block(html, "post_purchase_minutes")
    assert "0〜50で入力してください。" in field_block(html, "holdout_percent")
    assert {row.key: row.value for row in query(shop, models.Setting)}["max_cart_offers"] == 3


def test_the_audit_log_lists_who_changed_what(shop, client):
    create_bundle(client)
    [bundle] = query(shop, models.Bundle)
    post(client, f"{ADMIN}/bundles/{bundle.id}/pause", {})
    post(client, f"{ADMIN}/bundles/{bundle.id}", dict(BUNDLE_FORM, pricing_value="15", version="2"))
    html = client.get(f"{ADMIN}/audit").get_data(as_text=True)
    rows = re.findall(r'<tr data-audit="(\w+)">(.*?)</tr>\s*</table>|<tr data-audit="(\w+)">', html, re.S)
    assert [row[0] or row[2] for row in rows] == ["update", "pause", "create"]
    assert html.count("hanako@shop.example") == 3
    assert "作成" in html and "停止" in html and "3袋セット" in html
    update = html[html.index('data-audit="update"'):html.index('data-audit="pause"')]
    diff = dict((name, (old, new)) for name, old, new in re.findall(
        r'<th scope="row">(.*?)</th><td class="ta-diff__old">(.*?)</td><td aria-hidden="true">→</td>'
        r'<td class="ta-diff__new">(.*?)</td>', update))
    assert diff["値"] == ("10%", "15%")  # the form's label and percent, not pricing_value and basis points
    assert diff["停止中（お客様には表示されません）"] == ("はい", "いいえ")
    assert "pricing_value" not in update and "1500" not in update


def test_export_then_a_broken_import_changes_nothing(shop, client):
    create_bundle(client)
    exported = client.get(f"{ADMIN}/export.json")
    assert exported.headers["Content-Disposition"].startswith("attachment")
    document = json.loads(exported.data)
    assert document["bundles"][0]["label"] == "3袋セット"
    broken = dict(document, bundles=[*document["bundles"], {"label": "", "items": [], "pricing_mode": "x"}])
    upload = {"document": (io.BytesIO(json.dumps(broken).encode()), "tsuide.json"), "confirm_replace": "1"}
    response = post(client, f"{ADMIN}/transfer", upload, content_type="multipart/form-data")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "インポートできませんでした。何も変更されていません。" in html
    [bundle] = query(shop, models.Bundle)
    assert bundle.deleted_at is None
    garbage = {"document": (io.BytesIO(b"not json"), "tsuide.json"), "confirm_replace": "1"}
    assert "JSONではありません" in post(client, f"{ADMIN}/transfer", garbage,
                                       content_type="multipart/form-data").get_data(as_text=True)
    again = {"document": (io.BytesIO(exported.data), "tsuide.json"), "confirm_replace": "1"}
    assert post(client, f"{ADMIN}/transfer", again, content_type="multipart/form-data").status_code == 200
    old, new = query(shop, models.Bundle)
    assert old.deleted_at is not None and new.deleted_at is None and new.pricing_value == 1000


def test_the_home_page_counts_by_status_and_says_what_is_off(shop, client):
    create_bundle(client)
    create_bundle(client, paused="1")
    html = client.get(f"{ADMIN}/").get_data(as_text=True)
    assert 'data-count="bundles-active">1<' in html and 'data-count="bundles-paused">1<' in html
    assert "<code>amend_order()</code>: ワンクリックの購入後特典は使えません。" in html


def test_english_admin_and_merchant_text_stays_text(shop, client):
    create_bundle(client, label="<script>alert(1)</script>")
    html = client.get(f"{ADMIN}/bundles/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Bundles" in html and ">Live<" in html and "Pause" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_product_picker_lists_products(shop, client):
    html = client.get(f"{ADMIN}/bundles/new").get_data(as_text=True)
    assert '<datalist id="tsuide-products">' in html and '<option value="healthfood">' in html
    found = client.get(f"{ADMIN}/products?q=cam").get_data(as_text=True)
    assert "<code>camera</code>" in found and "healthfood" not in found


def test_every_admin_message_has_a_japanese_translation():
    from plugin.adapter import OPTIONAL
    from plugin.admin import pages, pages_forms
    from plugin.admin.api import CLOSED
    from plugin.admin.records import KINDS
    from plugin.storefront.i18n import _catalog

    root = Path(__file__).resolve().parent.parent
    used = set()
    for source in [*root.glob("templates/tsuide/admin/*.html"), *root.glob("plugin/admin/pages*.py")]:
        text = source.read_text()
        used |= set(re.findall(r"""(?:\b_|gettext)\(\s*"((?:[^"\\]|\\.)+)\"""", text))
        used |= set(re.findall(r"""(?:\b_|gettext)\(\s*'((?:[^'\\]|\\.)+)'""", text))
    assert len(used) > 150
    used |= set(pages.NOTICES.values()) | {kind.title for kind in KINDS.values()} | set(OPTIONAL.values())
    used |= {CLOSED} | {text for _, text in pages_forms._PATTERNS}
    missing = sorted(message for message in used if message not in _catalog("ja"))
    assert missing == []
