"""The plugin's own work on a warm cart request, counted (never timed: bench/api_throughput.py times it).

What a warm ``GET /tsuide/api/cart`` asks of the shop and of the database: the cart once, the catalogue
once, one SQL query of its own; and none of the shop's page machinery (its context processors) for the
panel it renders into the JSON.
"""
from __future__ import annotations

import pytest
from sqlalchemy import event

from plugin import models


@pytest.fixture
def shop(database_url, make_shop):
    app, db, tsuide, adapter = make_shop(database_url)
    with app.app_context():
        db.session.add_all([
            models.Bundle(label="3袋セット", label_en="3-bag set", pricing_mode="percent_off", pricing_value=1_000,
                          items=[models.RuleItem(product_id="healthfood", quantity=3)]),
            models.Bundle(label="シューケア3点", pricing_mode="fixed_price", pricing_value=2_900, global_cap=50,
                          items=[models.RuleItem(product_id=pid, quantity=1, position=i)
                                 for i, pid in enumerate(["spray", "brush", "cleaner"])]),
            models.ShippingRule(label="送料無料", currency="JPY", threshold=5_000, fee=600),
        ])
        db.session.commit()
    adapter.lines = {"healthfood": 1, "spray": 1}
    return app, db, tsuide, adapter


def statements_of(engine, call):
    """What ``call()`` answers, and the SQL statements it ran."""
    statements = []

    def record(*args):
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        return call(), statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


class Counting:
    """Wraps an adapter method and counts its calls."""

    def __init__(self, adapter, name):
        self.calls = 0
        self.wrapped = getattr(adapter, name)
        setattr(adapter, name, self)

    def __call__(self, *args):
        self.calls += 1
        return self.wrapped(*args)


def test_a_warm_cart_request_asks_the_shop_once_for_the_cart_and_once_for_products(shop):
    app, db, tsuide, adapter = shop
    client = app.test_client()
    client.get("/tsuide/api/cart")  # cold: loads the rules
    carts, products = Counting(adapter, "current_cart"), Counting(adapter, "products")
    with app.app_context():
        engine = db.engine
    body, statements = statements_of(engine, lambda: client.get("/tsuide/api/cart",
                                                                headers={"Accept-Language": "en"}).json)
    assert {offer["label"] for offer in body["offers"]} == {"3-bag set", "シューケア3点"}
    assert "Add 2 items" in body["panel_html"]  # the panel is in the same answer
    assert (carts.calls, products.calls) == (1, 1)
    assert len(statements) == 1 and "tsuide_state" in statements[0]  # the stamp, with the capped set's count


@pytest.mark.parametrize("customer", [None, "c-1"])
def test_the_stamp_query_reads_caps_and_the_customers_uses_in_each_shape(shop, customer):
    """The one query comes in four shapes (capped rules touched or not, a customer or not), all built once."""
    app, db, tsuide, adapter = shop
    with app.app_context():
        db.session.add(models.Bundle(label="お一人様1回", pricing_mode="amount_off", pricing_value=100,
                                     per_customer_cap=1, items=[models.RuleItem(product_id="brush", quantity=2)]))
        trio = db.session.query(models.Bundle).filter_by(label="シューケア3点").one()
        trio.redeemed = 50  # the first 50 are gone
        db.session.add(models.Redemption(rule_id=db.session.query(models.Bundle).filter_by(
            label="お一人様1回").one().id, order_id="A-1", customer_id="c-1", applications=1))
        db.session.commit()
    adapter.customer_id = customer
    for lines, offered in (({"healthfood": 1}, {"3袋セット"}),  # no capped rule touched
                           ({"healthfood": 1, "spray": 1}, {"3袋セット"}),  # the sold-out trio is not offered
                           ({"brush": 1}, set() if customer else {"お一人様1回"})):  # used once by c-1
        adapter.lines = lines
        with app.test_request_context():
            tsuide.quote()
            quote, statements = statements_of(db.engine, tsuide.quote)
        assert {offer.label for offer in quote.offers} == offered, lines
        assert len(statements) == 1


def test_the_shops_context_processors_do_not_run_for_the_plugins_panels_and_api(shop):
    """A shop's processor (a cart count, a query, one that fails outside its pages) is the shop's page business."""
    app, db, tsuide, adapter = shop
    runs = []

    @app.context_processor
    def shop_page_variables():
        runs.append(1)
        raise LookupError("only the shop's own pages set this up")

    client = app.test_client()
    body = client.get("/tsuide/api/cart").json
    assert "3袋セット" in body["panel_html"]
    with app.test_request_context("/cart"):
        assert "3袋セット" in str(tsuide.cart_panel())
        assert "3袋セット" not in str(tsuide.product_panel("nothing-such"))
    assert runs == []


@pytest.mark.parametrize("count", [2, 16, 17, 40])
def test_the_stamp_query_reads_every_capped_rules_count_however_many(shop, count):
    """Up to 16 capped rules' ids are bound one by one in a statement per count, more as one list (see
    rule_cache.FIXED_IDS_UP_TO): either way one query, and each rule's shop-wide count read. One of the
    capped sets, the first, is used up: it is never offered, and the next is."""
    from plugin.storage import rule_cache

    app, db, tsuide, adapter = shop
    assert rule_cache.FIXED_IDS_UP_TO == 16
    with app.app_context():
        db.session.query(models.Bundle).filter_by(label="シューケア3点").delete()
        products = [f"p{number}" for number in range(count)]
        for number, product in enumerate(products):
            db.session.add(models.Bundle(label=f"set {number}", pricing_mode="amount_off", pricing_value=100,
                                         global_cap=5, redeemed=5 if number == 0 else number % 5,
                                         items=[models.RuleItem(product_id="spray", quantity=1, position=0),
                                                models.RuleItem(product_id=product, quantity=1, position=1)]))
        db.session.commit()
    for product in products:
        adapter.catalogue[product] = adapter.catalogue["brush"].__class__(
            id=product, name=product, price=1_000, category="accessories", url=None, image_url=None)
    adapter.lines = {"spray": 1}
    app.config["TSUIDE_MAX_CART_OFFERS"] = 1_000
    with app.test_request_context():
        tsuide.quote()
        quote, statements = statements_of(db.engine, tsuide.quote)
        context = tsuide._context(tsuide._adapter.current_cart())
    assert len(statements) == 1
    capped = {rule.id: rule for rule in context.touching if rule.global_cap is not None}
    assert len(capped) == count
    assert {capped[rule_id].label: used for rule_id, used in context.usage.redeemed.items()} == {
        f"set {number}": 5 if number == 0 else number % 5 for number in range(count)}
    offered = {offer.label for offer in quote.offers}
    assert "set 0" not in offered and "set 1" in offered
