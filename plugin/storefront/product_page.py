"""The product page: sets, tiers and companions for one product, priced for the shopper's cart.

Works through the extension's pricing context (``tsuide._context`` and ``tsuide._price``), so the
product page quotes carts exactly as the cart panel and the checkout do: the same rules, A/B variants,
caps and holdout. A visitor in the holdout is offered nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone

from ..engine.product_offers import ProductOffer, product_offers
from ..engine.values import Cart, Product, Quote


@dataclass(frozen=True)
class ProductPage:
    """What the product panel shows: the product, the current cart's quote and the offers."""

    product: Product
    quote: Quote
    offers: tuple[ProductOffer, ...]
    holdout: bool

    @property
    def offer_ids(self) -> list[str]:
        return [offer_id for offer in self.offers for offer_id in offer.offer_ids]


def product_page(tsuide, product_id: str) -> ProductPage | None:
    """The offers for ``product_id`` on this shopper's cart, or ``None`` for a product the shop lacks."""
    product = tsuide._adapter.products({product_id}).get(product_id)
    if product is None:
        return None
    cart: Cart = tsuide._adapter.current_cart()
    now = datetime.now(timezone.utc)
    # The context of the cart with this product in it: the catalogue entries and usage counts of the
    # rules and companions the product brings, as well as the cart's.
    context = tsuide._context(cart.adding([(product, 1)]))
    exposure = tsuide.exposure(context.snapshot)
    before = tsuide._price(replace(context, cart=cart), now, with_offers=False)
    if exposure.holdout:
        return ProductPage(product, before, (), True)
    usage = context.usage

    def price_with(additions: list[tuple[Product, int]]) -> Quote:
        return tsuide._price(replace(context, cart=cart.adding(additions)), now, with_offers=False)

    rulebook = context.snapshot.rulebook_for(exposure.chosen)
    offers = product_offers(
        product, cart, before, rulebook.touching({product.id}, {product.category}), context.products, price_with,
        now=now, locale=tsuide.locale(), companions=tsuide._companions(context.snapshot, {product.id})[product.id],
        applications_left=lambda rule: rule.applications_left(usage.customer_used.get(rule.id, 0),
                                                              usage.redeemed.get(rule.id)),
    )
    return ProductPage(product, before, tsuide._cart_copy(context.snapshot, exposure, now).product_offers(offers), False)
