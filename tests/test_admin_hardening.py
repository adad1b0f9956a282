"""The admin under an attacker's probe: status tabs, odd values, the CSV, headers and the closed door."""
import csv
import io
import json
import re
from datetime import datetime

import pytest
from bs4 import BeautifulSoup

from plugin import models
from plugin.admin.records import KINDS
from plugin.storage.post_purchase import PostPurchaseOffer

ADMIN = "/tsuide/admin"
API = f"{ADMIN}/api"
STATUSES = ("active", "scheduled", "expired", "paused", "deleted")
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
BUNDLE_FORM = {"label": "3袋セット", "items-0-product_id": "healthfood", "items-0-quantity": "3",
               "pricing_mode": "percent_off", "pricing_value": "10", "priority": "0", "action": "save"}
BUNDLE = {"label": "Set", "pricing_mode": "percent_off", "discount_percent": 10,
          "items": [{"product_id": "healthfood", "quantity": 3}]}
SETTINGS_FORM = {"max_cart_offers": "2", "max_gap_fillers": "2", "post_purchase_minutes": "15", "decline_days": "30",
                 "upsell_max_ratio": "50", "loyal_orders": "5", "holdout_percent": "5", "significance": "5",
                 "event_retention_days": "400"}
SECURITY_HEADERS = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'",
                    "X-Content-Type-Options": "nosniff"}


@pytest.fixture
def shop(database_url, make_shop):
    """An open admin in a shop on Tokyo time, where year 1 at midnight is before year 1 in UTC."""
    app, db, tsuide, adapter = make_shop(database_url, TSUIDE_TIMEZONE="Asia/Tokyo")
    adapter.admin = True
    return app, db, tsuide, adapter


@pytest.fixture
def client(shop):
    return shop[0].test_client()


def token(client):
    return TOKEN.search(client.get(f"{ADMIN}/bundles/new").get_data(as_text=True)).group(1)


def counts(shop):
    app, db, *_ = shop
    with app.app_context():
        found = tuple(db.session.query(model).count()
                      for model in (models.Rule, models.RuleItem, PostPurchaseOffer, models.Setting))
        db.session.remove()
    return found


# -- status tabs ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(KINDS))
def test_every_status_tab_of_every_list_answers_200(shop, client, kind):
    for status in STATUSES:
        response = client.get(f"{ADMIN}/{kind}/", query_string={"status": status})
        assert (response.status_code, response.status) == (200, "200 OK"), status
        current = BeautifulSoup(response.data, "html.parser").select_one('.ta-filters [aria-current="page"]')
        assert f"status={status}" in current["href"]
    assert client.get(f"{ADMIN}/{kind}/", query_string={"status": "bogus"}).status_code == 200


# -- odd values in the forms and the API ----------------------------------------------------------------------

ODD_FORM_VALUES = [
    ("pricing_value", "1e999999"), ("pricing_value", "Infinity"), ("pricing_value", "-Infinity"),
    ("pricing_value", "NaN"), ("pricing_value", "sNaN"), ("margin_floor_percent", "Infinity"),
    ("margin_floor_percent", "1e999999"), ("margin_floor_percent", "12.345"), ("pricing_value", "12.345"), ("priority", "²"), ("priority", "1e3"), ("global_cap", "9" * 40),
    ("starts_at", "0001-01-01T00:00"), ("ends_at", "9999-12-31T23:59"), ("starts_at", "0001-01-01T00:00+14:00"),
    ("ends_at", "9999-12-31T23:59-14:00"), ("starts_at", "1999-12-31T23:59+00:00"),
    ("label", "3袋\x00セット"), ("label_en", "\x00"), ("items-0-product_id", "health\x00food"),
]


@pytest.mark.parametrize(("field", "value"), ODD_FORM_VALUES, ids=[f"{f}={v!r}" for f, v in ODD_FORM_VALUES])
def test_an_odd_value_in_the_form_is_a_400_next_to_its_field(shop, client, field, value):
    before = counts(shop)
    response = client.post(f"{ADMIN}/bundles/new", data=dict(BUNDLE_FORM, csrf_token=token(client), **{field: value}))
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    page = BeautifulSoup(response.data, "html.parser")
    assert page.select_one(f"[id='{field}-error']") is not None, page.select(".ta-error")
    assert counts(shop) == before


@pytest.mark.parametrize(("field", "value"), [("holdout_percent", "Infinity"), ("upsell_max_ratio", "1e999999"),
                                              ("significance", "NaN"), ("max_cart_offers", "²"),
                                              ("event_retention_days", "1e3")])
def test_an_odd_value_in_the_settings_form_is_a_400_next_to_its_field(shop, client, field, value):
    response = client.post(f"{ADMIN}/settings", data=dict(SETTINGS_FORM, csrf_token=token(client), **{field: value}))
    assert response.status_code == 400
    assert BeautifulSoup(response.data, "html.parser").select_one(f"#{field}-error") is not None
    assert counts(shop) == (0, 0, 0, 0)


def test_full_width_digits_an_owner_types_are_still_read(shop, client):
    response = client.post(f"{ADMIN}/bundles/new", data=dict(BUNDLE_FORM, csrf_token=token(client),
                                                              pricing_value="１０", **{"items-0-quantity": "３"}))
    assert response.status_code == 302
    assert client.get(f"{API}/bundles").json["items"][0]["discount_percent"] == 10


ODD_JSON = [
    ('"label"', '"a\\u0000b"'), ('"label"', '"a\\ud800b"'), ('"label_en"', '"\\udfff"'),
    ('"starts_at"', '"0001-01-01T00:00:00+14:00"'), ('"ends_at"', '"9999-12-31T23:59:59-14:00"'),
    ('"starts_at"', '"2150-01-01T00:00:00+00:00"'), ('"pricing_value"', "1.5"), ('"pricing_value"', "Infinity"),
    ('"pricing_value"', "1e400"), ('"pricing_value"', "NaN"), ('"pricing_value"', '"1000"'), ('"priority"', "-1e400"),
    ('"discount_percent"', "12.345"), ('"discount_percent"', "-5"), ('"discount_percent"', "100.5"),
    ('"discount_percent"', "true"), ('"discount_percent"', '"10"'), ('"discount_percent"', "Infinity"),
    ('"discount_percent"', "NaN"), ('"discount_percent"', "1e400"), ('"discount_percent"', "[10]"),
    ('"margin_floor_percent"', "0.001"), ('"margin_floor_percent"', "-1"), ('"margin_floor_percent"', "false"),
    ('"items"', '[{"product_id": "a\\u0000", "quantity": 1}]'),
    ('"items"', '[{"product_id": "healthfood", "quantity": 2.5}]'),
    ('"variants"', '[{"name": "A\\u0000"}, {"name": "B"}]'),
]


@pytest.mark.parametrize(("field", "value"), ODD_JSON, ids=[f"{f}={v}" for f, v in ODD_JSON])
def test_an_odd_value_in_the_api_is_a_400_naming_its_field(shop, client, field, value):
    body = json.dumps(BUNDLE)[:-1] + f", {field}: {value}}}"
    response = client.post(f"{API}/bundles", data=body, content_type="application/json",
                           headers={"X-CSRFToken": token(client)})
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert json.loads(field) in response.json["error"]["fields"]
    assert counts(shop) == (0, 0, 0, 0)


@pytest.mark.parametrize("body", ['{"holdout_percent": Infinity}', '{"holdout_percent": NaN}',
                                  '{"significance": 1e400}', '{"max_cart_offers": 1.5}', '{"decline_days": "3"}'])
def test_an_odd_setting_in_the_api_is_a_400_naming_it(shop, client, body):
    response = client.put(f"{API}/settings", data=body, content_type="application/json",
                          headers={"X-CSRFToken": token(client)})
    assert response.status_code == 400
    assert list(response.json["error"]["fields"]) == list(json.loads(body))
    assert counts(shop) == (0, 0, 0, 0)


@pytest.mark.parametrize("number", ["²", "٣", "１", "9" * 30])
def test_a_number_in_a_url_form_or_header_that_int_cannot_read_is_never_a_500(shop, client, number):
    client.post(f"{API}/bundles", json=BUNDLE, headers={"X-CSRFToken": token(client)})
    assert client.get(f"{ADMIN}/bundles/", query_string={"page": number}).status_code == 200
    assert client.get(f"{ADMIN}/bundles/{number}").status_code == 404
    assert client.get(f"{API}/bundles/{number}").status_code == 404
    response = client.patch(f"{API}/bundles/1", json={"label": "x"}, headers={"If-Match": number,
                                                                              "X-CSRFToken": token(client)})
    assert response.status_code == 400 and "If-Match" in response.json["error"]["fields"]
    form = dict(BUNDLE_FORM, csrf_token=token(client), version=number, **{f"items-{number}-product_id": "spray"})
    assert client.post(f"{ADMIN}/bundles/1", data=form).status_code == 302  # the odd version and row are ignored
    response = client.post(f"{ADMIN}/bundles/1/delete", data={"version": number, "csrf_token": token(client)})
    assert response.status_code == 302
    assert client.get(f"{API}/bundles/1").json["deleted_at"] is not None


def test_an_order_number_int_cannot_read_is_a_404_in_the_demo(demo):
    for number in ("²", "٣", "9" * 30):
        assert demo.test_client().get(f"/tsuide/api/orders/{number}/offer").status_code == 404


def test_the_product_search_refuses_what_no_database_can_search_for(database_url, demo):
    client = demo.test_client()
    with client.session_transaction() as session:
        session["admin"] = True
    assert client.get(f"{ADMIN}/products", query_string={"q": "sneak"}).status_code == 200
    for url in (f"{ADMIN}/products", f"{API}/products"):
        response = client.get(url, query_string={"q": "a\x00b"})
        assert response.status_code == 400, url
    assert "q" in client.get(f"{API}/products", query_string={"q": "\x00"}).json["error"]["fields"]


# -- the CSV --------------------------------------------------------------------------------------------------

def test_a_carriage_return_in_a_label_stays_inside_its_csv_cell(shop, client):
    app, db, *_ = shop
    with app.app_context():
        kit = models.Bundle(label="Camera\rLens", pricing_mode="percent_off", pricing_value=1_000,
                            items=[models.RuleItem(product_id="camera"), models.RuleItem(product_id="lens")])
        db.session.add(kit)
        db.session.commit()
        db.session.add(models.Event(kind="impression", visitor_id="v1", rule_id=str(kit.id),
                                    created_at=datetime(2026, 11, 10, 3, 0)))
        db.session.commit()
    text = client.get(f"{ADMIN}/analytics.csv", query_string={"start": "2026-11-01", "end": "2026-11-30"}).get_data(
        as_text=True)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert all(len(row) == len(rows[0]) for row in rows)
    assert [row[2] for row in rows if row[0] == "offer"] == ["Camera\rLens"]


# -- headers on every admin answer, and a bare closed door ----------------------------------------------------

def test_every_admin_answer_forbids_framing_and_sniffing(shop, client):
    app, db, tsuide, adapter = shop
    client.post(f"{API}/bundles", json=BUNDLE, headers={"X-CSRFToken": token(client)})
    answers = [client.get(url) for url in (f"{ADMIN}/", f"{ADMIN}/bundles/", f"{ADMIN}/bundles/1", f"{ADMIN}/settings",
                                          f"{ADMIN}/audit", f"{ADMIN}/analytics", f"{ADMIN}/analytics.csv",
                                          f"{ADMIN}/export.json", f"{ADMIN}/bundles/999", f"{API}/bundles",
                                          f"{API}/bundles/1", f"{API}/nope", f"{API}/openapi.json")]
    answers.append(client.post(f"{ADMIN}/bundles/new", data=BUNDLE_FORM))  # no CSRF token: 400
    answers.append(client.post(f"{API}/bundles", json=BUNDLE))
    adapter.admin = False
    answers += [client.get(f"{ADMIN}/"), client.get(f"{API}/bundles")]
    assert {answer.status_code for answer in answers} == {200, 400, 403, 404}
    for answer in answers:
        assert {name: answer.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS, answer.request.path


@pytest.mark.parametrize("shop_url", [None, "https://shop.example/"])
def test_the_closed_admin_shows_nothing_of_itself_only_the_way_back(database_url, make_shop, shop_url):
    app, db, tsuide, adapter = make_shop(database_url, **({"TSUIDE_SHOP_URL": shop_url} if shop_url else {}))
    for url in (f"{ADMIN}/", f"{ADMIN}/bundles/", f"{ADMIN}/settings"):
        response = app.test_client().get(url)
        assert response.status_code == 403
        page = BeautifulSoup(response.data, "html.parser")
        assert page.select("nav") == []
        assert [link["href"] for link in page.select("a[href]")] == [shop_url or "/"]
        assert "is_admin()" in page.get_text()
