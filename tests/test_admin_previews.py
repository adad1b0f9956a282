"""Admin previews price what the shop would: the live rules plus the edited one, shipping, caps and ceilings."""
import re

import pytest

from test_admin_api import admin  # noqa: F401  (a client whose JSON writes carry the CSRF token)
from test_admin_pages import ADMIN, BUNDLE_FORM, OFFER_FORM, post

SHIPPING_FORM = {"label": "5,000円以上で送料無料", "currency": "JPY", "threshold": "5,000", "fee": "600",
                 "priority": "0", "action": "save"}


@pytest.fixture
def shop(admin_shop):
    return admin_shop


@pytest.fixture
def client(shop):
    return shop[0].test_client()


def preview_of(html):
    return html[html.index('<aside class="ta-preview"'):html.index("</aside>")]


def facts(html):
    """The preview's figures, term -> text, as the owner reads them."""
    return dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", preview_of(html)))


def cart_total(shop, client, lines):
    shop[3].lines = dict(lines)
    page = client.get("/cart").get_data(as_text=True)
    return re.search(r'<p id="total">(.*?)</p>', page).group(1)


def test_the_preview_total_is_the_cart_pages_total_with_shipping(shop, client):
    assert post(client, f"{ADMIN}/shipping-thresholds/new", SHIPPING_FORM).status_code == 302
    # A brush alone pays ¥600 shipping, in the preview as at the shop.
    form = dict(BUNDLE_FORM, **{"items-0-product_id": "spray", "items-0-quantity": "1", "items-1-product_id": "brush",
                                "items-1-quantity": "1", "pricing_mode": "amount_off", "pricing_value": "300"})
    shown = facts(post(client, f"{ADMIN}/bundles/new", dict(form, action="preview", sample_cart="brush×1"))
                  .get_data(as_text=True))
    assert (shown["送料"], shown["カートの合計"]) == ("￥600", "￥1,400")
    # The set plus a pair of socks: the preview's figures are the cart page's once the rule is saved.
    sample = "spray×1, brush×1, socks×2"
    shown = facts(post(client, f"{ADMIN}/bundles/new", dict(form, action="preview", sample_cart=sample))
                  .get_data(as_text=True))
    assert shown["割引"] == "-￥300" and shown["送料"] == "￥600"
    assert post(client, f"{ADMIN}/bundles/new", form).status_code == 302
    assert cart_total(shop, client, {"spray": 1, "brush": 1, "socks": 2}) == shown["カートの合計"] == "￥4,600"
    assert cart_total(shop, client, {"brush": 1}) == "￥1,400"


def test_a_thank_you_preview_never_shows_an_offer_over_the_upsell_ceiling(shop, client):
    # The ¥12,000 sneakers as an add-on to a ¥800 brush: far over 50% of the order, so no order gets it.
    form = dict(OFFER_FORM, **{"trigger_products-0": "brush", "items-0-product_id": "sneakers", "pricing_value": "10"})
    form = {key: value for key, value in form.items() if not key.startswith("downsell") and key != "has_downsell"}
    html = post(client, f"{ADMIN}/post-purchase-offers/new", dict(form, action="preview")).get_data(as_text=True)
    preview = preview_of(html)
    assert 'data-tsuide="thank-you"' not in preview
    assert "請求額￥10,800が注文金額の50%（追加購入の上限）を超えます。" in preview
    # A bigger sample order fits under the ceiling, and then the offer shows.
    html = post(client, f"{ADMIN}/post-purchase-offers/new",
                dict(form, action="preview", sample_cart="brush×1, camera×1")).get_data(as_text=True)
    assert preview_of(html).count('data-tsuide="thank-you"') == 1
    assert facts(html)["承諾時の請求額"] == "￥10,800"


def test_no_downsell_is_mentioned_without_one(shop, client):
    form = {key: value for key, value in OFFER_FORM.items() if not key.startswith("downsell") and key != "has_downsell"}
    preview = preview_of(post(client, f"{ADMIN}/post-purchase-offers/new", dict(form, action="preview"))
                         .get_data(as_text=True))
    assert preview.count('data-tsuide="thank-you"') == 1
    assert "ダウンセル" not in preview and "downsell" not in preview.lower()
    with_one = preview_of(post(client, f"{ADMIN}/post-purchase-offers/new", dict(OFFER_FORM, action="preview"))
                          .get_data(as_text=True))
    assert with_one.count('data-tsuide="thank-you"') == 2 and "ダウンセル" in with_one


def test_the_sample_cart_leaves_out_what_is_out_of_stock(shop, client):
    form = dict(SHIPPING_FORM, action="preview")
    html = post(client, f"{ADMIN}/shipping-thresholds/new", form).get_data(as_text=True)
    assert "Scarf" not in facts(html)["サンプルのカート"]  # ¥3,500 but out of stock: not the default
    assert facts(html)["送料"] == "￥600"
    html = post(client, f"{ADMIN}/shipping-thresholds/new", dict(form, sample_cart="scarf×1, brush×2"))
    html = html.get_data(as_text=True)
    assert facts(html)["サンプルのカート"] == "Brush × 2"
    assert "除外した商品（不明または在庫切れ）: scarf。" in preview_of(html)
    assert 'value="scarf×1, brush×2"' in html  # what the owner typed stays in the field


# -- copy from values ------------------------------------------------------------------------------------

def test_labels_are_written_from_the_values_in_japanese_and_english():
    from plugin.admin.copy import label_for

    shipping = {"threshold": 5000, "fee": 600, "currency": "JPY"}
    bundle = {"items": [{"product_id": "a", "quantity": 2}, {"product_id": "b", "quantity": 1}],
              "pricing_mode": "fixed_price", "pricing_value": 2900}
    volume = {"tiers": [{"min_quantity": 2, "discount_percent": 10}, {"min_quantity": 3, "discount_percent": 12.5}]}
    assert label_for("shipping-thresholds", shipping, "ja") == "¥5,000以上で送料無料"
    assert label_for("shipping-thresholds", shipping, "en") == "Free shipping from ¥5,000"
    assert label_for("bundles", bundle, "ja") == "3点で¥2,900"
    assert label_for("bundles", bundle, "en") == "3 for ¥2,900"
    assert label_for("volume-discounts", volume, "ja") == "2点以上で10%オフ、3点以上で12.5%オフ"
    assert label_for("volume-discounts", volume, "en") == "10% off 2 or more, 12.5% off 3 or more"
    percent_off = {"items": [{"product_id": "a", "quantity": 2}], "pricing_mode": "percent_off", "discount_percent": 15}
    assert label_for("bundles", percent_off, "ja") == "2点で15%オフ"


def test_an_empty_label_is_written_from_the_values_and_follows_them(shop, admin):
    client = admin
    api = f"{ADMIN}/api/shipping-thresholds"
    created = client.post(api, json={"currency": "JPY", "threshold": 5000, "fee": 600})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["label"], body["label_en"], body["warnings"]) == ("¥5,000以上で送料無料", "Free shipping from ¥5,000", [])
    moved = client.patch(f"{api}/{body['id']}", json={"threshold": 4000}).get_json()
    assert (moved["label"], moved["label_en"], moved["warnings"]) == ("¥4,000以上で送料無料", "Free shipping from ¥4,000", [])
    response = post(client, f"{ADMIN}/volume-discounts/new", {
        "categories": "accessories", "tiers-0-min_quantity": "2", "tiers-0-discount_percent": "10", "priority": "0",
        "action": "save"})
    assert response.status_code == 302, response.get_data(as_text=True)
    listing = client.get(f"{ADMIN}/volume-discounts/").get_data(as_text=True)
    assert "2点以上で10%オフ" in listing


def test_custom_copy_that_contradicts_the_values_is_a_warning(shop, admin):
    client = admin
    api = f"{ADMIN}/api/shipping-thresholds"
    body = client.post(api, json={"label": "5,000円以上で送料無料", "currency": "JPY", "threshold": 5000,
                                  "fee": 600}).get_json()
    assert [w for w in body["warnings"] if w["code"] == "label_contradicts_values"] == []
    changed = client.patch(f"{api}/{body['id']}", json={"threshold": 4000}, headers={"Accept-Language": "ja"})
    assert changed.status_code == 200
    [warning] = [w for w in changed.get_json()["warnings"] if w["code"] == "label_contradicts_values"]
    assert warning["fields"] == ["label"] and "5,000" in warning["message"]["ja"] and "5,000" in warning["message"]["en"]
    assert changed.get_json()["label"] == "5,000円以上で送料無料"  # the owner's copy stays theirs
    # On the form: saved, and back on the form with the warning.
    form = dict(SHIPPING_FORM, threshold="4,000", version=str(changed.get_json()["version"]))
    response = post(client, f"{ADMIN}/shipping-thresholds/{body['id']}", form)
    assert response.status_code == 302 and "saved-check-copy" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "表示名“5,000円以上で送料無料”にある「5,000」は、このルールの設定値と一致しません。" in page


def test_the_audit_log_shows_labels_yen_and_percent(shop, client):
    assert post(client, f"{ADMIN}/shipping-thresholds/new", SHIPPING_FORM).status_code == 302
    post(client, f"{ADMIN}/settings", {"max_cart_offers": "2", "max_gap_fillers": "2", "post_purchase_minutes": "15",
                                       "decline_days": "30", "upsell_max_ratio": "40", "loyal_orders": "5",
                                       "holdout_percent": "2.5", "significance": "5", "event_retention_days": "400"})
    html = client.get(f"{ADMIN}/audit").get_data(as_text=True)
    rows = dict(re.findall(r'<th scope="row">(.*?)</th><td class="ta-diff__old">.*?</td><td aria-hidden="true">→</td>'
                           r'<td class="ta-diff__new">(.*?)</td>', html))
    assert rows["送料無料になる金額"] == "￥5,000" and rows["金額未満の送料"] == "￥600"
    assert '<th scope="row">threshold</th>' not in html and '<th scope="row">fee</th>' not in html
    assert "2.5%" in rows.values() and "40%" in rows.values() and "0.4" not in rows.values()


# -- accessible admin ------------------------------------------------------------------------------------

def test_the_admin_links_back_to_the_shop_and_speaks_japanese_on_a_wrong_range(shop, client):
    page = client.get(f"{ADMIN}/analytics?start=2026-05-10&end=2026-05-01").get_data(as_text=True)
    assert "終了日は開始日より前にできません。" in page and "The end must not be before the start." not in page
    assert '<a class="ta-shop" href="/">ショップに戻る</a>' in page


def test_the_revenue_chart_has_its_figures_in_a_table(shop, client):
    page = client.get(f"{ADMIN}/analytics").get_data(as_text=True)
    table = page[page.index("<details class=\"ta-chart-data\""):]
    table = table[:table.index("</details>")]
    assert "<caption>" in table and '<th scope="col">日付</th>' in table
    assert table.count('<th scope="row">') >= 7  # one row per day of the default range


def test_a_tenth_written_the_japanese_way_is_read_as_its_percent():
    from plugin.admin.copy import contradictions

    bundle = {"label": "3袋で7割引き", "items": [{"product_id": "healthfood", "quantity": 3}],
              "pricing_mode": "percent_off", "discount_percent": 70}
    assert contradictions("bundles", bundle) == []
    assert contradictions("bundles", dict(bundle, discount_percent=60))[0]["numbers"] == ["70"]
