"""What the widget tells a shopper, in real Chromium: errors next to the button that caused them, focus that
shows, announcements made once, and a view beacon sent once a day."""
from __future__ import annotations

import pytest
from browsing import (BACKDROP, CART_PANEL, DECLINING_CARD, THANK_YOU_PANEL, WIDTHS, add_from_product_page,
                      contrast, place_order, shopper_page, widget_ready)
from playwright.sync_api import expect

from demo.extensions import db
from demo.models import Product
from plugin import models

pytestmark = pytest.mark.browser

DECLINED = "決済が完了しなかったため、請求は行われていません。もう一度お試しください。"
SOLD_OUT = "申し訳ありません。この特典は先着枠が埋まりました。"


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def width(request):
    return request.param


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def javascript(request):
    return request.param


def assert_shown_next_to(page, error, button, panel):
    """``error`` is painted, inside the panel, right by ``button`` (no more than a line away)."""
    assert error.is_visible()
    box, near, around = error.bounding_box(), button.bounding_box(), panel.bounding_box()
    assert box["width"] > 0 and box["height"] > 0
    gap = max(box["y"] - (near["y"] + near["height"]), near["y"] - (box["y"] + box["height"]), 0)
    assert gap <= 24, (box, near)
    assert around["x"] <= box["x"] and box["x"] + box["width"] <= around["x"] + around["width"]
    assert around["y"] <= box["y"] and box["y"] + box["height"] <= around["y"] + around["height"]
    assert box["x"] + box["width"] <= page.viewport_size["width"]  # not cut off on a phone
    expect(button).to_have_accessible_description(error.inner_text())


def test_a_declined_card_is_shown_next_to_the_button(browser, base, width, javascript):
    with shopper_page(browser, width, javascript, expected_errors=("status of 402",)) as page:
        place_order(page, base, "sneakers", card=DECLINING_CARD)
        panel = page.locator(THANK_YOU_PANEL)
        accept = panel.locator("[data-tsuide-accept-form] button")
        accept.click()
        if not javascript:  # the same step without the widget: the page comes back with the shop's flash
            page.wait_for_load_state()
            assert page.locator(".flash--error", has_text=DECLINED).is_visible()
            return
        error = panel.locator("[data-tsuide-error]")
        error.wait_for(state="visible")
        assert error.inner_text() == DECLINED
        assert_shown_next_to(page, error, accept, panel)
        assert page.inner_text("[data-tsuide-live]") == DECLINED  # and announced
        assert accept.is_enabled()  # a declined card may be tried again
        accept.click()
        page.wait_for_function("s => !document.querySelector(s).disabled", arg=f"{THANK_YOU_PANEL} [data-tsuide-accept-form] button")
        assert error.count() == 1 and error.is_visible()  # one message, not one more per try
        assert page.inner_text("#summary-total") == "￥12,000"


@pytest.fixture
def cleaner_sold_out(demo_app):
    """Takes the shoe cleaner out of stock when called (after the page is shown); puts it back afterwards."""

    def sell_out():
        with demo_app.app_context():
            db.session.get(Product, "cleaner").in_stock = False
            db.session.commit()

    yield sell_out
    with demo_app.app_context():
        db.session.get(Product, "cleaner").in_stock = True
        db.session.commit()


def test_an_out_of_stock_product_is_shown_next_to_its_add_button(browser, base, width, javascript, cleaner_sold_out):
    with shopper_page(browser, width, javascript, expected_errors=("status of 409",)) as page:
        add_from_product_page(page, base, "toner")
        add_from_product_page(page, base, "brush")
        page.goto(f"{base}/cart")
        if javascript:
            widget_ready(page, CART_PANEL)
        filler = page.locator("[data-tsuide-gap=cleaner]")
        add = filler.get_by_role("button")
        cleaner_sold_out()  # sold out while the shopper looked at the page
        add.click()
        if not javascript:
            page.wait_for_load_state()
            assert page.locator(".flash--error", has_text="は在庫切れです。").is_visible()
            return
        error = filler.locator("[data-tsuide-error]")
        error.wait_for(state="visible")
        assert error.inner_text().endswith("は在庫切れです。")
        assert_shown_next_to(page, error, add, filler)
        assert page.inner_text("[data-tsuide-live]") == error.inner_text()
        assert add.is_enabled()
        assert page.inner_text("#summary-total") == "￥4,600"  # nothing was added


@pytest.fixture
def sd_card_offer_sold_out(demo_app):
    """Fills the "first 100" SD card offer when called (after the page is shown); empties it afterwards."""
    def offer():
        return db.session.query(models.PostPurchaseOffer).filter_by(global_cap=100).one()

    def sell_out():
        with demo_app.app_context():
            offer().accepted = 100
            db.session.commit()

    yield sell_out
    with demo_app.app_context():
        offer().accepted = 0
        db.session.commit()


def test_a_sold_out_offer_is_shown_next_to_the_button_and_cannot_be_taken(browser, base, width,
                                                                          sd_card_offer_sold_out):
    with shopper_page(browser, width, expected_errors=("status of 410",)) as page:
        place_order(page, base, "camera")
        panel = page.locator(THANK_YOU_PANEL)
        widget_ready(page, THANK_YOU_PANEL)
        assert "SDカード" in panel.locator(".tsuide-thank-you__title").inner_text()
        accept = panel.locator("[data-tsuide-accept-form] button")
        sd_card_offer_sold_out()
        accept.click()
        error = panel.locator("[data-tsuide-error]")
        error.wait_for(state="visible")
        assert error.inner_text() == SOLD_OUT
        assert_shown_next_to(page, error, accept, panel)
        assert page.inner_text("[data-tsuide-live]") == SOLD_OUT
        assert accept.is_disabled() and panel.locator("[data-tsuide-decline-form] button").is_disabled()
        assert panel.locator(".tsuide-thank-you__title").is_visible()  # what sold out stays readable


def focus_ring(page, locator):
    """The focused element's ring as a person sees it: (matches :focus-visible, width in px, contrast)."""
    style = locator.evaluate("e => { const s = getComputedStyle(e); return [e.matches(':focus-visible'), "
                             "s.outlineStyle, s.outlineWidth, s.outlineColor]; }")
    visible, line, thickness, colour = style
    ratio = contrast(colour, locator.evaluate(BACKDROP)) if line != "none" else 0.0
    return visible, float(thickness.removesuffix("px")) if line != "none" else 0.0, ratio


def test_the_buttons_focus_ring_stands_out_from_the_panel(browser, base):
    with shopper_page(browser, 1280) as page:
        # A quiet button on the panel's white (a gap filler), then a solid one on an offer's tint.
        add_from_product_page(page, base, "brush")
        for product_id, button in (("toner", ".tsuide-gap__item button"), ("healthfood", ".tsuide-offer button")):
            add_from_product_page(page, base, product_id)
            page.goto(f"{base}/cart")
            widget_ready(page, CART_PANEL)
            page.keyboard.press("Tab")  # keyboard use, so :focus-visible applies as it does for a person
            page.locator(button).first.focus()
            visible, thickness, ratio = focus_ring(page, page.locator(button).first)
            assert visible and thickness >= 2 and ratio >= 3, (button, thickness, ratio)


def test_after_an_add_by_keyboard_the_focused_panel_shows_its_focus(browser, base, width):
    with shopper_page(browser, width) as page:
        add_from_product_page(page, base, "toner")
        add_from_product_page(page, base, "brush")
        page.goto(f"{base}/cart")
        widget_ready(page, CART_PANEL)
        page.locator("[data-tsuide-gap=cleaner]").get_by_role("button").focus()
        page.keyboard.press("Enter")
        page.wait_for_function("document.querySelector('#summary-total').dataset.amount === '5200'")
        panel = page.locator(CART_PANEL)
        page.wait_for_function("s => document.activeElement === document.querySelector(s)", arg=CART_PANEL)
        visible, thickness, ratio = focus_ring(page, panel)
        assert visible and thickness >= 2 and ratio >= 3, (thickness, ratio)


def test_a_decline_announces_the_downsell_that_takes_its_place(browser, base):
    with shopper_page(browser, 375) as page:
        place_order(page, base, "sneakers")
        panel = page.locator(THANK_YOU_PANEL)
        panel.locator("[data-tsuide-decline-form] button").click()
        heading = panel.get_by_role("heading", name="防水スプレーだけでも")
        heading.wait_for(state="visible")
        live = page.locator("[data-tsuide-live]")
        expect(live).to_contain_text("防水スプレーだけでも")
        assert live.inner_text().startswith(panel.locator(".tsuide-thank-you__eyebrow").inner_text())


def test_an_accept_is_announced_once(browser, base):
    with shopper_page(browser, 1280) as page:
        place_order(page, base, "sneakers")
        panel = page.locator(THANK_YOU_PANEL)
        panel.locator("[data-tsuide-accept-form] button").click()
        done = panel.locator(".tsuide-thank-you__done")
        done.wait_for(state="visible")
        assert done.inner_text() == "ご注文に追加しました。新しいご注文合計は￥14,800です。"
        assert page.inner_text("[data-tsuide-live]") == done.inner_text()
        # One place reads it out: the panel's live region, not also a new role="status" paragraph.
        live_regions = panel.locator('[aria-live], [role="status"], [role="alert"], [role="log"]')
        assert live_regions.count() == 1 and live_regions.get_attribute("data-tsuide-live") is not None


def test_the_view_beacon_goes_out_once_a_day(browser, base, demo_app):
    with shopper_page(browser, 1280) as page:
        views = []
        page.on("request", lambda request: views.append(request.url) if request.url.endswith("/tsuide/api/events")
                and 'name="kind"\r\n\r\nview' in (request.post_data or "") else None)
        add_from_product_page(page, base, "sneakers")
        for _ in range(3):
            page.goto(f"{base}/cart")
            widget_ready(page, CART_PANEL)
            page.wait_for_load_state("networkidle")
        assert len(views) == 1
        page.evaluate("localStorage.setItem('tsuide:view', '2000-01-01')")  # as if last counted on another day
        page.reload()
        page.wait_for_load_state("networkidle")
        assert len(views) == 2
