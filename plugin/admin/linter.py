"""The rule linter: what is wrong with a shop's rules that saving cannot refuse on its own.

:func:`lint` is a pure function of the shop's rules (engine values), the
catalogue the adapter answers with, its categories and the settings: for each
rule it returns :class:`Finding` values, each with a code, the fields it
concerns and a message (an English message id of the shared catalogue, so the
admin shows it in Japanese or English). It finds

- dead rules (``unknown_product``, ``out_of_stock``, ``unknown_category``,
  ``unreachable``): products the shop does not know (or no longer sells),
  categories it does not have, thresholds no cart can reach;
- ``shadowed`` rules: the rule's own smallest cart (one set of a bundle; the
  first tier's quantity of the cheapest counted product), priced by the engine
  with every live rule, gets no discount from it;
- ``duplicate`` rules: the same kind, products, categories and pricing, with
  overlapping schedules;
- ``below_margin``: a discounted unit price under cost plus the margin floor;
- ``starved_variant``: an A/B variant with weight 0, or whose rule is shadowed;
- ``price_test``: variants with different discounts, so shoppers see different
  prices; saving one needs ``confirm_price_test``.

May import the engine and :mod:`plugin.storefront.i18n` (for the messages).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from ..engine.money import FULL_BASIS_POINTS, percent_of
from ..engine.quote import quote_cart
from ..engine.rules import BuyXGetY, FixedBundle, FreeGift, Rule, RuleBook, RuleError, SpendDiscount, VolumeDiscount
from ..engine.savings import saving_of
from ..engine.values import MAX_LINE_QUANTITY, Cart, CartLine, Product
from ..engine.variants import VariantSpec, apply_variant
from ..storefront.i18n import format_money, gettext

#: Findings an admin must fix (saving refuses them); the rest are warnings that never block a save.
ERRORS = frozenset({"unknown_product", "unknown_category", "unreachable", "terms_incomplete"})

#: A subscribe offer's terms the law asks for in the shop's words (the rest the engine computes).
PLAN_TERMS = ("cycle_every", "cycle_unit", "payment_terms", "payment_terms_en", "cancel_terms", "cancel_terms_en")
#: Wording that promises cancelling whenever the shopper likes: untrue while a minimum commitment runs.
ANY_TIME = ("いつでも", "any time", "anytime", "at any time")


@dataclass(frozen=True)
class Finding:
    """One thing wrong with a rule. ``message`` is an English message id with ``%(name)s`` in ``values``."""

    code: str
    fields: tuple[str, ...]
    message: str
    values: Mapping[str, object] = field(default_factory=dict)

    @property
    def severity(self) -> str:
        return "error" if self.code in ERRORS else "warning"

    def text(self, locale: str) -> str:
        return gettext(self.message, locale, **self.values)

    def as_json(self) -> dict:
        return {"code": self.code, "severity": self.severity, "fields": list(self.fields),
                "message": {"ja": self.text("ja"), "en": self.text("en")}}


def _products_of(rule: Rule) -> frozenset[str]:
    return rule.product_ids if isinstance(rule, (FixedBundle, VolumeDiscount, BuyXGetY)) else frozenset()


def _counted(rule: VolumeDiscount, products: Mapping[str, Product]) -> list[Product]:
    found = {pid: products[pid] for pid in rule.product_ids if pid in products}
    found.update({p.id: p for p in products.values() if p.category is not None and p.category in rule.categories})
    return sorted(found.values(), key=lambda p: (p.price, p.id))


def smallest_cart(rule: Rule, products: Mapping[str, Product]) -> Cart | None:
    """The rule's own smallest cart: one set of a bundle, or the first tier of the cheapest counted product."""
    if isinstance(rule, FixedBundle):
        if any(item.product_id not in products for item in rule.items):
            return None
        return Cart(tuple(CartLine(item.product_id, item.quantity, products[item.product_id].price)
                          for item in rule.items))
    if isinstance(rule, VolumeDiscount) and rule.tiers:
        counted = [p for p in _counted(rule, products) if p.in_stock] or _counted(rule, products)
        quantity = rule.tiers[0].min_quantity
        if not counted or quantity > MAX_LINE_QUANTITY:
            return None
        return Cart((CartLine(counted[0].id, quantity, counted[0].price),))
    if isinstance(rule, BuyXGetY):  # one group: the buy units and the get units, of the cheapest of each set
        buys = sorted((p for p in products.values() if rule.buys(p.id, p.category)), key=lambda p: (p.price, p.id))
        gets = sorted((p for p in products.values() if rule.gets(p.id, p.category)), key=lambda p: (p.price, p.id))
        if not buys or not gets or rule.buy_quantity + rule.get_quantity > MAX_LINE_QUANTITY:
            return None
        if rule.same_set:
            return Cart((CartLine(buys[0].id, rule.buy_quantity + rule.get_quantity, buys[0].price),))
        lines = [CartLine(buys[-1].id, rule.buy_quantity, buys[-1].price)]
        if gets[0].id != buys[-1].id:
            lines.append(CartLine(gets[0].id, rule.get_quantity, gets[0].price))
        return Cart(tuple(lines))
    return None


def _dead_gift(rule: FreeGift, products: Mapping[str, Product]) -> list[Finding]:
    """A gift the shop does not sell gives nothing; one out of stock is not promised until it is back."""
    gift = products.get(rule.gift_product_id)
    if gift is None:
        return [Finding("unknown_product", ("gift_product_id",), "Your shop does not sell %(first)s (unknown or "
                        "deleted).", {"first": rule.gift_product_id})]
    found = []
    if not gift.in_stock:
        found.append(Finding("out_of_stock", ("gift_product_id",), "%(first)s is out of stock.",
                             {"first": rule.gift_product_id}))
    unknown = sorted(pid for pid in rule.trigger_product_ids if pid not in products)
    if unknown:
        found.append(Finding("unknown_product", ("trigger_products",),
                             "Your shop does not sell %(first)s (unknown or deleted).", {"first": ", ".join(unknown)}))
    return found


def _dead(rule: Rule, products: Mapping[str, Product], categories: Mapping[str, str] | None) -> list[Finding]:
    found: list[Finding] = []
    if isinstance(rule, FreeGift):
        return _dead_gift(rule, products)
    if not isinstance(rule, (FixedBundle, VolumeDiscount, BuyXGetY)):
        return found
    where = ("items",) if isinstance(rule, FixedBundle) else (
        ("buy_product_ids", "get_product_ids") if isinstance(rule, BuyXGetY) else ("product_ids",))
    unknown = sorted(pid for pid in rule.product_ids if pid not in products)
    if unknown:
        found.append(Finding("unknown_product", where, "Your shop does not sell %(first)s (unknown or deleted).",
                             {"first": ", ".join(unknown)}))
    sold_out = sorted(pid for pid in rule.product_ids if pid in products and not products[pid].in_stock)
    if sold_out:
        found.append(Finding("out_of_stock", where, "%(first)s is out of stock.", {"first": ", ".join(sold_out)}))
    if isinstance(rule, VolumeDiscount) and categories is not None:
        missing = sorted(c for c in rule.categories if c not in categories)
        if missing:
            found.append(Finding("unknown_category", ("categories",),
                                 "Your shop has no category %(first)s.", {"first": ", ".join(missing)}))
    if isinstance(rule, FixedBundle) and unknown:
        found.append(Finding("unreachable", ("items",), "No cart can hold this bundle: it names products your "
                                                        "shop does not sell."))
    elif isinstance(rule, VolumeDiscount) and rule.tiers:
        counted = _counted(rule, products)
        reach = len(counted) * MAX_LINE_QUANTITY
        if not counted or rule.tiers[0].min_quantity > reach:
            found.append(Finding("unreachable", ("tiers",),
                                 "No cart can reach the first tier: no product your shop sells counts toward it."))
    return found


def _gets_discount(rule: Rule, book: RuleBook, cart: Cart, products, now: datetime, floor_bp, currency) -> bool:
    quote = quote_cart(cart, book, products, now=now, currency=currency, with_offers=False, margin_floor_bp=floor_bp)
    return any(discount.rule_id == rule.id and discount.amount > 0 for discount in quote.discounts)


def _when(rule: Rule, now: datetime) -> datetime:
    return max(now, rule.starts_at) if rule.starts_at is not None else now


def _named_by(rule: Rule, product: Product) -> bool:
    return product.id in _products_of(rule) or (
        product.category is not None and product.category in getattr(rule, "categories", ()))


def step_carts(rule: SpendDiscount, products: Mapping[str, Product], others: Sequence[Rule] = ()) -> list[Cart]:
    """A spend discount's carts: for each step, the fewest units that reach it of the cheapest product in stock
    that no item rule of ``others`` names (so only order rules compete with it there)."""
    in_stock = sorted((p for p in products.values() if p.in_stock and p.price > 0
                       and not any(_named_by(other, p) for other in others)), key=lambda p: (p.price, p.id))
    if not in_stock:
        return []
    cheapest = in_stock[0]
    carts = []
    for step in rule.steps:
        units = -(-step.threshold // cheapest.price)
        if units <= MAX_LINE_QUANTITY:
            carts.append(Cart((CartLine(cheapest.id, units, cheapest.price),)))
    return carts


def _shadowed(rule: Rule, live: Sequence[Rule], products, now, floor_bp, currency) -> Finding | None:
    """Another rule gives the discount instead on the rule's own smallest cart (a spend discount: on the cart
    of every one of its steps, since a higher step may save more than the rule that wins the first)."""
    if rule.paused:
        return None
    if isinstance(rule, SpendDiscount):
        carts = step_carts(rule, products, live) if rule.currency == currency else []
    else:
        carts = [cart for cart in (smallest_cart(rule, products),) if cart is not None]
    at = _when(rule, now)
    others = [other for other in live if other.id != rule.id]
    winners = []
    for cart in carts:
        if not _gets_discount(rule, RuleBook((rule,)), cart, products, at, floor_bp, currency):
            return None  # it saves nothing even alone (a margin floor, say): not another rule's doing
        book = RuleBook((rule, *others))
        quote = quote_cart(cart, book, products, now=at, currency=currency, with_offers=False, margin_floor_bp=floor_bp)
        if any(d.rule_id == rule.id and d.amount > 0 for d in quote.discounts):
            return None
        winners += [d.label for d in quote.discounts if d.label not in winners]
    if not carts:
        return None
    return Finding("shadowed", ("priority", "stackable"),
                   "Never applies: on its own smallest cart, %(first)s gives the discount instead.",
                   {"first": ", ".join(winners) or "?"})


def _signature(rule: Rule) -> tuple | None:
    """What two rules share when one duplicates the other: kind, products (or condition) and pricing."""
    if isinstance(rule, FixedBundle):
        return ("bundle", frozenset((i.product_id, i.quantity) for i in rule.items), rule.mode, rule.value)
    if isinstance(rule, VolumeDiscount):
        return ("volume", rule.product_ids, rule.categories, rule.tiers)
    if isinstance(rule, BuyXGetY):
        return ("buy_get", rule.buy_product_ids, rule.buy_categories, rule.buy_quantity, rule.get_product_ids,
                rule.get_categories, rule.get_quantity, rule.mode, rule.value)
    if isinstance(rule, SpendDiscount):
        return ("spend", rule.currency, rule.steps)
    if isinstance(rule, FreeGift):
        return ("gift", rule.currency, rule.gift_product_id, rule.threshold, rule.trigger_product_ids)
    return None


def _overlap(first: Rule, second: Rule) -> bool:
    def before(end, start) -> bool:
        return end is not None and start is not None and end <= start
    return not (before(first.ends_at, second.starts_at) or before(second.ends_at, first.starts_at))


def _duplicates(rules: Sequence[Rule]) -> dict[str, list[Finding]]:
    found: dict[str, list[Finding]] = {}
    active = [rule for rule in rules if not rule.paused and _signature(rule) is not None]
    for index, rule in enumerate(active):
        for other in active[index + 1:]:
            if _signature(rule) == _signature(other) and _overlap(rule, other):
                for one, two in ((rule, other), (other, rule)):
                    found.setdefault(one.id, []).append(Finding(
                        "duplicate", ("label",), "Duplicates %(first)s: same products, same pricing, same time.",
                        {"first": two.label}))
    return found


def _margin(rule: Rule, products, shop_floor_bp: int | None, variants: Sequence[VariantSpec],
            currency: str) -> list[Finding]:
    floor_bp = rule.margin_floor_bp if rule.margin_floor_bp is not None else (shop_floor_bp or 0)
    found: list[Finding] = []

    def minimum(cost: int) -> int:
        return cost + (cost * floor_bp + FULL_BASIS_POINTS // 2) // FULL_BASIS_POINTS

    if isinstance(rule, FixedBundle):
        chosen = [(products.get(i.product_id), i.quantity) for i in rule.items]
        if any(p is None or p.cost is None for p, _ in chosen):
            return found
        price = sum(p.price * q for p, q in chosen)
        floor = sum(minimum(p.cost) * q for p, q in chosen)
        checks = [("pricing_value", rule.value)] + [("variants", v.pricing_value) for v in variants
                                                    if v.pricing_value is not None]
        for where, value in checks:
            sale = price - saving_of(rule.mode, value, price)
            if sale < floor and not any(where in f.fields for f in found):
                found.append(Finding("below_margin", (where,), "Sells a set for %(first)s, below cost plus the "
                                     "margin floor (%(second)s).", {"first": format_money(sale, currency, "ja"), "second": format_money(floor, currency, "ja")}))
    elif isinstance(rule, VolumeDiscount) and rule.tiers:
        deepest = max(tier.percent_bp for tier in rule.tiers)
        for product in _counted(rule, products):
            if product.cost is None:
                continue
            sale = product.price - percent_of(product.price, deepest)
            if sale < minimum(product.cost):
                found.append(Finding("below_margin", ("tiers",), "%(first)s would sell for %(second)s, below cost "
                                     "plus the margin floor.", {"first": product.name, "second": format_money(sale, currency, "ja")}))
                break
    elif isinstance(rule, BuyXGetY):  # a get unit at the rule's discount, and at each variant's
        checks = [("pricing_value", rule.value)] + [("variants", v.pricing_value) for v in variants
                                                    if v.pricing_value is not None]
        for where, value in checks:
            for product in sorted(products.values(), key=lambda p: p.id):
                if product.cost is None or not rule.gets(product.id, product.category):
                    continue
                off = percent_of(product.price, value) if rule.mode.value == "percent_off" else value
                sale = max(0, product.price - off)
                if sale < minimum(product.cost):
                    found.append(Finding("below_margin", (where,), "%(first)s would sell for %(second)s, below cost "
                                         "plus the margin floor.", {"first": product.name, "second": format_money(sale, currency, "ja")}))
                    break
    return found


def price_test(rule_value: int | None, variants: Sequence[VariantSpec]) -> bool:
    """Whether visitors of these variants would see different prices."""
    prices = {rule_value if v.pricing_value is None else v.pricing_value for v in variants}
    return len(variants) > 1 and len(prices) > 1


def _variants(rule: Rule, specs, live, products, now, floor_bp, currency) -> list[Finding]:
    found: list[Finding] = []
    if not specs:
        return found
    starved = [spec.name for spec in specs if not spec.weight]
    cart = smallest_cart(rule, products)
    if cart is not None and not rule.paused:
        at = _when(rule, now)
        others = tuple(other for other in live if other.id != rule.id)
        for spec in specs:
            if spec.name in starved:
                continue
            try:
                variant = apply_variant(rule, spec)
            except RuleError:
                continue
            alone = _gets_discount(variant, RuleBook((variant,)), cart, products, at, floor_bp, currency)
            if alone and not _gets_discount(variant, RuleBook((variant, *others)), cart, products, at, floor_bp,
                                            currency):
                starved.append(spec.name)
    if starved:
        found.append(Finding("starved_variant", ("variants",), "Variant %(first)s gets no visitors or never applies: "
                             "the test cannot tell a winner.", {"first": ", ".join(starved)}))
    if price_test(getattr(rule, "value", None), specs):
        found.append(Finding("price_test", ("variants",), "Variants test different discounts: shoppers see different "
                             "prices for the same products. Saving needs confirm_price_test."))
    return found


def lint(
    rules: Sequence[Rule],
    products: Mapping[str, Product],
    *,
    now: datetime,
    categories: Mapping[str, str] | None = None,
    tests: Mapping[str, Sequence[VariantSpec]] | None = None,
    margin_floor_bp: int | None = None,
    currency: str = "JPY",
) -> dict[str, list[Finding]]:
    """Findings per rule id for the shop's (not deleted) ``rules``, priced as at ``now``.

    ``products`` holds the catalogue entries the adapter knows of, at least
    those the rules name (and, for categories, a sample of the catalogue);
    ``categories`` maps category id to name, or is ``None`` when the adapter
    cannot list them; ``tests`` the A/B variants of each rule under test.
    """
    tests = tests or {}
    live = [rule for rule in rules if not rule.paused and (rule.ends_at is None or rule.ends_at > now)]
    findings: dict[str, list[Finding]] = {rule.id: [] for rule in rules}
    for rule in rules:
        found = findings[rule.id]
        found += _dead(rule, products, categories)
        shadow = _shadowed(rule, live, products, now, margin_floor_bp, currency)
        if shadow is not None:
            found.append(shadow)
        found += _margin(rule, products, margin_floor_bp, tests.get(rule.id, ()), currency)
        found += _variants(rule, tests.get(rule.id, ()), live, products, now, margin_floor_bp, currency)
    for rule_id, found in _duplicates(rules).items():
        findings[rule_id] += found
    return findings


def with_id(rule: Rule, rule_id: str) -> Rule:
    """``rule`` under another id (a record not saved yet is linted as ``"new"``)."""
    return replace(rule, id=rule_id)


def lint_offer(record: Mapping, products: Mapping[str, Product]) -> list[Finding]:
    """A thank-you offer (as the admin dumps it): products it offers that the shop does not sell, and price tests."""
    found: list[Finding] = []
    ids = [item["product_id"] for item in record.get("items") or []]
    unknown = sorted(pid for pid in ids if pid not in products)
    if unknown:
        found.append(Finding("unknown_product", ("items",), "Your shop does not sell %(first)s (unknown or deleted).",
                             {"first": ", ".join(unknown)}))
    sold_out = sorted(pid for pid in ids if pid in products and not products[pid].in_stock)
    if sold_out:
        found.append(Finding("out_of_stock", ("items",), "%(first)s is out of stock.", {"first": ", ".join(sold_out)}))
    specs = [VariantSpec(v["name"], v.get("weight") or 1, pricing_value=v.get("pricing_value"))
             for v in record.get("variants") or []]
    if price_test(record.get("pricing_value"), specs):
        found.append(Finding("price_test", ("variants",), "Variants test different discounts: shoppers see different "
                             "prices for the same products. Saving needs confirm_price_test."))
    for prefix, offer in (("", record), ("downsell.", record.get("downsell") or {})):
        if offer.get("kind") == "subscribe":
            found += _plan_findings(offer, prefix)
    return found


def _plan_findings(offer: Mapping, prefix: str) -> list[Finding]:
    """Terms complete: a 定期 offer shows every term before its button, and its cancel wording is true."""
    found = []
    missing = [name for name in PLAN_TERMS if not str(offer.get(name) or "").strip()]
    if missing:
        found.append(Finding("terms_incomplete", tuple(prefix + name for name in missing),
                             "Terms incomplete: a 定期 offer must show %(first)s before its button (特定商取引法).",
                             {"first": ", ".join(missing)}))
    minimum = offer.get("min_deliveries") or 1
    wording = " ".join(str(offer.get(name) or "") for name in ("cancel_terms", "cancel_terms_en")).lower()
    if minimum > 1 and any(phrase in wording for phrase in ANY_TIME):
        found.append(Finding("cancel_contradicts_minimum", (prefix + "cancel_terms",),
                             "The cancel terms say any time, but the plan asks for %(first)s deliveries at least.",
                             {"first": minimum}))
    return found
