"""The server-rendered cart panel: what a shopper sees, and an empty panel when the plugin fails."""
import logging

from bs4 import BeautifulSoup

from plugin import models

PAGE = "<main>cart{{ tsuide.cart_panel() }}</main>"


def render(app):
    return app.jinja_env.from_string(PAGE).render()


def test_panel_shows_free_shipping_progress_and_the_offer(database_url, make_shop):
    app, db, tsuide, adapter = make_shop(database_url)
    with app.app_context():
        db.session.add(models.ShippingRule(label="送料無料", currency="JPY", threshold=5_000, fee=600))
        db.session.add(models.Bundle(label="3袋セット", pricing_mode="percent_off", pricing_value=1_000,
                                     items=[models.RuleItem(product_id="healthfood", quantity=3)]))
        db.session.commit()
    adapter.lines = {"healthfood": 1}
    with app.test_request_context(headers={"Accept-Language": "ja"}):
        soup = BeautifulSoup(render(app), "html.parser")
    assert soup.select_one("[data-tsuide-shipping-text]").get_text(strip=True) == "あと￥2,000で送料無料"
    bar = soup.select_one('[role="progressbar"]')
    assert (bar["aria-valuenow"], bar["aria-valuemax"]) == ("3000", "5000")
    offer = soup.select_one(".tsuide-offer")
    assert "健康食品 × 2" in offer.get_text()
    assert offer.select_one(".tsuide-offer__saving").get_text(strip=True) == "￥900お得"


def test_merchant_text_is_escaped(database_url, make_shop):
    app, db, tsuide, adapter = make_shop(database_url)
    with app.app_context():
        db.session.add(models.Bundle(label="<img src=x onerror=alert(1)>", pricing_mode="percent_off",
                                     pricing_value=1_000, items=[models.RuleItem(product_id="healthfood", quantity=3)]))
        db.session.commit()
    adapter.lines = {"healthfood": 1}
    with app.test_request_context():
        html = render(app)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_missing_tables_leave_the_page_working_minus_the_panel(database_url, make_shop, caplog):
    app, db, tsuide, adapter = make_shop(database_url, migrate_tables=False)
    adapter.lines = {"healthfood": 1}
    with caplog.at_level(logging.ERROR, logger="tsuide"):
        for _ in range(3):
            with app.test_request_context():
                assert render(app) == "<main>cart</main>"
    assert len([r for r in caplog.records if "cart panel failed" in r.getMessage()]) == 1


def test_an_adapter_that_raises_leaves_the_page_working(database_url, make_shop, caplog):
    app, db, tsuide, adapter = make_shop(database_url)

    def broken(ids):
        raise ConnectionError("catalogue service down")

    adapter.products = broken
    adapter.lines = {"healthfood": 1}
    with caplog.at_level(logging.ERROR, logger="tsuide"), app.test_request_context():
        assert render(app) == "<main>cart</main>"
    assert "catalogue service down" in caplog.text
