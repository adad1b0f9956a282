"""Thank-you page offers: which one an order gets, and exactly what accepting it changes and costs.

Pure like the cart engine: frozen values in, frozen values out; no Flask, no
SQLAlchemy, no I/O. An order gets at most one offer, and, after a decline, at
most one cheaper alternative (the offer's downsell).
"""
from __future__ import annotations

import enum
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from .savings import saving_of
from .values import CartLine, Customer, Order, Product
from .money import FULL_BASIS_POINTS, is_whole
from .rules import BundleItem, PricingMode, _Errors, _translated
from .subscriptions import Plan, PlanTerms, price_plan


class OfferKind(str, enum.Enum):
    ADD_ON = "add_on"  #: add these products to the order
    UPGRADE = "upgrade"  #: replace the order's line of ``replaces`` with these products, charging the difference
    SUBSCRIBE = "subscribe"  #: switch the order's line of ``replaces`` (``None``: the whole order) to ``plan``


class Segment(str, enum.Enum):
    """Who an offer is for, by the number of orders the customer has placed (this one included)."""

    ANY = "any"
    NEW = "new"  #: this is their first order
    RETURNING = "returning"  #: they have ordered before
    LOYAL = "loyal"  #: at least ``loyal_orders`` orders

    def matches(self, customer: Customer | None, loyal_orders: int) -> bool:
        orders = customer.orders_count if customer else 1
        if self is Segment.NEW:
            return orders <= 1
        if self is Segment.RETURNING:
            return orders >= 2
        if self is Segment.LOYAL:
            return orders >= loyal_orders
        return True


@dataclass(frozen=True, kw_only=True)
class PostPurchaseOffer:
    """An add-on or upgrade for orders that hold a trigger product or category."""

    id: str
    kind: OfferKind
    label: str
    translations: tuple[tuple[str, str], ...] = ()
    accept_label: tuple[tuple[str, str], ...] = ()
    decline_label: tuple[tuple[str, str], ...] = ()
    trigger_products: frozenset[str] = frozenset()
    trigger_categories: frozenset[str] = frozenset()
    items: tuple[BundleItem, ...] = ()
    replaces: str | None = None
    mode: PricingMode = PricingMode.PERCENT_OFF
    value: int = 0
    min_order_total: int | None = None
    max_order_total: int | None = None
    segment: Segment = Segment.ANY
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    priority: int = 0
    paused: bool = False
    global_cap: int | None = None
    accepted: int = 0
    downsell: PostPurchaseOffer | None = None
    plan: PlanTerms | None = None  #: a subscribe offer's terms; its ``mode`` and ``value`` price later deliveries

    def __post_init__(self) -> None:
        errors = _Errors()
        errors.check(bool(self.id), "id", "An offer needs an id.")
        errors.check(bool(self.label and self.label.strip()), "label", "An offer needs a name shoppers can read.")
        if self.kind is OfferKind.SUBSCRIBE:
            errors.check(not self.items, "items", "A subscription switches what was bought: it adds no products.")
            errors.check(self.plan is not None, "cycle_every", "A subscription needs its plan and terms.")
        else:
            errors.check(bool(self.items), "items", "An offer needs at least one product.")
            errors.check(self.plan is None, "cycle_every", "Only a subscription has a plan.")
        for item in self.items:
            errors.check(is_whole(item.quantity) and item.quantity >= 1, "items", "Quantities start at 1.")
        if self.kind is OfferKind.UPGRADE:
            errors.check(bool(self.replaces), "replaces", "An upgrade names the product it replaces.")
        elif self.kind is OfferKind.SUBSCRIBE:
            pass  # the line it switches, or none: the whole order
        else:
            errors.check(self.replaces is None, "replaces", "Only an upgrade replaces a product.")
        errors.check(
            bool(self.trigger_products or self.trigger_categories or self.replaces),
            "trigger_products",
            "Say which orders get this offer: trigger products or categories.",
        )
        if self.mode is PricingMode.PERCENT_OFF:
            errors.check(0 <= self.value <= FULL_BASIS_POINTS, "value", "A percentage off is 0% to 100%.")
        else:
            errors.check(is_whole(self.value) and self.value >= 0, "value", "Must not be negative.")
        if self.min_order_total is not None and self.max_order_total is not None:
            errors.check(
                self.min_order_total <= self.max_order_total, "max_order_total", "Must not be below the minimum."
            )
        if self.starts_at and self.ends_at:
            errors.check(self.starts_at < self.ends_at, "ends_at", "The end must come after the start.")
        if self.global_cap is not None:
            errors.check(is_whole(self.global_cap) and self.global_cap >= 1, "global_cap", "At least 1.")
        if self.downsell is not None:
            errors.check(self.downsell.downsell is None, "downsell", "A downsell has no downsell of its own.")
            if self.kind is OfferKind.SUBSCRIBE:
                errors.check(self.downsell.kind is OfferKind.SUBSCRIBE, "downsell",
                             "A subscription's alternative is another plan (say, a longer cycle).")
        errors.raise_if_any()

    def label_for(self, locale: str | None) -> str:
        return _translated(self.label, self.translations, locale)

    def is_live(self, now: datetime) -> bool:
        if self.paused or (self.starts_at is not None and now < self.starts_at):
            return False
        return self.ends_at is None or now < self.ends_at

    def left(self) -> int | None:
        """How many more shoppers may accept ("first 100"), or ``None`` for no cap."""
        if self.global_cap is None:
            return None
        return max(0, self.global_cap - self.accepted)

    def triggered_by(self, order: Order, products: Mapping[str, Product]) -> bool:
        for line in order.lines:
            product = products.get(line.product_id)
            category = product.category if product else None
            if line.product_id in self.trigger_products or (category and category in self.trigger_categories):
                return True
            if self.replaces == line.product_id:
                return True
        return False


@dataclass(frozen=True)
class Amendment:
    """Exactly what accepting ``offer`` changes in the order, and what it charges."""

    offer: PostPurchaseOffer
    add: tuple[CartLine, ...]  #: at list price; the offer's discount is the difference to ``price``
    remove: tuple[CartLine, ...]  #: the order's line an upgrade replaces
    products: tuple[Product, ...]  #: the catalogue entries of ``add``
    list_price: int
    price: int
    credit: int  #: what the replaced line cost in the order
    order_total: int
    plan: Plan | None = None  #: a subscribe offer's plan as priced for this order (``charge`` is minus its refund)

    @property
    def charge(self) -> int:
        return self.price - self.credit

    @property
    def new_total(self) -> int:
        return self.order_total + self.charge

    @property
    def saving(self) -> int:
        return self.list_price - self.price


def price_offer(offer: PostPurchaseOffer, order: Order, products: Mapping[str, Product]) -> Amendment | None:
    """Price ``offer`` against ``order``, or ``None`` if it does not fit (missing, out of stock, in the order)."""
    in_order = {line.product_id for line in order.lines}
    remove: tuple[CartLine, ...] = ()
    if offer.kind is OfferKind.SUBSCRIBE:
        return _price_switch(offer, order, products)
    if offer.kind is OfferKind.UPGRADE:
        remove = tuple(line for line in order.lines if line.product_id == offer.replaces)
        if not remove:
            return None
    elif any(item.product_id in in_order for item in offer.items):
        return None  # never offer what the shopper just bought
    add, chosen = [], []
    for item in offer.items:
        product = products.get(item.product_id)
        if product is None or not product.in_stock:
            return None
        add.append(CartLine(product.id, item.quantity, product.price))
        chosen.append(product)
    list_price = sum(line.subtotal for line in add)
    price = list_price - saving_of(offer.mode, offer.value, list_price)
    return Amendment(
        offer=offer,
        add=tuple(add),
        remove=remove,
        products=tuple(chosen),
        list_price=list_price,
        price=price,
        credit=sum(line.subtotal for line in remove),
        order_total=order.total,
    )


def _price_switch(offer: PostPurchaseOffer, order: Order, products: Mapping[str, Product]) -> Amendment | None:
    """A subscribe offer as an amendment: no lines change; the first delivery's discount, if any, is refunded."""
    switched = tuple(line for line in order.lines if offer.replaces in (None, line.product_id))
    plan = price_plan(offer.id, offer.plan, offer.mode, offer.value, switched, products, order.placed_at,
                      offer.replaces)
    if plan is None:
        return None
    return Amendment(offer=offer, add=(), remove=(), products=tuple(products[line.product_id] for line in plan.lines),
                     list_price=plan.paid, price=plan.first_price, credit=plan.paid, order_total=order.total,
                     plan=plan)


@dataclass(frozen=True)
class Shopper:
    """What the selection knows about who placed the order."""

    customer: Customer | None
    declined: Collection[str]  #: offers this shopper declined recently


def expires_at(order: Order, minutes: int) -> datetime:
    return order.placed_at + timedelta(minutes=minutes)


def eligible(
    offer: PostPurchaseOffer,
    order: Order,
    products: Mapping[str, Product],
    shopper: Shopper,
    *,
    now: datetime,
    max_ratio_bp: int,
    loyal_orders: int,
) -> Amendment | None:
    """The priced amendment if ``offer`` may be shown for ``order`` now, else ``None``."""
    if not offer.is_live(now) or offer.left() == 0 or offer.id in shopper.declined:
        return None
    if offer.min_order_total is not None and order.total < offer.min_order_total:
        return None
    if offer.max_order_total is not None and order.total > offer.max_order_total:
        return None
    if not offer.segment.matches(shopper.customer, loyal_orders) or not offer.triggered_by(order, products):
        return None
    amendment = price_offer(offer, order, products)
    if amendment is not None and amendment.plan is not None:
        return amendment  # nothing more is charged now: the plan's own prices were checked when it was priced
    if amendment is None or amendment.charge <= 0:
        return None
    # Don't upsell past a shopper's budget: the extra charge stays within a share of what they spent.
    if amendment.charge * FULL_BASIS_POINTS > order.total * max_ratio_bp:
        return None
    return amendment


def choose(offers: list[PostPurchaseOffer], order: Order, products: Mapping[str, Product], shopper: Shopper,
           **terms) -> Amendment | None:
    """The one offer this order gets: the most important eligible one (ties: the bigger saving)."""
    found = [a for a in (eligible(o, order, products, shopper, **terms) for o in offers) if a is not None]
    found.sort(key=lambda a: (-a.offer.priority, -a.saving, a.offer.id))
    return found[0] if found else None
