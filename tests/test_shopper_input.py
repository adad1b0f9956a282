"""What a shopper's browser sends is taken as sent or refused: never a quantity cut down, never an odd id stored."""
import pytest
from bs4 import BeautifulSoup

ADD = "/tsuide/api/cart/items"


@pytest.fixture
def shop(database_url, make_shop):
    return make_shop(database_url)


def csrf_token(client):
    html = client.get("/tsuide/api/cart").json["panel_html"]
    return BeautifulSoup(html, "html.parser").select_one("[data-tsuide-csrf]")["data-tsuide-csrf"]


@pytest.mark.parametrize("quantity", ["1.5", "５", "²", "1e1", " 2", "+2", "0x2", "", "2\x00"])
def test_a_form_quantity_that_is_not_plain_digits_is_a_400_naming_it(shop, quantity):
    app, db, tsuide, adapter = shop
    client = app.test_client()
    response = client.post(ADD, data={"product_id": "spray", "quantity": quantity, "csrf_token": csrf_token(client)},
                           headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.json["error"]["fields"] == {"items": {"0": {"quantity": ["Not a valid integer."]}}}
    assert adapter.lines == {}
    # Without JavaScript the same form comes back to the page with the reason, and the cart unchanged.
    plain = client.post(ADD, data={"product_id": "spray", "quantity": quantity, "csrf_token": csrf_token(client),
                                   "next": "/cart"})
    assert (plain.status_code, plain.headers["Location"]) == (303, "/cart")
    assert adapter.lines == {}


@pytest.mark.parametrize("quantity", [1.5, "2", "５", 1e400, True])
def test_a_json_quantity_that_is_not_an_integer_is_a_400_naming_it(shop, quantity):
    app, db, tsuide, adapter = shop
    client = app.test_client()
    response = client.post(ADD, json={"items": [{"product_id": "spray", "quantity": quantity}]},
                           headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 400
    assert "quantity" in response.json["error"]["fields"]["items"]["0"]
    assert adapter.lines == {}


def test_plain_quantities_still_add(shop):
    app, db, tsuide, adapter = shop
    client = app.test_client()
    token = csrf_token(client)
    assert client.post(ADD, data={"product_id": "spray", "quantity": "2", "csrf_token": token}).status_code == 303
    assert client.post(ADD, json={"items": [{"product_id": "brush", "quantity": 3}]},
                       headers={"X-CSRFToken": token}).status_code == 200
    assert adapter.lines == {"spray": 2, "brush": 3}


@pytest.mark.parametrize("field", ["product_id", "bundle_id"])
def test_a_control_character_in_an_id_is_a_400_before_the_shop_is_asked(shop, field):
    app, db, tsuide, adapter = shop
    client = app.test_client()
    token = csrf_token(client)
    calls = adapter.product_calls
    response = client.post(ADD, data={field: "spr\x00ay", "csrf_token": token}, headers={"Accept": "application/json"})
    assert response.status_code == 400
    refused = ["Contains a character that cannot be saved (a control character)."]
    assert response.json["error"]["fields"] == (
        {"items": {"0": {"product_id": refused}}} if field == "product_id" else {"bundle_id": refused})
    assert adapter.product_calls == calls  # refused before the shop is asked to look the id up
