"""The pricing engine: one pure function prices the widget, the cart panel and the checkout.

:func:`quote_cart` takes a cart, the shop's :class:`~plugin.rules.RuleBook`,
the catalogue entries it needs and the time, and returns a :class:`Quote`.
Everything here is a frozen value; there is no Flask, no SQLAlchemy and no
I/O, so a checkout, an endpoint and a benchmark call it alike.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from . import _pricing
from .rules import FixedBundle, Reward, Rule, RuleBook, VolumeDiscount, VolumeTier

__all__ = [
    "Cart",
    "CartLine",
    "Customer",
    "Discount",
    "DiscountedUnits",
    "FreeShippingProgress",
    "GapFiller",
    "Offer",
    "Order",
    "Product",
    "Quote",
    "QuotedLine",
    "quote_cart",
]

#: Upper bound on one line's quantity: past it a cart is refused rather than priced.
MAX_LINE_QUANTITY = 9_999


@dataclass(frozen=True)
class Product:
    """A catalogue entry as the shop's adapter describes it. ``price`` and ``cost`` are minor units."""

    id: str
    name: str
    price: int
    category: str | None = None
    url: str | None = None
    image_url: str | None = None
    in_stock: bool = True
    cost: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.price, int) or self.price < 0:
            raise ValueError(f"price of product {self.id!r} must be a whole number of minor units, zero or more")
        if self.cost is not None and (not isinstance(self.cost, int) or self.cost < 0):
            raise ValueError(f"cost of product {self.id!r} must be a whole number of minor units, zero or more")


@dataclass(frozen=True)
class CartLine:
    product_id: str
    quantity: int
    unit_price: int

    def __post_init__(self) -> None:
        if not isinstance(self.quantity, int) or not 1 <= self.quantity <= MAX_LINE_QUANTITY:
            raise ValueError(f"quantity of {self.product_id!r} must be 1 to {MAX_LINE_QUANTITY}")
        if not isinstance(self.unit_price, int) or self.unit_price < 0:
            raise ValueError(f"unit_price of {self.product_id!r} must be a whole number, zero or more")

    @property
    def subtotal(self) -> int:
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class Cart:
    lines: tuple[CartLine, ...] = ()
    customer_id: str | None = None

    def quantity_of(self, product_id: str) -> int:
        return sum(line.quantity for line in self.lines if line.product_id == product_id)

    def adding(self, items: Iterable[tuple[Product, int]]) -> Cart:
        """This cart with ``items`` added at catalogue price, merged into a line of the same price."""
        lines = list(self.lines)
        for product, quantity in items:
            for index, line in enumerate(lines):
                if line.product_id == product.id and line.unit_price == product.price:
                    lines[index] = replace(line, quantity=line.quantity + quantity)
                    break
            else:
                lines.append(CartLine(product.id, quantity, product.price))
        return replace(self, lines=tuple(lines))


@dataclass(frozen=True)
class Order:
    id: str
    lines: tuple[CartLine, ...]
    customer_id: str | None
    placed_at: datetime
    total: int


@dataclass(frozen=True)
class Customer:
    id: str
    orders_count: int = 0
    total_spent: int = 0


@dataclass(frozen=True)
class DiscountedUnits:
    """``quantity`` units of a product used by a discount, and the part of it they carry."""

    product_id: str
    quantity: int
    amount: int


@dataclass(frozen=True)
class Discount:
    """One applied rule: ``applications`` sets (or 1 for a volume tier), saving ``amount``."""

    rule_id: str
    label: str
    amount: int
    applications: int
    units: tuple[DiscountedUnits, ...]


@dataclass(frozen=True)
class QuotedLine:
    product_id: str
    quantity: int
    unit_price: int
    subtotal: int
    discount: int
    total: int


@dataclass(frozen=True)
class FreeShippingProgress:
    """How far the cart is from free shipping, and from the next reward above it."""

    threshold: int
    counted: int
    remaining: int
    fee: int
    rewards_unlocked: tuple[Reward, ...] = ()
    next_reward: Reward | None = None
    next_reward_remaining: int | None = None

    @property
    def reached(self) -> bool:
        return self.remaining == 0

    @property
    def fraction(self) -> float:
        """Progress toward the threshold, 0.0 to 1.0, for drawing the bar (not for money)."""
        return min(1.0, self.counted / self.threshold)


@dataclass(frozen=True)
class Offer:
    """A nudge whose ``saving`` was found by quoting the cart it would make.

    ``kind`` is ``"complete_bundle"``, ``"reach_tier"`` or ``"bought_together"`` (a product
    often bought with the cart's; it may save nothing). ``saving`` is how
    much more discount that cart gets, ``new_total`` what it would cost.
    """

    kind: str
    rule_id: str
    label: str
    add: tuple[CartLine, ...]
    added_price: int
    saving: int
    new_total: int
    tier: VolumeTier | None = None
    products: tuple[Product, ...] = ()  #: the catalogue entries of ``add``, in the same order

    @property
    def add_quantity(self) -> int:
        return sum(line.quantity for line in self.add)


@dataclass(frozen=True)
class GapFiller:
    """A related product that closes the free-shipping gap, with the cart total it would make."""

    product: Product
    new_total: int
    remaining_after: int

    @property
    def reaches_free_shipping(self) -> bool:
        return self.remaining_after == 0


@dataclass(frozen=True)
class Quote:
    """What the cart costs. The checkout charges ``total``; panels show the same numbers."""

    currency: str
    lines: tuple[QuotedLine, ...]
    subtotal: int
    discounts: tuple[Discount, ...]
    shipping_fee: int
    free_shipping: FreeShippingProgress | None
    offers: tuple[Offer, ...] = ()
    gap_fillers: tuple[GapFiller, ...] = ()
    #: True when the plugin failed and this is the cart at its own prices, with no rules at all.
    degraded: bool = False

    @property
    def discount_total(self) -> int:
        return sum(discount.amount for discount in self.discounts)

    @property
    def total(self) -> int:
        return self.subtotal - self.discount_total + self.shipping_fee


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
    ladders = _pricing.ladders_of(lines)
    categories = {products[pid].category for pid in ladders if pid in products}
    limits: dict[str, int | None] = {}
    live: list[Rule] = []
    for rule in _pricing.by_importance(rulebook.touching(ladders, categories)):
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

    ledger = _pricing.Ledger(lines)
    _pricing.apply_exclusive(
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
    _pricing.apply_stackable(ledger, ladders, [rule for rule in live if rule.stackable], products, costs, limits, locale)

    subtotal = sum(line.subtotal for line in lines)
    discount_total = sum(ledger.discount)
    fee, progress = _pricing.shipping(rulebook, currency, now, subtotal, discount_total, bool(lines), locale)
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

    from ._offers import cart_offers, gap_fillers  # the offers module builds on these values

    companions = companions or {}
    offers = cart_offers(cart, quote, live, products, price_with, locale, companions)
    return replace(
        quote,
        offers=tuple(offers[:max_offers] if max_offers is not None else offers),
        gap_fillers=tuple(gap_fillers(cart, quote, live, products, price_with, max_gap_fillers, companions)),
    )

