"""Every state of the product, cart and thank-you panels as a shopper sees it: real Chromium, 1280 and 375 px,
with and without JavaScript.

The states the other browser tests leave out: on the product page all of them (held out, nothing to offer, the
set taken, and a set that ended, sold out or lost a product while the page was open); on the thank-you page the
holdout, an order with nothing to offer, the offer taken, the window closed while the page was open, and a
sold-out offer without JavaScript; on the cart page the offer taken, and an offer that ended or sold out while
the page was open. Assertions are about what is painted: ``is_visible()``, bounding boxes inside the screen,
and what a click where a button was would hit.

On the product page without JavaScript a form posts and comes back, so a refusal is the shop's flash message
at the top of the page; with JavaScript the widget sends the same form in place, says what happened at the top
of the redrawn panel, and shows a refusal next to the button that caused it (and in the live region).
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from browsing import (CART_PANEL, THANK_YOU_PANEL, WIDTHS, add_from_product_page, hit, painted_box, place_order,
                      shopper_page, widget_ready)

from demo.extensions import db
from demo.models import Order, Product, utcnow
from plugin import models

pytestmark = pytest.mark.browser

PRODUCT_PANEL = '[data-tsuide="product"]'
TRIO = "シューケア3点セット"
SNEAKER_SET = "スニーカー＋シューケアセット"
ENDED = "この特典は終了しました。"
EXPIRED = "この特典の受付は終了しました。"
SOLD_OUT = "申し訳ありません。この特典は先着枠が埋まりました。"
ADDED = "カートに追加しました。"


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def width(request):
    return request.param


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def javascript(request):
    return request.param


def on_screen(page, locator) -> dict:
    """``locator`` is painted, with a size, and fits the screen's width (nothing cut off on a phone)."""
    assert locator.is_visible()
    box = locator.bounding_box()
    assert box["width"] > 0 and box["height"] > 0
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"] + 0.5, box
    return box


def not_painted(locator) -> None:
    assert not locator.is_visible()
    assert painted_box(locator) is None


@pytest.fixture
def change_rule(demo_app):
    """Change a bundle (by label) while a page is open; every change is undone after the test."""
    undo = []

    def change(label: str, **values):
        with demo_app.app_context():
            rule = db.session.query(models.Bundle).filter_by(label=label).one()
            undo.append((label, {name: getattr(rule, name) for name in values}))
            for name, value in values.items():
                setattr(rule, name, value)
            db.session.commit()  # through the ORM: the version stamp moves, every worker sees it

    yield change
    with demo_app.app_context():
        for label, values in reversed(undo):
            rule = db.session.query(models.Bundle).filter_by(label=label).one()
            for name, value in values.items():
                setattr(rule, name, value)
        db.session.commit()


@pytest.fixture
def out_of_stock(demo_app):
    """Take a product out of stock (after the page is shown); put it back afterwards."""
    taken = []

    def take(product_id: str):
        with demo_app.app_context():
            db.session.get(Product, product_id).in_stock = False
            db.session.commit()
        taken.append(product_id)

    yield take
    with demo_app.app_context():
        for product_id in taken:
            db.session.get(Product, product_id).in_stock = True
        db.session.commit()


@pytest.fixture
def holdout_everyone(demo_app):
    before = demo_app.config["TSUIDE_HOLDOUT_PERCENT"]
    demo_app.config["TSUIDE_HOLDOUT_PERCENT"] = 100
    yield
    demo_app.config["TSUIDE_HOLDOUT_PERCENT"] = before


def empty_cart(page, base):
    page.context.clear_cookies()
    page.goto(f"{base}/")


# -- the product page --------------------------------------------------------------------------------------

def test_product_page_held_out_paints_no_box(browser, base, width, javascript,
                                                                      holdout_everyone):
    with shopper_page(browser, width, javascript) as page:
        page.goto(f"{base}/products/spray")  # a product with sets and companions, for a held-out visitor
        on_screen(page, page.locator(".add-form button[type=submit]"))  # the shop's own page is all there
        not_painted(page.locator(PRODUCT_PANEL))
        assert not page.get_by_text(TRIO).is_visible()


def test_product_page_with_nothing_to_offer_paints_no_box(browser, base, width, javascript):
    with shopper_page(browser, width, javascript) as page:
        page.goto(f"{base}/products/laptop-pro")  # in no set, no tier, bought with nothing
        on_screen(page, page.locator(".add-form button[type=submit]"))
        assert page.locator(PRODUCT_PANEL).count() == 1  # the mount point...
        not_painted(page.locator(PRODUCT_PANEL))  # ...paints nothing
        assert page.evaluate("s => document.querySelector(s).getBoundingClientRect().height", PRODUCT_PANEL) == 0


def test_product_page_after_the_set_is_taken_it_is_no_longer_offered(browser, base, width, javascript):
    with shopper_page(browser, width, javascript) as page:
        page.goto(f"{base}/products/spray")
        if javascript:
            widget_ready(page, PRODUCT_PANEL)
        offer = page.locator('[data-tsuide-kind="bundle"]', has_text=TRIO)
        on_screen(page, offer)
        button = offer.get_by_role("button", name="セットをカートに入れる")
        on_screen(page, button)
        count_before = int(page.inner_text("#cart-count"))
        button.click()
        if javascript:  # no new page: the panel says it, on screen and in its live region, and the count follows
            note = page.locator(f"{PRODUCT_PANEL} .tsuide-note", has_text=ADDED)
            note.wait_for(state="visible")
            on_screen(page, note)
            assert page.locator(f"{PRODUCT_PANEL} [data-tsuide-live]").inner_text() == ADDED
            page.wait_for_function("n => Number(document.querySelector('#cart-count').textContent) === n",
                                   arg=count_before + 3)
            assert page.locator(".flash--success").count() == 0
        else:
            page.wait_for_url(f"{base}/products/spray")
            on_screen(page, page.locator(".flash--success", has_text=ADDED))
            assert int(page.inner_text("#cart-count")) == count_before + 3
        assert not page.locator('[data-tsuide-kind="bundle"]', has_text=TRIO).is_visible()
        # What is still offered (the sneakers set, which the spray is part of too) fits the screen.
        on_screen(page, page.locator(PRODUCT_PANEL))
        assert page.locator(f"{PRODUCT_PANEL} .tsuide-offer").count() >= 1
        for each in page.locator(f"{PRODUCT_PANEL} .tsuide-offer").all():
            on_screen(page, each)
            assert TRIO not in each.inner_text()


@pytest.mark.parametrize("change", ["ended", "sold out", "out of stock"])
def test_product_page_a_set_gone_while_the_page_was_open_says_so_on_screen(browser, base, width, javascript, change,
                                                                          change_rule, out_of_stock):
    with shopper_page(browser, width, javascript, expected_errors=("status of 4",)) as page:
        page.goto(f"{base}/products/spray")
        if javascript:
            widget_ready(page, PRODUCT_PANEL)
        offer = page.locator('[data-tsuide-kind="bundle"]', has_text=TRIO)
        button = offer.get_by_role("button", name="セットをカートに入れる")
        on_screen(page, button)
        if change == "ended":
            change_rule(TRIO, ends_at=utcnow() - timedelta(seconds=1))
        elif change == "sold out":
            change_rule(TRIO, global_cap=1, redeemed=1)
        else:
            out_of_stock("cleaner")
        button.click()
        message = ENDED if change != "out of stock" else "スニーカークリーナーは在庫切れです。"
        if javascript:
            # Next to the button that was pressed, inside its offer, described by it, and announced.
            error = offer.locator(".tsuide-error", has_text=message)
            error.wait_for(state="visible")
            error_box = on_screen(page, error)
            button_box = on_screen(page, button)
            assert 0 <= error_box["y"] - (button_box["y"] + button_box["height"]) < 40
            assert button.get_attribute("aria-describedby") == error.get_attribute("id")
            assert page.locator(f"{PRODUCT_PANEL} [data-tsuide-live]").inner_text() == message
            assert page.locator(".flash--error").count() == 0
            # An offer that ended or sold out cannot be taken again; an out-of-stock product may come back.
            assert button.is_disabled() == (change != "out of stock")
        else:
            page.wait_for_url(f"{base}/products/spray")
            on_screen(page, page.locator(".flash--error", has_text=message))
            assert page.locator(".flash--error").get_attribute("role") or page.locator(".flashes").get_attribute("role")
            assert not page.locator('[data-tsuide-kind="bundle"]', has_text=TRIO).is_visible()  # no longer offered
        page.goto(f"{base}/cart")
        assert "防水スプレー" not in page.inner_text("main")  # nothing was added


# -- the thank-you page ------------------------------------------------------------------------------------

def test_thank_you_held_out_paints_no_box(browser, base, width, javascript,
                                                                   holdout_everyone):
    with shopper_page(browser, width, javascript) as page:
        place_order(page, base, "sneakers")  # the shoe-care offer's trigger, for a held-out shopper
        on_screen(page, page.locator("#order-number"))
        not_painted(page.locator(THANK_YOU_PANEL))
        assert not page.get_by_role("button", name="追加する").is_visible()


def test_thank_you_with_nothing_to_offer_paints_no_box(browser, base, width, javascript):
    with shopper_page(browser, width, javascript) as page:
        place_order(page, base, "socks")  # no thank-you offer follows socks
        on_screen(page, page.locator("#order-number"))
        not_painted(page.locator(THANK_YOU_PANEL))
        assert page.locator(".tsuide-thank-you__title").count() == 0


def test_thank_you_after_the_offer_is_taken_the_panel_says_so_and_its_buttons_are_gone(browser, base, width,
                                                                                        javascript):
    with shopper_page(browser, width, javascript) as page:
        place_order(page, base, "sneakers")
        panel = page.locator(THANK_YOU_PANEL)
        accept = panel.locator("[data-tsuide-accept-form] button")
        where = on_screen(page, accept)
        accept.click()
        done = page.locator(".tsuide-thank-you__done")
        done.wait_for(state="visible")
        on_screen(page, done)
        assert done.inner_text() == "ご注文に追加しました。新しいご注文合計は￥14,800です。"
        assert not any(button.is_visible() for button in panel.locator("button").all())
        assert hit(page, where) != "button"
        # With JavaScript the shop redraws its summary after the widget's event, from a fetch: wait for it.
        page.wait_for_function("document.querySelector('#summary-total').dataset.amount === '14800'")
        assert page.inner_text("#summary-total") == "￥14,800"
        if javascript:
            widget_ready(page, THANK_YOU_PANEL)
            assert page.inner_text("[data-tsuide-live]") == done.inner_text()  # announced once, by the widget
        else:
            on_screen(page, page.locator(".flash--success", has_text="ご注文に追加しました"))


def test_thank_you_a_window_closed_while_the_page_was_open_refuses_on_screen(browser, base, width, javascript,
                                                                             demo_app):
    with shopper_page(browser, width, javascript, expected_errors=("status of 410",)) as page:
        order_id = place_order(page, base, "sneakers")
        panel = page.locator(THANK_YOU_PANEL)
        accept = panel.locator("[data-tsuide-accept-form] button")
        where = on_screen(page, accept)
        with demo_app.app_context():  # the quarter of an hour passes while the shopper reads
            db.session.get(Order, order_id).placed_at = utcnow() - timedelta(minutes=20)
            db.session.commit()
        accept.click()
        if javascript:
            error = panel.locator("[data-tsuide-error]")
            error.wait_for(state="visible")
            assert error.inner_text() == EXPIRED
            on_screen(page, error)
            assert accept.is_disabled() and panel.locator("[data-tsuide-decline-form] button").is_disabled()
            page.reload()
        else:
            page.wait_for_load_state()
            on_screen(page, page.locator(".flash--error", has_text=EXPIRED))
        not_painted(page.locator(THANK_YOU_PANEL))  # on the page as it now is, the offer is gone
        assert hit(page, where) != "button"
        assert page.inner_text("#summary-total") == "￥12,000"  # nothing was charged


def test_thank_you_a_sold_out_offer_without_javascript_comes_back_with_the_reason(browser, base, width, demo_app):
    with shopper_page(browser, width, javascript=False) as page:
        place_order(page, base, "camera")
        panel = page.locator(THANK_YOU_PANEL)
        assert "SDカード" in panel.locator(".tsuide-thank-you__title").inner_text()
        on_screen(page, panel.locator("[data-tsuide-left]"))  # "先着残り100名様": a cap the server counts
        with demo_app.app_context():
            offer = db.session.query(models.PostPurchaseOffer).filter_by(global_cap=100).one()
            offer.accepted = 100
            db.session.commit()
        try:
            panel.locator("[data-tsuide-accept-form] button").click()
            page.wait_for_load_state()
            on_screen(page, page.locator(".flash--error", has_text=SOLD_OUT))
            assert not page.locator(".tsuide-thank-you__title", has_text="SDカード").is_visible()
        finally:
            with demo_app.app_context():
                db.session.query(models.PostPurchaseOffer).filter_by(global_cap=100).one().accepted = 0
                db.session.commit()


# -- the cart page -----------------------------------------------------------------------------------------

def test_cart_after_an_offer_is_taken_it_is_gone_and_the_total_follows(browser, base, width, javascript):
    with shopper_page(browser, width, javascript) as page:
        add_from_product_page(page, base, "sneakers")
        page.goto(f"{base}/cart")
        if javascript:
            widget_ready(page, CART_PANEL)
        offer = page.locator(".tsuide-offer", has_text=SNEAKER_SET)
        on_screen(page, offer)
        promised = offer.locator(".tsuide-offer__total").inner_text().split()[-1]
        offer.get_by_role("button", name="追加する").click()
        if javascript:
            page.wait_for_function("document.querySelector('#summary-total').dataset.amount !== '12000'")
            assert page.inner_text("[data-tsuide-live]") == ADDED
        else:
            page.wait_for_url(f"{base}/cart")
            on_screen(page, page.locator(".flash--success", has_text=ADDED))
        assert page.inner_text("#summary-total") == promised
        assert not page.locator(".tsuide-offer", has_text=SNEAKER_SET).is_visible()
        if page.locator(CART_PANEL).is_visible():  # the bar and what else is offered, on screen
            on_screen(page, page.locator(CART_PANEL))


@pytest.mark.parametrize("change", ["ended", "sold out"])
def test_cart_an_offer_gone_while_the_page_was_open_says_so_by_its_button(browser, base, width, javascript, change,
                                                                         change_rule):
    with shopper_page(browser, width, javascript, expected_errors=("status of 410",)) as page:
        add_from_product_page(page, base, "sneakers")
        page.goto(f"{base}/cart")
        if javascript:
            widget_ready(page, CART_PANEL)
        offer = page.locator(".tsuide-offer", has_text=SNEAKER_SET)
        button = offer.get_by_role("button", name="追加する")
        on_screen(page, button)
        if change == "ended":
            change_rule(SNEAKER_SET, ends_at=utcnow() - timedelta(seconds=1))
        else:
            change_rule(SNEAKER_SET, global_cap=1, redeemed=1)
        button.click()
        if javascript:
            error = offer.locator("[data-tsuide-error]")
            error.wait_for(state="visible")
            assert error.inner_text() == ENDED
            box, near = on_screen(page, error), button.bounding_box()
            assert abs(box["y"] - (near["y"] + near["height"])) <= 24  # right by the button that was pressed
            assert button.is_disabled()  # gone for good: it cannot be pressed again
            assert page.inner_text("[data-tsuide-live]") == ENDED
        else:
            page.wait_for_url(f"{base}/cart")
            on_screen(page, page.locator(".flash--error", has_text=ENDED))
            assert not page.locator(".tsuide-offer", has_text=SNEAKER_SET).is_visible()
        assert page.inner_text("#summary-total") == "￥12,000"  # nothing was added
