"""The demo's thank-you page offers in real Chromium: one click on the page, the order summary follows."""
import re
from datetime import timedelta

import pytest

from demo.extensions import db
from demo.models import Order, utcnow

pytestmark = pytest.mark.browser

CARD = "4242 4242 4242 4242"
PANEL = '[data-tsuide="thank-you"]'


NOT_FOUND = "Failed to load resource: the server responded with a status of 404 (NOT FOUND)"


def watch_errors(page, errors):
    """Collect script errors and console errors, each with the address it came from."""
    page.on("pageerror", lambda error: errors.append((str(error), None)))
    page.on("console", lambda message: errors.append((message.text, message.location.get("url")))
            if message.type == "error" else None)


@pytest.fixture
def refused():
    """Addresses a test expects to be answered 404: Chromium logs each as a console error."""
    return set()


@pytest.fixture
def shop_page(page, refused):
    errors = []
    watch_errors(page, errors)
    yield page
    assert [(text, url) for text, url in errors if not (text == NOT_FOUND and url in refused)] == []


def place_order(page, base, product_id):
    """Buy one ``product_id`` the way a shopper does; ends on the thank-you page and returns the order id."""
    page.goto(f"{base}/products/{product_id}")
    page.fill(".add-form input[name=quantity]", "1")
    page.click(".add-form button[type=submit]")
    page.wait_for_url(f"{base}/**")
    page.goto(f"{base}/cart")
    page.get_by_role("link", name="レジに進む").click()
    page.wait_for_url(f"{base}/checkout")
    page.fill("input[name=name]", "山田 花子")
    page.fill("input[name=card]", CARD)
    page.click(".checkout-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/orders/\d+/thanks$"))
    return int(re.search(r"/orders/(\d+)/thanks", page.url).group(1))


def total_becomes(page, amount):
    page.wait_for_function(f"document.querySelector('#summary-total').dataset.amount === '{amount}'", timeout=5_000)


def test_an_add_on_is_added_in_place_and_the_summary_follows(shop_page, base):
    place_order(shop_page, base, "sneakers")
    assert shop_page.inner_text("#summary-total") == "￥12,000"
    assert "新しいご注文合計 ￥14,800" in shop_page.inner_text(PANEL)
    shop_page.evaluate("window.stillThisPage = true")
    shop_page.locator(PANEL).get_by_role("button", name="追加する").click()
    total_becomes(shop_page, 14_800)
    assert shop_page.evaluate("window.stillThisPage") is True  # no reload
    assert shop_page.inner_text("#summary-total") == "￥14,800"
    summary = shop_page.inner_text("#order-summary")
    assert "防水スプレー × 1" in summary and "馬毛ブラシ × 1" in summary and "スニーカークリーナー × 1" in summary
    assert "-￥700" in summary
    assert "ご注文に追加しました。新しいご注文合計は￥14,800です。" in shop_page.inner_text(PANEL)
    assert shop_page.locator(PANEL).get_by_role("button").count() == 0


def test_a_decline_brings_the_downsell_which_is_added(shop_page, base):
    place_order(shop_page, base, "sneakers")
    shop_page.locator(PANEL).get_by_role("button", name="今回は見送る").click()
    shop_page.locator(PANEL, has_text="防水スプレーだけでも").wait_for()
    assert "新しいご注文合計 ￥13,350" in shop_page.inner_text(PANEL)
    assert shop_page.inner_text("#summary-total") == "￥12,000"  # a decline changes nothing
    shop_page.locator(PANEL).get_by_role("button", name="追加する").click()
    total_becomes(shop_page, 13_350)
    assert shop_page.inner_text("#summary-total") == "￥13,350"
    assert "防水スプレー × 1" in shop_page.inner_text("#order-summary")


def test_after_the_offer_expires_the_panel_is_gone(shop_page, base, demo_app):
    order_id = place_order(shop_page, base, "sneakers")
    assert shop_page.locator(PANEL).count() == 1
    with demo_app.app_context():
        db.session.get(Order, order_id).placed_at = utcnow() - timedelta(minutes=20)
        db.session.commit()
    shop_page.reload()
    assert shop_page.locator(PANEL).count() == 0
    assert shop_page.inner_text("#summary-total") == "￥12,000"


def test_another_shoppers_order_shows_nothing(shop_page, base, browser, refused):
    other = browser.new_context()
    other_page = other.new_page()
    other_errors = []
    watch_errors(other_page, other_errors)
    theirs = place_order(other_page, base, "sneakers")
    assert other_page.locator(PANEL).count() == 1
    other.close()
    assert other_errors == []

    page_url, api_url = f"{base}/orders/{theirs}/thanks", f"{base}/tsuide/api/orders/{theirs}/offer"
    refused.update({page_url, api_url})
    response = shop_page.goto(page_url)
    assert response.status == 404
    assert shop_page.locator(PANEL).count() == 0 and shop_page.locator("#summary-total").count() == 0
    shop_page.goto(f"{base}/")
    api = shop_page.evaluate(
        "url => fetch(url, {credentials: 'same-origin', headers: {Accept: 'application/json'}})"
        ".then(r => r.json().then(body => [r.status, 'offer' in body]))",
        api_url,
    )
    assert api == [404, False]


def test_the_countdown_ticks(shop_page, base):
    place_order(shop_page, base, "sneakers")
    clock = shop_page.locator("[data-tsuide-countdown]")
    first = clock.inner_text()
    assert re.fullmatch(r"終了まで 1?\d:[0-5]\d", first)
    shop_page.wait_for_function(
        "before => document.querySelector('[data-tsuide-countdown]').textContent !== before", arg=first, timeout=2_500
    )
    assert re.fullmatch(r"終了まで 1?\d:[0-5]\d", clock.inner_text())


def test_the_email_links_countdown_ticks_in_hours_and_minutes_then_minutes_and_seconds(shop_page, base, demo_app):
    """Opened from the confirmation e-mail two hours after the order: 22 hours left reads "21時間59分", not "1319:59"."""
    shop_page.clock.install()  # the page's clock, moved by the test; the server's stays put
    order_id = place_order(shop_page, base, "sneakers")
    with demo_app.app_context():
        db.session.get(Order, order_id).placed_at = utcnow() - timedelta(hours=2)
        db.session.commit()
    shop_page.goto(f"{base}/orders/{order_id}/email")
    shop_page.goto(shop_page.get_by_role("link", name="特典を見る").get_attribute("href"))
    clock = shop_page.locator("[data-tsuide-countdown]")
    assert clock.is_visible() and re.fullmatch(r"終了まで 21時間5\d分", clock.inner_text()), clock.inner_text()
    shop_page.clock.run_for("01:00:02")  # the widget's own ticks, an hour of them
    assert re.fullmatch(r"終了まで 20時間5\d分", clock.inner_text()), clock.inner_text()
    shop_page.clock.fast_forward("20:00:00")
    shop_page.clock.run_for("00:02")
    assert re.fullmatch(r"終了まで [1-5]?\d:[0-5]\d", clock.inner_text()), clock.inner_text()  # the last hour
    assert shop_page.get_by_role("button", name="追加する").is_visible()
