"""URLs from outside the plugin: a form's way back never leaves the shop, a product's link never runs script."""
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from bs4 import BeautifulSoup

from factories import CATALOGUE
from plugin import models
from plugin.storage.post_purchase import PostPurchaseItem, PostPurchaseOffer, PostPurchaseTrigger
from plugin.storefront.safe_urls import back_url, link_url
from shop import MemoryAdapter, OrderingAdapter

ADD = "/tsuide/api/cart/items"
#: What an attacker puts in ``next`` (or a Referer) to bounce a shopper off the shop from its own redirect.
HOSTILE = [
    "//evil.example/phish",
    "///evil.example/phish",
    "////evil.example/phish",
    "/\\evil.example/phish",
    "\\\\evil.example/phish",
    "\\/evil.example/phish",
    "/\\/evil.example/phish",
    "http://localhost//evil.example/phish",
    "http://localhost///evil.example/phish",
    "https://localhost////evil.example/phish",
    "http://localhost/\\evil.example/phish",
    "http://localhost@evil.example/phish",
    "http://evil.example\\@localhost/phish",
    "https://evil.example/phish",
    "http:evil.example/phish",
    "http:/\\evil.example/phish",
    "/%2F%2Fevil.example/phish",
    "/%2f/evil.example/phish",
    "/%5Cevil.example/phish",
    "%2F%2Fevil.example/phish",
    "/%09/evil.example/phish",
    "/\t/evil.example/phish",
    "/\n/evil.example/phish",
    "/\r\n/evil.example",
    " //evil.example/phish",
    "javascript:alert(1)",
    "http://[::1/phish",
]


def csrf_token(client):
    html = client.get("/tsuide/api/cart").json["panel_html"]
    return BeautifulSoup(html, "html.parser").select_one("[data-tsuide-csrf]")["data-tsuide-csrf"]


@pytest.fixture
def shop(database_url, make_shop):
    return make_shop(database_url)


@pytest.mark.parametrize("target", HOSTILE)
def test_the_helper_sends_a_hostile_target_home(target):
    assert back_url([target], "localhost", "/home") == "/home"
    assert back_url([target, "http://localhost/cart?x=1"], "localhost") == "/cart?x=1"  # then the Referer


def test_the_helper_keeps_pages_of_the_shop():
    assert back_url(["/cart?from=panel"], "localhost") == "/cart?from=panel"
    assert back_url([None, "https://localhost:8000/cart"], "localhost:8000") == "/cart"
    assert back_url(["", None], "localhost") == "/"


@pytest.mark.parametrize("target", HOSTILE)
def test_a_form_post_never_redirects_off_the_shop(shop, target):
    app, db, tsuide, adapter = shop
    client = app.test_client()
    response = client.post(ADD, data={"product_id": "spray", "csrf_token": csrf_token(client), "next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert adapter.lines == {"spray": 1}  # the add itself went through


def test_the_referer_never_redirects_off_the_shop_either(shop):
    app, db, tsuide, adapter = shop
    client = app.test_client()
    token = csrf_token(client)
    for referer in ("http://localhost//evil.example/phish", "http://localhost/\\evil.example", "https://evil.example/"):
        response = client.post(ADD, data={"product_id": "spray", "csrf_token": token}, headers={"Referer": referer})
        assert (response.status_code, response.headers["Location"]) == (303, "/"), referer
    response = client.post(ADD, data={"product_id": "spray", "csrf_token": token},
                           headers={"Referer": "http://localhost/cart?step=2"})
    assert response.headers["Location"] == "/cart?step=2"


def test_a_refused_form_goes_back_to_the_configured_shop_home(database_url, make_shop):
    app, db, tsuide, adapter = make_shop(database_url, TSUIDE_SHOP_URL="/shop/")
    client = app.test_client()
    response = client.post(ADD, data={"product_id": "nope", "csrf_token": csrf_token(client),
                                      "next": "//evil.example/phish"})
    assert (response.status_code, response.headers["Location"]) == (303, "/shop/")
    assert adapter.lines == {}


@pytest.fixture
def thank_you_shop(database_url, make_shop):
    adapter = OrderingAdapter()
    app, db, tsuide, _ = make_shop(database_url, adapter=adapter)
    adapter.customer_id = "c-1"
    adapter.place("A-1", [("sneakers", 1)], datetime.now(timezone.utc) - timedelta(minutes=1))
    with app.app_context():
        offer = PostPurchaseOffer(kind="add_on", label="Care", pricing_mode="percent_off", pricing_value=1000,
                                  items=[PostPurchaseItem(product_id="spray")],
                                  triggers=[PostPurchaseTrigger(product_id="sneakers")])
        db.session.add(offer)
        db.session.commit()
        offer_id = str(offer.id)
    return app, adapter, offer_id


@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_the_thank_you_forms_never_redirect_off_the_shop(thank_you_shop, answer):
    app, adapter, offer_id = thank_you_shop
    client = app.test_client()
    panel = client.get("/tsuide/api/orders/A-1/offer").json["panel_html"]
    token = BeautifulSoup(panel, "html.parser").select_one("[name=csrf_token]")["value"]
    for target in ("//evil.example/phish", "/\\evil.example", "http://localhost//evil.example/phish"):
        response = client.post(f"/tsuide/api/orders/A-1/offer/{answer}",
                               data={"offer_id": offer_id, "idempotency_key": "key-" + "x" * 10, "csrf_token": token,
                                     "next": target})
        assert (response.status_code, response.headers["Location"]) == (303, "/"), target
    assert len(adapter.charges) == (1 if answer == "accept" else 0)


# -- links from the adapter ----------------------------------------------------------------------------------

SCRIPT_URLS = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
               "\x01javascript:alert(1)", "vbscript:msgbox(1)", "data:text/html,<script>alert(1)</script>",
               "data:image/svg+xml,<svg onload=alert(1)>", "/\\evil.example"]


@pytest.mark.parametrize("url", SCRIPT_URLS)
def test_the_link_helper_drops_what_is_not_http_or_a_path(url):
    assert link_url(url) is None


def test_the_link_helper_keeps_http_and_paths():
    for url in ("https://cdn.example/a.png", "http://shop.example/p/1", "/products/spray", "spray.png"):
        assert link_url(url) == url
    assert link_url(None) is None and link_url("") is None


def hrefs_and_srcs(html):
    soup = BeautifulSoup(html, "html.parser")
    return [tag["href"] for tag in soup.select("a[href]")], [tag["src"] for tag in soup.select("img[src]")]


def test_the_cart_panel_never_links_a_script(database_url, make_shop):
    catalogue = dict(CATALOGUE)
    catalogue["spray"] = replace(CATALOGUE["spray"], url="https://shop.example/spray", image_url="/img/spray.png")
    catalogue["brush"] = replace(CATALOGUE["brush"], url="javascript:alert(1)", image_url="JaVaScRiPt:alert(2)")
    catalogue["cleaner"] = replace(CATALOGUE["cleaner"], url=" javascript:alert(3)",
                                   image_url="data:image/svg+xml,<svg onload=alert(4)>")
    app, db, tsuide, adapter = make_shop(database_url, adapter=MemoryAdapter(catalogue))
    with app.app_context():
        db.session.add(models.ShippingRule(label="送料無料", currency="JPY", threshold=5_000, fee=600))
        db.session.add(models.Bundle(label="シューケア3点", pricing_mode="fixed_price", pricing_value=2_900,
                                     items=[models.RuleItem(product_id=pid, quantity=1, position=i)
                                            for i, pid in enumerate(["spray", "brush", "cleaner"])]))
        db.session.commit()
    adapter.lines = {"spray": 1}
    panel = app.test_client().get("/tsuide/api/cart").json["panel_html"]
    soup = BeautifulSoup(panel, "html.parser")
    assert soup.select(".tsuide-offer__product") and soup.select(".tsuide-gap__name")  # both kinds of link shown
    hrefs, srcs = hrefs_and_srcs(panel)
    assert sorted(set(hrefs)) == ["#"] and srcs == []  # brush and cleaner: no link, no image
    adapter.lines = {"brush": 1}
    hrefs, srcs = hrefs_and_srcs(app.test_client().get("/tsuide/api/cart").json["panel_html"])
    assert "https://shop.example/spray" in hrefs and srcs.count("/img/spray.png") >= 1
    assert not [url for url in hrefs + srcs if url != "#" and link_url(url) is None]


def test_the_thank_you_panel_never_loads_a_script(database_url, make_shop):
    catalogue = dict(CATALOGUE)
    catalogue["spray"] = replace(CATALOGUE["spray"], image_url="javascript:alert(1)")
    catalogue["brush"] = replace(CATALOGUE["brush"], image_url="https://cdn.example/brush.png")
    adapter = OrderingAdapter(catalogue)
    app, db, tsuide, _ = make_shop(database_url, adapter=adapter)
    adapter.customer_id = "c-1"
    adapter.place("A-1", [("sneakers", 1)], datetime.now(timezone.utc) - timedelta(minutes=1))
    with app.app_context():
        db.session.add(PostPurchaseOffer(kind="add_on", label="Care", pricing_mode="percent_off", pricing_value=1000,
                                         items=[PostPurchaseItem(product_id="spray"),
                                                PostPurchaseItem(product_id="brush", position=1)],
                                         triggers=[PostPurchaseTrigger(product_id="sneakers")]))
        db.session.commit()
    body = app.test_client().get("/tsuide/api/orders/A-1/offer").json
    assert body["state"] == "offer"
    assert hrefs_and_srcs(body["panel_html"])[1] == ["https://cdn.example/brush.png"]
