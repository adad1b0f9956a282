"""A/B tests of spend discounts, free gifts and buy X get Y (README "Variants"): what each kind's variant may
change, the admin's API, form and OpenAPI, and what shoppers see and pay in the cart API and at the checkout.

Expectations come from the README: a buy X get Y variant's discount replaces the discount of each get unit
(its one value); a spend discount (several steps) and a free gift (free) test copy only, and a discount or
a button sent for them is a 400 naming the variant's field.
"""
from datetime import datetime, timezone

import pytest
import schemathesis
from bs4 import BeautifulSoup

from factories import CATALOGUE, cart
from plugin import models
from plugin.engine.quote import quote_cart
from plugin.engine.rules import (BuyXGetY, FreeGift, PricingMode, RuleBook, RuleError, SpendDiscount, SpendStep,
                                 VolumeDiscount, VolumeTier)
from plugin.engine.variants import VariantSpec, apply_variant, can_price, check_variants, refusals
from plugin.storage.audit import AuditEntry
from shop import OrderingAdapter, as_visitor, csrf_client, held_out_visitor, visitor_for

API = "/tsuide/admin/api"
ADMIN = "/tsuide/admin"
NOW = datetime(2026, 11, 30, tzinfo=timezone.utc)

#: シューケア用品2点買うと1点無料 (spray ¥1,500, cleaner ¥1,200, brush ¥800: the brush is free).
BXGY = {"buy_categories": ["shoe-care"], "buy_quantity": 2, "get_quantity": 1, "pricing_mode": "percent_off",
        "discount_percent": 100, "label": ""}
HALF = {"name": "B", "discount_percent": 50}
SPEND = {"label": "5,000円以上で500円引き", "label_en": "¥500 off from ¥5,000", "currency": "JPY",
         "steps": [{"threshold": 5_000, "amount_off": 500}, {"threshold": 10_000, "discount_percent": 10}]}
GIFT = {"label": "ノベルティ", "label_en": "Free tote", "currency": "JPY", "gift_product_id": "tote",
        "threshold": 8_000}
COPY_B = {"name": "B", "label": "お得なB案", "label_en": "Plan B copy"}
EMPTY = {"weight": 1, "label": None, "label_en": None, "button_label": None, "button_label_en": None,
         "discount_percent": None, "pricing_value": None}


# -- the engine ------------------------------------------------------------------------------------------

def buy_get(**terms) -> BuyXGetY:
    return BuyXGetY(id="1", label="2点買うと1点無料", buy_categories=frozenset({"shoe-care"}), buy_quantity=2,
                    **terms)


SPEND_RULE = SpendDiscount(id="2", label="¥500引き", currency="JPY",
                           steps=(SpendStep(5_000, amount_off=500), SpendStep(10_000, percent_bp=1_000)))
GIFT_RULE = FreeGift(id="3", label="ノベルティ", currency="JPY", gift_product_id="tote", threshold=8_000)
VOLUME_RULE = VolumeDiscount(id="4", label="まとめ買い", categories=frozenset({"accessories"}),
                             tiers=(VolumeTier(2, 1_000),))


def test_only_kinds_with_one_value_to_vary_can_test_a_discount():
    assert can_price(buy_get()) is True
    assert [can_price(rule) for rule in (SPEND_RULE, GIFT_RULE, VOLUME_RULE)] == [False, False, False]


@pytest.mark.parametrize(("rule", "refused"), [
    (buy_get(), set()),
    (VOLUME_RULE, {"pricing_value"}),
    (SPEND_RULE, {"pricing_value", "button_label", "button_label_en"}),
    (GIFT_RULE, {"pricing_value", "button_label", "button_label_en"}),
])
def test_what_each_kind_refuses_is_named_by_the_variants_field(rule, refused):
    spec = VariantSpec("B", label="B案", label_en="Plan B", button_label="押す", button_label_en="Press",
                       pricing_value=5_000)
    assert set(refusals(rule, spec)) == refused
    assert refusals(rule, VariantSpec("B", label="B案", label_en="Plan B")) == {}
    if refused:
        with pytest.raises(RuleError) as error:
            apply_variant(rule, spec)
        assert all(message.startswith("B: ") for message in error.value.errors["variants"])
        with pytest.raises(RuleError) as checked:
            check_variants([VariantSpec("A"), spec], can_price(rule), rule)
        assert len(checked.value.errors["variants"]) == len(refused)  # each refusal once, by kind


def test_a_copy_variant_of_a_spend_discount_or_gift_changes_its_words_and_nothing_else():
    spec = VariantSpec("B", label="B案", label_en="Plan B")
    for rule in (SPEND_RULE, GIFT_RULE):
        changed = apply_variant(rule, spec)
        assert (changed.label_for("ja"), changed.label_for("en")) == ("B案", "Plan B")
        assert changed == rule.__class__(**{**rule.__dict__, "label": "B案", "translations": (("en", "Plan B"),)})
        assert apply_variant(rule, VariantSpec("A")) == rule  # the control is the rule


@pytest.mark.parametrize(("mode", "value", "variant", "saving"), [
    ("percent_off", 10_000, 5_000, 400),  # the brush at 50% off instead of free
    ("percent_off", 5_000, 10_000, 800),  # 半額 -> free
    ("amount_off", 300, 500, 500),        # ¥500 off the brush instead of ¥300
])
def test_a_buy_x_get_y_variant_prices_the_get_units_at_its_own_discount(mode, value, variant, saving):
    rule = buy_get(mode=PricingMode(mode), value=value)
    priced = apply_variant(rule, VariantSpec("B", pricing_value=variant))
    assert priced == BuyXGetY(**{**rule.__dict__, "value": variant})
    lines = cart(("spray", 1), ("cleaner", 1), ("brush", 1))
    quote = quote_cart(lines, RuleBook((priced,)), CATALOGUE, now=NOW, with_offers=False)
    assert [(d.rule_id, d.amount) for d in quote.discounts] == [("1", saving)]
    assert quote.total == 3_500 - saving


# -- the admin's API -------------------------------------------------------------------------------------

@pytest.fixture
def shop(admin_shop):
    return admin_shop



def variant_rows(shop):
    app, db, *_ = shop
    with app.app_context():
        return [(v.rule_id, v.name, v.label, v.button_label, v.pricing_value)
                for v in db.session.query(models.Variant).order_by(models.Variant.rule_id, models.Variant.position)]


def counts(shop):
    app, db, *_ = shop
    with app.app_context():
        return tuple(db.session.query(model).count() for model in (models.Rule, models.Variant, AuditEntry))


def test_a_buy_x_get_y_price_test_needs_confirming_and_says_its_own_discount(shop, admin):
    body = dict(BXGY, variants=[{"name": "A"}, HALF])
    refused = admin.post(f"{API}/buy-x-get-y", json=body)
    assert refused.status_code == 400 and set(refused.json["error"]["fields"]) == {"confirm_price_test"}
    assert counts(shop) == (0, 0, 0)
    created = admin.post(f"{API}/buy-x-get-y", json=dict(body, confirm_price_test=True))
    assert created.status_code == 201, created.json
    assert created.json["label"] == "2点買うと1点無料"
    # The challenger says its own discount (written from the values, as the rule's label is).
    assert created.json["variants"] == [dict(EMPTY, name="A"), dict(
        EMPTY, **HALF, label="2点買うと1点50%オフ", label_en="Buy 2, get 1 at 50% off")]
    assert [row[1:] for row in variant_rows(shop)] == [("A", None, None, None), ("B", "2点買うと1点50%オフ", None, 5_000)]
    assert "price_test" in {warning["code"] for warning in created.json["warnings"]}
    path = f"{API}/buy-x-get-y/{created.json['id']}"
    # A new discount for B rewrites the words written from the old one; copy the shop wrote stays.
    as_read = created.json["variants"][1]  # sent back as read, with a new discount and an English label of mine
    moved = admin.patch(path, json={"variants": [{"name": "A"}, dict(HALF, label=as_read["label"], discount_percent=30,
                                                                     label_en="Mine")], "confirm_price_test": True})
    assert moved.status_code == 200, moved.json
    assert [(v["label"], v["label_en"], v["discount_percent"]) for v in moved.json["variants"]] == [
        (None, None, None), ("2点買うと1点30%オフ", "Mine", 30)]
    kept = admin.patch(path, json={"variants": [{"name": "A"}, dict(HALF, label="半額キャンペーン", discount_percent=20)],
                                   "confirm_price_test": True})
    assert kept.json["variants"][1]["label"] == "半額キャンペーン"  # the shop's own words are never rewritten
    ended = admin.patch(path, json={"variants": []})
    assert ended.status_code == 200 and ended.json["variants"] == [] and variant_rows(shop) == []


def test_an_amount_off_buy_x_get_y_takes_its_variants_discount_as_an_amount(shop, admin):
    body = dict(BXGY, pricing_mode="amount_off", discount_percent=None, pricing_value=300, confirm_price_test=True)
    wrong_unit = admin.post(f"{API}/buy-x-get-y", json=dict(body, variants=[{"name": "A"}, HALF]))
    assert wrong_unit.status_code == 400
    assert "discount_percent" in wrong_unit.json["error"]["fields"]["variants"]["1"]
    created = admin.post(f"{API}/buy-x-get-y", json=dict(body, variants=[{"name": "A"}, {"name": "B",
                                                                                         "pricing_value": 500}]))
    assert created.status_code == 201, created.json
    assert created.json["variants"][1] == dict(EMPTY, name="B", pricing_value=500, label="2点買うと1点¥500引き",
                                               label_en="Buy 2, get ¥500 off 1")


@pytest.mark.parametrize("variant", [
    dict(HALF, discount_percent=120),
    dict(HALF, discount_percent=0),   # "above 0%": the engine's own check, by name
    {"name": "B", "pricing_value": 500},  # an amount on a percent-off rule
])
def test_a_bad_buy_x_get_y_variant_is_400_and_writes_nothing(shop, admin, variant):
    response = admin.post(f"{API}/buy-x-get-y", json=dict(BXGY, variants=[{"name": "A"}, variant],
                                                           confirm_price_test=True))
    assert response.status_code == 400, response.json
    assert "variants" in response.json["error"]["fields"]
    assert counts(shop) == (0, 0, 0)


@pytest.mark.parametrize(("kind", "body"), [("spend-discounts", SPEND), ("free-gifts", GIFT)])
def test_spend_discounts_and_gifts_save_copy_variants_and_read_them_back(shop, admin, kind, body):
    created = admin.post(f"{API}/{kind}", json=dict(body, variants=[{"name": "A"}, COPY_B]))
    assert created.status_code == 201, created.json
    expected = [dict(EMPTY, name="A"), dict(EMPTY, **COPY_B)]
    assert created.json["variants"] == expected
    path = f"{API}/{kind}/{created.json['id']}"
    assert admin.get(path).json["variants"] == expected
    assert admin.patch(path, json={"label": "新しい名前"}).json["variants"] == expected  # PATCH leaves them be
    assert [row[1:] for row in variant_rows(shop)] == [("A", None, None, None), ("B", "お得なB案", None, None)]


@pytest.mark.parametrize("kind, body", [("spend-discounts", SPEND), ("free-gifts", GIFT)])
@pytest.mark.parametrize("sent, field", [
    ({"discount_percent": 10}, "discount_percent"),
    ({"pricing_value": 500}, "pricing_value"),
    ({"button_label": "今すぐ"}, "button_label"),
    ({"button_label_en": "Now"}, "button_label_en"),
])
def test_a_discount_or_a_button_on_a_copy_only_variant_is_400_by_field(shop, admin, kind, body, sent, field):
    response = admin.post(f"{API}/{kind}", json=dict(body, variants=[{"name": "A"}, dict(COPY_B, **sent)]))
    assert response.status_code == 400, response.json
    assert list(response.json["error"]["fields"]["variants"]["1"]) == [field]
    message = response.json["error"]["fields"]["variants"]["1"][field][0]
    assert ("spend discount" if kind == "spend-discounts" else "free gift") in message
    assert counts(shop) == (0, 0, 0)


def test_a_refused_change_of_a_gifts_variants_leaves_them_as_saved(shop, admin):
    created = admin.post(f"{API}/free-gifts", json=dict(GIFT, variants=[{"name": "A"}, COPY_B])).json
    before = variant_rows(shop)
    for variants in ([{"name": "A"}], [{"name": "A"}, dict(COPY_B, pricing_value=1)], [{"name": "A"}, {"name": "A"}]):
        response = admin.put(f"{API}/free-gifts/{created['id']}", json=dict(GIFT, variants=variants))
        assert response.status_code == 400 and "variants" in response.json["error"]["fields"], response.json
        assert variant_rows(shop) == before
    assert admin.get(f"{API}/free-gifts/{created['id']}").json["version"] == 1


def test_a_shops_code_cannot_save_a_spend_variant_with_a_discount(shop):
    app, db, *_ = shop
    with app.app_context():
        rule = models.SpendRule(label="¥500引き", currency="JPY", steps=[models.RuleStep(threshold=5_000, amount_off=500)],
                                variants=[models.Variant(name="A", position=0),
                                          models.Variant(name="B", position=1, pricing_value=300)])
        db.session.add(rule)
        with pytest.raises(RuleError) as error:
            db.session.commit()
        db.session.rollback()
    assert error.value.errors["variants"] == ["B: a spend discount's steps are several discounts, not one a variant "
                                              "could change: test its copy (leave the discount empty)."]
    assert counts(shop) == (0, 0, 0)


def test_a_variant_edited_by_hand_that_its_kind_refuses_skips_the_test_not_the_rule(shop, admin):
    app, db, tsuide, adapter = shop
    created = admin.post(f"{API}/free-gifts", json=dict(GIFT, variants=[{"name": "A"}, COPY_B])).json
    with app.app_context():  # a button label written straight into the table, past every check
        db.session.execute(models.Variant.__table__.update().where(models.Variant.name == "B")
                           .values(button_label="今すぐ追加"))
        db.session.execute(models.State.__table__.update().values(version=models.State.version + 1))
        db.session.commit()
    with app.test_request_context():
        snapshot, _ = tsuide._state().store.current(db.session, None)
    assert created["id"] in snapshot.by_id and created["id"] not in snapshot.tests
    assert any("free gift's button" in problem for problem in snapshot.problems)


def test_export_and_import_carry_the_three_kinds_variants(shop, admin):
    admin.post(f"{API}/buy-x-get-y", json=dict(BXGY, variants=[{"name": "A"}, HALF], confirm_price_test=True))
    admin.post(f"{API}/spend-discounts", json=dict(SPEND, variants=[{"name": "A"}, COPY_B]))
    admin.post(f"{API}/free-gifts", json=dict(GIFT, variants=[{"name": "A"}, COPY_B]))
    document = admin.get(f"{API}/export").json
    kinds = ("buy-x-get-y", "spend-discounts", "free-gifts")
    exported = {kind: document[kind][0]["variants"] for kind in kinds}
    assert exported["spend-discounts"] == exported["free-gifts"] == [dict(EMPTY, name="A"), dict(EMPTY, **COPY_B)]
    assert exported["buy-x-get-y"][1]["discount_percent"] == 50
    response = admin.post(f"{API}/import", json=document)
    assert response.status_code == 200, response.json
    for kind in kinds:
        [live] = admin.get(f"{API}/{kind}").json["items"]
        assert live["variants"] == exported[kind]
    broken = dict(document, **{"free-gifts": [dict(document["free-gifts"][0],
                                                   variants=[{"name": "A"}, dict(COPY_B, button_label="押す")])]})
    refused = admin.post(f"{API}/import", json=broken)
    assert refused.status_code == 400 and "free-gifts" in refused.json["error"]["fields"]


def test_every_answer_of_the_three_kinds_with_variants_validates_against_the_openapi_document(shop, admin):
    app = shop[0]
    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app)
    document = admin.get(f"{API}/openapi.json").json
    for name in ("SpendVariant", "GiftVariant"):
        assert document["components"]["schemas"][name]["properties"]["label"]
    for kind, body in (("buy-x-get-y", dict(BXGY, variants=[{"name": "A"}, HALF], confirm_price_test=True)),
                       ("spend-discounts", dict(SPEND, variants=[{"name": "A"}, COPY_B])),
                       ("free-gifts", dict(GIFT, variants=[{"name": "A"}, COPY_B]))):
        created = admin.post(f"{API}/{kind}", json=body)
        assert created.status_code == 201, created.json
        schema[f"/{kind}"]["POST"].validate_response(created)
        read = admin.get(f"{API}/{kind}/{created.json['id']}")
        schema[f"/{kind}/{{record_id}}"]["GET"].validate_response(read)
        listed = admin.get(f"{API}/{kind}")
        schema[f"/{kind}"]["GET"].validate_response(listed)


# -- the admin's form ------------------------------------------------------------------------------------

def form_post(client, url, data):
    html = client.get(f"{ADMIN}/bundles/new").get_data(as_text=True)
    token = BeautifulSoup(html, "html.parser").select_one('input[name="csrf_token"]')["value"]
    return client.post(url, data={"csrf_token": token, **data}, headers={"Accept-Language": "en"})


SPEND_FORM = {"label": "5,000円以上で500円引き", "currency": "JPY", "steps-0-threshold": "5000",
              "steps-0-amount_off": "500", "priority": "0", "action": "save",
              "variants-0-name": "A", "variants-1-name": "B", "variants-1-label": "お得なB案"}


def test_the_spend_form_saves_copy_variants_and_shows_no_discount_or_button_for_them(shop, admin):
    response = form_post(admin, f"{ADMIN}/spend-discounts/new", SPEND_FORM)
    assert response.status_code == 302, response.get_data(as_text=True)
    rows = variant_rows(shop)
    assert [row[1:] for row in rows] == [("A", None, None, None), ("B", "お得なB案", None, None)]
    page = BeautifulSoup(admin.get(f"{ADMIN}/spend-discounts/{rows[0][0]}").get_data(as_text=True), "html.parser")
    fieldset = page.select_one("fieldset[data-variants]")
    assert fieldset.select_one('input[name="variants-1-label"]')["value"] == "お得なB案"
    assert fieldset.select('input[name$="pricing_value"]') == fieldset.select('input[name*="button_label"]') == []
    assert fieldset.select_one("[data-copy-only]") is not None


def test_the_gift_form_names_a_single_variant_by_the_variants(shop, admin):
    form = {"label": "ノベルティ", "currency": "JPY", "gift_product_id": "tote", "threshold": "8000",
            "priority": "0", "action": "save", "variants-0-name": "A"}
    response = form_post(admin, f"{ADMIN}/free-gifts/new", form)
    assert response.status_code == 400
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert [p.get_text() for p in page.select("fieldset[data-variants] .ta-error")] == [
        "An A/B test needs at least two variants (or none)."]
    assert counts(shop) == (0, 0, 0)


def test_the_buy_x_get_y_form_saves_a_variants_discount_in_percent_once_its_margin_is_confirmed(shop, admin):
    form = {"label": "", "buy_categories": "shoe-care", "buy_quantity": "2", "get_quantity": "1",
            "pricing_mode": "percent_off", "pricing_value": "10", "priority": "0", "action": "save",
            "confirm_price_test": "1", "variants-0-name": "A", "variants-1-name": "B",
            "variants-1-pricing_value": "90", "variants-1-button_label": "もう1点"}
    response = form_post(admin, f"{ADMIN}/buy-x-get-y/new", form)
    assert response.status_code == 400  # the rule's 10% keeps the margin; B's 90% sells the brush for ¥80
    warning = BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one("[data-margin-warning]")
    assert "Brush · B" in warning.get_text() and "Cleaner" in warning.get_text()
    assert "Brush would" not in warning.get_text()  # the rule's own discount is above the margin
    assert counts(shop) == (0, 0, 0)
    response = form_post(admin, f"{ADMIN}/buy-x-get-y/new", dict(form, confirm_margin="1"))
    assert response.status_code == 302, response.get_data(as_text=True)
    rows = variant_rows(shop)
    assert [row[1:] for row in rows] == [("A", None, None, None), ("B", "2点買うと1点90%オフ", "もう1点", 9_000)]
    page = BeautifulSoup(admin.get(f"{ADMIN}/buy-x-get-y/{rows[0][0]}").get_data(as_text=True), "html.parser")
    assert page.select_one('input[name="variants-1-pricing_value"]')["value"] == "90"
    assert "below_margin" in [item["code"] for item in admin.get(f"{API}/buy-x-get-y/{rows[0][0]}").json["warnings"]]


# -- what shoppers see and pay -----------------------------------------------------------------------------

@pytest.fixture
def store(database_url, make_shop):
    adapter = OrderingAdapter()
    app, db, tsuide, _ = make_shop(database_url, adapter=adapter, TSUIDE_HOLDOUT_PERCENT=5)
    adapter.admin = True

    @app.post("/checkout")
    def checkout():  # a shop's checkout: charge the quote, redeem it
        quote = tsuide.quote()
        tsuide.redeem("O-1", quote, adapter.customer_id)
        db.session.commit()
        return {"total": quote.total, "discounts": [[d.rule_id, d.label, d.amount] for d in quote.discounts]}

    return app, db, tsuide, adapter


def shopper(app, offer_id, variant):
    return as_visitor(app, app.test_client(), visitor_for(app, offer_id, variant, holdout_bp=500))


def csrf(body) -> str:
    return body["panel_html"].split('data-tsuide-csrf="')[1].split('"')[0]


def events(app, db):
    with app.app_context():
        return [(e.kind, e.rule_id, e.variant) for e in db.session.query(models.Event).order_by(models.Event.id)]


@pytest.mark.parametrize(("variant", "label", "saving"), [("A", "2点買うと1点無料", 800), ("B", "2点買うと1点50%オフ", 400)])
def test_a_buy_x_get_y_variant_is_the_price_shown_and_charged(store, variant, label, saving):
    app, db, tsuide, adapter = store
    created = csrf_client(app).post(f"{API}/buy-x-get-y", json=dict(BXGY, variants=[{"name": "A"}, HALF],
                                                                    confirm_price_test=True)).json
    adapter.lines = {"spray": 1, "cleaner": 1, "brush": 1}
    client = shopper(app, created["id"], variant)
    body = client.get("/tsuide/api/cart").json
    assert [(d["rule_id"], d["label"], d["amount"]["amount"]) for d in body["discounts"]] == [
        (created["id"], label, saving)]
    assert body["total"]["amount"] == 3_500 - saving
    charged = client.post("/checkout", headers={"X-CSRFToken": csrf(body)}).json
    assert charged == {"total": 3_500 - saving, "discounts": [[created["id"], label, saving]]}
    # The holdout sees no offers but pays the rule's own price.
    held = as_visitor(app, app.test_client(), held_out_visitor(app, 500))
    assert held.get("/tsuide/api/cart").json["total"]["amount"] == 2_700


def test_a_buy_x_get_y_variants_nudge_says_and_adds_its_own_discount(store):
    app, db, tsuide, adapter = store
    created = csrf_client(app).post(f"{API}/buy-x-get-y", json=dict(BXGY, variants=[{"name": "A"}, HALF],
                                                                    confirm_price_test=True)).json
    adapter.lines = {"spray": 1, "cleaner": 1}
    client = shopper(app, created["id"], "B")
    body = client.get("/tsuide/api/cart").json
    [offer] = [o for o in body["offers"] if o["rule_id"] == created["id"]]
    assert offer["label"] == "2点買うと1点50%オフ"
    added = client.post("/tsuide/api/cart/items", json={"bundle_id": created["id"]},
                        headers={"X-CSRFToken": csrf(body)})
    assert added.status_code == 200
    assert added.json["total"]["amount"] == offer["new_total"]["amount"]  # the nudge's price is the cart's
    assert events(app, db) == [("add", created["id"], "B")]


@pytest.mark.parametrize(("variant", "language", "label"), [("A", "ja", "5,000円以上で500円引き"),
                                                            ("B", "ja", "お得なB案"), ("B", "en", "Plan B copy")])
def test_a_spend_discounts_copy_variant_changes_its_words_not_its_price(store, variant, language, label):
    app, db, tsuide, adapter = store
    created = csrf_client(app).post(f"{API}/spend-discounts", json=dict(SPEND, variants=[{"name": "A"}, COPY_B])).json
    client = shopper(app, created["id"], variant)
    headers = {"Accept-Language": language}
    adapter.lines = {"camera": 1}  # ¥65,000: 10% off
    body = client.get("/tsuide/api/cart", headers=headers).json
    assert [(d["label"], d["amount"]["amount"]) for d in body["discounts"]] == [(label, 6_500)]
    charged = client.post("/checkout", headers={"X-CSRFToken": csrf(body), **headers}).json
    assert charged["total"] == 65_000 - 6_500 == body["total"]["amount"]
    adapter.lines = {"spray": 1}  # ¥1,500: the next step is on the ladder, in the variant's words
    ladder = client.get("/tsuide/api/cart", headers=headers).json["ladder"]
    assert [(rung["rule_id"], rung["label"], rung["remaining"]["amount"]) for rung in ladder] == [
        (created["id"], label, 3_500)]


@pytest.mark.parametrize(("variant", "language", "label"), [("A", "en", "Free tote"), ("B", "ja", "お得なB案"),
                                                            ("B", "en", "Plan B copy")])
def test_a_gifts_copy_variant_names_the_gift_offer_and_its_take_is_counted_for_the_variant(store, variant, language,
                                                                                           label):
    app, db, tsuide, adapter = store
    created = csrf_client(app).post(f"{API}/free-gifts", json=dict(GIFT, variants=[{"name": "A"}, COPY_B])).json
    client = shopper(app, created["id"], variant)
    headers = {"Accept-Language": language}
    adapter.lines = {"sneakers": 1}  # ¥12,000: the tote is earned
    body = client.get("/tsuide/api/cart", headers=headers).json
    [offer] = [o for o in body["offers"] if o["kind"] == "free_gift"]
    assert (offer["label"], offer["saving"]["amount"], offer["new_total"]["amount"]) == (label, 2_000, 12_000)
    button = BeautifulSoup(body["panel_html"], "html.parser").select_one(f'button[data-tsuide-offer="{created["id"]}"]')
    assert button.get_text() == ("ノベルティを追加" if language == "ja" else "Add your free gift")
    added = client.post("/tsuide/api/cart/items", json={"bundle_id": created["id"]},
                        headers={"X-CSRFToken": csrf(body), **headers})
    assert added.status_code == 200 and added.json["total"]["amount"] == 12_000
    assert [(d["label"], d["amount"]["amount"]) for d in added.json["discounts"]] == [(label, 2_000)]
    assert events(app, db) == [("add", created["id"], variant)]


def test_the_dashboard_reports_a_spend_discount_and_a_gift_per_variant(store):
    app, db, tsuide, adapter = store
    admin = csrf_client(app)
    spend = admin.post(f"{API}/spend-discounts", json=dict(SPEND, variants=[{"name": "A"}, COPY_B])).json
    gift = admin.post(f"{API}/free-gifts", json=dict(GIFT, threshold=1_000, variants=[{"name": "A"}, COPY_B])).json
    adapter.lines = {"spray": 1}  # the spend discount's next step is on the ladder; the gift is earned
    for variant in ("A", "B"):
        client = shopper(app, spend["id"], variant)
        body = client.get("/tsuide/api/cart").json
        assert {spend["id"], gift["id"]} <= {rung["rule_id"] for rung in body["ladder"]} | {
            offer["rule_id"] for offer in body["offers"]}
        response = client.post("/tsuide/api/events", data={"kind": "impression", "offers": [spend["id"], gift["id"]],
                                                           "csrf_token": csrf(body),
                                                           "beacon_token": body["beacon_token"]})
        assert response.status_code == 204
    today = datetime.now(timezone.utc).date()
    report = admin.get(f"{ADMIN}/api/analytics", query_string={"start": str(today.replace(day=1)),
                                                                "end": str(today)}).json
    seen = {(offer["offer_id"], variant["variant"]): variant["seen"]
            for offer in report["offers"] for variant in offer["variants"]}
    recorded = {(rule_id, variant) for kind, rule_id, variant in events(app, db)}
    assert {(spend["id"], "A"), (spend["id"], "B")} <= set(seen) and recorded == set(
        (offer_id, variant) for offer_id, variant in seen)
    assert all(count == 1 for (offer_id, _), count in seen.items() if offer_id == spend["id"])


# -- a bundle's variant says its own discount when the offer's words would not be true of it -------------------

KIT = {"items": [{"product_id": "spray", "quantity": 1}, {"product_id": "brush", "quantity": 1},
                 {"product_id": "cleaner", "quantity": 1}], "pricing_mode": "percent_off", "discount_percent": 20}


def test_a_bundle_variant_at_another_discount_never_shows_the_offers_number(shop, admin):
    created = admin.post(f"{API}/bundles", json=dict(KIT, label="", variants=[{"name": "A"}, {"name": "B",
                                                                                 "discount_percent": 30}],
                                                      confirm_price_test=True))
    assert created.status_code == 201, created.json
    assert "20" in created.json["label"]  # written from the values: "3点で20%オフ"
    control, challenger = created.json["variants"]
    assert (control["label"], control["label_en"]) == (None, None)  # the control is the offer itself
    assert "30" in challenger["label"] and "20" not in challenger["label"]
    assert "30" in challenger["label_en"] and "20" not in challenger["label_en"]
    assert challenger["discount_percent"] == 30


def test_a_bundle_named_by_the_shop_keeps_its_name_in_every_variant(shop, admin):
    created = admin.post(f"{API}/bundles", json=dict(KIT, label="シューケア3点セット", label_en="Shoe-care trio",
                                                      variants=[{"name": "A"}, {"name": "B", "discount_percent": 30}],
                                                      confirm_price_test=True))
    assert created.status_code == 201, created.json
    assert [(v["label"], v["label_en"]) for v in created.json["variants"]] == [(None, None), (None, None)]
    # a name with a number the variant contradicts is not kept for it
    moved = admin.patch(f"{API}/bundles/{created.json['id']}", json={"label": "3点で20%オフのセット", "label_en": "Trio",
                                                                     "variants": [{"name": "A"}, {"name": "B",
                                                                                  "discount_percent": 30}],
                                                                     "confirm_price_test": True})
    assert moved.status_code == 200, moved.json
    challenger = moved.json["variants"][1]
    assert "30" in challenger["label"] and challenger["label_en"] is None
