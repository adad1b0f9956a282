"""The demo's ladder of rewards and free gift in real Chromium, at 1280 and 375 px, with and without JavaScript:
what the bar says is on screen, the gift's button is visible and adds the eco bag at ¥0, and the markers that
count the ladder's impressions paint nothing."""
import pytest
from browsing import WIDTHS, add_from_product_page, shopper_page, take_and_reload_cart

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", WIDTHS, ids=lambda width: f"{width}px")
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_ladder_reads_on_screen_and_the_earned_gift_is_added_at_no_charge(browser, base, width, javascript):
    with shopper_page(browser, width, javascript) as page:
        add_from_product_page(page, base, "sneakers")
        add_from_product_page(page, base, "healthfood")
        page.goto(f"{base}/cart")
        text = page.locator("[data-tsuide-shipping-text]")
        assert text.is_visible() and text.inner_text() == "送料無料になりました · あと￥5,000でノベルティプレゼント"
        assert text.bounding_box()["width"] <= width
        marker = page.locator("span[hidden][data-tsuide-offer]")
        assert marker.count() == 1 and not marker.is_visible()
        add_from_product_page(page, base, "serum", 2)  # ¥24,600 less ¥500 (green juice + serum): the gift is earned
        page.goto(f"{base}/cart")
        before = page.inner_text("#summary-total")
        button = page.get_by_role("button", name="ノベルティを追加")
        assert button.is_visible()
        box = button.bounding_box()
        assert box["height"] >= 24 and box["x"] + box["width"] <= width
        take_and_reload_cart(page, base, button, javascript)
        line = page.locator("#line-ecobag .cart-line__price strong")
        assert line.is_visible() and line.inner_text() == "￥0"
        assert page.inner_text("#summary-total") == before == "￥24,100"  # the gift adds nothing to pay
        assert page.get_by_role("button", name="ノベルティを追加").count() == 0


@pytest.mark.parametrize("width", WIDTHS, ids=lambda width: f"{width}px")
def test_the_reduced_fee_step_reads_on_screen(browser, base, width):
    """¥3,000 of green juice: ¥1,500 to shipping at ¥300 (from ¥4,500), ¥2,000 to free shipping (from ¥5,000)."""
    with shopper_page(browser, width, True) as page:
        add_from_product_page(page, base, "healthfood")
        page.goto(f"{base}/cart")
        text = page.locator("[data-tsuide-shipping-text]")
        assert text.is_visible() and text.inner_text() == "あと￥1,500で送料￥300 · あと￥2,000で送料無料"
        box = text.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        assert page.inner_text("#summary-total") == "￥3,600"  # below the step: the full ¥600
