"""The cart panel's offer cards, one of each kind: every word a shopper reads on a card, its links and its form.

The cards' words are worked out once in Python (``panels.offer_cards``) and placed by the template; these render
``tsuide.cart_panel(quote)`` with quotes made by hand, so each kind, pricing mode and edge is seen as the shopper
sees it, in Japanese and English.
"""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from flask_wtf.csrf import validate_csrf

from plugin.engine.rules import VolumeTier
from plugin.engine.values import CartLine, Offer, Product, Quote, QuotedLine

SOCKS = Product("socks", "ソックス", 800, url="/p/socks", image_url="/img/socks.svg")
BRUSH = Product("brush", "ブラシ", 1_200, url="/p/brush", image_url="https://cdn.example/brush.png")
SPRAY = Product("spray", "防水スプレー", 1_500, url="javascript:alert(1)", image_url="data:image/svg+xml,x")
BAG = Product("ecobag", "エコバッグ", 1_000)


def offer(kind: str, products=(SOCKS,), quantities=None, **fields) -> Offer:
    quantities = quantities or [1] * len(products)
    add = tuple(CartLine(product.id, quantity, product.price) for product, quantity in zip(products, quantities))
    values = {"rule_id": "7", "label": "ルールの名前", "added_price": sum(line.subtotal for line in add), "saving": 400,
              "new_total": 9_600}
    values.update(fields)
    return Offer(kind=kind, add=add, products=tuple(products), **values)


def cards(app, tsuide, offers, language="ja", valid_token=None):
    """The offer cards of the cart panel for a quote with ``offers``; ``valid_token(token)`` says, in the same
    request, whether a form's CSRF token is one this shopper's session accepts."""
    quote = Quote(currency="JPY", lines=(QuotedLine("shoes", 1, 8_000, 8_000, 0, 8_000),), subtotal=8_000,
                  discounts=(), shipping_fee=0, free_shipping=None, offers=tuple(offers))
    with app.test_request_context('/cart?q="a"<b>', headers={"Accept-Language": language}):
        html = str(tsuide.cart_panel(quote))
        soup = BeautifulSoup(html, "html.parser")
        assert soup.select_one(".tsuide-panel") is not None, html  # rendered, not failed into an empty panel
        for token in [field["value"] for field in soup.select("[name=csrf_token]")] if valid_token else ():
            valid_token(token)
    return soup.select(".tsuide-offer")


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """One shop for the module (the cards read nothing of the database but the rules' version stamp)."""
    from shop import make_shop

    app, db, tsuide, adapter = make_shop(f"sqlite:///{tmp_path_factory.mktemp('cards') / 'shop.sqlite'}",
                                         TSUIDE_HOLDOUT_PERCENT=0)
    yield app, tsuide
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def text(card, selector):
    found = card.select_one(selector)
    return None if found is None else found.get_text(strip=True)


@pytest.mark.parametrize("made, hint", [
    (offer("complete_bundle"), "セットにするとお得"),
    (offer("reach_tier", quantities=[2], tier=VolumeTier(3, 1_000)), "あと2点で10%オフ"),
    (offer("reach_tier", quantities=[1], tier=VolumeTier(2, 1_250)), "あと1点で12.5%オフ"),
    (offer("buy_get", gets=(1, "percent_off", 10_000)), "あと1点で1点無料"),
    (offer("buy_get", quantities=[2], gets=(2, "percent_off", 5_000)), "あと2点で2点50%オフ"),
    (offer("buy_get", gets=(1, "amount_off", 300)), "あと1点で1点￥300引き"),
    (offer("bought_together", rule_id="pair:socks", label="ソックス"), "よく一緒に購入されています"),
    (offer("free_gift", products=(BAG,), saving=1_000, new_total=8_000), "ノベルティがもらえます"),
])
def test_each_kind_of_card_says_what_its_click_does(shop, made, hint):
    app, tsuide = shop
    [card] = cards(app, tsuide, [made])
    assert text(card, ".tsuide-offer__hint") == hint
    assert card["data-tsuide-offer"] == made.rule_id
    assert text(card, ".tsuide-offer__limit") is None


def test_a_card_says_its_saving_its_new_total_its_limit_and_its_label(shop):
    app, tsuide = shop
    first, second, pair = cards(app, tsuide, [
        offer("buy_get", gets=(1, "percent_off", 10_000), max_units=2, saving=800, new_total=9_600),
        offer("complete_bundle", rule_id="8", label="シューケア", saving=0, new_total=10_700),
        offer("bought_together", rule_id="pair:socks", label="ソックス"),
    ])
    assert text(first, ".tsuide-offer__hint") == "あと1点で1点無料お一人様2点まで"
    assert text(first, ".tsuide-offer__limit") == "お一人様2点まで"
    assert text(first, ".tsuide-offer__saving") == "￥800お得"
    assert text(first, ".tsuide-offer__total") == "追加後の合計 ￥9,600"
    assert text(first, ".tsuide-offer__label") == "ルールの名前"
    assert text(second, ".tsuide-offer__saving") is None  # it saves nothing: no "￥0お得"
    assert text(second, ".tsuide-offer__total") == "追加後の合計 ￥10,700"
    assert text(second, ".tsuide-offer__label") == "シューケア"
    assert text(pair, ".tsuide-offer__label") is None  # its label is its product's name, already on the card


def test_a_card_lists_each_product_with_the_units_the_click_adds_and_only_safe_links(shop):
    app, tsuide = shop
    [card] = cards(app, tsuide, [offer("complete_bundle", products=(SOCKS, BRUSH, SPRAY), quantities=[2, 1, 3])])
    links = card.select(".tsuide-offer__product")
    assert [link.get_text(" ", strip=True) for link in links] == ["ソックス × 2", "ブラシ", "防水スプレー × 3"]
    assert [link["href"] for link in links] == ["/p/socks", "/p/brush", "#"]
    assert [[img["src"] for img in link.select("img")] for link in links] == [
        ["/img/socks.svg"], ["https://cdn.example/brush.png"], []]


def test_a_cards_form_adds_what_the_card_shows_and_comes_back_to_this_page(shop):
    app, tsuide = shop
    bundle, pair = cards(app, tsuide, [offer("complete_bundle", rule_id="8"),
                                       offer("bought_together", rule_id="pair:socks", label="ソックス")],
                         valid_token=validate_csrf)  # raises unless the session takes it
    for card in (bundle, pair):
        form = card.select_one("form")
        assert form["action"] == "/tsuide/api/cart/items" and form["method"] == "post"
        assert form.select_one("[name=csrf_token]")["value"]
        assert form.select_one("[name=next]")["value"] == '/cart?q="a"<b>'  # escaped: the attribute holds it all
    assert {field["name"]: field["value"] for field in bundle.select("input") if field["name"] == "bundle_id"} == {
        "bundle_id": "8"}
    assert {field["name"]: field["value"] for field in pair.select("input")
            if field["name"] in ("product_id", "quantity", "offer")} == {
        "product_id": "socks", "quantity": "1", "offer": "pair:socks"}
    assert bundle.select_one("button")["data-tsuide-offer"] == "8"
    assert bundle.select_one("[name=csrf_token]")["value"] == pair.select_one("[name=csrf_token]")["value"]


@pytest.mark.parametrize("language, hints, buttons", [
    ("ja", ["あと1点で1点￥300引き", "ノベルティがもらえます"], ["1点を追加する", "ノベルティを追加"]),
    ("en", ["Add 1 more: ¥300 off 1", "You've earned a free gift"], ["Add 1 item", "Add your free gift"]),
])
def test_a_cards_words_are_in_the_shoppers_language(shop, language, hints, buttons):
    app, tsuide = shop
    found = cards(app, tsuide, [offer("buy_get", gets=(1, "amount_off", 300)),
                                offer("free_gift", rule_id="9", products=(BAG,))], language)
    assert [text(card, ".tsuide-offer__hint") for card in found] == hints
    assert [text(card, "button") for card in found] == buttons
