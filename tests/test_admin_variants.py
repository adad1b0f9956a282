"""A/B variants in the admin: the JSON API and the HTML form save them, refuse bad ones, and shoppers see them."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from bs4 import BeautifulSoup
from flask_wtf.csrf import generate_csrf

from plugin import models
from plugin.storage.audit import AuditEntry
from plugin.storage.post_purchase import PostPurchaseOffer
from shop import OrderingAdapter, visitor_for

API = "/tsuide/admin/api"
ADMIN = "/tsuide/admin"
BUNDLE = {"label": "3袋セット", "label_en": "3-bag set", "items": [{"product_id": "healthfood", "quantity": 3}],
          "pricing_mode": "percent_off", "discount_percent": 10, "confirm_price_test": True}
CONTROL = {"name": "A"}
CHALLENGER = {"name": "B", "label": "まとめ買いで15%オフ", "label_en": "15% off the set",
              "button_label": "3袋にする", "button_label_en": "Make it three", "discount_percent": 15}
EMPTY = {"weight": 1, "label": None, "label_en": None, "button_label": None, "button_label_en": None,
         "discount_percent": None, "pricing_value": None}
VOLUME = {"label": "Tiers", "categories": ["accessories"], "tiers": [{"min_quantity": 2, "discount_percent": 10}]}
OFFER = {"label": "Care", "kind": "add_on", "items": [{"product_id": "spray"}], "trigger_products": ["sneakers"],
         "discount_percent": 20, "confirm_price_test": True}
BUNDLE_FORM = {"label": "3袋セット", "label_en": "3-bag set", "items-0-product_id": "healthfood",
               "items-0-quantity": "3", "pricing_mode": "percent_off", "pricing_value": "10", "priority": "0",
               "action": "save", "confirm_price_test": "1"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def shop(admin_shop):
    return admin_shop


def admin_client(app):
    """A test client with a CSRF token bound to its session, sent on every write."""
    client = app.test_client()
    with client.session_transaction() as session, app.test_request_context():
        from flask import session as request_session
        token = generate_csrf()
        session.update(request_session)
    client.environ_base["HTTP_X_CSRFTOKEN"] = token
    return client


@pytest.fixture
def admin(shop):
    return admin_client(shop[0])


def variant_rows(shop):
    """(id, parent, name, weight, pricing_value) of every row in tsuide_variants, in order."""
    app, db, *_ = shop
    with app.app_context():
        return [(v.id, v.rule_id or f"pp:{v.pp_offer_id}", v.name, v.weight, v.pricing_value)
                for v in db.session.query(models.Variant).order_by(models.Variant.rule_id, models.Variant.pp_offer_id,
                                                                   models.Variant.position)]


def count(shop, model):
    app, db, *_ = shop
    with app.app_context():
        return db.session.query(model).count()


def form_post(client, url, data, **kwargs):
    token = TOKEN.search(client.get(f"{ADMIN}/bundles/new").get_data(as_text=True)).group(1)
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


# -- the JSON API ----------------------------------------------------------------------------------------

def test_variants_are_created_read_back_in_order_updated_in_place_and_removed(shop, admin):
    created = admin.post(f"{API}/bundles", json=dict(BUNDLE, variants=[CONTROL, CHALLENGER]))
    assert created.status_code == 201, created.json
    expected = [dict(EMPTY, name="A"), dict(EMPTY, **CHALLENGER)]
    assert created.json["variants"] == expected
    path = f"{API}/bundles/{created.json['id']}"
    assert admin.get(path).json["variants"] == expected
    assert admin.patch(path, json={"label": "新しい名前"}).json["variants"] == expected  # PATCH leaves them be
    before = variant_rows(shop)
    assert [(parent, name, pricing) for _, parent, name, _, pricing in before] == [
        (int(created.json["id"]), "A", None), (int(created.json["id"]), "B", 1500)]

    changed = admin.put(path, json=dict(BUNDLE, variants=[CONTROL, dict(CHALLENGER, weight=3)]))
    assert changed.status_code == 200, changed.json
    assert [v["weight"] for v in changed.json["variants"]] == [1, 3]
    after = variant_rows(shop)
    assert [row[0] for row in after] == [row[0] for row in before]  # the same rows, edited in place
    assert [row[3] for row in after] == [1, 3]

    cleared = admin.put(path, json=dict(BUNDLE, variants=[]))
    assert cleared.status_code == 200 and cleared.json["variants"] == []
    assert variant_rows(shop) == []


@pytest.mark.parametrize(("kind", "body"), [
    ("bundles", dict(BUNDLE, variants=[CONTROL])),
    ("bundles", dict(BUNDLE, variants=[CONTROL, dict(CHALLENGER, name="A")])),
    ("bundles", dict(BUNDLE, variants=[{"name": "<b>"}, CHALLENGER])),
    ("bundles", dict(BUNDLE, variants=[dict(CONTROL, weight=0), CHALLENGER])),
    ("bundles", dict(BUNDLE, variants=[{"name": f"V{n}"} for n in range(6)])),
    ("bundles", dict(BUNDLE, variants=[CONTROL, dict(CHALLENGER, discount_percent=120)])),  # 120% off
    ("volume-discounts", dict(VOLUME, variants=[CONTROL, {"name": "B", "pricing_value": 500}])),
    ("post-purchase-offers", dict(OFFER, variants=[CONTROL, {"name": "B", "discount_percent": 120}])),
], ids=["single", "duplicate", "bad-name", "weight-0", "six", "120-percent", "volume-priced", "offer-120-percent"])
def test_bad_variants_are_400_under_variants_and_write_nothing(shop, admin, kind, body):
    response = admin.post(f"{API}/{kind}", json=body)
    assert response.status_code == 400, response.json
    assert "variants" in response.json["error"]["fields"]
    assert (count(shop, models.Rule), count(shop, PostPurchaseOffer), count(shop, AuditEntry)) == (0, 0, 0)
    assert variant_rows(shop) == []


def test_a_refused_update_leaves_the_saved_variants_as_they_were(shop, admin):
    created = admin.post(f"{API}/bundles", json=dict(BUNDLE, variants=[CONTROL, CHALLENGER])).json
    before = variant_rows(shop)
    path = f"{API}/bundles/{created['id']}"
    for variants in ([CONTROL], [CONTROL, dict(CHALLENGER, discount_percent=120)], [CONTROL, {"name": "C D!"}]):
        response = admin.put(path, json=dict(BUNDLE, variants=variants))
        assert response.status_code == 400 and "variants" in response.json["error"]["fields"], response.json
        assert variant_rows(shop) == before
    assert admin.get(path).json["version"] == 1


def test_a_thank_you_offer_round_trips_its_variants_but_its_downsell_takes_none(shop, admin):
    variants = [CONTROL, {"name": "B", "label_en": "Keep them dry", "button_label_en": "Yes, add it",
                          "discount_percent": 30}]
    created = admin.post(f"{API}/post-purchase-offers", json=dict(OFFER, variants=variants))
    assert created.status_code == 201, created.json
    expected = [dict(EMPTY, name="A"), dict(EMPTY, **variants[1])]
    assert admin.get(f"{API}/post-purchase-offers/{created.json['id']}").json["variants"] == expected
    assert [row[1:] for row in variant_rows(shop)] == [(f"pp:{created.json['id']}", "A", 1, None),
                                                       (f"pp:{created.json['id']}", "B", 1, 3000)]

    downsell = {"label": "Brush", "kind": "add_on", "items": [{"product_id": "brush"}],
                "trigger_products": ["sneakers"], "variants": variants}
    refused = admin.post(f"{API}/post-purchase-offers", json=dict(OFFER, label="Other", downsell=downsell))
    assert refused.status_code == 400
    assert "variants" in refused.json["error"]["fields"]["downsell"]
    assert count(shop, PostPurchaseOffer) == 1 and len(variant_rows(shop)) == 2


# -- the HTML form ---------------------------------------------------------------------------------------

VARIANT_FORM = {"variants-0-name": "A", "variants-1-name": "B", "variants-1-weight": "2",
                "variants-1-label": "まとめ買いで15%オフ", "variants-1-button_label": "3袋にする",
                "variants-1-pricing_value": "15"}


def test_the_form_saves_variant_rows_in_percent_and_shows_them_back(shop, admin):
    response = form_post(admin, f"{ADMIN}/bundles/new", dict(BUNDLE_FORM, **VARIANT_FORM))
    assert response.status_code == 302, response.get_data(as_text=True)
    rows = variant_rows(shop)
    assert [row[2:] for row in rows] == [("A", 1, None), ("B", 2, 1500)]
    bundle = rows[0][1]
    html = admin.get(f"{ADMIN}/bundles/{bundle}").get_data(as_text=True)
    page = BeautifulSoup(html, "html.parser")
    fieldset = page.select_one("fieldset[data-variants]")
    assert fieldset.select_one('input[name="variants-0-name"]')["value"] == "A"
    assert fieldset.select_one('input[name="variants-1-pricing_value"]')["value"] == "15"
    assert fieldset.select_one('input[name="variants-1-label"]')["value"] == "まとめ買いで15%オフ"
    assert fieldset.select_one('input[name="variants-0-pricing_value"]')["value"] == ""
    # Saving the edit page as shown changes nothing: the same rows, still 15%.
    again = form_post(admin, f"{ADMIN}/bundles/{bundle}", dict(BUNDLE_FORM, **VARIANT_FORM, version="1"))
    assert again.status_code == 302, again.get_data(as_text=True)
    assert variant_rows(shop) == rows


def test_a_form_with_one_variant_shows_the_error_by_the_variants_and_saves_nothing(shop, admin):
    one = {"variants-0-name": "A", "variants-0-label": "typed by me"}
    response = form_post(admin, f"{ADMIN}/bundles/new", dict(BUNDLE_FORM, **one), headers={"Accept-Language": "en"})
    assert response.status_code == 400
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    errors = [p.get_text() for p in page.select("fieldset[data-variants] .ta-error")]
    assert errors == ["An A/B test needs at least two variants (or none)."]
    assert page.select_one('input[name="variants-0-label"]')["value"] == "typed by me"
    assert (count(shop, models.Rule), variant_rows(shop)) == (0, [])


# -- what shoppers see -----------------------------------------------------------------------------------

def test_variants_saved_in_the_admin_reach_the_shoppers_cart_at_once(shop, admin):
    app, db, tsuide, adapter = shop
    adapter.lines = {"healthfood": 1}
    created = admin.post(f"{API}/bundles", json=BUNDLE).json
    shopper_b = app.test_client()
    shopper_a = app.test_client()
    for client, variant in ((shopper_b, "B"), (shopper_a, "A")):
        with client.session_transaction() as session:
            session["tsuide_visitor"] = visitor_for(app, created["id"], variant)

    def seen(client):
        body = client.get("/tsuide/api/cart").json
        [offer] = body["offers"]
        button = BeautifulSoup(body["panel_html"], "html.parser").select_one(
            f'button[data-tsuide-offer="{created["id"]}"]')
        return offer["label"], offer["saving"]["amount"], button.get_text()

    before = seen(shopper_b)  # the rule cache now holds the bundle without a test
    assert before[:2] == ("3袋セット", 900)
    saved = admin.put(f"{API}/bundles/{created['id']}", json=dict(BUNDLE, variants=[CONTROL, CHALLENGER]))
    assert saved.status_code == 200, saved.json
    # 15% of 3 x ¥3,000; the click adds 2 bags, so "3袋にする" gives way to what it adds.
    assert seen(shopper_b) == ("まとめ買いで15%オフ", 1350, "2点を追加する")
    assert seen(shopper_a) == before

    admin.put(f"{API}/bundles/{created['id']}", json=dict(BUNDLE, variants=[]))
    assert seen(shopper_b) == before  # the test is over: everyone sees the offer as configured


def test_ending_a_thank_you_offers_test_reaches_the_thank_you_page_at_once(database_url, make_shop):
    adapter = OrderingAdapter()
    app, db, tsuide, _ = make_shop(database_url, adapter=adapter)
    adapter.admin, adapter.customer_id = True, "c-1"
    adapter.place("A-1", [("sneakers", 1)], datetime.now(timezone.utc) - timedelta(minutes=1))
    admin = admin_client(app)
    variants = [CONTROL, {"name": "B", "label_en": "Keep them dry", "discount_percent": 30}]
    created = admin.post(f"{API}/post-purchase-offers", json=dict(OFFER, label_en="Waterproof spray",
                                                                 variants=variants)).json
    shopper = app.test_client()
    with shopper.session_transaction() as session:
        session["tsuide_visitor"] = visitor_for(app, f"pp:{created['id']}", "B")

    def seen():
        offer = shopper.get("/tsuide/api/orders/A-1/offer", headers={"Accept-Language": "en"}).json["offer"]
        return offer["label"], offer["charge"]["amount"]

    assert seen() == ("Keep them dry", 1_050)  # ¥1,500 spray, 30% off
    ended = admin.patch(f"{API}/post-purchase-offers/{created['id']}", json={"variants": []})
    assert ended.status_code == 200 and ended.json["variants"] == []
    assert seen() == ("Waterproof spray", 1_200)  # the offer's own 20% off


# -- export and import -----------------------------------------------------------------------------------

def test_export_carries_variants_and_import_restores_them(shop, admin):
    admin.post(f"{API}/bundles", json=dict(BUNDLE, variants=[CONTROL, dict(CHALLENGER, weight=3)]))
    admin.post(f"{API}/volume-discounts", json=dict(VOLUME, variants=[CONTROL, {"name": "B", "label": "まとめて"}]))
    admin.post(f"{API}/post-purchase-offers",
               json=dict(OFFER, variants=[CONTROL, {"name": "B", "discount_percent": 30}]))
    document = admin.get(f"{API}/export").json
    exported = {kind: document[kind][0]["variants"] for kind in ("bundles", "volume-discounts", "post-purchase-offers")}
    assert exported == {
        "bundles": [dict(EMPTY, name="A"), dict(EMPTY, **CHALLENGER, weight=3)],
        "volume-discounts": [dict(EMPTY, name="A"), dict(EMPTY, name="B", label="まとめて")],
        "post-purchase-offers": [dict(EMPTY, name="A"), dict(EMPTY, name="B", discount_percent=30)],
    }

    response = admin.post(f"{API}/import", json=document)
    assert response.status_code == 200, response.json
    for kind, variants in exported.items():
        [live] = admin.get(f"{API}/{kind}").json["items"]
        assert live["variants"] == variants
    assert len(variant_rows(shop)) == 12  # six on the replaced (restorable) records, six on the imported ones

    broken = dict(document, bundles=[dict(document["bundles"][0], variants=[CONTROL])])
    refused = admin.post(f"{API}/import", json=broken)
    assert refused.status_code == 400 and "bundles" in refused.json["error"]["fields"]
    assert len(variant_rows(shop)) == 12


def test_a_variant_discount_below_the_margin_needs_the_same_confirmation(shop, admin):
    deep = {"variants-0-name": "A", "variants-1-name": "B", "variants-1-pricing_value": "95"}
    response = form_post(admin, f"{ADMIN}/bundles/new", dict(BUNDLE_FORM, **deep))
    assert response.status_code == 400
    warning = BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one("[data-margin-warning]")
    assert "3袋セット · B" in warning.get_text()
    assert count(shop, models.Rule) == 0
    confirmed = form_post(admin, f"{ADMIN}/bundles/new", dict(BUNDLE_FORM, **deep, confirm_margin="1"))
    assert confirmed.status_code == 302
    assert [row[2:] for row in variant_rows(shop)] == [("A", 1, None), ("B", 1, 9500)]


def test_changing_the_pricing_mode_needs_the_variants_discounts_in_the_new_mode(shop, admin):
    created = admin.post(f"{API}/bundles", json=dict(BUNDLE, variants=[CONTROL, CHALLENGER])).json
    refused = admin.patch(f"{API}/bundles/{created['id']}", json={"pricing_mode": "fixed_price",
                                                                  "pricing_value": 8000})
    assert refused.status_code == 400 and "variants" in refused.json["error"]["fields"]
    assert [row[4] for row in variant_rows(shop)] == [None, 1500]
    with_variants = admin.patch(f"{API}/bundles/{created['id']}", json={
        "pricing_mode": "fixed_price", "pricing_value": 8000, "confirm_price_test": True,
        "variants": [CONTROL, dict(CHALLENGER, discount_percent=None, pricing_value=7500)]})
    assert with_variants.status_code == 200, with_variants.json
    assert [row[4] for row in variant_rows(shop)] == [None, 7500]
