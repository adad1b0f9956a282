"""Which offers a cart page shows, and that none is quoted only to be cut.

docs/engine.md, "Offers": offers are ranked by saving (then by the order of importance of their rules) and capped
at ``max_offers``; earned gifts come first. A saving counts everything the offer's cart gains, spend discounts and
gifts included, so the early stop ("once no unquoted candidate can beat the offers it will show") must count them
too: the offers shown with ``max_offers=n`` are the first ``n`` of those shown with no cap.
"""
from __future__ import annotations

from hypothesis import given, note, settings
from hypothesis import strategies as st

from plugin import BundleItem, Cart, CartLine, FixedBundle, PricingMode, Product, RuleBook, quote_cart
from plugin.engine import quote as quote_module
from plugin.engine.rules import FreeGift, SpendDiscount, SpendStep
from test_engine_reference import FAST, NOW
from test_engine_spend_gifts import shops_with_spend

PRODUCTS = {"x": Product("x", "x", 1_100), "a": Product("a", "a", 1_000), "b": Product("b", "b", 800),
            "tote": Product("tote", "tote", 500)}
STEP = SpendDiscount(id="s", label="¥2,000以上で¥1,000引き", currency="JPY",
                     steps=(SpendStep(threshold=2_000, amount_off=1_000),))


def bundle(rule_id: str, product: str, percent_bp: int) -> FixedBundle:
    return FixedBundle(id=rule_id, label=rule_id, items=(BundleItem("x", 1), BundleItem(product, 1)),
                       mode=PricingMode.PERCENT_OFF, value=percent_bp)


def test_an_offer_that_reaches_a_spend_step_beats_one_with_a_richer_bundle():
    """x ¥1,100 in the cart. Bundle "1" (x + a ¥1,000, 1% off: ¥21) leaves ¥2,079, over the ¥2,000 step (¥1,000
    off). Bundle "2" (x + b ¥800, 20% off) saves ¥380 and its cart reaches no step. With one place, "1" is shown:
    its bundle alone could save at most ¥21, but its cart saves ¥1,021."""
    rules = RuleBook((bundle("1", "a", 100), bundle("2", "b", 2_000), STEP))
    cart = Cart((CartLine("x", 1, 1_100),))
    every = quote_cart(cart, rules, PRODUCTS, now=NOW)
    assert [(offer.rule_id, offer.saving) for offer in every.offers] == [("1", 1_021), ("2", 380)]
    one = quote_cart(cart, rules, PRODUCTS, now=NOW, max_offers=1)
    assert [(offer.rule_id, offer.saving, offer.new_total) for offer in one.offers] == [("1", 1_021, 1_079)]


def test_a_gift_the_cart_holds_counts_in_the_bound_of_the_offer_that_earns_it():
    """The tote is in the cart at ¥500; it is free from ¥2,000 spent (the gift never counts toward it). Bundle "1"
    leaves ¥2,079 and makes the tote free: ¥521 in all, more than bundle "2"'s ¥380."""
    tote = FreeGift(id="g", label="ノベルティ", currency="JPY", gift_product_id="tote", threshold=2_000)
    rules = RuleBook((bundle("1", "a", 100), bundle("2", "b", 2_000), tote))
    cart = Cart((CartLine("x", 1, 1_100), CartLine("tote", 1, 500)))
    one = quote_cart(cart, rules, PRODUCTS, now=NOW, max_offers=1)
    assert [(offer.rule_id, offer.saving) for offer in one.offers] == [("1", 521)]


def test_with_an_earned_gift_shown_the_rule_offers_fill_only_the_places_left(monkeypatch):
    tote = FreeGift(id="g", label="ノベルティ", currency="JPY", gift_product_id="tote", threshold=1_000)
    rules = RuleBook((bundle("1", "a", 100), bundle("2", "b", 2_000), tote))
    asked = []
    original = quote_module.cart_offers

    def recording(*args, **kwargs):
        asked.append(args[7])  # max_offers, as quote_cart passes it
        return original(*args, **kwargs)

    monkeypatch.setattr(quote_module, "cart_offers", recording)
    got = quote_cart(Cart((CartLine("x", 1, 1_100),)), rules, PRODUCTS, now=NOW, max_offers=2)
    assert [offer.kind for offer in got.offers] == ["free_gift", "complete_bundle"]
    assert asked == [1]
    asked.clear()
    got = quote_cart(Cart((CartLine("x", 1, 1_100),)), rules, PRODUCTS, now=NOW, max_offers=1)
    assert [offer.kind for offer in got.offers] == ["free_gift"] and asked == [0]


@settings(max_examples=300, **FAST)
@given(shops_with_spend(), st.integers(1, 3))
def test_the_offers_shown_in_n_places_are_the_first_n_of_all(drawn, places):
    shop, spends = drawn
    every = shop.quote(extra=spends, with_offers=True, max_offers=None)
    capped = shop.quote(extra=spends, with_offers=True, max_offers=places)
    note(f"{every.offers=}")
    assert capped.offers == every.offers[:places]
