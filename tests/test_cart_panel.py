"""The server-rendered cart panel: what a shopper sees, and an empty panel when the plugin fails."""
import logging

from bs4 import BeautifulSoup
from sqlalchemy import event

from plugin import models


def add_rules(app, db):
    with app.app_context():
        db.session.add(models.ShippingRule(label="送料無料", currency="JPY", threshold=5_000, fee=600))
        db.session.add(models.Bundle(label="3袋セット", pricing_mode="percent_off", pricing_value=1_000,
                                     items=[models.RuleItem(product_id="healthfood", quantity=3)]))
        db.session.commit()


def page(client, language="ja"):
    response = client.get("/cart", headers={"Accept-Language": language})
    assert response.status_code == 200
    return BeautifulSoup(response.data, "html.parser")


def test_panel_shows_free_shipping_progress_and_the_offer(database_url, make_shop):
    app, db, tsuide, adapter = make_shop(database_url)
    add_rules(app, db)
    adapter.lines = {"healthfood": 1}
    soup = page(app.test_client())
    assert soup.select_one("#total").get_text() == "￥3,600"
    assert soup.select_one("[data-tsuide-shipping-text]").get_text(strip=True) == "あと￥2,000で送料無料"
    bar = soup.select_one('[role="progressbar"]')
    assert (bar["aria-valuenow"], bar["aria-valuemax"]) == ("3000", "5000")
    assert bar["aria-valuetext"] == "あと￥2,000で送料無料"
    offer = soup.select_one(".tsuide-offer")
    assert "健康食品 × 2" in offer.get_text()
    assert offer.select_one(".tsuide-offer__saving").get_text(strip=True) == "￥900お得"
    assert offer.select_one(".tsuide-offer__total").get_text(strip=True) == "追加後の合計 ￥8,100"
    form = offer.select_one("form")
    assert form["method"] == "post" and form["action"] == "/tsuide/api/cart/items"
    assert form.select_one("[name=csrf_token]")["value"]
    assert form.select_one("[name=next]")["value"] == "/cart"
    assert soup.select_one("[aria-live=polite][data-tsuide-live]") is not None


def test_each_form_comes_back_to_the_page_with_its_query_and_its_csrf_token_validates(database_url, make_shop):
    """The no-JavaScript forms' ``next`` is this page with its query; their token is Flask-WTF's (kept for its second,
    docs/performance.md "Fifth round"): the form posts, and the redirect comes back to that page."""
    app, db, tsuide, adapter = make_shop(database_url)
    add_rules(app, db)
    adapter.lines = {"healthfood": 1}
    client = app.test_client()
    response = client.get("/cart?from=mail&step=2")
    assert response.status_code == 200
    forms = BeautifulSoup(response.data, "html.parser").select(".tsuide-panel form")
    assert forms and {form.select_one("[name=next]")["value"] for form in forms} == {"/cart?from=mail&step=2"}
    form = forms[0]
    posted = client.post(form["action"], data={field["name"]: field.get("value", "") for field in form.select("input")})
    assert posted.status_code == 303 and posted.headers["Location"].endswith("/cart?from=mail&step=2")


def test_the_forms_post_where_the_app_is_mounted(database_url, make_shop):
    """The forms' address is worked out once per app and mount point (script root), never carried from one to another."""
    app, db, tsuide, adapter = make_shop(database_url)
    add_rules(app, db)
    adapter.lines = {"healthfood": 1}
    client = app.test_client()
    for base, action in (("http://localhost/", "/tsuide/api/cart/items"), ("http://localhost/shop/",
                                                                          "/shop/tsuide/api/cart/items"),
                         ("http://localhost/", "/tsuide/api/cart/items")):
        response = client.get("/cart", base_url=base)
        assert response.status_code == 200
        forms = BeautifulSoup(response.data, "html.parser").select(".tsuide-panel form")
        assert forms and {form["action"] for form in forms} == {action}, base


def test_past_the_threshold_the_panel_says_so_and_shows_the_next_reward(database_url, make_shop):
    app, db, tsuide, adapter = make_shop(database_url)
    with app.app_context():
        db.session.add(models.ShippingRule(label="送料無料", currency="JPY", threshold=5_000, fee=600,
                                           steps=[models.RuleStep(threshold=20_000, label="ノベルティ")]))
        db.session.commit()
    adapter.lines = {"healthfood": 2}
    soup = page(app.test_client(), "en")
    text = soup.select_one("[data-tsuide-shipping-text]").get_text(strip=True)
    assert text == "You've unlocked free shipping · ¥14,000 more for ノベルティ"
    assert "tsuide-shipping--reached" in soup.select_one(".tsuide-shipping")["class"]


def test_merchant_text_is_escaped(database_url, make_shop):
    app, db, tsuide, adapter = make_shop(database_url)
    with app.app_context():
        db.session.add(models.Bundle(label="<img src=x onerror=alert(1)>", pricing_mode="percent_off",
                                     pricing_value=1_000, items=[models.RuleItem(product_id="healthfood", quantity=3)]))
        db.session.commit()
    adapter.lines = {"healthfood": 1}
    html = app.test_client().get("/cart").get_data(as_text=True)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def assert_page_works_without_the_panel(client, caplog, cause):
    with caplog.at_level(logging.ERROR, logger="tsuide"):
        for _ in range(3):
            soup = page(client)
            assert soup.select_one("#total").get_text() == "￥3,000"  # the shop's own price
            assert soup.select_one("[data-tsuide]") is None
    failures = [record for record in caplog.records if record.name == "tsuide"]
    assert len(failures) == 1, [record.getMessage() for record in failures]  # logged once per cause
    assert cause in caplog.text
    response = client.get("/tsuide/api/cart")
    assert response.status_code == 503
    assert response.json["error"]["message"]


def test_missing_tables_leave_the_page_working_minus_the_panel(database_url, make_shop, caplog):
    app, db, tsuide, adapter = make_shop(database_url, migrate_tables=False)
    adapter.lines = {"healthfood": 1}
    assert_page_works_without_the_panel(app.test_client(), caplog, "tsuide_")


def test_a_database_that_is_down_leaves_the_page_working(database_url, make_shop, caplog):
    app, db, tsuide, adapter = make_shop(database_url)
    add_rules(app, db)
    adapter.lines = {"healthfood": 1}
    with app.app_context():
        engine = db.engine
        engine.dispose()

    @event.listens_for(engine, "do_connect")
    def refuse(*args):
        raise ConnectionRefusedError("database is down")

    assert_page_works_without_the_panel(app.test_client(), caplog, "database is down")


def test_an_adapter_that_raises_leaves_the_page_working(database_url, make_shop, caplog):
    app, db, tsuide, adapter = make_shop(database_url)
    add_rules(app, db)

    def broken(ids):
        raise ConnectionError("catalogue service down")

    adapter.products = broken
    adapter.lines = {"healthfood": 1}
    assert_page_works_without_the_panel(app.test_client(), caplog, "catalogue service down")


def test_every_message_has_a_japanese_translation():
    import re
    from pathlib import Path

    from plugin.storefront.i18n import _catalog

    root = Path(__file__).resolve().parent.parent
    sources = [*root.glob("templates/tsuide/*.html"), *root.glob("plugin/*.py")]
    used = set()
    for source in sources:
        used |= set(re.findall(r"""(?:\b_|gettext)\(\s*"((?:[^"\\]|\\.)+)\"""", source.read_text()))
        used |= set(re.findall(r"""(?:\b_|gettext)\(\s*'((?:[^'\\]|\\.)+)'""", source.read_text()))
    assert len(used) > 15
    missing = sorted(message for message in used if message not in _catalog("ja"))
    assert missing == []


def test_a_cart_the_adapter_cannot_read_still_gives_the_page_a_quote(database_url, make_shop, caplog):
    app, db, tsuide, adapter = make_shop(database_url)

    def broken():
        raise ConnectionError("session store down")

    adapter.current_cart = broken
    with caplog.at_level(logging.ERROR, logger="tsuide"), app.test_request_context():
        quote = tsuide.quote(safe=True)
    assert (quote.degraded, quote.total) == (True, 0)
    assert "session store down" in caplog.text
