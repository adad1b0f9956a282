"""The cart panel's bar and gap fillers, worded once in Python (``panels.shipping_bar``, ``panels.gap_rows``) and only
placed by the template: every word and number a shopper reads or a screen reader announces, in each state of the bar.

The quotes are made by hand, so each state is seen as the shopper sees it (``tsuide.cart_panel(quote)``), in Japanese
and English. The expected words are the README's and the translations' ("あと¥800で送料無料", "送料無料になりました").
"""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from plugin.engine.rules import Reward, ShippingStep
from plugin.engine.rules import SpendStep
from plugin.engine.values import FreeShippingProgress, GapFiller, Product, Quote, QuotedLine, Rung
from plugin.storefront.i18n import money_formatter, translator
from plugin.storefront.panels import gap_rows, shipping_bar

SPRAY = Product("spray", "防水スプレー", 1_500, url="/p/spray", image_url="/img/spray.svg")
BRUSH = Product("brush", "ブラシ", 800, url="javascript:alert(1)", image_url="data:image/svg+xml,x")


def quote(progress=None, gap_fillers=(), ladder=()) -> Quote:
    return Quote(currency="JPY", lines=(QuotedLine("shoes", 1, 4_200, 4_200, 0, 4_200),), subtotal=4_200,
                 discounts=(), shipping_fee=0 if progress is None else progress.fee, free_shipping=progress,
                 gap_fillers=tuple(gap_fillers), ladder=tuple(ladder))


def progress(counted, threshold=5_000, fee=600, **fields) -> FreeShippingProgress:
    return FreeShippingProgress(threshold=threshold, counted=counted, remaining=max(0, threshold - counted),
                                fee=0 if counted >= threshold else fee, **fields)


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """One shop for the module (the panel reads nothing of the database but the rules' version stamp)."""
    from shop import make_shop

    app, db, tsuide, adapter = make_shop(f"sqlite:///{tmp_path_factory.mktemp('bar') / 'shop.sqlite'}")
    yield app, tsuide
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def panel(shop, made: Quote, language="ja") -> BeautifulSoup:
    app, tsuide = shop
    with app.test_request_context("/cart", headers={"Accept-Language": language}):
        html = str(tsuide.cart_panel(made))
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one(".tsuide-panel") is not None, html  # rendered, not failed into an empty panel
    return soup


def words(language="ja"):
    return translator(language), money_formatter("JPY", language)


def test_below_the_threshold_the_bar_says_what_is_left(shop):
    soup = panel(shop, quote(progress(4_200)))
    text = soup.select_one(".tsuide-shipping__text")
    assert text.get_text() == "あと￥800で送料無料"
    assert not text.has_attr("data-tsuide-ladder")
    assert "tsuide-shipping--reached" not in soup.select_one(".tsuide-shipping")["class"]
    bar = soup.select_one("[role=progressbar]")
    assert (bar["aria-valuemin"], bar["aria-valuemax"], bar["aria-valuenow"]) == ("0", "5000", "4200")
    assert bar["aria-valuetext"] == "あと￥800で送料無料"
    assert bar["aria-label"] == "送料無料までの進み具合"
    assert soup.select_one(".tsuide-shipping__fill")["style"] == "width: 84.0%"


def test_a_reduced_fee_on_the_way_is_read_first(shop):
    made = quote(progress(2_500, next_step=ShippingStep(3_000, 300), next_step_remaining=500))
    text = panel(shop, made, "en").select_one(".tsuide-shipping__text").get_text()
    assert text == "¥500 more for shipping at ¥300 · ¥2,500 more for free shipping"


def test_reached_with_a_reward_ahead_and_rewards_unlocked(shop):
    made = quote(progress(6_000, rewards_unlocked=(Reward(5_000, "ステッカー"), Reward(6_000, "靴ひも")),
                          next_reward=Reward(8_000, "トートバッグ"), next_reward_remaining=2_000))
    soup = panel(shop, made)
    assert "tsuide-shipping--reached" in soup.select_one(".tsuide-shipping")["class"]
    assert soup.select_one(".tsuide-shipping__text").get_text() == "送料無料になりました · あと￥2,000でトートバッグ"
    assert [p.get_text() for p in soup.select(".tsuide-shipping__reward")] == ["特典達成：ステッカー",
                                                                                "特典達成：靴ひも"]
    bar = soup.select_one("[role=progressbar]")
    assert bar["aria-valuenow"] == "5000"  # never past the threshold
    assert soup.select_one(".tsuide-shipping__fill")["style"] == "width: 100.0%"


def test_the_ladder_takes_the_place_of_the_next_reward(shop):
    """With spend discounts or gifts ahead, the bar reads the ladder (its words: plugin.storefront.ladder)."""
    rung = Rung(rule_id="12", kind="spend", label="1万円以上で500円引き", threshold=10_000, remaining=3_800,
                     step=SpendStep(10_000, amount_off=500))
    reached = quote(progress(6_200, next_reward=Reward(8_000, "トートバッグ"), next_reward_remaining=1_800),
                    ladder=[rung])
    soup = panel(shop, reached)
    text = soup.select_one(".tsuide-shipping__text")
    assert text.has_attr("data-tsuide-ladder")
    assert text.get_text().startswith("送料無料になりました · ")
    assert "あと￥3,800で￥500引き" in text.get_text()
    assert [span["data-tsuide-offer"] for span in soup.select(".tsuide-shipping span[hidden]")] == ["12"]
    below = panel(shop, quote(progress(4_200), ladder=[rung]))
    assert "送料無料になりました" not in below.select_one(".tsuide-shipping__text").get_text()
    assert below.select_one(".tsuide-shipping__text").has_attr("data-tsuide-ladder")


def test_the_ladder_alone_without_a_shipping_threshold(shop):
    rung = Rung(rule_id="12", kind="spend", label="1万円以上で500円引き", threshold=10_000, remaining=5_800,
                     step=SpendStep(10_000, amount_off=500))
    soup = panel(shop, quote(ladder=[rung]))
    assert soup.select_one("[role=progressbar]") is None
    text = soup.select_one(".tsuide-shipping__text")
    assert text.has_attr("data-tsuide-ladder") and "あと￥5,800で￥500引き" in text.get_text()
    assert [span["data-tsuide-offer"] for span in soup.select(".tsuide-shipping span[hidden]")] == ["12"]


def test_no_threshold_and_no_ladder_no_bar():
    translate, money = words()
    assert shipping_bar(quote(), None, translate, money) is None


def test_the_bar_in_numbers():
    translate, money = words("en")
    bar = shipping_bar(quote(progress(1_234)), None, translate, money)
    assert (bar.text, bar.reached, bar.unlocked, bar.threshold, bar.now, bar.width) == (
        "¥3,766 more for free shipping", False, (), 5_000, 1_234, "24.7")
    assert bar.label == "Progress toward free shipping"


def test_gap_fillers_say_their_price_and_what_is_left(shop):
    fillers = [GapFiller(SPRAY, new_total=5_700, remaining_after=0), GapFiller(BRUSH, new_total=5_000,
                                                                                remaining_after=700)]
    soup = panel(shop, quote(progress(4_200), gap_fillers=fillers))
    assert soup.select_one(".tsuide-gap__heading") is not None
    items = soup.select(".tsuide-gap__item")
    assert [item["data-tsuide-gap"] for item in items] == ["spray", "brush"]
    spray, brush = items
    assert spray.select_one(".tsuide-gap__name").get_text() == "防水スプレー"
    assert spray.select_one(".tsuide-gap__name")["href"] == "/p/spray"
    assert spray.select_one("img")["src"] == "/img/spray.svg"
    assert spray.select_one(".tsuide-gap__price").get_text() == "￥1,500"
    assert spray.select_one(".tsuide-gap__note").get_text() == "追加で送料無料"
    assert brush.select_one(".tsuide-gap__note").get_text() == "送料無料まであと￥700"
    assert brush.select_one(".tsuide-gap__name")["href"] == "#"  # an unsafe link is never an href
    assert brush.select_one("img") is None
    form = brush.select_one("form")
    assert form["action"] == "/tsuide/api/cart/items"
    fields = {field["name"]: field["value"] for field in form.select("input[type=hidden]")}
    assert (fields["product_id"], fields["quantity"], fields["offer"], fields["next"]) == ("brush", "1", "gap:brush",
                                                                                          "/cart")
    assert fields["csrf_token"]
    assert form.select_one("button")["data-tsuide-offer"] == "gap:brush"


def test_gap_rows_in_english():
    translate, money = words("en")
    [row] = gap_rows(quote(progress(4_200), gap_fillers=[GapFiller(BRUSH, 5_000, 700)]), translate, money)
    assert (row.href, row.image_url, row.price, row.note) == ("#", None, "¥800", "¥700 still to go")
