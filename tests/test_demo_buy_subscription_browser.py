"""In real Chromium at 1280 and 375 px: the green juice bought on 定期 from its product page (terms on screen,
above the button, at the product page and at the checkout), and the next delivery's add-on added in place by
the widget, with JavaScript on."""
import re

import pytest

from demo.extensions import db
from demo.models import Subscription
from test_demo_thank_you_browser import CARD, watch_errors

pytestmark = pytest.mark.browser
VIEWPORTS = {1280: {"width": 1280, "height": 900}, 375: {"width": 375, "height": 800}}


@pytest.fixture(params=sorted(VIEWPORTS))
def sized(request, browser):
    context = browser.new_context(viewport=VIEWPORTS[request.param], locale="ja-JP")
    page = context.new_page()
    errors = []
    watch_errors(page, errors)
    yield page, request.param
    context.close()
    assert errors == []


def seen_above(page, container, button):
    """``container`` is on screen, inside the page's width, and ends above ``button``."""
    assert container.is_visible() and button.is_visible()
    box, button_box = container.bounding_box(), button.bounding_box()
    width = page.viewport_size["width"]
    assert box["width"] > 0 and box["height"] > 40
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, (box, width)
    assert box["y"] + box["height"] <= button_box["y"]
    return box


def buy_on_subscription(page, base):
    page.goto(f"{base}/products/healthfood")
    choice = page.locator("#purchase-choice")
    assert choice.is_visible()
    page.get_by_label(re.compile("定期便 毎月")).check()
    terms = page.locator("#plan-terms")
    seen_above(page, terms, page.locator(".add-form button[type=submit]"))
    for words in ("￥2,700", "最低3回", "￥8,400", "0120-000-000"):
        assert words in terms.inner_text()
    page.click(".add-form button[type=submit]")
    page.wait_for_url(f"{base}/**")
    page.goto(f"{base}/cart")
    assert page.locator("#line-healthfood [data-subscription-line]").is_visible()
    page.get_by_role("link", name="レジに進む").click()
    page.wait_for_url(f"{base}/checkout")
    final = page.locator('[data-plan-terms="healthfood"]')
    seen_above(page, final, page.locator(".checkout-form button[type=submit]"))
    page.fill("input[name=name]", "山田 花子")
    page.fill("input[name=card]", CARD)
    page.click(".checkout-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/orders/\d+/thanks$"))
    return int(re.search(r"/orders/(\d+)/thanks", page.url).group(1))


def test_buy_on_subscription_then_add_to_the_next_delivery_in_place(sized, base, demo_app):
    page, width = sized
    order_id = buy_on_subscription(page, base)
    assert page.locator('[data-tsuide="thank-you"] button').count() == 0  # a 定期 already: no switch offered
    with demo_app.app_context():
        [row] = db.session.query(Subscription).filter_by(order_id=order_id).all()
        assert (row.recurring_price, row.min_deliveries) == (2_700, 3)
        subscription_id = row.id
    page.goto(f"{base}/subscriptions/{subscription_id}")
    renewal = page.locator('[data-tsuide="renewal"]')
    assert renewal.is_visible()
    offer = renewal.locator("[data-tsuide-renewal-offer]").first
    assert offer.is_visible()
    box = offer.bounding_box()
    assert box["height"] > 0 and box["x"] + box["width"] <= width
    button = offer.get_by_role("button", name=re.compile("次回のお届けに"))
    assert button.is_visible() and button.bounding_box()["height"] >= 32  # a tap target
    page.evaluate("window.stillThisPage = true")
    button.click()
    added = offer.locator("[data-tsuide-renewal-added]")
    added.wait_for()
    assert added.is_visible() and added.bounding_box()["height"] > 0
    assert re.search(r"次回のお届け（.+）に￥4,300で追加しました", added.inner_text()), added.inner_text()
    assert page.evaluate("window.stillThisPage") is True  # no page load
    assert offer.get_by_role("button").count() == 0
    assert renewal.locator("[data-tsuide-live]").inner_text() == added.inner_text()
    with demo_app.app_context():
        extras = db.session.get(Subscription, subscription_id).additions
    assert [(pid, quantity, price) for pid, quantity, price, _key in extras] == [("serum", 1, 4_300)]


def test_a_declined_add_on_goes_in_place(sized, base, demo_app):
    page, width = sized
    order_id = buy_on_subscription(page, base)
    with demo_app.app_context():
        subscription_id = db.session.query(Subscription).filter_by(order_id=order_id).one().id
    page.goto(f"{base}/subscriptions/{subscription_id}")
    renewal = page.locator('[data-tsuide="renewal"]')
    count = renewal.locator("[data-tsuide-renewal-offer]").count()
    assert count >= 1
    page.evaluate("window.stillThisPage = true")
    renewal.locator("[data-tsuide-renewal-offer]").first.get_by_role("button", name="これは不要").click()
    page.wait_for_function(f"document.querySelectorAll('[data-tsuide-renewal-offer]').length === {count - 1}")
    assert page.evaluate("window.stillThisPage") is True
    assert renewal.is_visible() is (count > 1)
    with demo_app.app_context():
        assert db.session.get(Subscription, subscription_id).additions == []
