"""定期 (subscription) plans: the terms a "subscribe" offer promises, and exactly what they cost.

Pure like the rest of the engine: frozen values in, frozen values out, no I/O.
A thank-you offer of kind ``subscribe`` switches a purchased line (or the
whole order) to a plan: a delivery every N weeks or months, the first
delivery (this order) at ``first_price`` and each later one at
``recurring_price``, an optional minimum number of deliveries, when payment
happens and how to cancel. :func:`price_plan` computes every figure the
panel shows and the shop's ``start_subscription`` receives, so the price
shown is the price charged.

特定商取引法 (2022 amendment) asks the final confirmation of a 定期購入 to
show plainly: the quantity per delivery, the price per delivery and the
total of any minimum commitment, when payment and deliveries happen, the
period, and how to cancel. :class:`PlanTerms` refuses to exist without the
shop's wording of the last two (in Japanese and English); the rest is
computed here.
"""
from __future__ import annotations

import calendar
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from .money import FULL_BASIS_POINTS, allocate, is_whole
from .rules import PricingMode, _Errors, _translated
from .savings import saving_of
from .values import CartLine, Product

#: The longest cycle a plan may have, per unit (half a year of weeks, a year of months).
MAX_EVERY = {"week": 26, "month": 12}
#: The most deliveries a minimum commitment may ask for.
MAX_MIN_DELIVERIES = 24
#: The languages the terms must be worded in: the panel shows them in either.
TERM_LANGUAGES = ("ja", "en")


class CycleUnit(str, enum.Enum):
    WEEK = "week"
    MONTH = "month"


def add_cycles(start: date, every: int, unit: CycleUnit, cycles: int) -> date:
    """The date ``cycles`` cycles of ``every`` ``unit`` after ``start`` (a month's end stays in its month)."""
    if unit is CycleUnit.WEEK:
        return date.fromordinal(start.toordinal() + 7 * every * cycles)
    months = start.month - 1 + every * cycles
    year, month = start.year + months // 12, months % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True, kw_only=True)
class PlanTerms:
    """What the shop promises in a subscribe offer (the recurring price is the offer's own pricing)."""

    every: int
    unit: CycleUnit
    #: How the first delivery (this order) is priced; ``None``: as it was paid.
    first_mode: PricingMode | None = None
    first_value: int = 0
    #: Deliveries the shopper commits to (``None``: none, cancel any time).
    min_deliveries: int | None = None
    #: When payment happens, in the shop's words, per language: ``(("ja", ...), ("en", ...))``.
    payment: tuple[tuple[str, str], ...] = ()
    #: How to cancel (解約方法), in the shop's words, per language.
    cancel: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        errors = _Errors()
        errors.check(isinstance(self.unit, CycleUnit), "cycle_unit", "Choose weeks or months.")
        limit = MAX_EVERY.get(getattr(self.unit, "value", ""), 12)
        errors.check(is_whole(self.every) and 1 <= self.every <= limit, "cycle_every",
                     f"Every 1 to {limit} {getattr(self.unit, 'value', 'month')}s.")
        if self.first_mode is PricingMode.PERCENT_OFF:
            errors.check(is_whole(self.first_value) and 0 <= self.first_value <= FULL_BASIS_POINTS,
                         "first_pricing_value", "A percentage off is 0% to 100%.")
        elif self.first_mode is not None:
            errors.check(is_whole(self.first_value) and self.first_value >= 0, "first_pricing_value",
                         "Must not be negative.")
        if self.min_deliveries is not None:
            errors.check(is_whole(self.min_deliveries) and 1 <= self.min_deliveries <= MAX_MIN_DELIVERIES,
                         "min_deliveries", f"From 1 to {MAX_MIN_DELIVERIES} deliveries, or none.")
        payment, cancel = dict(self.payment), dict(self.cancel)
        for language in TERM_LANGUAGES:
            suffix = "" if language == "ja" else f"_{language}"
            errors.check(bool((payment.get(language) or "").strip()), f"payment_terms{suffix}",
                         "Say when payment happens (shown before the button, as the law asks).")
            errors.check(bool((cancel.get(language) or "").strip()), f"cancel_terms{suffix}",
                         "Say how to cancel (解約方法, shown before the button, as the law asks).")
        errors.raise_if_any()

    @property
    def commitment(self) -> int:
        """Deliveries the shopper pays for at least: 1 when there is no minimum."""
        return self.min_deliveries or 1

    def payment_for(self, locale: str | None) -> str:
        return _translated(dict(self.payment).get("ja", ""), self.payment, locale)

    def cancel_for(self, locale: str | None) -> str:
        return _translated(dict(self.cancel).get("ja", ""), self.cancel, locale)


@dataclass(frozen=True, kw_only=True)
class Plan:
    """A subscription as priced for one order: every figure the panel shows and the shop is asked to start."""

    offer_id: str
    product_id: str | None  #: the line switched, or ``None`` for the whole order
    lines: tuple[CartLine, ...]  #: what each delivery holds, at list price
    every: int
    unit: CycleUnit
    paid: int  #: what the order paid for the switched lines
    first_price: int  #: this order's delivery, as switched (never above ``paid``)
    list_price: int  #: one later delivery at list price
    recurring_price: int  #: each later delivery
    min_deliveries: int | None
    first_delivery_on: date  #: this order
    next_delivery_on: date
    commitment_ends_on: date | None  #: the last delivery of the minimum commitment, if any
    payment: tuple[tuple[str, str], ...]
    cancel: tuple[tuple[str, str], ...]

    @property
    def quantity(self) -> int:
        """Units per delivery."""
        return sum(line.quantity for line in self.lines)

    @property
    def refund(self) -> int:
        """What switching gives back on this order now (the first delivery's discount)."""
        return self.paid - self.first_price

    @property
    def recurring_saving(self) -> int:
        return self.list_price - self.recurring_price

    @property
    def commitment(self) -> int:
        return self.min_deliveries or 1

    @property
    def commitment_total(self) -> int:
        """What the minimum commitment costs in all, this order's delivery included."""
        return self.first_price + (self.commitment - 1) * self.recurring_price

    def payment_for(self, locale: str | None) -> str:
        return _translated(dict(self.payment).get("ja", ""), self.payment, locale)

    def cancel_for(self, locale: str | None) -> str:
        return _translated(dict(self.cancel).get("ja", ""), self.cancel, locale)

    def as_dict(self) -> dict:
        """Plain JSON values: what a claim keeps, so a retried start asks for the very plan that was shown."""
        return {
            "offer_id": self.offer_id, "product_id": self.product_id,
            "lines": [[line.product_id, line.quantity, line.unit_price] for line in self.lines],
            "every": self.every, "unit": self.unit.value, "paid": self.paid, "first_price": self.first_price,
            "list_price": self.list_price, "recurring_price": self.recurring_price,
            "min_deliveries": self.min_deliveries, "first_delivery_on": self.first_delivery_on.isoformat(),
            "next_delivery_on": self.next_delivery_on.isoformat(),
            "commitment_ends_on": self.commitment_ends_on.isoformat() if self.commitment_ends_on else None,
            "payment": [list(pair) for pair in self.payment], "cancel": [list(pair) for pair in self.cancel],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Plan:
        ends = data.get("commitment_ends_on")
        return cls(
            offer_id=data["offer_id"], product_id=data["product_id"],
            lines=tuple(CartLine(*line) for line in data["lines"]), every=data["every"],
            unit=CycleUnit(data["unit"]), paid=data["paid"], first_price=data["first_price"],
            list_price=data["list_price"], recurring_price=data["recurring_price"],
            min_deliveries=data["min_deliveries"], first_delivery_on=date.fromisoformat(data["first_delivery_on"]),
            next_delivery_on=date.fromisoformat(data["next_delivery_on"]),
            commitment_ends_on=date.fromisoformat(ends) if ends else None,
            payment=tuple(tuple(pair) for pair in data["payment"]), cancel=tuple(tuple(pair) for pair in data["cancel"]),
        )


def price_plan(
    offer_id: str,
    terms: PlanTerms,
    mode: PricingMode,
    value: int,
    switched: tuple[CartLine, ...],
    products: Mapping[str, Product],
    placed_at: datetime,
    product_id: str | None,
) -> Plan | None:
    """The plan for switching the order's ``switched`` lines, or ``None`` if it cannot be offered.

    Each later delivery holds the same quantities at today's list price less
    the offer's pricing (``mode``, ``value``), rounded once on the delivery's
    total; the first delivery is what the order paid less ``terms``' first
    pricing. A product gone from the catalogue or out of stock, a delivery
    that would cost nothing, or a "discount" that costs more than list price
    is no plan to offer.
    """
    if not switched:
        return None
    lines = []
    for line in switched:
        product = products.get(line.product_id)
        if product is None or not product.in_stock:
            return None
        lines.append(CartLine(product.id, line.quantity, product.price))
    list_price = sum(line.subtotal for line in lines)
    recurring = list_price - saving_of(mode, value, list_price)
    paid = sum(line.subtotal for line in switched)
    first = paid if terms.first_mode is None else paid - saving_of(terms.first_mode, terms.first_value, paid)
    if recurring <= 0 or recurring > list_price or first <= 0:
        return None
    first_day = placed_at.date()
    commitment = terms.commitment
    return Plan(
        offer_id=offer_id, product_id=product_id, lines=tuple(lines), every=terms.every, unit=terms.unit,
        paid=paid, first_price=first, list_price=list_price, recurring_price=recurring,
        min_deliveries=terms.min_deliveries, first_delivery_on=first_day,
        next_delivery_on=add_cycles(first_day, terms.every, terms.unit, 1),
        commitment_ends_on=add_cycles(first_day, terms.every, terms.unit, commitment - 1) if commitment > 1 else None,
        payment=terms.payment, cancel=terms.cancel,
    )


# -- renewal add-ons -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subscription:
    """A subscription's next delivery, as the shop describes it to :meth:`plugin.Tsuide.renewal_offers`."""

    id: str
    lines: tuple[CartLine, ...]  #: what the next delivery holds, at the prices that delivery charges
    next_delivery_on: date
    customer_id: str | None = None


def priced_items(add: tuple[CartLine, ...], price: int) -> tuple[CartLine, ...]:
    """``add`` at unit prices that add up to exactly ``price``: what a renewal add-on asks the shop to deliver.

    The discount is spread over the lines in proportion to their list price
    (:func:`~plugin.engine.money.allocate`, so the parts add up); a line whose
    share does not divide by its quantity comes as two lines one yen (cent)
    apart, so every unit price is whole and the sum is ``price``.
    """
    items: list[CartLine] = []
    for line, share in zip(add, allocate(price, [line.subtotal for line in add])):
        base, extra = divmod(share, line.quantity)
        if line.quantity - extra:
            items.append(CartLine(line.product_id, line.quantity - extra, base))
        if extra:
            items.append(CartLine(line.product_id, extra, base + 1))
    return tuple(items)


#: Offer kinds a next delivery is never suggested (docs/engine.md, "Spend discounts and gifts on a next
#: delivery"): a gift costs nothing, and "add X to get the gift" would not get the delivery its gift (a renewal
#: adds the products alone).
NOT_FOR_RENEWALS = frozenset({"free_gift", "gift_trigger"})


def renewal_price(offer) -> int | None:
    """What ``offer`` (an :class:`~.values.Offer` of the next delivery's quote) makes that delivery cost more,
    ``added_price - saving`` (spend steps and gifts the delivery reaches with it included), or ``None`` when it
    is no add-on: a gift's offer, or a price of zero or less."""
    if offer.kind in NOT_FOR_RENEWALS:
        return None
    price = offer.added_price - offer.saving
    return price if price > 0 else None
