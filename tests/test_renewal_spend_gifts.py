"""定期: a next delivery's add-ons with spend discounts and gifts, as docs/engine.md says ("Spend discounts and
gifts on a next delivery"): the delivery is quoted as a cart with every rule, an add-on costs what the quote's
total grows by (a spend step it reaches comes off it), a gift is never an add-on, a gift line the delivery holds
is free in the quote while in stock, and a price once shown is the price charged."""
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from flask_wtf.csrf import generate_csrf

from factories import CATALOGUE
from plugin import Cart, CartLine, RuleBook, Subscription, models, quote_cart
from plugin.engine.subscriptions import NOT_FOR_RENEWALS, renewal_price
from plugin.engine.values import Offer
from shop import SubscribingAdapter

SOON = (datetime.now(timezone.utc) + timedelta(days=10)).date()


def delivery(*lines):
    return Subscription("S-1", tuple(CartLine(*line) for line in lines), SOON, "c-1")


JUICE = ("healthfood", 1, 2_700)  # the subscription's price of a bag (¥3,000 at list)


def rules(*rows):
    """A shop with a bundle of green juice and socks (``off`` yen off the pair) and the given rule rows."""
    def make(database_url, make_shop, off=500):
        adapter = SubscribingAdapter()
        app, db, tsuide, _ = make_shop(database_url, adapter=adapter)
        with app.app_context():
            db.session.add(models.Bundle(label="青汁と靴下", pricing_mode="amount_off", pricing_value=off,
                                         items=[models.RuleItem(product_id=pid, quantity=1, position=n)
                                                for n, pid in enumerate(("healthfood", "socks"))]))
            db.session.add_all(rows)
            db.session.commit()
        return app, db, tsuide, adapter
    return make


def spend(*steps):
    return models.SpendRule(label="まとめて割", currency="JPY", steps=[
        models.RuleStep(threshold=threshold, amount_off=off) if off else models.RuleStep(threshold=threshold,
                                                                                           discount_percent=percent)
        for threshold, off, percent in steps])


def offers_of(app, tsuide, sub, catalogue=None):
    with app.test_request_context():
        if catalogue is not None:
            tsuide._adapter.catalogue = catalogue
        renewal = tsuide.renewal_offers(sub)
        quote = tsuide._price(tsuide._context(Cart(sub.lines, sub.customer_id)), None)
    return renewal, quote


def growth(app, tsuide, sub, *added):
    """The reference: what the delivery's quote grows by with ``added`` (quoted with the shop's live rules)."""
    with app.test_request_context():
        context = tsuide._context(Cart(sub.lines, sub.customer_id))
        book = context.snapshot.rulebook
        products = dict(tsuide._adapter.catalogue)
    now = datetime.now(timezone.utc)
    before = quote_cart(Cart(sub.lines), book, products, now=now, with_offers=False)
    after = quote_cart(Cart(sub.lines).adding([(products[pid], 1) for pid in added]), book, products, now=now,
                       with_offers=False)
    return after.total - before.total


def add(app, token):
    client = app.test_client()
    with client.session_transaction() as session, app.test_request_context():
        from flask import session as request_session
        csrf = generate_csrf()
        session.update(request_session)
    return client.post("/tsuide/api/renewals/add", json={"token": token}, headers={"X-CSRFToken": csrf})


# -- spend discounts -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("steps", "lines", "price"), [
    ([(3_000, 300, None)], [JUICE], 200),             # ¥2,700 + ¥1,000 − ¥500 reaches ¥3,000: ¥300 more off
    ([(5_000, None, 10)], [JUICE, ("cap", 1, 2_500)], 450),  # 10% already reached: 10% of the add-on's ¥500
    ([(9_000, 300, None)], [JUICE], 500),             # out of reach: the bundle's price alone
])
def test_a_spend_step_the_add_on_reaches_comes_off_the_add_on(database_url, make_shop, steps, lines, price):
    app, db, tsuide, adapter = rules(spend(*steps))(database_url, make_shop)
    sub = delivery(*lines)
    renewal, _ = offers_of(app, tsuide, sub)
    [offer] = renewal.offers
    assert [line.product_id for line in offer.offer.add] == ["socks"]
    assert offer.price == price == growth(app, tsuide, sub, "socks")
    assert sum(line.subtotal for line in offer.items) == price and offer.list_price == 1_000
    response = add(app, offer.token)
    assert response.status_code == 200, response.json
    assert sum(line.subtotal for line in adapter.next_deliveries["S-1"]) == price  # shown = charged


def test_an_add_on_a_spend_step_would_make_free_or_cheaper_than_free_is_not_suggested(database_url, make_shop):
    app, db, tsuide, adapter = rules(spend((3_000, 600, None)))(database_url, make_shop)
    sub = delivery(JUICE)
    renewal, quote = offers_of(app, tsuide, sub)
    assert growth(app, tsuide, sub, "socks") == -100  # ¥1,000 − ¥500 − ¥600
    assert [offer.add[0].product_id for offer in quote.offers] == ["socks"]  # the cart would offer it
    assert renewal.offers == ()


# -- gifts -----------------------------------------------------------------------------------------------

def test_a_gift_is_never_an_add_on_neither_itself_nor_add_x_to_get_it(database_url, make_shop):
    app, db, tsuide, adapter = rules(
        models.GiftRule(label="トート", currency="JPY", gift_product_id="tote", threshold=2_000),
        models.GiftRule(label="ブラシ", currency="JPY", gift_product_id="brush",
                        items=[models.RuleItem(product_id="cap")]),
    )(database_url, make_shop)
    sub = delivery(JUICE)
    renewal, quote = offers_of(app, tsuide, sub)
    kinds = {offer.kind for offer in quote.offers}
    assert {"free_gift", "gift_trigger"} <= kinds  # the cart would offer both
    assert [[line.product_id for line in offer.offer.add] for offer in renewal.offers] == [["socks"]]


def test_renewal_price_is_the_growth_and_none_for_gifts_and_free_add_ons():
    def offer(kind, added, saving):
        return Offer(kind=kind, rule_id="1", label="", add=(CartLine("socks", 1, added),), added_price=added,
                     saving=saving, new_total=0)
    assert renewal_price(offer("complete_bundle", 1_000, 800)) == 200
    assert renewal_price(offer("bought_together", 1_000, 0)) == 1_000
    assert renewal_price(offer("complete_bundle", 1_000, 999)) == 1
    assert renewal_price(offer("complete_bundle", 1_000, 1_000)) is None
    assert renewal_price(offer("reach_tier", 1_000, 1_100)) is None
    for kind in NOT_FOR_RENEWALS:
        assert renewal_price(offer(kind, 1_000, 0)) is None
    assert NOT_FOR_RENEWALS == {"free_gift", "gift_trigger"}


BRUSH_GIFT = dict(label="ブラシ", currency="JPY", gift_product_id="brush", threshold=3_000)


def test_a_gift_line_the_delivery_holds_is_free_once_the_add_on_earns_it_and_charged_while_out_of_stock(
        database_url, make_shop):
    app, db, tsuide, adapter = rules(models.GiftRule(**BRUSH_GIFT))(database_url, make_shop, off=100)
    sub = delivery(JUICE, ("brush", 1, 800))  # ¥2,700 counted (the gift's own line is not): below ¥3,000
    renewal, _ = offers_of(app, tsuide, sub)
    [offer] = renewal.offers  # socks: ¥3,600 counted, so the brush is free: ¥1,000 − ¥100 − ¥800
    assert offer.price == 100 == growth(app, tsuide, sub, "socks")
    sold_out = {**CATALOGUE, "brush": replace(CATALOGUE["brush"], in_stock=False)}
    renewal, _ = offers_of(app, tsuide, sub, sold_out)
    [later] = renewal.offers
    assert later.price == 900 == growth(app, tsuide, sub, "socks")  # no gift: the bundle's ¥100 only
    # The add-on shown at ¥100 keeps its price once the gift is gone: its token carries it.
    response = add(app, offer.token)
    assert response.status_code == 200, response.json
    assert adapter.next_deliveries["S-1"] == [CartLine("socks", 1, 100)]


def test_a_gift_line_an_add_on_would_make_free_beyond_its_price_gets_no_add_on(database_url, make_shop):
    app, db, tsuide, adapter = rules(models.GiftRule(**BRUSH_GIFT))(database_url, make_shop, off=500)
    sub = delivery(JUICE, ("brush", 1, 800))
    renewal, _ = offers_of(app, tsuide, sub)
    assert growth(app, tsuide, sub, "socks") == -300 and renewal.offers == ()
