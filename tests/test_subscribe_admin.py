"""The admin for 定期 offers: no offer without its terms (form, API, import), the linter, preview, audit."""
import pytest

from plugin.admin import linter
from plugin.storage.audit import AuditEntry
from plugin.storage.post_purchase import PostPurchaseOffer
from test_admin_pages import ADMIN, field_block, post, query

API = "/tsuide/admin/api"
TERMS = {"payment_terms": "各回の発送時に決済", "payment_terms_en": "Charged when each delivery ships",
         "cancel_terms": "次回お届けの7日前までにマイページから", "cancel_terms_en": "From My Page, 7 days before a delivery"}
PLAN = {"label": "毎月の定期便で10%オフ", "label_en": "Monthly, 10% off", "kind": "subscribe",
        "replaces_product_id": "healthfood", "pricing_mode": "percent_off", "discount_percent": 10,
        "cycle_every": 1, "cycle_unit": "month", "min_deliveries": 3, **TERMS,
        "downsell": {"label": "3ヶ月ごとのお届けなら", "kind": "subscribe", "replaces_product_id": "healthfood",
                     "discount_percent": 5, "cycle_every": 3, "cycle_unit": "month", **TERMS}}
FORM = {"label": "毎月の定期便で10%オフ", "kind": "subscribe", "replaces_product_id": "healthfood",
        "pricing_mode": "percent_off", "pricing_value": "10", "segment": "any", "priority": "0",
        "cycle_every": "1", "cycle_unit": "month", "min_deliveries": "3", **TERMS, "action": "save"}


@pytest.fixture
def shop(admin_shop):
    return admin_shop


@pytest.fixture
def client(shop):
    return shop[0].test_client()



def test_the_api_saves_a_plan_with_its_terms_and_audits_it(shop, admin):
    response = admin.post(f"{API}/post-purchase-offers", json=PLAN)
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["kind"], body["cycle_every"], body["cycle_unit"], body["min_deliveries"]) == ("subscribe", 1, "month", 3)
    assert body["cancel_terms_en"] == TERMS["cancel_terms_en"] and body["items"] == []
    assert body["downsell"]["cycle_every"] == 3
    [offer, downsell] = query(shop, PostPurchaseOffer)
    assert (offer.payment_terms, downsell.parent_id) == (TERMS["payment_terms"], offer.id)
    assert any(entry.action == "create" for entry in query(shop, AuditEntry))


@pytest.mark.parametrize("missing", ["payment_terms", "payment_terms_en", "cancel_terms", "cancel_terms_en",
                                     "cycle_every", "cycle_unit"])
def test_the_api_refuses_a_plan_without_a_term_naming_the_field(shop, admin, missing):
    response = admin.post(f"{API}/post-purchase-offers", json=dict(PLAN, **{missing: None}))
    assert response.status_code == 400
    assert missing in response.json["error"]["fields"]
    assert query(shop, PostPurchaseOffer) == []


def test_every_missing_term_is_named_at_once_even_in_a_downsell(shop, admin):
    downsell = {key: value for key, value in PLAN["downsell"].items() if key not in TERMS}
    response = admin.post(f"{API}/post-purchase-offers", json=dict(PLAN, cancel_terms="", payment_terms_en="  ",
                                                                   downsell=downsell))
    assert response.status_code == 400
    fields = response.json["error"]["fields"]
    assert {"cancel_terms", "payment_terms_en"} <= fields.keys()
    assert set(TERMS) <= fields["downsell"].keys()


def test_a_subscription_adds_no_products_and_a_plan_needs_subscribe(shop, admin):
    response = admin.post(f"{API}/post-purchase-offers", json=dict(PLAN, items=[{"product_id": "spray"}]))
    assert response.status_code == 400 and "items" in response.json["error"]["fields"]
    add_on = {"label": "Care", "kind": "add_on", "trigger_products": ["sneakers"]}
    response = admin.post(f"{API}/post-purchase-offers", json=add_on)
    assert response.status_code == 400 and "items" in response.json["error"]["fields"]


def test_export_and_import_carry_the_plan_and_import_refuses_one_without_terms(shop, admin):
    admin.post(f"{API}/post-purchase-offers", json=PLAN)
    document = admin.get(f"{API}/export").json
    [exported] = document["post-purchase-offers"]
    assert exported["cancel_terms"] == TERMS["cancel_terms"]
    broken = dict(document, **{"post-purchase-offers": [dict(exported, cancel_terms_en=None)]})
    response = admin.post(f"{API}/import", json=broken)
    assert response.status_code == 400
    assert "post-purchase-offers" in response.json["error"]["fields"]
    assert "cancel_terms_en" in str(response.json["error"]["fields"])
    response = admin.post(f"{API}/import", json=document)
    assert response.status_code == 200, response.json
    [imported] = admin.get(f"{API}/post-purchase-offers").json["items"]
    assert (imported["cycle_every"], imported["downsell"]["cycle_every"]) == (1, 3)


def test_the_openapi_document_describes_the_plan(admin):
    document = admin.get(f"{API}/openapi.json").json
    schema = str(document["components"]["schemas"])
    for name in ("cycle_every", "cycle_unit", "min_deliveries", "payment_terms_en", "cancel_terms"):
        assert name in schema
    assert "subscribe" in schema


def test_the_form_saves_a_plan_and_names_each_missing_term(shop, client):
    response = post(client, f"{ADMIN}/post-purchase-offers/new", dict(FORM, cancel_terms="", payment_terms_en=""))
    html = response.get_data(as_text=True)
    assert response.status_code in (200, 400)
    assert "解約方法を記入してください" in field_block(html, "cancel_terms")
    assert "お支払い時期を記入してください" in field_block(html, "payment_terms_en")
    assert 'data-plan open' in html  # the plan's fields are shown where the errors are
    assert query(shop, PostPurchaseOffer) == []
    assert post(client, f"{ADMIN}/post-purchase-offers/new", FORM).status_code == 302
    [offer] = query(shop, PostPurchaseOffer)
    assert (offer.kind, offer.pricing_value, offer.cycle_every, offer.min_deliveries) == ("subscribe", 1000, 1, 3)


def test_the_plan_fields_stay_closed_for_other_offers(client):
    html = client.get(f"{ADMIN}/post-purchase-offers/new").get_data(as_text=True)
    assert "<details class=\"ta-fieldset ta-details\" data-plan>" in html
    assert '定期：ご購入を定期便に切り替える' in html


def test_the_preview_shows_the_terms_and_what_a_delivery_costs(client):
    response = post(client, f"{ADMIN}/post-purchase-offers/new", dict(FORM, action="preview"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "data-tsuide-terms" in html
    assert "2回目以降 1回￥2,700" in html  # the sample order's one bag, 10% off
    assert "最低3回のお受け取りが条件です。3回分の総額￥8,400" in html


def test_the_linter_says_terms_complete_or_names_what_is_missing():
    complete = dict(PLAN)
    assert [f.code for f in linter.lint_offer(complete, {})] == []
    found = linter.lint_offer(dict(PLAN, cancel_terms_en="", downsell=dict(PLAN["downsell"], payment_terms=None)), {})
    assert [(f.code, f.severity, f.fields) for f in found] == [
        ("terms_incomplete", "error", ("cancel_terms_en",)),
        ("terms_incomplete", "error", ("downsell.payment_terms",))]
    assert "特定商取引法" in found[0].text("ja")
    contradicts = linter.lint_offer(dict(PLAN, cancel_terms="いつでも解約できます"), {})
    assert [f.code for f in contradicts] == ["cancel_contradicts_minimum"]
    assert "最低3回" in contradicts[0].text("ja")


def test_the_first_deliverys_discount_is_read_and_given_in_percent(shop, admin):
    """Percent for people: the API takes and answers first_discount_percent; the table keeps basis points."""
    plan = dict(PLAN, first_pricing_mode="percent_off", first_discount_percent=12.5)
    plan.pop("downsell")
    created = admin.post(f"{API}/post-purchase-offers", json=plan)
    assert created.status_code == 201, created.json
    assert (created.json["first_discount_percent"], created.json["first_pricing_value"]) == (12.5, None)
    [offer] = query(shop, PostPurchaseOffer)
    assert offer.first_pricing_value == 1_250
    wrong_unit = admin.post(f"{API}/post-purchase-offers", json=dict(plan, first_discount_percent=None,
                                                                     first_pricing_value=1_250))
    assert wrong_unit.status_code == 400 and "first_pricing_value" in wrong_unit.json["error"]["fields"]
    amount = admin.post(f"{API}/post-purchase-offers", json=dict(plan, first_pricing_mode="amount_off"))
    assert amount.status_code == 400 and "first_discount_percent" in amount.json["error"]["fields"]


def test_the_form_reads_and_shows_the_first_deliverys_percentage(shop):
    client = shop[0].test_client()
    saved = post(client, f"{ADMIN}/post-purchase-offers/new",
                 dict(FORM, first_pricing_mode="percent_off", first_pricing_value="20"))
    assert saved.status_code == 302, saved.get_data(as_text=True)[:500]
    [offer] = query(shop, PostPurchaseOffer)
    assert offer.first_pricing_value == 2_000
    page = client.get(f"{ADMIN}/post-purchase-offers/{offer.id}").get_data(as_text=True)
    assert 'name="first_pricing_value"' in page and 'value="20"' in page.split('name="first_pricing_value"')[1][:200]
