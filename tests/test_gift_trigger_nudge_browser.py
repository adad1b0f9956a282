""""Xを追加でノベルティプレゼント" in real Chromium, at 1280 and 375 px, with and without JavaScript: the demo shop with
a gift earned by the canvas tote (the eco bag); a cart of a cap reads the nudge on screen, its button adds the
tote, and the gift is then offered and added at ¥0."""
import pytest
from browsing import CART_PANEL, WIDTHS, add_from_product_page, shopper_page, take_and_reload_cart

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    from conftest import _seeded_demo
    from live_server import serving
    from plugin import models

    app, db = _seeded_demo(f"sqlite:///{tmp_path_factory.mktemp('nudge') / 'shop.sqlite'}")
    with app.app_context():
        db.session.add(models.GiftRule(label="トート購入でエコバッグ", label_en="Eco bag with the tote", currency="JPY",
                                       gift_product_id="ecobag", items=[models.RuleItem(product_id="tote")]))
        db.session.commit()
    with serving(app) as url:
        yield url
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("width", WIDTHS, ids=lambda width: f"{width}px")
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_nudge_reads_on_screen_and_its_button_adds_the_product_then_the_gift(base, browser, width, javascript):
    with shopper_page(browser, width, javascript) as page:
        add_from_product_page(page, base, "cap")  # ¥2,500: the ¥2,000 tote is within the ceiling
        page.goto(f"{base}/cart")
        hint = page.locator(f"{CART_PANEL} .tsuide-offer__hint", has_text="キャンバストートを追加でノベルティプレゼント")
        assert hint.is_visible()
        card = page.locator(f"{CART_PANEL} li", has=page.locator(".tsuide-offer__hint",
                                                               has_text="キャンバストートを追加でノベルティプレゼント"))
        button = card.get_by_role("button", name="1点を追加する")
        assert button.is_visible()
        box = button.bounding_box()
        assert box["height"] >= 24 and box["x"] >= 0 and box["x"] + box["width"] <= width
        assert card.bounding_box()["x"] + card.bounding_box()["width"] <= width
        take_and_reload_cart(page, base, button, javascript)
        assert page.locator("#line-tote").is_visible()
        assert page.locator(f"{CART_PANEL} .tsuide-offer__hint", has_text="ノベルティプレゼント").count() == 0
        gift = page.get_by_role("button", name="ノベルティを追加")
        assert gift.is_visible()
        before = page.inner_text("#summary-total")
        take_and_reload_cart(page, base, gift, javascript)
        line = page.locator("#line-ecobag .cart-line__price strong")
        assert line.is_visible() and line.inner_text() == "￥0"
        assert page.inner_text("#summary-total") == before
