"""A cart too hard to price exactly gets fewer suggestions, never a different price (docs/engine.md, "Bounded work").

Once the group searches of a page's quotes (the cart's own first, then the carts its suggestions make) have run
``offers.CUT_SEARCHES_PER_PAGE`` times to their budget, no more suggestion carts are quoted: the offers, gifts,
gap fillers and companions found so far stand, each priced by the quote of its own cart. Counted here, not timed.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from plugin import (BundleItem, BuyXGetY, Cart, CartLine, FixedBundle, PricingMode, Product, RuleBook, quote_cart)
from plugin.engine import allocation, offers
from plugin.engine import quote as quote_module
from plugin.engine.rules import FreeGift, ShippingThreshold

NOW = datetime(2026, 11, 30, tzinfo=timezone.utc)


def overlapping(k: int):
    """K buy-X-get-Y rules and K bundles over the same 10 products (3 units of each in the cart): every rule
    competes for the same units, and the search runs to its budget (the worst case of ``bench/``)."""
    products = {f"p{i}": Product(f"p{i}", f"p{i}", 1_000 + 137 * i, category="all") for i in range(10)}
    rules = []
    for index in range(k):
        buy = frozenset(f"p{(index * 3 + j) % 10}" for j in range(4))
        rules.append(BuyXGetY(id=str(2 * index + 1), label=f"x{index}", buy_product_ids=buy,
                              buy_quantity=1 + index % 3, get_quantity=1 + index % 2,
                              value=2_000 + (index * 700) % 8_000, max_applications=None if index % 2 else 3))
        items = sorted({f"p{(index * 7 + j * 3) % 10}" for j in range(3)})
        rules.append(FixedBundle(id=str(2 * index + 2), label=f"b{index}",
                                 items=tuple(BundleItem(pid, 1 + (index + j) % 2) for j, pid in enumerate(items)),
                                 mode=PricingMode.PERCENT_OFF, value=500 + (index * 37) % 2_000))
    cart = Cart(tuple(CartLine(f"p{i}", 3, products[f"p{i}"].price) for i in range(10)))
    return cart, rules, products


def small_shop():
    """Three bundles over a, b, c (one group, searched), a fourth that lacks d, a gift earned by spending, a
    shipping threshold the cart is short of, and a companion: every kind of suggestion has a cart to quote."""
    products = {pid: Product(pid, pid, price, category="k") for pid, price in
                (("a", 1_000), ("b", 1_200), ("c", 900), ("d", 800), ("e", 700), ("g", 500))}
    rules = [
        FixedBundle(id="1", label="ab", items=(BundleItem("a"), BundleItem("b")), mode=PricingMode.PERCENT_OFF,
                    value=1_000),
        FixedBundle(id="2", label="bc", items=(BundleItem("b"), BundleItem("c")), mode=PricingMode.PERCENT_OFF,
                    value=1_500),
        FixedBundle(id="3", label="ac", items=(BundleItem("a"), BundleItem("c")), mode=PricingMode.PERCENT_OFF,
                    value=1_200),
        FixedBundle(id="4", label="cd", items=(BundleItem("c"), BundleItem("d")), mode=PricingMode.AMOUNT_OFF,
                    value=300),
        FreeGift(id="5", label="gift", currency="JPY", gift_product_id="g", threshold=3_000),
        ShippingThreshold(id="6", label="ship", currency="JPY", threshold=9_000, fee=600),
    ]
    cart = Cart((CartLine("a", 2, 1_000), CartLine("b", 2, 1_200), CartLine("c", 2, 900)))
    return cart, rules, products


def counted_page(monkeypatch, cart, rules, products, **options):
    """The cart's page quote, how many group searches ran out before each suggestion cart was quoted, and in all."""
    before_each = []
    cut = []
    original_quote, original_group = quote_module.quote_cart, allocation._price_group

    def quoting(*args, **kwargs):
        if kwargs.get("_ladder") is False:  # a suggestion's cart
            before_each.append(sum(cut))
        return original_quote(*args, **kwargs)

    def pricing_group(*args, **kwargs):
        priced = original_group(*args, **kwargs)
        cut.append(priced.cut)
        return priced

    monkeypatch.setattr(quote_module, "quote_cart", quoting)
    monkeypatch.setattr(allocation, "_price_group", pricing_group)
    page = quote_module.quote_cart(cart, RuleBook(tuple(rules)), products, now=NOW, **options)
    monkeypatch.setattr(quote_module, "quote_cart", original_quote)
    monkeypatch.setattr(allocation, "_price_group", original_group)
    return page, before_each, sum(cut)


def assert_each_suggestion_priced_by_its_own_cart(page, cart, rules, products):
    book = RuleBook(tuple(rules))
    for offer in page.offers:
        alone = quote_cart(Cart(cart.lines + offer.add), book, products, now=NOW, with_offers=False)
        assert (offer.new_total, offer.saving) == (alone.total, alone.discount_total - page.discount_total)
    for filler in page.gap_fillers:
        added = Cart(cart.lines + (CartLine(filler.product.id, 1, filler.product.price),))
        assert filler.new_total == quote_cart(added, book, products, now=NOW, with_offers=False).total


def test_a_hard_cart_quotes_one_suggestion_cart_once_its_own_search_ran_out(monkeypatch):
    cart, rules, products = overlapping(20)
    page, suggested, cut = counted_page(monkeypatch, cart, rules, products, max_offers=2)
    # The cart's own search ran out (1), so did the first suggestion's cart (2): nothing more is quoted.
    assert (suggested, cut) == ([1], offers.CUT_SEARCHES_PER_PAGE) == ([1], 2)
    assert_each_suggestion_priced_by_its_own_cart(page, cart, rules, products)


def test_the_cart_is_priced_the_same_with_or_without_its_suggestions(monkeypatch):
    cart, rules, products = overlapping(20)
    page, _, _ = counted_page(monkeypatch, cart, rules, products, max_offers=2)
    alone = quote_cart(cart, RuleBook(tuple(rules)), products, now=NOW, with_offers=False)
    assert (page.total, page.discounts, page.lines) == (alone.total, alone.discounts, alone.lines)


def test_a_cart_whose_searches_finish_gets_every_suggestion(monkeypatch):
    cart, rules, products = small_shop()
    page, suggested, cut = counted_page(monkeypatch, cart, rules, products, max_offers=3,
                                        companions={"a": ["e"]})
    assert cut == 0 and suggested == [0, 0, 0]  # the gift's cart, the bundle's, the companion's (a gap filler too)
    kinds = sorted({offer.kind for offer in page.offers})
    assert kinds == ["bought_together", "complete_bundle", "free_gift"] and page.gap_fillers
    assert_each_suggestion_priced_by_its_own_cart(page, cart, rules, products)


@pytest.mark.parametrize("allowed, quoted", [(1, []), (2, [1, 1]), (3, [1, 1, 2]), (9, [1, 1, 2])])
def test_with_a_budget_that_always_runs_out_the_page_stops_at_its_allowance(monkeypatch, allowed, quoted):
    cart, rules, products = small_shop()
    monkeypatch.setattr(allocation, "SEARCH_BUDGET", 1)  # every group search of this shop now runs out
    monkeypatch.setattr(quote_module, "CUT_SEARCHES_PER_PAGE", allowed)
    page, suggested, cut = counted_page(monkeypatch, cart, rules, products, max_offers=3, companions={"a": ["e"]})
    alone = quote_cart(cart, RuleBook(tuple(rules)), products, now=NOW, with_offers=False)
    # The cart's own search runs out (1). The gift's cart adds g, which no item rule counts: its groups are the
    # cart's, priced once, so it costs no search. The bundle's cart adds d (one more search, run out: 2), the
    # companion's adds e (no rule counts it: no search). Each suggestion cart is quoted only while fewer than
    # ``allowed`` searches ran out.
    assert suggested == quoted and all(before < allowed for before in suggested)
    assert cut == min(allowed, 2)
    names = [offer.kind for offer in page.offers]
    assert names == ["free_gift", "complete_bundle", "bought_together"][:len(quoted)]
    assert_each_suggestion_priced_by_its_own_cart(page, cart, rules, products)
    assert (page.total, page.discounts) == (alone.total, alone.discounts)  # the cart's own price: unchanged


def test_every_kind_of_suggestion_stops_when_the_page_quotes_no_more(monkeypatch):
    cart, rules, products = small_shop()
    monkeypatch.setattr(allocation, "SEARCH_BUDGET", 1)
    asked = []

    def none_left(additions):
        asked.append(additions)
        return None

    page = quote_cart(cart, RuleBook(tuple(rules)), products, now=NOW, max_offers=3, companions={"a": ["e"]})
    book = RuleBook(tuple(rules))
    quoted = quote_cart(cart, book, products, now=NOW, with_offers=False)
    live = [rule for rule in rules if isinstance(rule, FixedBundle)]
    found = offers.cart_offers(cart, quoted, live, products, none_left, None, {"a": ["e"]}, 3)
    fillers = offers.gap_fillers(cart, page, live, products, none_left, 2, {"a": ["e"]})
    from plugin.engine import order_rules
    gifts = order_rules.gift_offers(cart, quoted, [rules[4]], products, none_left, None, None)
    assert (found, fillers, gifts) == ([], [], [])
    assert len(asked) == 4  # each asked once, then stopped: a rule offer, a companion, a gap filler, the gift
