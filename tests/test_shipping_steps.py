"""Reduced shipping fees on the way to free shipping ("¥3,000以上で送料¥300、¥5,000以上で無料"): the admin's API
and form save them, refuse bad ones by field writing nothing, and the shop charges and says what they make."""
import pytest

from plugin import models
from test_admin_pages import ADMIN, post, query

API = "/tsuide/admin/api"
THRESHOLD = {"label": "5,000円以上で送料無料", "currency": "JPY", "threshold": 5_000, "fee": 600,
             "fee_steps": [{"threshold": 3_000, "fee": 300}], "rewards": [{"threshold": 10_000, "label": "ノベルティ"}]}


@pytest.fixture
def shop(admin_shop):
    return admin_shop



def test_the_api_saves_reduced_fees_apart_from_rewards_and_a_patch_keeps_the_other(shop, admin):
    created = admin.post(f"{API}/shipping-thresholds", json=THRESHOLD)
    assert created.status_code == 201, created.json
    body = created.json
    assert body["fee_steps"] == [{"threshold": 3_000, "fee": 300}]
    assert [(reward["threshold"], reward["label"]) for reward in body["rewards"]] == [(10_000, "ノベルティ")]
    changed = admin.patch(f"{API}/shipping-thresholds/{body['id']}", json={
        "fee_steps": [{"threshold": 2_000, "fee": 400}, {"threshold": 4_000, "fee": 200}], "version": body["version"]})
    assert changed.status_code == 200, changed.json
    assert changed.json["fee_steps"] == [{"threshold": 2_000, "fee": 400}, {"threshold": 4_000, "fee": 200}]
    assert [reward["threshold"] for reward in changed.json["rewards"]] == [10_000]  # left as it was
    rewards_only = admin.patch(f"{API}/shipping-thresholds/{body['id']}", json={
        "rewards": [], "version": changed.json["version"]})
    assert rewards_only.json["fee_steps"] == changed.json["fee_steps"] and rewards_only.json["rewards"] == []


@pytest.mark.parametrize("steps", [
    [{"threshold": 6_000, "fee": 300}],                                    # at or above free shipping
    [{"threshold": 3_000, "fee": 600}],                                    # not cheaper than the fee below it
    [{"threshold": 3_000, "fee": 300}, {"threshold": 4_000, "fee": 400}],  # dearer than the step before
    [{"threshold": 3_000, "fee": 300}, {"threshold": 3_000, "fee": 100}],  # the same threshold twice
    [{"threshold": 3_000, "fee": -1}],
    [{"threshold": 3_000}],
])
def test_a_bad_step_is_refused_by_field_and_nothing_is_written(shop, admin, steps):
    response = admin.post(f"{API}/shipping-thresholds", json=dict(THRESHOLD, fee_steps=steps))
    assert response.status_code == 400, response.json
    assert "fee_steps" in response.json["error"]["fields"]
    assert query(shop, models.ShippingRule) == []


def test_the_form_saves_a_step_and_shows_an_engine_refusal_next_to_the_steps(shop):
    client = shop[0].test_client()
    form = {"label": "送料", "currency": "JPY", "threshold": "5,000", "fee": "600", "fee_steps-0-threshold": "3,000",
            "fee_steps-0-fee": "300", "priority": "0", "action": "save"}
    saved = post(client, f"{ADMIN}/shipping-thresholds/new", form)
    assert saved.status_code == 302
    [row] = query(shop, models.ShippingRule)
    assert [(step.threshold, step.fee) for step in row.steps] == [(3_000, 300)]
    refused = post(client, f"{ADMIN}/shipping-thresholds/new", dict(form, **{"fee_steps-0-fee": "900"}))
    assert refused.status_code == 400
    assert "各段階の送料は、前の送料より安く、0以上にしてください。" in refused.get_data(as_text=True)
    assert len(query(shop, models.ShippingRule)) == 1


def test_the_cart_charges_the_step_reached_and_the_bar_names_the_next_one(shop, admin):
    assert admin.post(f"{API}/shipping-thresholds", json=THRESHOLD).status_code == 201
    app, tsuide, adapter = shop[0], shop[2], shop[3]
    adapter.lines = {"healthfood": 1}  # ¥3,000: the ¥300 step
    with app.test_request_context():
        quote = tsuide.quote()
    assert (quote.shipping_fee, quote.free_shipping.fee, quote.free_shipping.remaining) == (300, 300, 2_000)
    assert quote.free_shipping.next_step is None


@pytest.mark.parametrize("language, expected", [
    ("ja", "あと￥1,500で送料￥300 · あと￥3,500で送料無料"),
    ("en", "¥1,500 more for shipping at ¥300 · ¥3,500 more for free shipping"),
])
def test_the_bar_reads_the_nearest_step_first_and_the_json_says_the_fee_now(shop, admin, language, expected):
    with shop[0].app_context():
        shop[1].session.add(models.ShippingRule(label="送料", currency="JPY", threshold=5_000, fee=600,
                                                steps=[models.RuleStep(threshold=3_000, fee=300)]))
        shop[1].session.commit()
    shop[3].lines = {"spray": 1}  # ¥1,500
    body = shop[0].test_client().get("/tsuide/api/cart", headers={"Accept-Language": language}).json
    progress = body["free_shipping"]
    assert progress["fee"]["amount"] == 600 and body["shipping_fee"]["amount"] == 600
    assert (progress["next_step"]["fee"]["amount"], progress["next_step"]["remaining"]["amount"]) == (300, 1_500)
    assert expected in body["panel_html"]
