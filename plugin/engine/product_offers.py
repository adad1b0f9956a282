"""What to suggest on a product page: the sets that contain the product, the volume tier it counts
toward, and the products often bought with it, each priced by quoting the cart the click would make.

The same guardrails as cart offers (:mod:`.offers`): only in-stock products, only related ones (named
by a live rule with this product, or mined as bought with it), none already in the cart except more
units of the same toward a set or tier. Every figure comes from ``price_with``, never an estimate.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from .offers import additions_for, at_cap, gets_of, units_for_one_more
from .rules import BuyXGetY, FixedBundle, Rule, VolumeDiscount, VolumeTier
from .values import Cart, CartLine, Product, Quote

PriceWith = Callable[[list[tuple[Product, int]]], Quote]

#: Products shown at most as "often bought together".
MAX_COMPANIONS = 3


@dataclass(frozen=True)
class ProductOffer:
    """One suggestion on a product page, with the figures of the cart it would make.

    ``kind`` is ``"bundle"``, ``"tier"``, ``"buy_get"`` (units of this product that form one more group of a
    buy-X-get-Y) or ``"companions"``. ``added_price`` is what the additions
    cost after discounts (the new cart's goods total less the current one's), ``saving`` how much
    more discount the new cart gets, ``new_total`` what it would cost, shipping included.
    """

    kind: str
    offer_id: str  #: the rule id, or ``pair:<product>`` for the first companion
    label: str
    add: tuple[CartLine, ...]
    products: tuple[Product, ...]  #: the catalogue entries of ``add``, in the same order
    added_price: int
    saving: int
    new_total: int
    tier: VolumeTier | None = None
    offer_ids: tuple[str, ...] = ()  #: every offer the suggestion stands for (one ``pair:`` per companion)
    gets: tuple[int, str, int] | None = None  #: a buy-X-get-Y's get units per group and discount (see Offer)
    max_units: int | None = None  #: the rule's limit in units per order

    @property
    def add_quantity(self) -> int:
        return sum(line.quantity for line in self.add)


def _priced(kind: str, offer_id: str, label: str, additions: list[tuple[Product, int]], before: Quote,
            after: Quote, tier: VolumeTier | None = None, offer_ids: tuple[str, ...] = (),
            rule: Rule | None = None) -> ProductOffer:
    return ProductOffer(
        kind=kind,
        offer_id=offer_id,
        label=label,
        add=tuple(CartLine(product.id, quantity, product.price) for product, quantity in additions),
        products=tuple(product for product, _ in additions),
        added_price=(after.subtotal - after.discount_total) - (before.subtotal - before.discount_total),
        saving=after.discount_total - before.discount_total,
        new_total=after.total,
        tier=tier,
        offer_ids=offer_ids or (offer_id,),
        gets=gets_of(rule) if rule is not None else None,
        max_units=rule.max_units if rule is not None else None,
    )


def product_offers(
    product: Product, cart: Cart, before: Quote, rules: Sequence[Rule], products: Mapping[str, Product],
    price_with: PriceWith, *, now: datetime, locale: str | None, companions: Sequence[str] = (),
    applications_left: Callable[[Rule], int | None] = lambda rule: None,
) -> list[ProductOffer]:
    """The sets and tiers ``product`` is in (of ``rules``, those touching it) and its companions.

    ``before`` is the quote of ``cart`` as it is; each offer's figures come from ``price_with``, the
    quote of ``cart`` plus that offer's additions. An offer that would save nothing is left out, except
    the companions, which may save nothing.
    """
    found: list[ProductOffer] = []
    in_cart = {line.product_id for line in cart.lines}
    for rule in rules:
        if not rule.is_live(now) or applications_left(rule) == 0:
            continue
        if isinstance(rule, FixedBundle) and product.id in rule.product_ids:
            additions = additions_for(rule, cart, products)
            if additions is None:
                continue  # the cart holds the set already, or a part of it is out of stock
            after = price_with(additions[0])
            if any(discount.rule_id == rule.id for discount in after.discounts) and \
                    after.discount_total > before.discount_total:
                found.append(_priced("bundle", rule.id, rule.label_for(locale), additions[0], before, after,
                                     rule=rule))
        elif isinstance(rule, VolumeDiscount) and product.in_stock and rule.counts(product.id, product.category):
            counted = sum(line.quantity for line in cart.lines if line.product_id in products
                          and rule.counts(line.product_id, products[line.product_id].category))
            target = rule.next_tier(counted)
            if target is None:
                continue
            additions = [(product, target.min_quantity - counted)]
            after = price_with(additions)
            reached = next((discount for discount in after.discounts if discount.rule_id == rule.id), None)
            if reached is not None and after.discount_total > before.discount_total:
                found.append(_priced("tier", rule.id, rule.label_for(locale), additions, before, after,
                                     tier=reached.tier, rule=rule))
        elif isinstance(rule, BuyXGetY) and product.in_stock and (
                rule.buys(product.id, product.category) or rule.gets(product.id, product.category)):
            earlier = next((d.applications for d in before.discounts if d.rule_id == rule.id), 0)
            if at_cap(earlier, applications_left(rule)):
                continue  # every group its caps leave: no cart gets one more, so it is not quoted
            count = units_for_one_more(rule, cart, product, products)
            if count is None:
                continue
            additions = [(product, count)]
            after = price_with(additions)
            later = next((d.applications for d in after.discounts if d.rule_id == rule.id), 0)
            if later > earlier and after.discount_total > before.discount_total:  # one more group, priced
                found.append(_priced("buy_get", rule.id, rule.label_for(locale), additions, before, after, rule=rule))
    others = [products[pid] for pid in dict.fromkeys(companions)
              if pid in products and pid != product.id and pid not in in_cart and products[pid].in_stock]
    others = others[:MAX_COMPANIONS]
    if others:
        additions = [(other, 1) for other in others]
        if product.in_stock and product.id not in in_cart:
            additions.insert(0, (product, 1))
        after = price_with(additions)
        ids = tuple(f"pair:{other.id}" for other in others)
        found.append(_priced("companions", ids[0], product.name, additions, before, after, offer_ids=ids))
    return found
