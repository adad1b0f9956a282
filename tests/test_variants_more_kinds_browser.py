"""A spend discount's A/B test in the admin, in real Chromium at 1280 and 375 px: the fieldset opens, its copy
fields are on screen (and no discount or button field, which the kind cannot vary), and saving stores the
variants (what shoppers then see: tests/test_variants_more_kinds.py)."""
import pytest

from plugin import models

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", (1280, 375), ids=lambda width: f"{width}px")
def test_a_spend_discounts_copy_variants_are_filled_in_and_saved(browser, base, demo_app, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="ja-JP")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{base}/")
        page.click(".admin-switch button")
        page.wait_for_url(f"{base}/tsuide/admin/")
        page.goto(f"{base}/tsuide/admin/spend-discounts/new")
        label = f"まとめ買い割 {width}"
        page.fill("input[name=label]", label)
        page.fill("input[name=currency]", "JPY")
        page.fill("input[name=steps-0-threshold]", "90000")
        page.fill("input[name=steps-0-amount_off]", "900")
        page.locator("[data-variants]").locator("xpath=..").locator("summary").click()
        fieldset = page.locator("fieldset[data-variants]")
        for name in ("variants-0-name", "variants-1-name", "variants-1-label", "variants-1-label_en"):
            field = fieldset.locator(f"input[name={name}]")
            assert field.is_visible(), name
        assert fieldset.locator("input[name$=pricing_value], input[name*=button_label]").count() == 0
        assert fieldset.locator("[data-copy-only]").is_visible()
        fieldset.locator("input[name=variants-0-name]").fill("A")
        fieldset.locator("input[name=variants-1-name]").fill("B")
        fieldset.locator("input[name=variants-1-label]").fill("B案の文言")
        page.locator("button[name=action][value=save]").click()
        page.wait_for_url(f"{base}/tsuide/admin/spend-discounts/**")
        with demo_app.app_context():
            from demo.extensions import db
            rule = db.session.query(models.SpendRule).filter_by(label=label).one()
            assert [(v.name, v.label, v.pricing_value, v.button_label) for v in rule.variants] == [
                ("A", None, None, None), ("B", "B案の文言", None, None)]
    finally:
        context.close()
    assert errors == []
