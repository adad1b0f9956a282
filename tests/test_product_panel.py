"""The product page panel and its JSON: sets, tiers and companions, each priced by quoting the cart it makes."""
import logging

import pytest
from bs4 import BeautifulSoup
from flask import render_template_string
from sqlalchemy import select, update
from werkzeug.datastructures import MultiDict

from plugin import models
from plugin.storage.base import State
from plugin.storage.events import Event
from plugin.storage.mining import MinedPair, MiningRun
from shop import held_out_visitor, as_visitor

PRODUCT_PAGE = "<main><h1>{{ product_id }}</h1>{{ tsuide.product_panel(product_id) }}<p id='footer'>ok</p></main>"


def product_shop(database_url, make_shop, **config):
    app, db, tsuide, adapter = make_shop(database_url, **config)

    @app.get("/products/<product_id>")
    def product_page(product_id):
        return render_template_string(PRODUCT_PAGE, product_id=product_id)

    with app.app_context():
        db.session.add(models.Bundle(label="シューケア3点セット", pricing_mode="fixed_price", pricing_value=2_900,
                                     items=[models.RuleItem(product_id=pid, quantity=1, position=n)
                                            for n, pid in enumerate(("spray", "brush", "cleaner"))]))
        db.session.add(models.Bundle(label="スカーフセット", pricing_mode="amount_off", pricing_value=500,
                                     items=[models.RuleItem(product_id="spray", quantity=1),
                                            models.RuleItem(product_id="scarf", quantity=1, position=1)]))
        db.session.add(models.VolumeRule(label="小物まとめ買い", categories=[models.RuleCategory(category="accessories")],
                                         steps=[models.RuleStep(threshold=2, percent_bp=1_000)]))
        db.session.commit()
        run = MiningRun(source="test", min_support=1, orders=10, lines=20, pairs=3)
        db.session.add(run)
        db.session.flush()
        for one, other in (("spray", "socks"), ("scarf", "spray"), ("cap", "spray"), ("socks", "tote")):
            db.session.add(MinedPair(product_a=min(one, other), product_b=max(one, other), run_id=run.id,
                                     orders_together=5, support=0.5, confidence_ab=0.5, confidence_ba=0.5, lift=3.0))
        db.session.execute(update(State).where(State.id == 1).values(version=State.version + 1))
        db.session.commit()
    return app, db, tsuide, adapter


def offers_json(client, product_id, language="ja"):
    return client.get(f"/tsuide/api/products/{product_id}/offers", headers={"Accept-Language": language})


def quoted(app, tsuide, adapter, add):
    """The quote of the current cart, and of the cart plus ``add``: what every figure must come from."""
    with app.test_request_context():
        cart = adapter.current_cart()
        after = cart.adding([(adapter.catalogue[item["product_id"]], item["quantity"]) for item in add])
        return tsuide.quote(cart, with_offers=False), tsuide.quote(after, with_offers=False)


def test_json_and_html_figures_are_quotes_of_the_cart_the_button_makes(database_url, make_shop):
    app, db, tsuide, adapter = product_shop(database_url, make_shop)
    adapter.lines = {"cap": 1}
    client = app.test_client()
    body = offers_json(client, "spray").json
    kinds = {offer["kind"]: offer for offer in body["offers"]}
    assert set(kinds) == {"bundle", "companions"}  # the scarf set is out: the scarf is out of stock
    bundle = kinds["bundle"]
    assert bundle["add"] == [{"product_id": "spray", "quantity": 1}, {"product_id": "brush", "quantity": 1},
                             {"product_id": "cleaner", "quantity": 1}]
    # The companions: the spray itself, and only the socks (the scarf is out of stock, the cap in the cart).
    assert kinds["companions"]["add"] == [{"product_id": "spray", "quantity": 1}, {"product_id": "socks", "quantity": 1}]
    assert kinds["companions"]["offer_ids"] == ["pair:socks"]
    for offer in body["offers"]:
        before, after = quoted(app, tsuide, adapter, offer["add"])
        assert offer["saving"]["amount"] == after.discount_total - before.discount_total
        assert offer["new_total"]["amount"] == after.total
        assert offer["added_price"]["amount"] == (after.subtotal - after.discount_total) - (before.subtotal
                                                                                            - before.discount_total)
    assert (bundle["added_price"]["amount"], bundle["saving"]["amount"]) == (2_900, 600)
    soup = BeautifulSoup(client.get("/products/spray", headers={"Accept-Language": "ja"}).data, "html.parser")
    panel = soup.select_one('[data-tsuide="product"]')
    assert panel is not None and not panel.has_attr("hidden")
    item = panel.select_one('[data-tsuide-kind="bundle"]')
    assert "この商品を含むセット：シューケア3点セット" in item.get_text()
    assert item.select_one(".tsuide-offer__added").get_text(strip=True) == "3点で￥2,900"
    assert item.select_one(".tsuide-offer__saving").get_text(strip=True) == "￥600お得"
    assert item.select_one(".tsuide-offer__total").get_text(strip=True) == f"追加後の合計 {bundle['new_total']['display']}"
    companions = panel.select_one('[data-tsuide-kind="companions"]')
    assert companions.select_one("button").get_text(strip=True) == "まとめてカートに入れる"
    assert companions.select_one(".tsuide-offer__total").get_text(strip=True) == \
        f"追加後の合計 {kinds['companions']['new_total']['display']}"


def test_the_volume_tier_the_product_counts_toward(database_url, make_shop):
    app, db, tsuide, adapter = product_shop(database_url, make_shop)
    adapter.lines = {"cap": 1}
    client = app.test_client()
    [tier] = [offer for offer in offers_json(client, "socks", "en").json["offers"] if offer["kind"] == "tier"]
    assert tier["add"] == [{"product_id": "socks", "quantity": 1}]
    assert tier["tier"] == {"min_quantity": 2, "discount_percent": 10}
    before, after = quoted(app, tsuide, adapter, tier["add"])
    assert tier["saving"]["amount"] == after.discount_total - before.discount_total == 350
    soup = BeautifulSoup(client.get("/products/socks").data, "html.parser")
    label = soup.select_one('[data-tsuide-kind="tier"] .tsuide-offer__label').get_text(strip=True)
    assert label == "小物まとめ買い: 2点以上で10%オフ"
    # Held twice over: the tier is reached already, nothing more to offer toward it.
    adapter.lines = {"cap": 1, "tote": 1}
    assert "tier" not in {offer["kind"] for offer in offers_json(client, "socks").json["offers"]}


def test_out_of_stock_and_in_cart_products_are_never_offered(database_url, make_shop):
    app, db, tsuide, adapter = product_shop(database_url, make_shop)
    client = app.test_client()
    body = offers_json(client, "scarf").json  # out of stock itself: no set, no tier, no "add all" with it
    offered = {line["product_id"] for offer in body["offers"] for line in offer["add"]}
    assert "scarf" not in offered
    assert {offer["kind"] for offer in body["offers"]} <= {"companions"}
    adapter.lines = {"socks": 1, "spray": 1, "cap": 1}
    body = offers_json(client, "spray").json
    companions = [offer for offer in body["offers"] if offer["kind"] == "companions"]
    assert companions == []  # the spray's companions: the socks and the cap are in the cart, the scarf out of stock
    [bundle] = [offer for offer in body["offers"] if offer["kind"] == "bundle"]
    assert [line["product_id"] for line in bundle["add"]] == ["brush", "cleaner"]  # what the set still needs


def test_the_holdout_sees_nothing(database_url, make_shop):
    app, db, tsuide, adapter = product_shop(database_url, make_shop, TSUIDE_HOLDOUT_PERCENT=100)
    client = as_visitor(app, app.test_client(), held_out_visitor(app, 10_000))
    assert offers_json(client, "spray").json["offers"] == []
    soup = BeautifulSoup(client.get("/products/spray").data, "html.parser")
    panel = soup.select_one('[data-tsuide="product"]')
    assert panel.has_attr("hidden") and panel.get_text(strip=True) == "" and not panel.select("form")


def test_an_unknown_product(database_url, make_shop):
    app, db, tsuide, adapter = product_shop(database_url, make_shop)
    client = app.test_client()
    response = offers_json(client, "nope")
    assert response.status_code == 404 and response.json["error"]["message"]
    soup = BeautifulSoup(client.get("/products/nope").data, "html.parser")
    assert soup.select_one("[data-tsuide]") is None and soup.select_one("#footer").get_text() == "ok"


def submit(client, form, widget=False):
    """The form as a browser posts it, or (``widget``) as widget.js sends it: the same fields, asking for JSON."""
    data = [(field["name"], field["value"]) for field in form.select("input[type=hidden]")]
    headers = {"Accept": "application/json"} if widget else {}
    return client.post(form["action"], data=MultiDict(data), headers=headers)


@pytest.mark.parametrize("widget", [False, True], ids=["form", "widget"])
@pytest.mark.parametrize("kind", ["bundle", "companions", "tier"])
def test_the_form_adds_exactly_what_it_lists_and_the_analytics_count_it(database_url, make_shop, kind, widget):
    app, db, tsuide, adapter = product_shop(database_url, make_shop)
    adapter.lines = {"cap": 1}
    client = app.test_client()
    product = "socks" if kind == "tier" else "spray"
    listed = next(offer for offer in offers_json(client, product).json["offers"] if offer["kind"] == kind)
    soup = BeautifulSoup(client.get(f"/products/{product}").data, "html.parser")
    panel = soup.select_one('[data-tsuide="product"]')
    assert panel["data-tsuide-api"] == f"/tsuide/api/products/{product}/offers"  # where the widget redraws it from
    item = soup.select_one(f'[data-tsuide-kind="{kind}"]')
    form = item.select_one("form")
    assert form.has_attr("data-tsuide-add-form")  # the widget sends it in place
    response = submit(client, form, widget)
    if widget:  # the new cart's quote, for the host's totals, and what to say
        assert response.status_code == 200 and response.json["message"] == "カートに追加しました。"
    else:
        assert response.status_code == 303 and response.headers["Location"].endswith(f"/products/{product}")
    expected = {"cap": 1}
    for line in listed["add"]:
        expected[line["product_id"]] = expected.get(line["product_id"], 0) + line["quantity"]
    assert adapter.lines == expected
    with app.app_context():
        events = db.session.execute(select(Event.kind, Event.rule_id, Event.page)).all()
    assert sorted(events) == sorted(("add", offer_id, "product") for offer_id in listed["offer_ids"])


def test_an_adapter_that_raises_leaves_the_product_page_working(database_url, make_shop, caplog):
    app, db, tsuide, adapter = product_shop(database_url, make_shop)

    def broken(ids):
        raise ConnectionError("catalogue service down")

    adapter.products = broken
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="tsuide"):
        response = client.get("/products/spray")
    assert response.status_code == 200
    soup = BeautifulSoup(response.data, "html.parser")
    assert soup.select_one("[data-tsuide]") is None and soup.select_one("#footer").get_text() == "ok"
    assert "catalogue service down" in caplog.text
    assert offers_json(client, "spray").status_code == 503


def test_the_panels_impressions_are_stored_for_the_offers_it_showed(database_url, make_shop):
    app, db, tsuide, adapter = product_shop(database_url, make_shop, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    body = offers_json(client, "spray").json
    shown = [offer_id for offer in body["offers"] for offer_id in offer["offer_ids"]]
    response = client.post("/tsuide/api/events", data=MultiDict(
        [("kind", "impression"), ("page", "product"), ("beacon_token", body["beacon_token"])]
        + [("offers", offer_id) for offer_id in [*shown, "pair:scarf"]]))
    assert response.status_code == 204
    with app.app_context():
        events = db.session.execute(select(Event.rule_id, Event.page).where(Event.kind == "impression")).all()
    assert sorted(events) == sorted((offer_id, "product") for offer_id in shown)  # never the unshown scarf
