"""The admin's previews and layout in real Chromium, on the demo shop: what a merchant sees at 1280 and 375 px."""
import re

import pytest

from test_admin_browser import WIDE, add_from_product_page

pytestmark = pytest.mark.browser

NARROW = {"width": 375, "height": 800}


def open_admin(browser, base, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(f"{base}/")
    page.click(".admin-switch button")
    page.wait_for_url(f"{base}/tsuide/admin/")
    return context, page


def fact(page, term):
    """A figure of the preview, as it is on screen."""
    cell = page.locator(".ta-preview .ta-facts div", has_text=term).locator("dd")
    assert cell.is_visible()
    return cell.inner_text()


def digits(text):
    return int(re.sub(r"\D", "", text))


def test_the_preview_shows_the_cart_pages_numbers_and_the_form_stays_usable(browser, base):
    context, page = open_admin(browser, base, WIDE)
    page.goto(f"{base}/tsuide/admin/bundles/new")
    page.fill("input[name=label]", "スプレー＋ブラシ")
    page.fill("input[name=items-0-product_id]", "spray")
    page.fill("input[name=items-0-quantity]", "1")
    page.fill("input[name=items-1-product_id]", "brush")
    page.fill("input[name=items-1-quantity]", "1")
    page.select_option("select[name=pricing_mode]", "amount_off")
    page.fill("input[name=pricing_value]", "300")
    page.fill("input[name=sample_cart]", "spray×1, brush×1")
    page.click("button[value=preview]")
    page.wait_for_load_state()
    shown = {term: fact(page, term) for term in ("割引", "送料", "カートの合計")}
    assert digits(shown["送料"]) > 0  # below the demo's ¥5,000: shipping is in the preview

    # Tab through the form: no focused field is ever under the sticky Save/Preview bar.
    page.click("input[name=label]")
    bar = page.locator(".ta-submit")
    checked = 0
    for _ in range(40):
        page.keyboard.press("Tab")
        box = page.evaluate("""() => { const el = document.activeElement;
            if (!el || el.closest('.ta-submit') || !el.matches('input, select, textarea, summary')) return null;
            const r = el.getBoundingClientRect(); return {top: r.top, bottom: r.bottom}; }""")
        if box is None:
            continue
        checked += 1
        bar_box = bar.bounding_box()
        assert box["bottom"] <= bar_box["y"] + 1 or box["top"] >= bar_box["y"] + bar_box["height"], box
    assert checked >= 10

    page.click("button[value=save]")
    page.wait_for_url(f"{base}/tsuide/admin/bundles/**")
    # The shopper's cart with the same products shows the same figures.
    add_from_product_page(page, base, "spray")
    add_from_product_page(page, base, "brush")
    page.goto(f"{base}/cart")
    total = page.locator("#summary-total")
    assert total.is_visible()
    assert digits(total.inner_text()) == digits(shown["カートの合計"])
    assert digits(page.locator("#summary-shipping").inner_text()) == digits(shown["送料"])
    context.close()


def test_the_downsell_is_closed_by_default_and_lists_fit_a_phone(browser, base):
    context, page = open_admin(browser, base, WIDE)
    page.goto(f"{base}/tsuide/admin/post-purchase-offers/new")
    downsell = page.locator("details[data-downsell]")
    assert downsell.locator(":scope > summary").is_visible()
    assert not page.locator("input[name=downsell-label]").is_visible()
    downsell.locator(":scope > summary").click()
    assert page.locator("input[name=downsell-label]").is_visible()
    context.close()

    context, page = open_admin(browser, base, NARROW)
    for url in ("bundles/", "audit", "shipping-thresholds/"):
        page.goto(f"{base}/tsuide/admin/{url}")
        page_width = page.evaluate("() => document.documentElement.scrollWidth")
        assert page_width <= NARROW["width"], url
    page.goto(f"{base}/tsuide/admin/bundles/")
    table = page.locator(".ta-table").first
    assert table.is_visible() and table.bounding_box()["width"] <= NARROW["width"]
    assert page.locator(".ta-shop").is_visible()
    context.close()


def test_a_percent_set_previews_what_the_cart_page_charges(browser, base):
    """12.5% typed in the form: the preview's discount, shipping and total are the cart page's, to the yen."""
    context, page = open_admin(browser, base, WIDE)
    page.goto(f"{base}/tsuide/admin/bundles/new")
    page.fill("input[name=label]", "クリーナー＋キャップ")
    for row, product in enumerate(("cleaner", "cap")):
        page.fill(f"input[name=items-{row}-product_id]", product)
        page.fill(f"input[name=items-{row}-quantity]", "1")
    page.select_option("select[name=pricing_mode]", "percent_off")
    page.fill("input[name=pricing_value]", "12.5")
    page.fill("input[name=sample_cart]", "cleaner×1, cap×1")
    page.click("button[value=preview]")
    page.wait_for_load_state()
    shown = {term: digits(fact(page, term)) for term in ("割引", "送料", "カートの合計")}
    assert shown["割引"] in (462, 463)  # 12.5% of ¥3,700, rounded once: not 1250% nor 0.125%
    page.click("button[value=save]")
    page.wait_for_url(f"{base}/tsuide/admin/bundles/**")

    add_from_product_page(page, base, "cleaner")
    add_from_product_page(page, base, "cap")
    page.goto(f"{base}/cart")
    discounts = page.locator(".totals__row--discount .discount-amount")
    assert discounts.first.is_visible()
    paid_off = -sum(int(discounts.nth(n).get_attribute("data-amount")) for n in range(discounts.count()))
    assert paid_off == shown["割引"]
    assert digits(page.locator("#summary-shipping").inner_text()) == shown["送料"]
    total = page.locator("#summary-total")
    assert total.is_visible() and digits(total.inner_text()) == shown["カートの合計"]
    context.close()
