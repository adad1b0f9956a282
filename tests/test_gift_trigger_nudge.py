""""Xを追加でノベルティプレゼント": a gift earned by products nudges a cart that holds none of them
(docs/engine.md, "Offers": gifts). Checked against the doc's words by a reference, by properties (price shown =
price charged: the cart the click makes is quoted; the promise holds: that cart with the gift gets the gift),
and through the shop's cart panel and API in ja and en, with and without JavaScript's JSON."""
from __future__ import annotations

from dataclasses import replace

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, note, settings
from hypothesis import strategies as st

from factories import CATALOGUE, NOW, cart, volume
from plugin import Cart, CartLine, RuleBook, models, quote_cart
from plugin.engine.order_rules import TRIGGER_CANDIDATES, trigger_gift_offers
from plugin.engine.rules import FreeGift, SpendDiscount, SpendStep
from shop import csrf_client

API = "/tsuide/admin/api"


def gift(rule_id="g", product="tote", triggers=("sneakers",), threshold=None, **terms) -> FreeGift:
    return FreeGift(id=rule_id, label=terms.pop("label", "ノベルティ"), currency="JPY", gift_product_id=product,
                    threshold=threshold, trigger_product_ids=frozenset(triggers), **terms)


def quote(the_cart, *rules, products=CATALOGUE, **options):
    return quote_cart(the_cart, RuleBook(tuple(rules)), products, now=NOW, **options)


def nudges(q):
    return [offer for offer in q.offers if offer.kind == "gift_trigger"]


def adding(the_cart: Cart, products, *ids) -> Cart:
    return the_cart.adding([(products[pid], 1) for pid in ids])


# -- what the doc says, case by case ---------------------------------------------------------------------

def test_a_cart_without_the_product_is_nudged_to_add_it_and_the_click_makes_the_quoted_cart():
    the_cart = cart(("spray", 1))
    [offer] = nudges(quote(the_cart, gift()))
    assert (offer.rule_id, offer.label, [(line.product_id, line.quantity) for line in offer.add]) == (
        "g", "ノベルティ", [("sneakers", 1)])
    assert (offer.added_price, offer.saving, offer.new_total) == (12_000, 0, 13_500)
    after = quote(adding(the_cart, CATALOGUE, "sneakers"), gift())
    assert after.total == offer.new_total  # the price shown is the cart the click makes
    assert [o.kind for o in after.offers] == ["free_gift"]  # then the gift is earned and offered, at no charge
    with_gift = quote(adding(the_cart, CATALOGUE, "sneakers", "tote"), gift())
    assert [(d.rule_id, d.amount) for d in with_gift.discounts] == [("g", 2_000)] and with_gift.total == 13_500


def test_the_cheapest_product_in_stock_not_in_the_cart_is_the_one_named():
    rule = gift(triggers=("sneakers", "cap", "scarf", "ghost"))  # scarf is out of stock, ghost unknown
    [offer] = nudges(quote(cart(("spray", 1)), rule))
    assert offer.add[0].product_id == "cap"


@pytest.mark.parametrize(("rule", "products"), [
    (gift(triggers=("scarf",)), CATALOGUE),                                     # the only product is out of stock
    (gift(triggers=("ghost",)), CATALOGUE),                                     # or unknown
    (gift(), {**CATALOGUE, "tote": replace(CATALOGUE["tote"], in_stock=False)}),  # the gift is out of stock
    (gift(product="ghost"), CATALOGUE),                                         # the gift is unknown
    (gift(threshold=20_000), CATALOGUE),                                        # the product does not reach the spend
    (gift(paused=True), CATALOGUE),
])
def test_no_nudge_promises_a_gift_the_cart_would_not_get(rule, products):
    assert nudges(quote(cart(("spray", 1)), rule, products=products)) == []


def test_a_gift_out_of_stock_or_unknown_costs_no_quote_at_all():
    def price_with(additions):
        raise AssertionError(f"quoted {additions}")
    sold_out = {**CATALOGUE, "tote": replace(CATALOGUE["tote"], in_stock=False)}
    q = quote(cart(("spray", 1)), gift())
    for rule, products in ((gift(), sold_out), (gift(product="ghost"), CATALOGUE)):
        assert trigger_gift_offers(cart(("spray", 1)), q, [rule], products, price_with, None, None, set()) == []


def test_many_gifts_cost_at_most_the_budget_of_quotes_and_the_most_important_is_nudged():
    from plugin.engine.order_rules import TRIGGER_QUOTES
    calls = []
    gifts = [gift(f"g{n}", product=f"gift{n}", triggers=("ghost", "scarf", "cap", "socks", "sneakers"),
                  threshold=10**9 if n else None) for n in range(10)]  # all but g0 need a spend no cart reaches
    products = {**CATALOGUE, **{f"gift{n}": replace(CATALOGUE["tote"], id=f"gift{n}") for n in range(10)}}
    q = quote(cart(("spray", 1)), *gifts, products=products)

    def price_with(additions):
        calls.append(additions)
        return quote(cart(("spray", 1)).adding(additions), *gifts, products=products, with_offers=False)
    found = trigger_gift_offers(cart(("spray", 1)), q, gifts[1:] + gifts[:1], products, price_with, None, None, set())
    assert len(calls) <= TRIGGER_QUOTES and found == []  # the budget ran out on the gifts no product earns
    found = trigger_gift_offers(cart(("spray", 1)), q, gifts, products, price_with, None, None, set())
    assert [offer.rule_id for offer in found] == ["g0"]


def test_a_cart_that_holds_a_product_of_the_list_gets_no_nudge_but_the_gift_itself():
    q = quote(cart(("sneakers", 1)), gift(triggers=("sneakers", "cap")))
    assert [offer.kind for offer in q.offers] == ["free_gift"]


def test_a_gift_with_a_threshold_is_nudged_when_the_product_reaches_it():
    rule = gift(triggers=("cap",), threshold=3_000)  # ¥1,500 + ¥2,500 cap = ¥4,000
    [offer] = nudges(quote(cart(("spray", 1)), rule))
    assert offer.add[0].product_id == "cap" and offer.new_total == 4_000


def test_a_gift_already_in_the_cart_at_its_price_becomes_free_with_the_product():
    the_cart = cart(("spray", 1), ("tote", 1))
    before = quote(the_cart, gift())
    assert before.total == 3_500 and before.discounts == ()  # charged: its condition does not hold
    [offer] = nudges(before)
    assert (offer.add[0].product_id, offer.saving, offer.new_total) == ("sneakers", 2_000, 13_500)
    assert quote(adding(the_cart, CATALOGUE, "sneakers"), gift()).total == 13_500


def test_the_ceiling_keeps_a_dear_product_out_and_lets_a_cheap_one_in():
    rule = gift(triggers=("sneakers", "socks"))
    assert [o.add[0].product_id for o in nudges(quote(cart(("spray", 1)), rule, max_added_ratio_bp=10_000))] == [
        "socks"]
    dear = gift(triggers=("sneakers",))
    assert nudges(quote(cart(("spray", 1)), dear, max_added_ratio_bp=10_000)) == []  # ¥12,000 on a ¥1,500 cart
    assert len(nudges(quote(cart(("spray", 1)), dear, max_added_ratio_bp=80_000))) == 1  # within 8 carts' worth


def test_one_nudge_per_gift_product_and_the_earned_gift_first():
    q = quote(cart(("spray", 1)), gift("g1", triggers=("cap",)), gift("g2", triggers=("socks",)),
              gift("g3", product="brush", triggers=("spray",)))
    assert [(o.kind, o.rule_id) for o in q.offers][:2] == [("free_gift", "g3"), ("gift_trigger", "g1")]
    assert len(nudges(q)) == 1


def test_the_nudge_says_what_other_rules_the_product_brings_too():
    tiers = volume("v", {2: 1_000}, categories=("accessories",))  # cap and socks: 10% off two accessories
    [offer] = nudges(quote(cart(("socks", 1)), tiers, gift(triggers=("cap",))))
    assert (offer.saving, offer.new_total) == (350, 3_150)  # 10% of ¥1,000 + ¥2,500


# -- a reference and properties ----------------------------------------------------------------------------

IDS = ("spray", "brush", "cleaner", "cap", "socks", "tote", "sneakers", "sdcard")


def reference(the_cart: Cart, rule: FreeGift, products, other_rules, ceiling_bp):
    """The doc's nudge: (product, new_total, saving) or None."""
    subtotal = sum(line.subtotal for line in the_cart.lines)
    in_cart = {line.product_id for line in the_cart.lines}
    gift_product = products.get(rule.gift_product_id)
    if not the_cart.lines:
        return None  # an empty cart is offered nothing
    if not rule.trigger_product_ids & set(products) or not rule.trigger_product_ids.isdisjoint(in_cart):
        return None
    if gift_product is None or not gift_product.in_stock:
        return None
    ceiling = None if ceiling_bp is None else subtotal * ceiling_bp // 10_000
    rules = (*other_rules, rule)
    now = quote(the_cart, *rules, products=products, with_offers=False)
    candidates = sorted((products[pid] for pid in rule.trigger_product_ids if pid in products),
                        key=lambda p: (p.price, p.id))
    candidates = [p for p in candidates if p.in_stock and p.id not in in_cart and (ceiling is None or p.price <= ceiling)]
    for product in candidates[:TRIGGER_CANDIDATES]:
        extra = [product.id] + ([] if gift_product.id in in_cart else [gift_product.id])
        promised = quote(adding(the_cart, products, *extra), *rules, products=products, with_offers=False)
        if any(d.rule_id == rule.id for d in promised.discounts):
            clicked = quote(adding(the_cart, products, product.id), *rules, products=products, with_offers=False)
            if clicked.discount_total >= now.discount_total:
                return product.id, clicked.total, clicked.discount_total - now.discount_total
    return None


@st.composite
def gift_shops(draw):
    stock = draw(st.dictionaries(st.sampled_from(IDS), st.booleans()))
    products = {pid: replace(p, in_stock=stock.get(pid, p.in_stock)) for pid, p in CATALOGUE.items()}
    lines = draw(st.dictionaries(st.sampled_from(IDS), st.integers(1, 3), max_size=3))
    the_cart = Cart(tuple(CartLine(pid, qty, products[pid].price) for pid, qty in lines.items()))
    triggers = draw(st.sets(st.sampled_from(IDS + ("ghost",)), min_size=1, max_size=5))
    gift_id = draw(st.sampled_from(("tote", "socks", "brush", "ghost")))
    triggers.discard(gift_id)
    if not triggers:
        triggers = {"sneakers"}  # never a gift here
    threshold = draw(st.sampled_from((None, None, 3_000, 10_000)))
    rule = gift(product=gift_id, triggers=triggers, threshold=threshold)
    others = draw(st.sampled_from(((), (volume("v", {2: 1_000}, categories=("shoe-care", "accessories")),),
                                   (SpendDiscount(id="s", label="spend", currency="JPY",
                                                  steps=(SpendStep(5_000, amount_off=500),)),))))
    ceiling = draw(st.sampled_from((None, 10_000, 30_000)))
    return the_cart, rule, products, others, ceiling


@settings(max_examples=150, deadline=None)
@given(gift_shops())
def test_the_nudge_is_the_references_and_the_click_makes_the_price_shown(shop):
    the_cart, rule, products, others, ceiling = shop
    q = quote(the_cart, *others, rule, products=products, max_added_ratio_bp=ceiling)
    found = [(o.add[0].product_id, o.new_total, o.saving) for o in nudges(q)]
    note(f"{found=}")
    expected = reference(the_cart, rule, products, others, ceiling)
    assert found == ([] if expected is None else [expected])
    for offer in nudges(q):
        assert offer.products[0].in_stock and offer.add[0].product_id not in {l.product_id for l in the_cart.lines}
        assert products[rule.gift_product_id].in_stock  # never a promise of an out-of-stock gift
        # Metamorphic: the same cart with its lines in another order gets the same nudge.
        reordered = Cart(tuple(reversed(the_cart.lines)))
        again = quote(reordered, *others, rule, products=products, max_added_ratio_bp=ceiling)
        assert [(o.add, o.new_total, o.saving) for o in nudges(again)] == [(offer.add, offer.new_total, offer.saving)]


# -- through the shop -----------------------------------------------------------------------------------

GIFT = {"label": "ノベルティ", "label_en": "Free tote", "currency": "JPY", "gift_product_id": "tote",
        "threshold": None, "trigger_products": ["sneakers"]}


@pytest.fixture
def shop(admin_shop):
    app, db, tsuide, adapter = admin_shop
    created = csrf_client(app).post(f"{API}/free-gifts", json=GIFT)
    assert created.status_code == 201, created.json
    return app, db, tsuide, adapter, created.json["id"]


def csrf(body) -> str:
    return body["panel_html"].split('data-tsuide-csrf="')[1].split('"')[0]


@pytest.mark.parametrize(("language", "hint", "button"), [("ja", "Sneakersを追加でノベルティプレゼント", "1点を追加する"),
                                                          ("en", "Add Sneakers to get a free gift", "Add 1 item")])
def test_the_panel_says_it_and_its_click_adds_the_product_then_the_gift_is_offered(shop, language, hint, button):
    app, db, tsuide, adapter, gift_id = shop
    adapter.lines = {"spray": 1}
    client = app.test_client()
    headers = {"Accept-Language": language}
    body = client.get("/tsuide/api/cart", headers=headers).json
    [offer] = [o for o in body["offers"] if o["kind"] == "gift_trigger"]
    assert (offer["rule_id"], offer["add"], offer["new_total"]["amount"]) == (
        gift_id, [{"product_id": "sneakers", "quantity": 1}], 13_500)
    panel = BeautifulSoup(body["panel_html"], "html.parser")
    card = panel.select_one(f'button[data-tsuide-offer="{gift_id}"]').find_parent("li")
    assert card.select_one(".tsuide-offer__hint").get_text(strip=True) == hint
    assert card.select_one("button").get_text() == button
    form = card.select_one("form")
    sent = {i["name"]: i["value"] for i in form.select("input[type=hidden]") if i["name"] != "csrf_token"}
    assert sent.items() >= {"product_id": "sneakers", "quantity": "1"}.items() and "bundle_id" not in sent
    # The widget's JSON for that form: the product alone.
    added = client.post("/tsuide/api/cart/items", json={"items": [{"product_id": "sneakers", "quantity": 1}]},
                        headers={"X-CSRFToken": csrf(body), **headers})
    assert added.status_code == 200
    assert added.json["total"]["amount"] == offer["new_total"]["amount"]
    [earned] = [o for o in added.json["offers"] if o["kind"] in ("free_gift", "gift_trigger")]
    assert (earned["kind"], earned["saving"]["amount"], earned["new_total"]["amount"]) == ("free_gift", 2_000, 13_500)


def test_the_form_without_javascript_adds_the_product_and_goes_back(shop):
    app, db, tsuide, adapter, gift_id = shop
    adapter.lines = {"spray": 1}
    client = app.test_client()
    body = client.get("/tsuide/api/cart").json
    panel = BeautifulSoup(body["panel_html"], "html.parser")
    form = panel.select_one(f'button[data-tsuide-offer="{gift_id}"]').find_parent("form")
    fields = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    assert fields["offer"] == gift_id  # the click is the gift's, for the analytics
    response = client.post(form["action"], data=fields)
    assert response.status_code == 303
    assert adapter.lines == {"spray": 1, "sneakers": 1}
    assert adds(app, db) == [(gift_id, "cart")]


def test_no_nudge_while_the_gift_is_out_of_stock_and_none_for_the_holdout(shop, make_shop, database_url):
    app, db, tsuide, adapter, gift_id = shop
    adapter.lines = {"spray": 1}
    adapter.catalogue["tote"] = replace(adapter.catalogue["tote"], in_stock=False)
    body = app.test_client().get("/tsuide/api/cart").json
    assert [o for o in body["offers"] if o["rule_id"] == gift_id] == []
    assert "ノベルティプレゼント" not in body["panel_html"]


def adds(app, db):
    with app.app_context():
        return sorted((event.rule_id, event.page) for event in db.session.query(models.Event).filter_by(kind="add"))


def test_the_click_is_credited_to_the_gift_it_earns_and_only_for_a_product_that_earns_it(shop):
    app, db, tsuide, adapter, gift_id = shop
    adapter.lines = {"spray": 1}
    client = app.test_client()
    body = client.get("/tsuide/api/cart").json
    token = {"X-CSRFToken": csrf(body)}
    unrelated = client.post("/tsuide/api/cart/items", json={"items": [{"product_id": "socks", "quantity": 1}],
                                                            "offer": gift_id}, headers=token)
    assert unrelated.status_code == 200 and adds(app, db) == []  # socks earn no gift: nothing credited
    added = client.post("/tsuide/api/cart/items", json={"items": [{"product_id": "sneakers", "quantity": 1}],
                                                        "offer": gift_id}, headers=token)
    assert added.status_code == 200 and adds(app, db) == [(gift_id, "cart")]
    refused = client.post("/tsuide/api/cart/items", json={"items": [{"product_id": "sneakers", "quantity": 1}],
                                                          "offer": "rule 1"}, headers=token)
    assert refused.status_code == 400 and "offer" in refused.json["error"]["fields"]
