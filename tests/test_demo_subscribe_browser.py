"""The demo's 定期 switch in real Chromium, with and without JavaScript: the terms are on screen, above the button."""
import re

import pytest

from demo.extensions import db
from demo.models import Subscription
from test_demo_thank_you_browser import CARD, PANEL, place_order, shop_page, refused  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
TERMS = ("1回のお届け数量", "1回あたりの価格", "お受け取り回数の条件", "お届け時期", "契約期間", "お支払い時期", "解約方法")


def subscriptions(demo_app, order_id):
    with demo_app.app_context():
        return db.session.query(Subscription).filter_by(order_id=order_id).all()


def assert_terms_seen_before_the_button(page):
    panel = page.locator(PANEL)
    assert panel.is_visible()
    button = panel.get_by_role("button", name="定期便に切り替える")
    assert button.is_visible()
    button_box = button.bounding_box()
    for term in TERMS:
        row = panel.locator("[data-tsuide-terms] div", has_text=term)
        assert row.is_visible(), term
        box = row.bounding_box()
        assert box["width"] > 0 and box["height"] > 0
        assert box["y"] + box["height"] <= button_box["y"], f"{term} is not above the button"
    text = panel.inner_text()
    assert "2回目以降 1回￥2,700（通常価格￥3,000、￥300お得）" in text
    assert "3回分の総額￥8,400" in text and "0120-000-000" in text


def test_the_switch_starts_in_place_once(shop_page, base, demo_app):
    order_id = place_order(shop_page, base, "healthfood")
    assert_terms_seen_before_the_button(shop_page)
    shop_page.evaluate("window.stillThisPage = true")
    shop_page.locator(PANEL).get_by_role("button", name="定期便に切り替える").click()
    done = shop_page.locator(PANEL, has_text="定期便に切り替えました")
    done.wait_for()
    assert done.is_visible()
    assert shop_page.evaluate("window.stillThisPage") is True  # no reload
    assert shop_page.locator(PANEL).get_by_role("button").count() == 0
    assert shop_page.inner_text("#summary-total") == "￥3,600"  # nothing charged now (¥3,000 and shipping)
    [row] = subscriptions(demo_app, order_id)
    assert (row.every, row.recurring_price) == (1, 2_700)


def test_without_javascript_the_switch_and_the_next_delivery_work_through_forms(browser, base, demo_app):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    order_id = place_order(page, base, "healthfood")
    assert_terms_seen_before_the_button(page)
    page.locator(PANEL).get_by_role("button", name="定期便に切り替える").click()
    page.wait_for_url(re.compile(r".*/orders/\d+/thanks$"))
    assert page.locator(PANEL, has_text="定期便に切り替えました").is_visible()
    assert page.locator(PANEL).get_by_role("button").count() == 0
    [row] = subscriptions(demo_app, order_id)
    # The 次回のお届け page: the add-on for that delivery, on screen, added by its form.
    page.goto(f"{base}/subscriptions/{row.id}")
    renewal = page.locator('[data-tsuide="renewal"]')
    assert renewal.is_visible()
    offer = renewal.locator("[data-tsuide-renewal-offer]").first
    assert offer.is_visible() and offer.bounding_box()["height"] > 0
    assert "はなみず 美容液" in offer.inner_text() and "￥4,300" in offer.inner_text()  # ¥4,800 less ¥500
    offer.get_by_role("button", name=re.compile("次回のお届けに")).click()
    page.wait_for_url(f"{base}/subscriptions/{row.id}")
    assert page.locator("#added-extras").is_visible()
    assert "はなみず 美容液" in page.inner_text("#added-extras")
    assert not page.locator('[data-tsuide="renewal"] [data-tsuide-renewal-offer]').count()
    context.close()
