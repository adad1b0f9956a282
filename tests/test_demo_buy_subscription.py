"""The demo's health food bought on 定期 directly: the product page's choice with its terms before the button,
the checkout (the final confirmation) with them again, and the order starting a subscription in the shop."""
import re

from bs4 import BeautifulSoup
from sqlalchemy import select

from demo.extensions import db
from demo.models import Order, Subscription
from plugin import models
from test_demo_thank_you import CARD, TOKEN, new_shopper, panel_text, thanks_page


def page(client, path):
    response = client.get(path)
    assert response.status_code == 200
    return BeautifulSoup(response.data, "html.parser")


def terms_of(section):
    return dict(zip((dt.get_text() for dt in section.select("dt")), (dd.get_text() for dd in section.select("dd"))))


def add(client, quantity=1, purchase="subscription"):
    response = client.post("/cart/add", data={"product_id": "healthfood", "quantity": quantity, "purchase": purchase,
                                              "csrf_token": TOKEN})
    assert response.status_code == 302
    return response


def checkout(client):
    response = client.post("/checkout", data={"name": "山田 花子", "card": CARD, "csrf_token": TOKEN})
    assert response.status_code == 302, response.data
    return int(re.fullmatch(r"/orders/(\d+)/thanks", response.headers["Location"]).group(1))


def test_the_product_page_offers_once_or_subscription_with_the_terms_before_the_button(demo):
    shopper = new_shopper(demo)
    product = page(shopper, "/products/healthfood")
    form = product.select_one("form.add-form")
    choices = {radio["value"]: radio.parent.get_text(" ", strip=True) for radio in form.select('input[name="purchase"]')}
    assert choices["once"] == "1回のみ購入 ￥3,000"
    assert choices["subscription"] == "定期便 毎月・2回目以降10%オフ ￥2,700"
    assert form.select_one('input[value="once"]').has_attr("checked")
    terms = form.select_one("#plan-terms")
    order = [element.get("id") or element.name for element in form.select("#plan-terms, button")]
    assert order == ["plan-terms", "button"]  # the terms come before the button
    rows = terms_of(terms)
    assert len(rows) == 8 and any(value.endswith("× 1") for value in rows.values()), rows  # the quantity
    text = terms.get_text()
    for words in ("￥2,700", "最低3回", "￥8,400", "0120-000-000", "発送時"):
        assert words in text, (words, text)
    other = page(shopper, "/products/socks")
    assert other.select_one("#plan-terms") is None and other.select('input[name="purchase"]') == []


def test_the_product_page_terms_in_english(demo):
    shopper = new_shopper(demo)
    shopper.get("/lang/en")
    text = page(shopper, "/products/healthfood").select_one("#plan-terms").get_text()
    for words in ("¥2,700", "¥8,400", "0120-000-000", "charged to today's card"):
        assert words in text, (words, text)


def test_buying_on_subscription_starts_one_in_the_shop_with_the_terms_at_the_checkout(demo):
    shopper = new_shopper(demo)
    add(shopper)
    cart = page(shopper, "/cart")
    assert cart.select_one("#line-healthfood [data-subscription-line]").get_text() == "定期便"
    confirm = page(shopper, "/checkout")
    terms = confirm.select_one('[data-plan-terms="healthfood"]')
    assert terms is not None
    form = confirm.select_one("form")
    assert [e.get("data-plan-terms") or e.name for e in form.select("[data-plan-terms], button")] == [
        "healthfood", "button"]
    text = terms.get_text()
    assert "￥3,000（今回のご注文。このお手続きでお支払い）" in text and "￥8,400" in text and "0120-000-000" in text
    order_id = checkout(shopper)
    with demo.app_context():
        order = db.session.get(Order, order_id)
        [row] = db.session.scalars(select(Subscription)).all()
        assert (row.order_id, row.customer_id, row.every, row.unit, row.recurring_price, row.min_deliveries) == (
            order_id, order.customer_id, 1, "month", 2_700, 3)
        assert row.lines == [["healthfood", 1, 3_000]]
        assert order.total == 3_000 + 600  # this order is the first delivery, at the checkout's price (plus shipping)
        events = [(e.kind, e.amount, e.page, e.order_id) for e in db.session.query(models.Event).filter_by(
            kind="subscribe")]
        assert events == [("subscribe", 8_400, "checkout", str(order_id))]  # 3,000 + 2,700 × 2
    thanks = thanks_page(shopper, order_id)
    assert panel_text(thanks) in (None, "")  # a 定期 already: no switch offered
    listing = shopper.get("/orders").get_data(as_text=True)
    assert f"/subscriptions/{row.id}" in listing
    assert shopper.get(f"/subscriptions/{row.id}").status_code == 200


def test_three_bags_on_subscription_first_delivery_at_the_set_price(demo):
    shopper = new_shopper(demo)
    add(shopper, quantity=3)
    text = page(shopper, "/checkout").select_one('[data-plan-terms="healthfood"]').get_text()
    # the first delivery at the 3-bag set's price (10% off ¥9,000), each later one ¥8,100; 3 at least
    assert "￥8,100（今回のご注文" in text and "￥24,300" in text  # 8,100 + 8,100 × 2
    order_id = checkout(shopper)
    with demo.app_context():
        [row] = db.session.scalars(select(Subscription)).all()
        assert (row.recurring_price, row.lines) == (8_100, [["healthfood", 3, 3_000]])
        assert db.session.get(Order, order_id).total == 8_100
        # its value over the minimum commitment starts from what this order paid: 8,100 + 8,100 × 2
        assert [e.amount for e in db.session.query(models.Event).filter_by(kind="subscribe")] == [24_300]


def test_buying_once_starts_nothing_and_the_thank_you_page_offers_the_switch(demo):
    shopper = new_shopper(demo)
    add(shopper, purchase="once")
    assert page(shopper, "/cart").select_one("[data-subscription-line]") is None
    assert page(shopper, "/checkout").select_one("[data-plan-terms]") is None
    order_id = checkout(shopper)
    with demo.app_context():
        assert db.session.scalars(select(Subscription)).all() == []
        assert db.session.query(models.Event).filter_by(kind="subscribe").count() == 0
    assert "定期" in panel_text(thanks_page(shopper, order_id))


def test_the_last_choice_wins_and_removing_the_line_forgets_it(demo):
    shopper = new_shopper(demo)
    add(shopper)
    add(shopper, purchase="once")
    assert page(shopper, "/cart").select_one("[data-subscription-line]") is None
    add(shopper)
    shopper.post("/cart/remove", data={"product_id": "healthfood", "csrf_token": TOKEN})
    add(shopper, purchase="once")
    assert page(shopper, "/cart").select_one("[data-subscription-line]") is None


def test_a_subscription_asked_for_a_product_without_a_plan_is_bought_once(demo):
    shopper = new_shopper(demo)
    shopper.post("/cart/add", data={"product_id": "socks", "quantity": 1, "purchase": "subscription",
                                    "csrf_token": TOKEN})
    assert page(shopper, "/cart").select_one("[data-subscription-line]") is None
    checkout(shopper)
    with demo.app_context():
        assert db.session.scalars(select(Subscription)).all() == []
