"""The product picker on the server: products by name, with image, price and stock, and a search without JavaScript."""
import re
from dataclasses import replace

import pytest
from bs4 import BeautifulSoup

from plugin import models
from shop import MemoryAdapter

ADMIN = "/tsuide/admin"
API = f"{ADMIN}/api"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM = {"label": "", "pricing_mode": "percent_off", "pricing_value": "10", "priority": "0"}


class PicturedAdapter(MemoryAdapter):
    """A shop whose products have pictures (one of them a script URL, which must never become an image)."""

    admin = True

    def __init__(self):
        super().__init__()
        for pid, product in self.catalogue.items():
            self.catalogue[pid] = replace(product, image_url=f"/images/{pid}.svg")
        self.catalogue["lens"] = replace(self.catalogue["lens"], image_url="javascript:alert(1)")


@pytest.fixture
def client(database_url, make_shop):
    app, db, tsuide, adapter = make_shop(database_url, adapter=PicturedAdapter())
    client = app.test_client()
    client.shop = app, db
    return client


def token(client):
    return TOKEN.search(client.get(f"{ADMIN}/bundles/new").get_data(as_text=True)).group(1)


def post(client, data, url=f"{ADMIN}/bundles/new"):
    return client.post(url, data={"csrf_token": token(client), **data}, headers={"Accept-Language": "ja"})


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def rules(client):
    app, db = client.shop
    with app.app_context():
        return [[(item.product_id, item.quantity) for item in rule.items] for rule in db.session.query(models.Rule)]


def test_a_search_lists_products_with_image_price_and_stock_and_saves_nothing(client):
    page = soup(post(client, dict(FORM, **{"find-items": "Cam", "action": "find:items"})))
    results = page.select("[data-picker=items] [data-picker-results] li")
    assert [li.select_one(".ta-product__name").get_text() for li in results] == ["Camera"]
    camera = results[0]
    assert camera.select_one("img")["src"] == "/images/camera.svg" and camera.select_one("img")["alt"] == ""
    assert "￥65,000" in camera.get_text() and "在庫あり" in camera.get_text()
    assert camera.select_one("button[name=pick]")["value"] == "items:camera"
    assert camera.select_one("button[name=pick]")["aria-label"] == "Cameraを追加する"
    assert page.select_one("#find-items").has_attr("autofocus")
    assert rules(client) == []

    sold_out = soup(post(client, dict(FORM, **{"find-items": "scarf", "action": "find:items"})))
    assert "在庫切れ" in sold_out.select_one("[data-picker-results]").get_text()
    lens = soup(post(client, dict(FORM, **{"find-items": "lens", "action": "find:items"})))
    assert lens.select_one("[data-picker-results] img") is None  # a javascript: picture is no picture
    nothing = soup(post(client, dict(FORM, **{"find-items": "zzz", "action": "find:items"})))
    assert "商品が見つかりません。" in nothing.select_one("[data-picker-results]").get_text()


def test_picking_fills_the_first_empty_row_again_adds_one_and_save_makes_the_bundle(client):
    values = dict(FORM, **{"find-items": "a"})
    page = soup(post(client, dict(values, pick="items:camera")))
    assert page.select_one("input[name=items-0-product_id]")["value"] == "camera"
    assert page.select_one("input[name=items-0-quantity]")["value"] == "1"
    card = page.select_one("input[name=items-0-product_id]").find_parent(class_="ta-combo")
    assert "Camera" in card.get_text() and "￥65,000" in card.get_text()
    assert page.select("[data-picker=items] [data-picker-results] li")  # the results stay for the next pick
    form = {field["name"]: field.get("value", "") for field in page.select("form.ta-form input[name]")
            if field.get("type") not in ("checkbox", "hidden") or field["name"] == "version"}
    form.update(pricing_mode="percent_off")
    again = soup(post(client, dict(form, pick="items:camera")))
    assert again.select_one("input[name=items-0-quantity]")["value"] == "2"
    with_lens = soup(post(client, dict(form, pick="items:tripod")))
    assert with_lens.select_one("input[name=items-1-product_id]")["value"] == "tripod"
    assert rules(client) == []
    saved = post(client, dict(form, **{"items-1-product_id": "tripod", "items-1-quantity": "1", "action": "save"}))
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert rules(client) == [[("camera", 1), ("tripod", 1)]]


def test_a_search_without_words_lists_the_catalogue_to_browse(client):
    page = soup(post(client, dict(FORM, action="find:items")))
    names = [li.select_one(".ta-product__name").get_text() for li in page.select("[data-picker-results] li")]
    assert len(names) == 12 and "健康食品" in names  # RESULTS of them, the shop's order


def test_a_forged_pick_adds_nothing(client):
    page = soup(post(client, dict(FORM, pick="items:unicorn")))
    assert page.select_one("input[name=items-0-product_id]")["value"] == ""
    page = soup(post(client, dict(FORM, pick="label:camera")))
    assert page.select_one("input[name=items-0-product_id]")["value"] == ""
    assert rules(client) == []


def test_enter_in_a_field_searches_and_never_saves_nor_complains(client):
    form = soup(client.get(f"{ADMIN}/bundles/new")).select_one("form.ta-form")
    first = form.select_one("button[type=submit]")
    assert (first["name"], first["value"]) == ("action", "find:")  # the form's default button: Enter
    assert "ta-hidden" in first["class"] and first["tabindex"] == "-1"
    response = post(client, {"items-0-product_id": "camera", "items-0-quantity": "1", "pricing_mode": "percent_off",
                             "find-items": "tri", "action": "find:"})
    assert response.status_code == 200  # an unfinished form is not an error yet: nothing was asked of it
    typed = soup(response)
    assert [li.select_one(".ta-product__name").get_text()
            for li in typed.select("[data-picker-results] li")] == ["Tripod"]
    assert typed.select_one("#find-items").has_attr("autofocus") and not typed.select(".ta-callout--error")
    assert typed.select_one("input[name=items-0-product_id]")["value"] == "camera"
    assert rules(client) == []


def test_every_product_field_shows_what_the_shop_says_of_it(client):
    page = soup(post(client, dict(FORM, **{"items-0-product_id": "healthfood", "items-0-quantity": "3",
                                           "items-1-product_id": "unicorn", "action": "preview"})))
    known = page.select_one("input[name=items-0-product_id]").find_parent(class_="ta-combo")
    assert "健康食品" in known.get_text() and "￥3,000" in known.get_text() and "在庫あり" in known.get_text()
    unknown = page.select_one("input[name=items-1-product_id]").find_parent(class_="ta-combo")
    assert "ショップにない商品です" in unknown.get_text()
    offer = soup(client.get(f"{ADMIN}/post-purchase-offers/new"))
    for group in ("items", "trigger_products", "downsell-items", "downsell-trigger_products"):
        assert offer.select_one(f"[data-picker='{group}'] button[value='find:{group}']"), group
    assert offer.select_one("input[name=replaces_product_id][data-product-picker]")
    volume = soup(client.get(f"{ADMIN}/volume-discounts/new"))
    assert volume.select_one("[data-picker=product_ids]") and volume.select_one("input[name=product_ids-0]")


def test_a_pick_into_the_downsell_opens_it(client):
    url = f"{ADMIN}/post-purchase-offers/new"
    page = soup(client.post(url, data={"csrf_token": token(client), "kind": "add_on", "pricing_mode": "percent_off",
                                       "pick": "downsell-items:brush"}))
    assert page.select_one("input[name=downsell-items-0-product_id]")["value"] == "brush"
    assert page.select_one("details[data-downsell]").has_attr("open")
    assert page.select_one("input[name=has_downsell]").has_attr("checked")


def test_the_api_answers_the_picker_with_price_stock_and_a_safe_image(client):
    found = client.get(f"{API}/products?q=").json["items"]
    by_id = {item["id"]: item for item in found}
    assert by_id["lens"]["image_url"] is None
    assert by_id["sneakers"]["price_display"] == "￥12,000" and by_id["sneakers"]["image_url"] == "/images/sneakers.svg"


def test_without_search_products_the_fields_take_ids(database_url, make_shop):
    class Plain(MemoryAdapter):
        admin = True
        search_products = None

    app, *_ = make_shop(database_url, adapter=Plain())
    page = soup(app.test_client().get(f"{ADMIN}/bundles/new"))
    assert page.select_one("[data-picker]") is None and page.select_one("form[data-product-api]") is None
    assert "商品IDを入力してください" in page.get_text()
    assert page.select_one('script[src*="admin-picker.js"]') is None
