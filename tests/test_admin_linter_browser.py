"""A merchant's task in real Chromium: make a bundle, see the linter's warning, fix it, see it gone."""
import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def admin_page(browser, base):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    yield page
    context.close()
    assert errors == []


def test_make_a_bundle_see_the_linters_warning_fix_it_and_see_it_gone(admin_page, base):
    page = admin_page
    page.goto(f"{base}/")
    page.click(".admin-switch button")
    page.wait_for_url(f"{base}/tsuide/admin/")
    page.goto(f"{base}/tsuide/admin/bundles/new")
    page.fill("input[name=label]", "スカーフ＋トート")
    page.fill("input[name=items-0-product_id]", "scarf")  # out of stock in the demo shop
    page.fill("input[name=items-0-quantity]", "1")
    page.fill("input[name=items-1-product_id]", "tote")
    page.fill("input[name=items-1-quantity]", "1")
    page.fill("input[name=pricing_value]", "10")
    page.click("button[value=save]")
    page.wait_for_url("**notice=linted*")

    warning = page.locator("[data-lint] [data-lint-code=out_of_stock]")
    assert warning.is_visible()
    assert "在庫切れ" in warning.inner_text()
    page.goto(f"{base}/tsuide/admin/bundles/")
    row = page.locator("tr", has_text="スカーフ＋トート")
    assert row.locator("[data-lint-count]").is_visible()

    row.locator("a.ta-name").click()
    page.fill("input[name=items-0-product_id]", "cap")
    page.click("button[value=save]")
    page.wait_for_url(f"{base}/tsuide/admin/bundles/?notice=saved*")
    row = page.locator("tr", has_text="スカーフ＋トート")
    assert row.is_visible()
    assert row.locator("[data-lint-count]").count() == 0
    row.locator("a.ta-name").click()
    page.wait_for_load_state()
    assert not page.locator("[data-lint]").is_visible()
