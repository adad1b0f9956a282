"""Words come from the click and the quote: a cart offer's button says what it adds, a card names its product once."""
from __future__ import annotations

from datetime import date

import pytest
from bs4 import BeautifulSoup
from factories import bundle, cart, quote, volume
from shop import as_visitor, visitor_for
from test_ab_tests import cart_body
from test_mining import MiningAdapter, mine

from plugin import models
from plugin.storefront import i18n
from plugin.storefront.button_labels import counts_named, offer_button_label


@pytest.mark.parametrize("label, counts", [
    ("3点まとめて追加", {3}), ("３個追加", {3}), ("二つとも", {2}), ("Add all three", {3}), ("Add both", {2}),
    ("Add 2 items", {2}), ("× 3", {3}), ("セットにする", set()), ("¥500お得", set()), ("Make it a kit", set()),
])
def test_the_counts_a_label_names(label, counts):
    assert counts_named(label) == counts


def english(message, **values):
    return i18n.gettext(message, "en", **values)


def test_a_custom_label_whose_count_contradicts_the_click_falls_back_to_what_is_added():
    one = bundle("shoe-care", {"spray": 1, "brush": 1}, "amount_off", 300)
    [offer] = quote(cart(("spray", 1)), one).offers
    assert offer.add_quantity == 1
    assert offer_button_label(offer, "Add all three", english) == "Add 1 item"
    assert offer_button_label(offer, "3点まとめて追加", english) == "Add 1 item"
    assert offer_button_label(offer, "Yes, add it", english) == "Yes, add it"  # names no count: the shop's words
    assert offer_button_label(offer, "Add one more", english) == "Add one more"
    assert offer_button_label(offer, None, english) == "Add 1 item"
    three = bundle("care-trio", {"spray": 1, "brush": 1, "cleaner": 1, "socks": 1}, "amount_off", 500)
    [offer] = quote(cart(("socks", 1)), three).offers
    assert offer_button_label(offer, "Add all three", english) == "Add all three"
    assert offer_button_label(offer, None, english) == "Add 3 items"
    assert offer_button_label(offer, None, lambda m, **v: i18n.gettext(m, "ja", **v)) == "3点を追加する"


def test_a_tier_offer_may_name_the_tier_it_reaches():
    bags = volume("bags", {3: 1_000}, products=["socks"])
    [offer] = quote(cart(("socks", 1)), bags).offers
    assert offer.add_quantity == 2
    assert offer_button_label(offer, "Make it three", english) == "Make it three"
    assert offer_button_label(offer, "Add 5 items", english) == "Add 2 items"


def test_the_cart_panel_button_says_what_the_click_adds(database_url, make_shop):
    app, db, tsuide, adapter = make_shop(database_url)
    with app.app_context():
        kit = models.Bundle(
            label="カメラとレンズ", label_en="Camera and lens", pricing_mode="percent_off", pricing_value=1_000,
            items=[models.RuleItem(product_id="camera", quantity=1, position=0),
                   models.RuleItem(product_id="lens", quantity=1, position=1)],
            variants=[models.Variant(name="A", position=0, button_label="3点まとめて追加",
                                     button_label_en="Add all three"),
                      models.Variant(name="B", position=1, button_label="セットにする", button_label_en="Make it a kit")],
        )
        db.session.add(kit)
        db.session.commit()
        kit_id = str(kit.id)
    adapter.lines = {"camera": 1}
    seen = {}
    for variant in ("A", "B"):
        client = as_visitor(app, app.test_client(), visitor_for(app, kit_id, variant))
        for language in ("ja", "en"):
            panel = BeautifulSoup(cart_body(client, language)["panel_html"], "html.parser")
            seen[variant, language] = panel.select_one(f'button[data-tsuide-offer="{kit_id}"]').get_text()
    # The click adds one lens: "all three" would be a lie, so the generated label stands in.
    assert seen == {("A", "ja"): "1点を追加する", ("A", "en"): "Add 1 item",
                    ("B", "ja"): "セットにする", ("B", "en"): "Make it a kit"}


def test_a_bought_together_card_names_its_product_once(database_url, make_shop):
    today = date.today()
    history = [(f"O-{n}", "sneakers", 1, today) for n in range(40)] + [(f"O-{n}", "spray", 1, today)
                                                                          for n in range(30)]
    history += [(f"P-{n}", "socks", 1, today) for n in range(60)]
    app, db, tsuide, adapter = make_shop(database_url, adapter=MiningAdapter(history))
    assert mine(app).exit_code == 0
    adapter.lines = {"sneakers": 1}
    body = cart_body(app.test_client(), "en")
    panel = BeautifulSoup(body["panel_html"], "html.parser")
    [card] = panel.select('[data-tsuide-offer="pair:spray"].tsuide-offer')
    text = card.get_text(" ", strip=True)
    assert text.count("Waterproof spray") == 1, text
    assert "Often bought together" in text and "Add 1 item" in text
