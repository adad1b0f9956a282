"""The demo's product page in real Chromium: the sets panel is seen, and its button adds what it says."""
import pytest

from browsing import WIDTHS, shopper_page, widget_ready

pytestmark = pytest.mark.browser

PRODUCT_PANEL = '[data-tsuide="product"]'


def yen(text):
    return int(text.replace("￥", "").replace("¥", "").replace(",", "").strip())


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
def test_the_set_on_the_product_page_adds_what_it_says(browser, base, width, javascript):
    with shopper_page(browser, width, javascript) as page:
        page.goto(f"{base}/products/spray")
        if javascript:
            widget_ready(page, PRODUCT_PANEL)
        panel = page.locator(PRODUCT_PANEL)
        assert panel.is_visible()
        box = panel.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        offer = panel.locator('[data-tsuide-kind="bundle"]', has_text="シューケア3点セット")
        assert offer.is_visible()
        assert offer.locator(".tsuide-offer__added").inner_text() == "3点で￥2,900"
        assert offer.locator(".tsuide-offer__saving").inner_text() == "￥600お得"
        promised = yen(offer.locator(".tsuide-offer__total").inner_text().split()[-1])
        button = offer.get_by_role("button", name="セットをカートに入れる")
        button_box = button.bounding_box()
        assert button.is_visible() and button_box["x"] + button_box["width"] <= width
        button.click()
        if javascript:  # added in place: the panel says so once the cart has it
            panel.locator(".tsuide-note").wait_for(state="visible")
            assert panel.locator(".tsuide-note").inner_text() == "カートに追加しました。"
        else:
            page.wait_for_url(f"{base}/products/spray")
        page.goto(f"{base}/cart")
        assert yen(page.inner_text("#summary-total")) == promised
        for name in ("防水スプレー", "馬毛ブラシ", "スニーカークリーナー"):
            assert name in page.inner_text("main")
        assert page.inner_text(".discount-amount") == "-￥600"
