"""What the plugin hides is not on screen, in real Chromium at 1280 and 375 px, with and without JavaScript.

An element can carry ``hidden`` and still be painted (a ``display`` rule beats the attribute), so these tests
ask the browser what a shopper sees: ``is_visible()``, bounding boxes, what a click at a point would hit.
"""
from __future__ import annotations

import re

import pytest
from browsing import (CART_PANEL, THANK_YOU_PANEL, WIDTHS, add_from_product_page, hit, painted_box, place_order,
                      shopper_page, widget_ready)
from flask import render_template_string

from live_server import serving

pytestmark = pytest.mark.browser

STYLED_CART = """<!doctype html><html><head><link rel="icon" href="data:,">{{ tsuide.stylesheet() }}{{ tsuide.widget_script() }}</head>
<body><main><h1>Cart</h1><p id="total">{{ tsuide.format_money(quote.total) }}</p>
{{ tsuide.cart_panel(quote) }}</main></body></html>"""


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def width(request):
    return request.param


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def javascript(request):
    return request.param


@pytest.fixture
def holdout_everyone(demo_app):
    """Every visitor in the holdout (as ``TSUIDE_HOLDOUT_PERCENT = 100`` would make them)."""
    before = demo_app.config["TSUIDE_HOLDOUT_PERCENT"]
    demo_app.config["TSUIDE_HOLDOUT_PERCENT"] = 100
    yield demo_app
    demo_app.config["TSUIDE_HOLDOUT_PERCENT"] = before


@pytest.fixture(scope="module")
def new_shop(tmp_path_factory):
    """A shop that has just mounted Tsuide: no rules yet. Its cart page loads the stylesheet and the widget."""
    from shop import make_shop

    app, db, tsuide, adapter = make_shop(f"sqlite:///{tmp_path_factory.mktemp('new-shop') / 'shop.sqlite'}")
    adapter.lines = {"camera": 1}

    @app.get("/styled-cart")
    def styled_cart():
        return render_template_string(STYLED_CART, quote=tsuide.quote(safe=True))

    with serving(app) as url:
        yield app, db, url
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_holdout_visitor_sees_no_box_in_the_cart_sidebar(browser, base, holdout_everyone, width, javascript):
    with shopper_page(browser, width, javascript) as page:
        add_from_product_page(page, base, "sneakers")
        page.goto(f"{base}/cart")
        if javascript:
            widget_ready(page, CART_PANEL)
        assert page.locator("[data-holdout-note]").is_visible()  # the demo says this visitor is held out
        panel = page.locator(CART_PANEL)
        assert panel.count() == 1  # the mount point the widget counts the holdout's view from...
        assert not panel.is_visible() and panel.bounding_box() is None  # ...paints nothing
        assert not page.get_by_text("ついでにいかがですか").is_visible()
        assert not page.get_by_role("button", name="追加する").first.is_visible()

        holdout_everyone.config["TSUIDE_HOLDOUT_PERCENT"] = 0  # the same visitor, out of the holdout: a box
        page.reload()
        box = page.locator(CART_PANEL).bounding_box()
        assert page.locator(CART_PANEL).is_visible() and box["height"] > 100
        assert box["x"] >= 0 and box["x"] + box["width"] <= width  # inside the screen at this width


def test_a_shop_with_no_rules_shows_no_box(browser, new_shop, width, javascript):
    app, db, url = new_shop
    with shopper_page(browser, width, javascript) as page:
        page.goto(f"{url}/styled-cart")
        if javascript:
            widget_ready(page, CART_PANEL)
        assert page.locator("#total").is_visible()
        panel = page.locator(CART_PANEL)
        assert not panel.is_visible() and panel.bounding_box() is None
        assert page.evaluate("s => document.querySelector(s).getBoundingClientRect().height", CART_PANEL) == 0


def test_the_empty_panel_appears_when_the_shop_adds_a_rule_and_the_cart_changes(browser, new_shop, width):
    from plugin import models

    app, db, url = new_shop
    with shopper_page(browser, width) as page:
        page.goto(f"{url}/styled-cart")
        widget_ready(page, CART_PANEL)
        assert not page.locator(CART_PANEL).is_visible()
        with app.app_context():
            db.session.add(models.ShippingRule(label="送料無料", currency="JPY", threshold=100_000, fee=800))
            db.session.commit()
        try:
            page.evaluate("document.dispatchEvent(new CustomEvent('tsuide:cart-changed'))")
            shipping = page.locator("[data-tsuide-shipping-text]")
            shipping.wait_for(state="visible")
            assert shipping.inner_text() == "あと￥35,000で送料無料"
            assert page.locator(CART_PANEL).bounding_box()["height"] > 40
        finally:
            with app.app_context():
                for rule in db.session.query(models.ShippingRule):
                    db.session.delete(rule)  # through the ORM, so the rule cache's version stamp moves
                db.session.commit()


def test_a_declined_downsell_is_gone_and_cannot_be_clicked(browser, base, width, javascript):
    with shopper_page(browser, width, javascript) as page:
        place_order(page, base, "sneakers")
        panel = page.locator(THANK_YOU_PANEL)
        panel.get_by_role("button", name="今回は見送る").click()
        downsell = page.locator(THANK_YOU_PANEL, has=page.get_by_role("heading", name="防水スプレーだけでも"))
        downsell.wait_for(state="visible")
        add = downsell.get_by_role("button", name="追加する")
        assert add.is_visible()
        where = add.bounding_box()
        assert hit(page, where) == "button"

        downsell.get_by_role("button", name="今回は見送る").click()
        if javascript:
            page.wait_for_function("s => document.querySelector(s).hidden", arg=THANK_YOU_PANEL)
        else:
            page.wait_for_load_state()
        assert not page.locator(THANK_YOU_PANEL).is_visible()
        assert painted_box(page.locator(THANK_YOU_PANEL)) is None
        assert not page.locator(".tsuide-thank-you__title").is_visible()
        assert not any(button.is_visible() for button in page.locator(f"{THANK_YOU_PANEL} button").all())
        assert hit(page, where) != "button"  # where the add button was, a click now lands on the page
        assert page.locator("#order-number").is_visible()  # the rest of the thank-you page stays


def test_the_countdown_at_zero_ends_the_offer_on_screen(browser, base, width):
    with shopper_page(browser, width) as page:
        page.clock.install()  # the page's own clock, moved by the test: the server's stays put
        place_order(page, base, "sneakers")
        panel = page.locator(THANK_YOU_PANEL)
        accept = panel.locator("[data-tsuide-accept-form] button")
        decline = panel.locator("[data-tsuide-decline-form] button")
        assert accept.is_visible() and decline.is_visible()
        where = accept.bounding_box()

        page.clock.run_for("14:57")
        assert re.fullmatch(r"終了まで 0:0\d", panel.locator("[data-tsuide-countdown]").inner_text())
        assert accept.is_visible() and accept.is_enabled()
        page.clock.run_for("00:10")

        ended = panel.locator("[data-tsuide-urgency]", has_text="この特典の受付は終了しました。")
        ended.wait_for(state="visible")
        assert ended.bounding_box()["height"] > 0
        assert not accept.is_visible() and not decline.is_visible()
        assert accept.is_disabled() and decline.is_disabled()  # not usable even where a shop's CSS shows them
        assert hit(page, where) != "button"
        assert panel.is_visible()  # the offer's summary stays, with the message that it has ended
        assert page.inner_text("[data-tsuide-live]") == "この特典の受付は終了しました。"
