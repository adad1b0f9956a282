"""Pricing a cart: :func:`quote_cart`, the one function behind the widget, the cart panel and the checkout.

It takes a cart, the shop's :class:`~plugin.engine.rules.RuleBook`, the
catalogue entries it needs and the time, and returns a
:class:`~plugin.engine.values.Quote`. No Flask, no SQLAlchemy and no I/O, so a
checkout, an endpoint and a benchmark call it alike.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from . import pricing
from .offers import cart_offers, gap_fillers
from .rules import FixedBundle, Rule, RuleBook, VolumeDiscount
from .values import Cart, Product, Quote, QuotedLine


def quote_cart(
    cart: Cart,
    rulebook: RuleBook,
    products: Mapping[str, Product],
    *,
    now: datetime,
    currency: str = "JPY",
    customer_used: Mapping[str, int] | None = None,
    redeemed: Mapping[str, int] | None = None,
    locale: str | None = None,
    max_offers: int | None = None,
    max_gap_fillers: int = 2,
    companions: Mapping[str, Sequence[str]] | None = None,
    with_offers: bool = True,
) -> Quote:
    """Price ``cart`` under the rules live at ``now``, with the best discounts for the shopper.

    ``products`` holds the catalogue entries for the cart's products (their
    categories and costs) and for the products offers may suggest.
    ``customer_used`` counts this shopper's past applications of capped rules,
    ``redeemed`` every shopper's applications of "first N" rules (fresher than
    the rules' own ``redeemed``). ``companions`` names, for a cart product, the
    products often bought with it (mined from past orders): they are offered,
    and may close the free-shipping gap.
    """
    customer_used = customer_used or {}
    redeemed = redeemed or {}
    lines = cart.lines
    ladders = pricing.ladders_of(lines)
    categories = {products[pid].category for pid in ladders if pid in products}
    limits: dict[str, int | None] = {}
    live: list[Rule] = []
    for rule in pricing.by_importance(rulebook.touching(ladders, categories)):
        left = rule.applications_left(customer_used.get(rule.id, 0), redeemed.get(rule.id))
        if rule.is_live(now) and left != 0:
            live.append(rule)
            limits[rule.id] = left
    costs = {pid: products[pid].cost if pid in products else None for pid in ladders}

    exclusive_volumes = [rule for rule in live if isinstance(rule, VolumeDiscount) and not rule.stackable]
    counted_by = {}
    for product_id in ladders:
        category = products[product_id].category if product_id in products else None
        # A unit counts toward one volume discount: the most important that names it.
        volume = next((v for v in exclusive_volumes if v.counts(product_id, category)), None)
        if volume is not None:
            counted_by[product_id] = volume.id

    ledger = pricing.Ledger(lines)
    pricing.apply_exclusive(
        ledger,
        ladders,
        [
            rule
            for rule in live
            if isinstance(rule, FixedBundle)
            and not rule.stackable
            and all(item.product_id in ladders for item in rule.items)
        ],
        exclusive_volumes,
        counted_by,
        costs,
        limits,
        locale,
    )
    pricing.apply_stackable(ledger, ladders, [rule for rule in live if rule.stackable], products, costs, limits, locale)

    subtotal = sum(line.subtotal for line in lines)
    discount_total = sum(ledger.discount)
    fee, progress = pricing.shipping(rulebook, currency, now, subtotal, discount_total, bool(lines), locale)
    quote = Quote(
        currency=currency,
        lines=tuple(
            QuotedLine(line.product_id, line.quantity, line.unit_price, line.subtotal, cut, line.subtotal - cut)
            for line, cut in zip(lines, ledger.discount)
        ),
        subtotal=subtotal,
        discounts=tuple(ledger.discounts),
        shipping_fee=fee,
        free_shipping=progress,
    )
    if not with_offers:
        return quote

    def price_with(additions: list[tuple[Product, int]]) -> Quote:
        return quote_cart(
            cart.adding(additions),
            rulebook,
            products,
            now=now,
            currency=currency,
            customer_used=customer_used,
            redeemed=redeemed,
            locale=locale,
            with_offers=False,
        )

    companions = companions or {}
    offers = cart_offers(cart, quote, live, products, price_with, locale, companions)
    return replace(
        quote,
        offers=tuple(offers[:max_offers] if max_offers is not None else offers),
        gap_fillers=tuple(gap_fillers(cart, quote, live, products, price_with, max_gap_fillers, companions)),
    )

