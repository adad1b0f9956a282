"""Spend discounts and free gifts through the shop: the admin's API and form save them (refusing bad ones by field,
writing nothing), export and import carry them, the audit log records them, and the cart charges and says what
they make ("あと¥800で¥500引き · あと¥3,000で送料無料", "ノベルティを追加")."""
import pytest

from plugin import models
from test_admin_pages import ADMIN, post, query
from shop import csrf_client

API = "/tsuide/admin/api"
SPEND = {"label": "5,000円以上で500円引き", "label_en": "¥500 off from ¥5,000", "currency": "JPY",
         "steps": [{"threshold": 5_000, "amount_off": 500}, {"threshold": 10_000, "discount_percent": 10}]}
GIFT = {"label": "ノベルティ", "label_en": "Free tote", "currency": "JPY", "gift_product_id": "tote",
        "threshold": 8_000}
SHIPPING = {"label": "送料", "currency": "JPY", "threshold": 8_000, "fee": 600}


@pytest.fixture
def shop(admin_shop):
    return admin_shop



def test_the_api_saves_reads_and_patches_a_spend_discount_in_percent(shop, admin):
    created = admin.post(f"{API}/spend-discounts", json=SPEND)
    assert created.status_code == 201, created.json
    body = created.json
    assert body["steps"] == [{"threshold": 5_000, "amount_off": 500, "discount_percent": None},
                             {"threshold": 10_000, "amount_off": None, "discount_percent": 10}]
    [row] = query(shop, models.SpendRule)
    assert [(s.threshold, s.amount_off, s.percent_bp) for s in row.steps] == [(5_000, 500, None), (10_000, None, 1_000)]
    changed = admin.patch(f"{API}/spend-discounts/{body['id']}", json={
        "steps": [{"threshold": 3_000, "amount_off": 300}], "version": body["version"]})
    assert changed.status_code == 200, changed.json
    assert changed.json["steps"] == [{"threshold": 3_000, "amount_off": 300, "discount_percent": None}]
    assert admin.get(f"{API}/spend-discounts/{body['id']}").json["label"] == SPEND["label"]


@pytest.mark.parametrize("steps", [
    [],
    [{"threshold": 5_000}],                                                        # neither amount nor percent
    [{"threshold": 5_000, "amount_off": 500, "discount_percent": 10}],             # both
    [{"threshold": 5_000, "amount_off": 6_000}],                                   # more than its threshold
    [{"threshold": 5_000, "amount_off": 500}, {"threshold": 6_000, "amount_off": 400}],  # a higher step saves less
    [{"threshold": 5_000, "amount_off": 500}, {"threshold": 5_000, "amount_off": 600}],  # the same threshold twice
    [{"threshold": 5_000, "discount_percent": 0}],
    [{"threshold": 5_000, "amount_off": "500"}],
])
def test_a_bad_spend_discount_is_refused_by_field_and_nothing_is_written(shop, admin, steps):
    response = admin.post(f"{API}/spend-discounts", json=dict(SPEND, steps=steps))
    assert response.status_code == 400, response.json
    assert "steps" in response.json["error"]["fields"]
    assert query(shop, models.SpendRule) == []


@pytest.mark.parametrize(("term", "value"), [("exclusive", True), ("max_units", 3)])
def test_a_spend_discount_with_a_term_it_cannot_honour_is_refused_by_field(shop, admin, term, value):
    response = admin.post(f"{API}/spend-discounts", json=dict(SPEND, **{term: value}))
    assert response.status_code == 400, response.json
    assert term in response.json["error"]["fields"]
    assert query(shop, models.SpendRule) == []


def test_the_api_saves_a_gift_and_refuses_one_without_a_condition_or_of_an_unknown_product(shop, admin):
    created = admin.post(f"{API}/free-gifts", json=dict(GIFT, trigger_products=["sneakers"]))
    assert created.status_code == 201, created.json
    assert (created.json["gift_product_id"], created.json["threshold"], created.json["trigger_products"]) == (
        "tote", 8_000, ["sneakers"])
    no_condition = admin.post(f"{API}/free-gifts", json=dict(GIFT, threshold=None))
    assert no_condition.status_code == 400 and "threshold" in no_condition.json["error"]["fields"]
    earns_itself = admin.post(f"{API}/free-gifts", json=dict(GIFT, trigger_products=["tote"]))
    assert earns_itself.status_code == 400 and "trigger_products" in earns_itself.json["error"]["fields"]
    assert len(query(shop, models.GiftRule)) == 1


def test_export_and_import_carry_both_kinds_and_the_audit_log_records_them(shop, admin):
    assert admin.post(f"{API}/spend-discounts", json=SPEND).status_code == 201
    assert admin.post(f"{API}/free-gifts", json=GIFT).status_code == 201
    document = admin.get(f"{API}/export").json
    assert [record["label"] for record in document["spend-discounts"]] == [SPEND["label"]]
    assert document["free-gifts"][0]["gift_product_id"] == "tote"
    imported = admin.post(f"{API}/import", json=document)
    assert imported.status_code == 200, imported.json
    live = [row for row in query(shop, models.SpendRule) if row.deleted_at is None]
    assert [[(s.threshold, s.amount_off, s.percent_bp) for s in row.steps] for row in live] == [
        [(5_000, 500, None), (10_000, None, 1_000)]]
    assert len([row for row in query(shop, models.GiftRule) if row.deleted_at is None]) == 1
    entities = {entry.entity for entry in query(shop, models.AuditEntry)}
    assert {"spend-discounts", "free-gifts"} <= entities
    wrong_gift = dict(document, **{"free-gifts": [dict(document["free-gifts"][0], gift_product_id="nothing")]})
    refused = admin.post(f"{API}/import", json=wrong_gift)
    assert refused.status_code == 400 and "gift_product_id" in str(refused.json["error"]["fields"])


def test_the_forms_save_a_spend_discount_and_a_gift_and_show_a_refusal_by_the_steps(shop):
    client = shop[0].test_client()
    form = {"label": "まとめ買い", "currency": "JPY", "steps-0-threshold": "5,000", "steps-0-amount_off": "500",
            "steps-1-threshold": "10,000", "steps-1-discount_percent": "10", "priority": "0", "action": "save"}
    assert client.get(f"{ADMIN}/spend-discounts/new").status_code == 200
    saved = post(client, f"{ADMIN}/spend-discounts/new", form)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    [row] = query(shop, models.SpendRule)
    assert [(s.threshold, s.amount_off, s.percent_bp) for s in row.steps] == [(5_000, 500, None), (10_000, None, 1_000)]
    assert client.get(f"{ADMIN}/spend-discounts/{row.id}").status_code == 200
    refused = post(client, f"{ADMIN}/spend-discounts/new", dict(form, **{"steps-1-discount_percent": "",
                                                                        "steps-1-amount_off": "400"}))
    assert refused.status_code == 400
    assert len(query(shop, models.SpendRule)) == 1
    gift = {"label": "ノベルティ", "currency": "JPY", "gift_product_id": "tote", "threshold": "8,000", "priority": "0",
            "action": "save"}
    assert post(client, f"{ADMIN}/free-gifts/new", gift).status_code == 302
    preview = post(client, f"{ADMIN}/free-gifts/new", dict(gift, action="preview", sample_cart="healthfood×2"))
    assert preview.status_code == 200 and "data-preview-note" in preview.get_data(as_text=True)
    spend_preview = post(client, f"{ADMIN}/spend-discounts/new", dict(form, action="preview", sample_cart="healthfood×2"))
    assert spend_preview.status_code == 200 and "￥500" in spend_preview.get_data(as_text=True)


@pytest.mark.parametrize("language, expected", [
    ("ja", "あと￥2,000で￥500引き · あと￥5,000で送料無料"),
    ("en", "¥2,000 more for ¥500 off · ¥5,000 more for free shipping"),
])
def test_the_bar_reads_spend_steps_gifts_and_shipping_as_one_ladder(shop, admin, language, expected):
    for kind, body in (("spend-discounts", SPEND), ("free-gifts", GIFT), ("shipping-thresholds", SHIPPING)):
        assert admin.post(f"{API}/{kind}", json=body).status_code == 201
    shop[3].lines = {"healthfood": 1}  # ¥3,000
    body = shop[0].test_client().get("/tsuide/api/cart", headers={"Accept-Language": language}).json
    assert [(rung["kind"], rung["remaining"]["amount"]) for rung in body["ladder"]] == [("spend", 2_000),
                                                                                        ("gift", 5_000)]
    assert body["free_shipping"]["remaining"]["amount"] == 5_000  # a tie: shipping reads first
    assert expected in body["panel_html"]
    shop[3].lines = {"healthfood": 2}  # ¥6,000: ¥500 off, the next rewards ahead
    body = shop[0].test_client().get("/tsuide/api/cart", headers={"Accept-Language": language}).json
    assert body["discount_total"]["amount"] == 500 and body["shipping_fee"]["amount"] == 600
    reads = {"ja": "あと￥2,000で送料無料 · あと￥2,000でノベルティプレゼント",
             "en": "¥2,000 more for free shipping · ¥2,000 more for a free gift"}[language]
    assert reads in body["panel_html"]


@pytest.mark.parametrize("language, button", [("ja", "ノベルティを追加"), ("en", "Add your free gift")])
def test_an_earned_gift_is_offered_added_at_no_charge_and_charged_again_once_the_condition_fails(
        shop, admin, language, button):
    created = admin.post(f"{API}/free-gifts", json=dict(GIFT, threshold=None, trigger_products=["sneakers"]))
    gift_id = created.json["id"]
    shop[3].lines = {"sneakers": 1}
    client = csrf_client(shop[0])
    body = client.get("/tsuide/api/cart", headers={"Accept-Language": language}).json
    [offer] = [offer for offer in body["offers"] if offer["kind"] == "free_gift"]
    assert (offer["rule_id"], offer["saving"]["amount"], offer["new_total"]["amount"]) == (gift_id, 2_000, 12_000)
    assert button in body["panel_html"]
    added = client.post("/tsuide/api/cart/items", json={"bundle_id": gift_id}, headers={"Accept-Language": language})
    assert added.status_code == 200, added.json
    assert shop[3].lines == {"sneakers": 1, "tote": 1}
    assert added.json["total"]["amount"] == 12_000
    shop[3].lines = {"tote": 1, "socks": 1}  # the sneakers left the cart: the tote is charged again
    again = client.get("/tsuide/api/cart").json
    assert again["discount_total"]["amount"] == 0 and again["total"]["amount"] == 3_000


def test_an_out_of_stock_gift_is_never_promised(shop, admin):
    assert admin.post(f"{API}/free-gifts", json=dict(GIFT, gift_product_id="scarf")).status_code == 201
    shop[3].lines = {"healthfood": 1}
    body = shop[0].test_client().get("/tsuide/api/cart").json
    assert body["ladder"] == [] and "gift" not in body["panel_html"].lower()
    shop[3].lines = {"healthfood": 3}
    body = shop[0].test_client().get("/tsuide/api/cart").json
    assert [offer for offer in body["offers"] if offer["kind"] == "free_gift"] == []


def test_the_admin_lists_both_kinds_and_counts_them_on_its_home_page(shop, admin):
    assert admin.post(f"{API}/spend-discounts", json=SPEND).status_code == 201
    assert admin.post(f"{API}/free-gifts", json=GIFT).status_code == 201
    client = shop[0].test_client()
    for kind, label in (("spend-discounts", SPEND["label"]), ("free-gifts", GIFT["label"])):
        listed = client.get(f"{ADMIN}/{kind}/")
        assert listed.status_code == 200 and label in listed.get_data(as_text=True)
        assert admin.get(f"{API}/{kind}").json["total"] == 1
    spend = client.get(f"{ADMIN}/spend-discounts/", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "￥5,000以上で￥500引き · ￥10,000以上で10%オフ" in spend
    gifts = client.get(f"{ADMIN}/free-gifts/", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "Tote bag" in gifts and "￥8,000以上" in gifts
    home = client.get(f"{ADMIN}/", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "購入金額に応じた値引き" in home and "ノベルティ" in home


def test_the_linter_flags_a_gift_the_shop_does_not_sell_or_has_run_out_of(shop, admin):
    sold_out = admin.post(f"{API}/free-gifts", json=dict(GIFT, gift_product_id="scarf"))
    assert sold_out.status_code == 201
    codes = [warning["code"] for warning in admin.get(f"{API}/free-gifts/{sold_out.json['id']}").json["warnings"]]
    assert codes == ["out_of_stock"]
    in_stock = admin.post(f"{API}/free-gifts", json=GIFT)
    assert admin.get(f"{API}/free-gifts/{in_stock.json['id']}").json["warnings"] == []


def test_the_audit_log_shows_a_spend_discounts_steps_as_the_owner_wrote_them(shop, admin):
    created = admin.post(f"{API}/spend-discounts", json=SPEND).json
    admin.patch(f"{API}/spend-discounts/{created['id']}", json={"steps": [{"threshold": 3_000, "amount_off": 300}],
                                                                 "version": created["version"]})
    page = shop[0].test_client().get(f"{ADMIN}/audit", headers={"Accept-Language": "ja"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "￥5,000: ￥500, ￥10,000: 10%" in text and "￥3,000: ￥300" in text and "金額の段階" in text
