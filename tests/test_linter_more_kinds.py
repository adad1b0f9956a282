"""The rule linter on buy X get Y, spend discounts and free gifts (README, the linter's codes): ``duplicate`` is
the same kind, products or condition and pricing at the same time; ``shadowed`` is another rule giving the
discount instead on the rule's own smallest cart (a spend discount: on the cart of every one of its steps, of
the cheapest product in stock no item rule names); a gift of an unknown or out-of-stock product is flagged."""
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from factories import CATALOGUE
from plugin.admin.linter import lint, step_carts
from plugin.engine.rules import BuyXGetY, FixedBundle, BundleItem, FreeGift, PricingMode, SpendDiscount, SpendStep
from plugin.engine.variants import VariantSpec
from shop import csrf_client

NOW = datetime(2026, 11, 30, tzinfo=timezone.utc)
API = "/tsuide/admin/api"


def codes(findings, rule_id):
    return sorted(finding.code for finding in findings[rule_id])


def found(findings, rule_id, code):
    return [finding for finding in findings[rule_id] if finding.code == code]


def free_third(rule_id="1", **terms) -> BuyXGetY:
    terms = {"buy_categories": frozenset({"shoe-care"}), "buy_quantity": 2, **terms}
    return BuyXGetY(id=rule_id, label=terms.pop("label", f"BXGY {rule_id}"), **terms)


def spend(rule_id, *steps, **terms) -> SpendDiscount:
    return SpendDiscount(id=rule_id, label=terms.pop("label", f"spend {rule_id}"), currency=terms.pop("currency", "JPY"),
                         steps=tuple(SpendStep(threshold, amount_off=off) for threshold, off in steps), **terms)


def gift(rule_id, product="tote", threshold=8_000, **terms) -> FreeGift:
    return FreeGift(id=rule_id, label=terms.pop("label", f"gift {rule_id}"), currency="JPY", gift_product_id=product,
                    threshold=threshold, **terms)


#: No costs: margins are not what these tests look at.
PRODUCTS = {pid: replace(product, cost=None) for pid, product in CATALOGUE.items()}


# -- duplicate -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("first", "second"), [
    (free_third("1"), free_third("2")),
    (free_third("1", mode=PricingMode.AMOUNT_OFF, value=300), free_third("2", mode=PricingMode.AMOUNT_OFF, value=300)),
    (free_third("1", max_applications=1), free_third("2")),  # caps are not pricing, as a bundle's are not
    (spend("1", (5_000, 500), (10_000, 1_500)), spend("2", (5_000, 500), (10_000, 1_500))),
    (spend("1", (5_000, 500)), spend("2", (5_000, 500), stackable=True)),
    (gift("1"), gift("2")),
    (gift("1", trigger_product_ids=frozenset({"sneakers"})), gift("2", trigger_product_ids=frozenset({"sneakers"}))),
])
def test_two_rules_alike_at_the_same_time_are_duplicates_of_each_other(first, second):
    findings = lint([first, second], PRODUCTS, now=NOW)
    assert [f.values["first"] for f in found(findings, "1", "duplicate")] == [second.label]
    assert [f.values["first"] for f in found(findings, "2", "duplicate")] == [first.label]


@pytest.mark.parametrize(("first", "second"), [
    (free_third("1"), free_third("2", buy_quantity=3)),
    (free_third("1"), free_third("2", get_quantity=2)),
    (free_third("1"), free_third("2", value=5_000)),
    (free_third("1"), free_third("2", mode=PricingMode.AMOUNT_OFF, value=10_000)),
    (free_third("1"), free_third("2", buy_categories=frozenset({"accessories"}))),
    (free_third("1"), free_third("2", get_product_ids=frozenset({"brush"}))),
    (free_third("1"), free_third("2", get_categories=frozenset({"accessories"}))),
    (free_third("1"), free_third("2", buy_product_ids=frozenset({"socks"}))),
    (spend("1", (5_000, 500)), spend("2", (5_000, 600))),
    (spend("1", (5_000, 500)), spend("2", (6_000, 500))),
    (spend("1", (5_000, 500)), spend("2", (5_000, 500), currency="USD")),
    (spend("1", (5_000, 500)), spend("2", (5_000, 500), (10_000, 1_500))),
    (gift("1"), gift("2", product="socks")),
    (gift("1"), gift("2", threshold=9_000)),
    (gift("1"), gift("2", trigger_product_ids=frozenset({"sneakers"}))),
    (gift("1", ends_at=NOW + timedelta(days=1)), gift("2", starts_at=NOW + timedelta(days=1))),
    (free_third("1"), free_third("2", paused=True)),
])
def test_rules_that_differ_in_pricing_condition_or_time_are_not_duplicates(first, second):
    findings = lint([first, second], PRODUCTS, now=NOW)
    assert found(findings, "1", "duplicate") == found(findings, "2", "duplicate") == []


def test_a_bundle_and_a_buy_x_get_y_are_never_duplicates_of_each_other():
    pair = FixedBundle(id="9", label="pair", items=(BundleItem("spray", 1), BundleItem("brush", 1)),
                       mode=PricingMode.PERCENT_OFF, value=10_000)
    findings = lint([pair, free_third("1")], PRODUCTS, now=NOW)
    assert found(findings, "9", "duplicate") == found(findings, "1", "duplicate") == []


# -- shadowed --------------------------------------------------------------------------------------------

def test_a_buy_x_get_y_that_another_wins_on_its_own_group_is_shadowed():
    half = free_third("2", value=5_000, label="3点目半額")
    findings = lint([free_third("1", label="2点買うと1点無料"), half], PRODUCTS, now=NOW)
    [shadow] = found(findings, "2", "shadowed")
    assert shadow.values["first"] == "2点買うと1点無料"
    assert found(findings, "1", "shadowed") == []
    # Priority does not help it: the shopper gets the best price, which is the free unit.
    ranked = lint([free_third("1", label="2点買うと1点無料"), replace(half, priority=5)], PRODUCTS, now=NOW)
    assert len(found(ranked, "2", "shadowed")) == 1 and found(ranked, "1", "shadowed") == []


def test_a_spend_discounts_carts_are_its_steps_of_the_cheapest_product_no_item_rule_names():
    rule = spend("1", (5_000, 500), (10_000, 1_500))
    # Socks at ¥1,000 are the cheapest in stock (the brush is cheaper, but a buy X get Y counts it).
    carts = step_carts(rule, PRODUCTS, [free_third("7")])
    assert [[(line.product_id, line.quantity) for line in cart.lines] for cart in carts] == [[("socks", 5)],
                                                                                             [("socks", 10)]]
    assert [[(line.product_id, line.quantity) for line in cart.lines] for cart in step_carts(rule, PRODUCTS)] == [
        [("brush", 7)], [("brush", 13)]]
    assert step_carts(spend("2", (10**9, 500)), PRODUCTS) == []  # no cart of one line reaches it


def test_a_spend_discount_beaten_at_every_step_is_shadowed_and_one_that_wins_a_step_is_not():
    bigger = spend("1", (5_000, 800), label="¥800引き")
    beaten = spend("2", (5_000, 500), label="¥500引き")
    higher = spend("3", (5_000, 500), (20_000, 3_000), label="¥3,000引き")
    findings = lint([bigger, beaten, higher, free_third("7")], PRODUCTS, now=NOW)
    [shadow] = found(findings, "2", "shadowed")
    assert shadow.values["first"] == "¥800引き"
    assert found(findings, "3", "shadowed") == []  # ¥3,000 off from ¥20,000 beats ¥800
    assert found(findings, "1", "shadowed") == []
    # A stackable one applies on top: never shadowed by a non-stackable one.
    assert found(lint([bigger, replace(beaten, stackable=True)], PRODUCTS, now=NOW), "2", "shadowed") == []
    # A spend discount in another currency is not priced against the shop's carts at all.
    assert found(lint([bigger, replace(beaten, currency="USD")], PRODUCTS, now=NOW), "2", "shadowed") == []


def test_a_spend_discount_no_item_rule_can_push_below_its_step_is_not_called_shadowed_by_one():
    # The brush is the cheapest product, but the buy X get Y counts it: a cart of brushes would lose its step to
    # the free units, which is not "another rule gives the discount instead".
    findings = lint([spend("1", (5_000, 500)), free_third("7")], PRODUCTS, now=NOW)
    assert codes(findings, "1") == []


def test_a_paused_or_paused_others_spend_discount_is_not_shadowed():
    findings = lint([spend("1", (5_000, 800)), spend("2", (5_000, 500), paused=True)], PRODUCTS, now=NOW)
    assert found(findings, "2", "shadowed") == []
    findings = lint([spend("1", (5_000, 800), paused=True), spend("2", (5_000, 500))], PRODUCTS, now=NOW)
    assert found(findings, "2", "shadowed") == []


def test_a_spend_variant_that_never_applies_is_starved():
    findings = lint([spend("1", (5_000, 800)), spend("2", (5_000, 500))], PRODUCTS, now=NOW,
                    tests={"2": (VariantSpec("A"), VariantSpec("B", label="B案"))})
    assert "shadowed" in codes(findings, "2")


# -- gifts that cannot be given --------------------------------------------------------------------------

@pytest.mark.parametrize(("product", "code", "fields"), [("scarf", "out_of_stock", ("gift_product_id",)),
                                                          ("ghost", "unknown_product", ("gift_product_id",))])
def test_a_gift_out_of_stock_or_unknown_is_flagged_by_its_field(product, code, fields):
    findings = lint([gift("1", product=product)], PRODUCTS, now=NOW)
    assert [(f.code, f.fields) for f in findings["1"]] == [(code, fields)]


def test_a_gift_earned_by_a_product_the_shop_does_not_sell_is_flagged():
    findings = lint([gift("1", threshold=None, trigger_product_ids=frozenset({"ghost"}))], PRODUCTS, now=NOW)
    assert [(f.code, f.fields) for f in findings["1"]] == [("unknown_product", ("trigger_products",))]


# -- through the admin -----------------------------------------------------------------------------------

def test_the_api_answers_duplicates_of_the_new_kinds_as_warnings(admin_shop):
    admin = csrf_client(admin_shop[0])
    body = {"label": "", "buy_categories": ["shoe-care"], "buy_quantity": 2, "discount_percent": 100}
    first = admin.post(f"{API}/buy-x-get-y", json=body).json
    second = admin.post(f"{API}/buy-x-get-y", json=dict(body, label="同じ"))
    assert second.status_code == 201
    assert {"duplicate", "shadowed"} <= {w["code"] for w in second.json["warnings"]}
    assert "duplicate" in {w["code"] for w in admin.get(f"{API}/buy-x-get-y/{first['id']}").json["warnings"]}
    steps = {"currency": "JPY", "steps": [{"threshold": 5_000, "amount_off": 500}]}
    admin.post(f"{API}/spend-discounts", json=dict(steps, label="一つ目"))
    again = admin.post(f"{API}/spend-discounts", json=dict(steps, label="二つ目")).json
    [duplicate] = [w for w in again["warnings"] if w["code"] == "duplicate"]
    assert "一つ目" in duplicate["message"]["en"] and duplicate["severity"] == "warning"
