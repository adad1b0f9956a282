"""The demo shop, driven as a shopper would with a test client, on SQLite and PostgreSQL."""
import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from demo import create_app
from demo.extensions import db
from demo.models import Order
from demo.seed import seed_all
from plugin import models

TOKEN = "test-token"


@pytest.fixture
def shopper(demo):
    client = demo.test_client()
    client.get("/")
    with client.session_transaction() as session:
        session["csrf_token"] = TOKEN
    return client


def add(client, product_id, quantity=1):
    response = client.post("/cart/add", data={"product_id": product_id, "quantity": quantity, "csrf_token": TOKEN})
    assert response.status_code == 302


def amount(soup, selector):
    return int(soup.select_one(selector)["data-amount"])


def cart_page(client):
    response = client.get("/cart")
    assert response.status_code == 200
    return BeautifulSoup(response.data, "html.parser")


def test_health_food_set_and_camera_show_the_right_totals(shopper):
    add(shopper, "healthfood", 3)
    add(shopper, "camera")
    page = cart_page(shopper)
    assert amount(page, "#summary-subtotal") == 74_000
    assert [d.get_text(strip=True) for d in page.select(".discount-amount")] == ["-￥900"]
    assert page.select_one("#summary-shipping").get_text(strip=True) == "送料無料"
    assert amount(page, "#summary-total") == 73_100
    assert page.select_one("#summary-total").get_text(strip=True) == "￥73,100"


def test_one_bag_pays_shipping_and_is_offered_the_set(shopper):
    add(shopper, "healthfood")
    page = cart_page(shopper)
    assert amount(page, "#summary-total") == 3_600  # ¥3,000 and ¥600 shipping
    # ¥300 shipping from ¥4,500 (¥1,500 more), free from ¥5,000 (¥2,000 more): one ladder.
    assert page.select_one("[data-tsuide-shipping-text]").get_text(strip=True) == "あと￥1,500で送料￥300 · あと￥2,000で送料無料"
    offers = page.select(".tsuide-offer")
    assert "￥900お得" in offers[0].get_text()


def test_english_switch_translates_the_cart(shopper):
    shopper.get("/lang/en")
    add(shopper, "healthfood", 3)
    page = cart_page(shopper)
    assert amount(page, "#summary-total") == 8_100
    assert "¥8,100" in page.select_one("#summary-total").get_text()
    assert "3-bag set" in page.get_text()


def test_checkout_charges_the_quoted_total_and_stores_the_order(demo, shopper):
    add(shopper, "spray")
    add(shopper, "brush")
    add(shopper, "cleaner")
    assert amount(cart_page(shopper), "#summary-total") == 2_900 + 600
    response = shopper.post("/checkout", data={"name": "山田 花子", "card": "4242 4242 4242 4242",
                                               "expected_total": "3500", "csrf_token": TOKEN})
    assert response.status_code == 302
    order_id = int(re.search(r"/orders/(\d+)/thanks", response.headers["Location"]).group(1))
    thanks = BeautifulSoup(shopper.get(f"/orders/{order_id}/thanks").data, "html.parser")
    assert "￥3,500" in thanks.get_text()
    with demo.app_context():
        order = db.session.get(Order, order_id)
        assert order.total == 3_500
        assert sorted((line.product_id, line.quantity) for line in order.lines) == [
            ("brush", 1), ("cleaner", 1), ("spray", 1)
        ]
    assert cart_page(shopper).select_one("#summary-total") is None  # the cart is empty again


def test_another_shoppers_order_is_not_shown(demo, shopper):
    with demo.app_context():
        someone_elses = db.session.scalars(select(Order).where(Order.customer_id == "hanako")).first()
    assert shopper.get(f"/orders/{someone_elses.id}/thanks").status_code == 404


def test_forms_without_the_token_are_refused(shopper):
    response = shopper.post("/cart/add", data={"product_id": "healthfood", "quantity": 1})
    assert response.status_code == 400
    assert cart_page(shopper).select_one("#summary-total") is None


def test_each_shopper_has_their_own_cart(demo, shopper):
    add(shopper, "camera")
    other = demo.test_client()
    assert cart_page(other).select_one("#summary-total") is None


def test_seeding_twice_keeps_one_copy(demo):
    with demo.app_context():
        rules_before = db.session.query(models.Rule).count()
        orders_before = db.session.query(Order).count()
        seed_all()
        assert db.session.query(models.Rule).count() == rules_before >= 8
        assert db.session.query(Order).count() == orders_before >= 30


def test_seeding_without_the_plugin_tables_says_what_to_run(database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code != 0
    assert "flask --app demo tsuide db upgrade" in result.output
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("holdout, offers_shown", [(100, False), (0, True)])
def test_a_visitor_in_the_holdout_sees_no_offers_and_the_demo_says_why(demo, shopper, holdout, offers_shown):
    demo.config["TSUIDE_HOLDOUT_PERCENT"] = holdout
    add(shopper, "healthfood")
    page = cart_page(shopper)
    assert bool(page.select(".tsuide-offer")) is offers_shown
    assert bool(page.select("[data-holdout-note]")) is not offers_shown
    assert amount(page, "#summary-total") == 3_000 + 600  # the same price either way


def test_the_demo_warns_loudly_when_it_runs_on_its_public_secret_key(caplog, monkeypatch, tmp_path):
    monkeypatch.delenv("DEMO_SECRET_KEY", raising=False)
    url = f"sqlite:///{tmp_path / 'shop.sqlite'}"
    with caplog.at_level("WARNING"):
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    assert app.config["SECRET_KEY"] == "tsumugi-demo-not-secret"
    assert [record.levelname for record in caplog.records if "DEMO_SECRET_KEY" in record.getMessage()] == ["WARNING"]
    caplog.clear()
    monkeypatch.setenv("DEMO_SECRET_KEY", "a-key-of-its-own")
    with caplog.at_level("WARNING"):
        create_app({"SQLALCHEMY_DATABASE_URI": url})
        create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "set-by-config"})
    assert [record for record in caplog.records if "DEMO_SECRET_KEY" in record.getMessage()] == []


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example/", "/%2F%2Fevil.example/",
                                    "http://localhost//evil.example/"])
def test_the_demos_own_forms_never_redirect_off_the_shop(shopper, target):
    assert shopper.get("/lang/en", query_string={"next": target}).headers["Location"] == "/"
    response = shopper.post("/cart/add", data={"product_id": "sneakers", "csrf_token": TOKEN, "next": target})
    assert response.headers["Location"] == "/cart"
    assert shopper.get("/lang/ja", query_string={"next": "/cart"}).headers["Location"] == "/cart"


def test_the_demo_lists_its_categories_for_the_admins_picker(demo, shopper):
    assert shopper.post("/account/admin", data={"admin": "1", "csrf_token": TOKEN}).status_code == 302
    assert "categories" not in shopper.get("/tsuide/admin/api/features").json["off"]
    page = shopper.get("/tsuide/admin/volume-discounts/new").get_data(as_text=True)
    assert 'value="shoe-care"' in page and "シューケア" in page


def test_two_pairs_of_socks_are_offered_a_third_free_and_the_limit_is_said(shopper):
    # ソックス2足買うと1足無料 (お一人様2足まで): two pairs (¥2,000) are offered one more, free; the accessories
    # volume discount (2点以上で10%オフ) gives ¥200 now, the third pair free gives ¥1,000 instead of 20% (¥600).
    add(shopper, "socks", 2)
    page = cart_page(shopper)
    assert amount(page, "#summary-total") == 2_000 - 200 + 600
    offer = page.select_one('.tsuide-offer[data-tsuide-offer]:-soup-contains("ソックス2足買うと1足無料")')
    assert offer is not None
    text = offer.get_text(" ", strip=True)
    assert "あと1点で1点無料" in text and "お一人様2点まで" in text
    assert "￥800お得" in text  # the quote of three pairs: ¥1,000 off instead of ¥200
    add(shopper, "socks")
    page = cart_page(shopper)
    assert [d.get_text(strip=True) for d in page.select(".discount-amount")] == ["-￥1,000"]
    assert amount(page, "#summary-total") == 3_000 - 1_000 + 600


def test_the_socks_page_offers_the_free_pair(shopper):
    page = BeautifulSoup(shopper.get("/products/socks").data, "html.parser")
    offer = page.select_one('[data-tsuide-kind="buy_get"]')
    assert offer is not None and "ソックス2足買うと1足無料" in offer.get_text()
    assert "お一人様2点まで" in offer.get_text()


def test_the_cart_json_says_the_free_pair_and_the_limit(shopper):
    add(shopper, "socks", 2)
    body = shopper.get("/tsuide/api/cart").json
    [offer] = [offer for offer in body["offers"] if offer["kind"] == "buy_get"]
    assert offer["gets"] == {"units": 1, "discount_percent": 100, "amount_off": None}
    assert (offer["max_units"], offer["add"], offer["saving"]["amount"]) == (
        2, [{"product_id": "socks", "quantity": 1}], 800)
    product = shopper.get("/tsuide/api/products/socks/offers").json
    [offer] = [offer for offer in product["offers"] if offer["kind"] == "buy_get"]
    assert offer["max_units"] == 2 and offer["gets"]["units"] == 1
