"""The demo's reduced shipping and its one-unit offer, driven with a test client on SQLite and PostgreSQL.

The rules as the catalogue seeds them (demo/catalogue.py), and every figure below is worked from them by hand:
- shipping ¥600 below ¥4,500, ¥300 from ¥4,500, free from ¥5,000 (counted after item discounts);
- "キーボード単品10%オフ": a one-unit set, 10% off each keyboard (¥7,000, so ¥700 off each).
"""
import re

import pytest
from sqlalchemy import delete, select

from demo.extensions import db
from demo.models import Order
from demo.seed import seed_all
from plugin import models
from test_demo import TOKEN, add, amount, cart_page

KEYBOARD_OFFER = "キーボード単品10%オフ"


@pytest.fixture
def shopper(demo):
    client = demo.test_client()
    client.get("/")
    with client.session_transaction() as session:
        session["csrf_token"] = TOKEN
    return client


def bar(page) -> str:
    return page.select_one("[data-tsuide-shipping-text]").get_text(strip=True)


def discounts(page) -> list[tuple[str, int]]:
    return [(row.dt.get_text(strip=True), -int(row.dd["data-amount"])) for row in page.select(".totals__row--discount")]


def test_below_the_step_the_bar_names_both_rungs_and_the_full_fee_is_charged(shopper):
    add(shopper, "healthfood")  # ¥3,000
    add(shopper, "socks")       # ¥1,000: ¥4,000, no rule of either applies to one each
    page = cart_page(shopper)
    assert amount(page, "#summary-subtotal") == 4_000
    assert amount(page, "#summary-shipping") == 600
    assert amount(page, "#summary-total") == 4_600
    assert bar(page) == "あと￥500で送料￥300 · あと￥1,000で送料無料"  # 4,500 − 4,000; 5,000 − 4,000


def test_on_the_step_the_reduced_fee_is_charged_and_the_bar_names_free_shipping(shopper):
    add(shopper, "healthfood")  # ¥3,000
    add(shopper, "spray")       # ¥1,500: ¥4,500, on the ¥300 step exactly
    page = cart_page(shopper)
    assert amount(page, "#summary-subtotal") == 4_500
    assert discounts(page) == []
    assert amount(page, "#summary-shipping") == 300
    assert page.select_one("#summary-shipping").get_text(strip=True) == "￥300"
    assert amount(page, "#summary-total") == 4_800
    assert bar(page) == "あと￥500で送料無料"


def test_the_step_in_english(shopper):
    assert shopper.get("/lang/en").status_code == 302
    add(shopper, "healthfood")  # ¥3,000
    assert bar(cart_page(shopper)) == "¥1,500 more for shipping at ¥300 · ¥2,000 more for free shipping"


def test_one_keyboard_is_ten_percent_off_and_its_page_says_so(shopper):
    response = shopper.get("/products/keyboard")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert KEYBOARD_OFFER in text and "1点で￥6,300" in text and "￥700お得" in text
    add(shopper, "keyboard")
    page = cart_page(shopper)
    assert amount(page, "#summary-subtotal") == 7_000
    assert discounts(page) == [(KEYBOARD_OFFER, 700)]
    assert amount(page, "#summary-shipping") == 0  # ¥6,300 after the discount: still free from ¥5,000
    assert amount(page, "#summary-total") == 6_300


def test_the_one_unit_offer_applies_to_each_keyboard(shopper):
    add(shopper, "keyboard", 2)
    page = cart_page(shopper)
    assert discounts(page) == [(KEYBOARD_OFFER, 1_400)]  # ¥700 off each of the two
    assert amount(page, "#summary-total") == 14_000 - 1_400


@pytest.mark.parametrize("items, stored", [
    ((("healthfood", 1), ("spray", 1)), (4_500, 0, 300, 4_800, [])),                  # the ¥300 step
    ((("keyboard", 1), ("socks", 1)), (8_000, 700, 0, 7_300, [(KEYBOARD_OFFER, 700)])),  # one unit, 10% off
])
def test_checkout_charges_what_the_cart_said(shopper, demo, items, stored):
    for product_id, quantity in items:
        add(shopper, product_id, quantity)
    total = amount(cart_page(shopper), "#summary-total")
    assert total == stored[3]
    response = shopper.post("/checkout", data={"name": "山田 花子", "card": "4242 4242 4242 4242",
                                               "expected_total": str(total), "csrf_token": TOKEN})
    assert response.status_code == 302
    order_id = int(re.search(r"/orders/(\d+)/thanks", response.headers["Location"]).group(1))
    with demo.app_context():
        order = db.session.get(Order, order_id)
        assert (order.subtotal, order.discount_total, order.shipping_fee, order.total) == stored[:4]
        assert [(d["label"], d["amount"]) for d in order.discounts] == stored[4]


def test_seeding_an_older_database_adds_the_new_offer_once_and_no_second_shipping_threshold(demo):
    with demo.app_context():
        rules_before = db.session.query(models.Rule).count()
        orders_before = db.session.query(Order).count()
        # A database seeded before the one-unit offer: its rule is not there.
        offer = db.session.scalars(select(models.Rule).where(models.Rule.label == KEYBOARD_OFFER)).one()
        db.session.delete(offer)
        # ... nor the reduced fee: its shipping threshold had no steps and another label.
        shipping = db.session.scalars(select(models.ShippingRule)).one()
        db.session.execute(delete(models.RuleStep).where(models.RuleStep.rule_id == shipping.id))
        shipping.label = "5,000円以上で送料無料"
        db.session.commit()
        assert seed_all(history=False)["rules"] == 1
        assert seed_all(history=False)["rules"] == 0
        assert db.session.query(models.Rule).count() == rules_before
        assert db.session.scalars(select(models.Rule.label).where(models.Rule.label == KEYBOARD_OFFER)).all() == [
            KEYBOARD_OFFER]
        assert db.session.query(models.ShippingRule).count() == 1  # the merchant's threshold is left as it is
        assert db.session.query(Order).count() == orders_before
