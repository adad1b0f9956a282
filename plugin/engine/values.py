"""The engine's values: what a shop hands the engine (products, carts, orders) and what a quote holds.

All frozen dataclasses, checked on construction; amounts are minor units.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from .money import is_whole
from .rules import Reward, ShippingStep, SpendStep, VolumeTier

__all__ = [
    "Cart",
    "CartLine",
    "Customer",
    "Discount",
    "DiscountedUnits",
    "DiscountedUnitsList",
    "FreeShippingProgress",
    "GapFiller",
    "Offer",
    "Order",
    "Product",
    "MAX_LINE_QUANTITY",
    "Quote",
    "QuotedLine",
    "Rung",
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
        if not is_whole(self.price) or self.price < 0:
            raise ValueError(f"price of product {self.id!r} must be a whole number of minor units, zero or more")
        if self.cost is not None and (not is_whole(self.cost) or self.cost < 0):
            raise ValueError(f"cost of product {self.id!r} must be a whole number of minor units, zero or more")


@dataclass(frozen=True)
class CartLine:
    product_id: str
    quantity: int
    unit_price: int

    def __post_init__(self) -> None:
        if not is_whole(self.quantity) or not 1 <= self.quantity <= MAX_LINE_QUANTITY:
            raise ValueError(f"quantity of {self.product_id!r} must be a whole number from 1 to {MAX_LINE_QUANTITY}")
        if not is_whole(self.unit_price) or self.unit_price < 0:
            raise ValueError(f"unit_price of {self.product_id!r} must be a whole number, zero or more")

    @property
    def subtotal(self) -> int:
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class Cart:
    lines: tuple[CartLine, ...] = ()
    customer_id: str | None = None

    def quantity_of(self, product_id: str) -> int:
        """The units of ``product_id`` over every line. The per-product totals are worked out once a cart (offers
        ask for each item of every rule touching it: thousands of scans of a 200-line cart otherwise)."""
        quantities = self.__dict__.get("_quantities")  # not a field: never compared, hashed or shown
        if quantities is None:
            quantities = {}
            for line in self.lines:
                quantities[line.product_id] = quantities.get(line.product_id, 0) + line.quantity
            if isinstance(self.lines, tuple):  # a cart of a list of lines (mutable) is read afresh each time
                object.__setattr__(self, "_quantities", quantities)
        return quantities.get(product_id, 0)

    def adding(self, items: Iterable[tuple[Product, int]]) -> Cart:
        """This cart with ``items`` added at catalogue price, merged into a line of the same price."""
        lines = list(self.lines)
        for product, quantity in items:
            for index, line in enumerate(lines):
                if line.product_id == product.id and line.unit_price == product.price:
                    lines[index] = (CartLine(line.product_id, line.quantity + quantity, line.unit_price)
                                    if type(line) is CartLine else replace(line, quantity=line.quantity + quantity))
                    break
            else:
                lines.append(CartLine(product.id, quantity, product.price))
        if type(self) is Cart:  # built directly (``replace`` reads every field's definition first)
            return Cart(tuple(lines), self.customer_id)
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


class DiscountedUnitsList(Sequence):
    """A discount's :class:`DiscountedUnits`, in the order booked, built from two dicts (product id -> units, product
    id -> their part) when first read.

    A long cart's spend discount takes hundreds of products, and most quotes (those of the carts an offer would make)
    are never read unit by unit: building an object per product for each of them was a tenth of such a quote. Reads,
    compares and hashes as the tuple it stands for.
    """

    __slots__ = ("_quantities", "_amounts", "_built")

    def __init__(self, quantities: Mapping[str, int], amounts: Mapping[str, int]):
        self._quantities = dict(quantities)  # copies: the caller may write its own dicts on
        self._amounts = dict(amounts)
        self._built: tuple[DiscountedUnits, ...] | None = None

    def _tuple(self) -> tuple[DiscountedUnits, ...]:
        built = self._built
        if built is None:
            amounts = self._amounts
            built = self._built = tuple([DiscountedUnits(pid, quantity, amounts[pid])
                                         for pid, quantity in self._quantities.items()])
        return built

    def __len__(self) -> int:
        return len(self._quantities)

    def __getitem__(self, index):
        return self._tuple()[index]

    def __iter__(self) -> Iterator[DiscountedUnits]:
        return iter(self._tuple())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DiscountedUnitsList):
            return self._tuple() == other._tuple()
        if isinstance(other, tuple):
            return self._tuple() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._tuple())

    def __repr__(self) -> str:
        return repr(self._tuple())


@dataclass(frozen=True)
class Discount:
    """One applied rule: ``applications`` sets (or 1 for a volume tier), saving ``amount``.

    ``tier`` is the volume tier reached, for a volume discount.
    """

    rule_id: str
    label: str
    amount: int
    applications: int
    units: Sequence[DiscountedUnits]  #: a tuple, or a :class:`DiscountedUnitsList` (the same, built when read)
    tier: VolumeTier | None = None


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
    """How far the cart is from free shipping, from the next reduced fee before it, and from the next reward.

    ``fee`` is the fee the cart pays now (0 from the threshold); ``next_step`` the next reduced fee on the
    way, with ``next_step_remaining`` still to spend to reach it.
    """

    threshold: int
    counted: int
    remaining: int
    fee: int
    rewards_unlocked: tuple[Reward, ...] = ()
    next_reward: Reward | None = None
    next_reward_remaining: int | None = None
    next_step: ShippingStep | None = None
    next_step_remaining: int | None = None

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

    ``kind`` is ``"complete_bundle"``, ``"reach_tier"``, ``"buy_get"`` (one more group of a
    buy-X-get-Y: "あと1点で1点無料") or ``"bought_together"`` (a product
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
    #: A buy-X-get-Y's get units per group and their discount: (units, pricing mode, value), for its copy.
    gets: tuple[int, str, int] | None = None
    max_units: int | None = None  #: the rule's limit in units per order, said next to the offer

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
class Rung:
    """The next reward of an order rule on the spend ladder: ``remaining`` more to spend for it.

    ``kind`` is ``"spend"`` (``step`` is the spend step ahead) or ``"gift"`` (``product`` is the gift, in stock).
    ``remaining`` is counted on the quote's own ladder amount (after item discounts and gifts, before spend
    discounts and shipping), like free shipping's.
    """

    kind: str
    rule_id: str
    label: str
    threshold: int
    remaining: int
    step: SpendStep | None = None
    product: Product | None = None


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
    #: The spend ladder's next rewards (spend discounts and gifts), nearest first; shipping's are in free_shipping.
    ladder: tuple[Rung, ...] = ()

    @property
    def discount_total(self) -> int:
        return sum(discount.amount for discount in self.discounts)

    @property
    def total(self) -> int:
        return self.subtotal - self.discount_total + self.shipping_fee
