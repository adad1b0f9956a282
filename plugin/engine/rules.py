"""Discount rules: what a shop owner configures, as frozen values the engine prices with.

Four kinds, each a :class:`Rule` with the terms every rule shares
(schedule, priority, stacking, caps, margin floor, a limit in units):

- :class:`FixedBundle`: these products together at a fixed price, a
  percentage off or an amount off ("3 bags at 10% off").
- :class:`VolumeDiscount`: mix and match over a collection with
  :class:`VolumeTier` steps ("2 items 10% off, 3 items 20% off").
- :class:`BuyXGetY`: buy X of a set, get Y of a set (the cheapest of each
  group) at a percentage or an amount off ("2点買うと1点無料").
- :class:`ShippingThreshold`: a fee below a threshold, free at or above it,
  with optional :class:`Reward` steps higher up.

Constructing a rule validates all of it and raises :class:`RuleError` once,
naming every field that is wrong. No Flask, no SQLAlchemy, no I/O.
"""
from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime

from .money import FULL_BASIS_POINTS, is_whole, percent_of


class RuleError(ValueError):
    """A rule's data is wrong. ``errors`` maps each field to its messages."""

    def __init__(self, errors: Mapping[str, list[str]]):
        self.errors = dict(errors)
        summary = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in self.errors.items())
        super().__init__(summary)


class PricingMode(str, enum.Enum):
    """How a fixed bundle is priced; ``value`` on the bundle means a different thing for each."""

    FIXED_PRICE = "fixed_price"  #: value is the bundle's price in minor units
    PERCENT_OFF = "percent_off"  #: value is basis points off the items' price (1000 = 10%)
    AMOUNT_OFF = "amount_off"  #: value is minor units off the items' price


class _Errors:
    """Collects every validation error so a form shows all of them at once."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = defaultdict(list)

    def check(self, ok: bool, name: str, message: str) -> None:
        if not ok:
            self.by_field[name].append(message)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise RuleError(self.by_field)


def _translated(default: str, translations: tuple[tuple[str, str], ...], locale: str | None) -> str:
    if locale:
        language = locale.replace("-", "_").split("_")[0]
        for code, text in translations:
            if code in (locale, language):
                return text
    return default


def _is_aware(value: object) -> bool:
    return isinstance(value, datetime) and value.utcoffset() is not None


def importance(rule: Rule) -> tuple:
    """Sort key, most important first: higher priority, then the older rule.

    Ids of digits only are record numbers and compare as numbers (``"2"``
    before ``"10"``), before any other id, which compares as text.
    """
    numeric = rule.id.isascii() and rule.id.isdigit()
    return (-rule.priority, 0 if numeric else 1, int(rule.id) if numeric else 0, rule.id)


@dataclass(frozen=True, kw_only=True)
class Rule:
    """The terms every rule shares.

    ``priority`` orders stackable rules and breaks ties between allocations
    that save the same. A rule that is not ``stackable`` never shares a cart
    unit with another non-stackable rule; a stackable one applies on top, to
    the price left after them. ``global_cap`` counts applications across all
    shoppers ("first 100"), ``redeemed`` how many are used; ``per_customer_cap``
    counts one shopper's. ``margin_floor_bp`` keeps every unit of a product
    with a known cost at or above cost plus that many basis points.
    ``exclusive`` keeps stackable rules off the units this rule uses.
    Datetimes must be timezone-aware.
    """

    id: str
    label: str
    translations: tuple[tuple[str, str], ...] = ()
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    priority: int = 0
    stackable: bool = False
    paused: bool = False
    per_customer_cap: int | None = None
    global_cap: int | None = None
    redeemed: int = 0
    margin_floor_bp: int | None = None
    exclusive: bool = False
    max_units: int | None = None

    def __post_init__(self) -> None:
        errors = _Errors()
        self._validate_terms(errors)
        self._validate(errors)
        errors.raise_if_any()

    def _validate_terms(self, errors: _Errors) -> None:
        errors.check(bool(self.id), "id", "A rule needs an id.")
        errors.check(bool(self.label and self.label.strip()), "label", "A rule needs a name shoppers can read.")
        for name in ("starts_at", "ends_at"):
            moment = getattr(self, name)
            if moment is not None:
                errors.check(_is_aware(moment), name, "Give a date and time with its time zone.")
        if _is_aware(self.starts_at) and _is_aware(self.ends_at):
            errors.check(self.starts_at < self.ends_at, "ends_at", "The end must come after the start.")
        errors.check(isinstance(self.stackable, bool), "stackable", "Must be true or false.")
        errors.check(isinstance(self.exclusive, bool), "exclusive", "Must be true or false.")
        for name in ("per_customer_cap", "global_cap"):
            cap = getattr(self, name)
            if cap is not None:
                errors.check(is_whole(cap) and cap >= 1, name, "A cap must be a whole number of at least 1.")
        errors.check(is_whole(self.redeemed) and self.redeemed >= 0, "redeemed", "Must not be negative.")
        errors.check(is_whole(self.priority), "priority", "Must be a whole number.")
        if self.margin_floor_bp is not None:
            errors.check(
                is_whole(self.margin_floor_bp) and self.margin_floor_bp >= 0,
                "margin_floor_bp",
                "A margin floor must be a whole number of basis points, zero or more.",
            )

        if self.max_units is not None:
            errors.check(is_whole(self.max_units) and self.max_units >= 1, "max_units",
                         "A limit must be a whole number of units, at least 1.")

    def _validate(self, errors: _Errors) -> None:
        """Checks of the concrete kind; subclasses add theirs."""

    @property
    def units_cap(self) -> int | None:
        """The applications ``max_units`` allows (``None``: no limit, or a limit that is not counted in applications)."""
        return None

    def label_for(self, locale: str | None) -> str:
        """The name in ``locale`` (``"en"``, ``"ja"``...) if translated, else the default."""
        return _translated(self.label, self.translations, locale)

    def is_live(self, now: datetime) -> bool:
        """Not paused and inside its schedule (start inclusive, end exclusive); ``now`` must be aware."""
        if not _is_aware(now):
            raise ValueError("now must be a timezone-aware datetime")
        if self.paused:
            return False
        if self.starts_at is not None and now < self.starts_at:
            return False
        return self.ends_at is None or now < self.ends_at

    def applications_left(self, customer_used: int = 0, redeemed: int | None = None) -> int | None:
        """How many more applications the caps allow, or ``None`` for no limit.

        ``redeemed`` is the shop-wide count when it is fresher than the rule's own.
        Counts must be whole numbers, zero or more.
        """
        if not is_whole(customer_used) or customer_used < 0:
            raise ValueError(f"usage of rule {self.id!r} must be a whole number, zero or more")
        if redeemed is not None and (not is_whole(redeemed) or redeemed < 0):
            raise ValueError(f"redeemed count of rule {self.id!r} must be a whole number, zero or more")
        limits = []
        if self.global_cap is not None:
            limits.append(self.global_cap - (self.redeemed if redeemed is None else redeemed))
        if self.per_customer_cap is not None:
            limits.append(self.per_customer_cap - customer_used)
        return max(0, min(limits)) if limits else None


def applications_left_now(rule: Rule, now: datetime, customer_used: Mapping[str, int], redeemed: Mapping[str, int],
                          checked: dict[str, int | None]) -> int | None:
    """``rule``'s applications left for this shopper at ``now`` (0 when not live, ``None`` for no limit), read
    once per ``checked`` (rule id -> answer), which the quotes of one cart page share."""
    if rule.id not in checked:
        left = rule.applications_left(customer_used.get(rule.id, 0), redeemed.get(rule.id))
        checked[rule.id] = left if rule.is_live(now) else 0
    return checked[rule.id]


@dataclass(frozen=True)
class BundleItem:
    product_id: str
    quantity: int = 1


@dataclass(frozen=True, kw_only=True)
class FixedBundle(Rule):
    """These products together (each at its quantity) at a special price."""

    items: tuple[BundleItem, ...]
    mode: PricingMode
    value: int

    def _validate(self, errors: _Errors) -> None:
        errors.check(bool(self.items), "items", "A bundle needs at least one product.")
        seen = set()
        for item in self.items:
            errors.check(bool(item.product_id), "items", "Every item needs a product.")
            errors.check(item.product_id not in seen, "items", f"{item.product_id} is listed twice.")
            seen.add(item.product_id)
            errors.check(
                is_whole(item.quantity) and item.quantity >= 1,
                "items",
                f"The quantity of {item.product_id} must be a whole number of at least 1.",
            )
        errors.check(isinstance(self.mode, PricingMode), "mode", "Choose fixed_price, percent_off or amount_off.")
        errors.check(is_whole(self.value), "value", "Must be a whole number.")
        if not is_whole(self.value):
            return
        if self.mode is PricingMode.PERCENT_OFF:
            errors.check(
                0 < self.value <= FULL_BASIS_POINTS, "value", "A percentage off must be above 0% and at most 100%."
            )
        elif self.mode is PricingMode.AMOUNT_OFF:
            errors.check(self.value > 0, "value", "An amount off must be more than zero.")
        else:
            errors.check(self.value >= 0, "value", "A bundle price must not be negative.")
        if is_whole(self.max_units) and all(is_whole(item.quantity) for item in self.items):
            errors.check(self.max_units >= self.set_units, "max_units",
                         f"A limit below one set ({self.set_units} units) would never apply.")

    @cached_property
    def product_ids(self) -> frozenset[str]:
        return frozenset(item.product_id for item in self.items)

    @property
    def set_units(self) -> int:
        return sum(item.quantity for item in self.items)

    @cached_property
    def units_cap(self) -> int | None:
        """A bundle discounts whole sets: ``max_units`` allows ``max_units // units per set`` of them."""
        return None if self.max_units is None else self.max_units // self.set_units


@dataclass(frozen=True)
class VolumeTier:
    """One step of a volume discount: from ``min_quantity`` units, ``percent_bp`` off each."""

    min_quantity: int
    percent_bp: int


@dataclass(frozen=True, kw_only=True)
class VolumeDiscount(Rule):
    """Mix and match: any units of the collection count toward the highest tier reached."""

    product_ids: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    tiers: tuple[VolumeTier, ...] = ()

    def _validate(self, errors: _Errors) -> None:
        errors.check(
            bool(self.product_ids or self.categories),
            "product_ids",
            "A volume discount needs products or categories to count.",
        )
        errors.check(bool(self.tiers), "tiers", "A volume discount needs at least one tier.")
        previous: VolumeTier | None = None
        for tier in self.tiers:
            if not (is_whole(tier.min_quantity) and tier.min_quantity >= 1):
                errors.by_field["tiers"].append("A tier starts at 1 item or more.")
            if not (is_whole(tier.percent_bp) and 0 < tier.percent_bp <= FULL_BASIS_POINTS):
                errors.by_field["tiers"].append("A tier's percentage must be above 0% and at most 100%.")
            if previous is not None and is_whole(tier.min_quantity) and is_whole(tier.percent_bp):
                if tier.min_quantity <= previous.min_quantity:
                    errors.by_field["tiers"].append(
                        "Tiers overlap: list them by quantity, each starting above the last."
                    )
                elif tier.percent_bp <= previous.percent_bp:
                    errors.by_field["tiers"].append("Tiers overlap: a larger quantity must give a larger discount.")
            previous = tier

    def counts(self, product_id: str, category: str | None) -> bool:
        return product_id in self.product_ids or (category is not None and category in self.categories)

    def tier_for(self, quantity: int) -> VolumeTier | None:
        reached = None
        for tier in self.tiers:
            if quantity >= tier.min_quantity:
                reached = tier
        return reached

    def next_tier(self, quantity: int) -> VolumeTier | None:
        return next((tier for tier in self.tiers if tier.min_quantity > quantity), None)


@dataclass(frozen=True, kw_only=True)
class BuyXGetY(Rule):
    """Buy ``buy_quantity`` units of the buy set, get ``get_quantity`` units of the get set off ("2点買うと1点無料").

    The buy set and the get set are products and/or categories; with no get set, the get units come from the
    buy set ("3点目半額"). ``mode`` is ``percent_off`` (``value`` basis points off each get unit; 10000 makes
    them free) or ``amount_off`` (``value`` minor units off each get unit). One application is one group of
    buy and get units; the rule repeats per group, up to ``max_applications``. Which units form the groups
    is set out in ``docs/engine.md``: an application's get units are the cheapest units of its group.
    """

    buy_product_ids: frozenset[str] = frozenset()
    buy_categories: frozenset[str] = frozenset()
    buy_quantity: int = 1
    get_product_ids: frozenset[str] = frozenset()
    get_categories: frozenset[str] = frozenset()
    get_quantity: int = 1
    mode: PricingMode = PricingMode.PERCENT_OFF
    value: int = FULL_BASIS_POINTS
    max_applications: int | None = None

    def _validate(self, errors: _Errors) -> None:
        for name in ("buy_product_ids", "buy_categories", "get_product_ids", "get_categories"):
            errors.check(isinstance(getattr(self, name), frozenset), name, "Must be a set of ids.")
        errors.check(bool(self.buy_product_ids or self.buy_categories), "buy_product_ids",
                     "Name the products or categories to buy.")
        for name in ("buy_quantity", "get_quantity"):
            quantity = getattr(self, name)
            errors.check(is_whole(quantity) and 1 <= quantity <= 100, name,
                         "Must be a whole number of units from 1 to 100.")
        errors.check(self.mode in (PricingMode.PERCENT_OFF, PricingMode.AMOUNT_OFF), "mode",
                     "Choose percent_off (100% makes the units free) or amount_off.")
        errors.check(is_whole(self.value), "value", "Must be a whole number.")
        if is_whole(self.value) and self.mode is PricingMode.PERCENT_OFF:
            errors.check(0 < self.value <= FULL_BASIS_POINTS, "value",
                         "A percentage off must be above 0% and at most 100%.")
        elif is_whole(self.value):
            errors.check(self.value > 0, "value", "An amount off must be more than zero.")
        if self.max_applications is not None:
            errors.check(is_whole(self.max_applications) and self.max_applications >= 1, "max_applications",
                         "Must be a whole number of at least 1.")
        if is_whole(self.max_units) and is_whole(self.get_quantity):
            errors.check(self.max_units >= self.get_quantity, "max_units",
                         f"A limit below one application's get units ({self.get_quantity}) would never apply.")

    @property
    def same_set(self) -> bool:
        """No get set of its own: the get units come from the buy set."""
        return not (self.get_product_ids or self.get_categories)

    @cached_property
    def product_ids(self) -> frozenset[str]:
        return self.buy_product_ids | self.get_product_ids

    @cached_property
    def categories(self) -> frozenset[str]:
        return self.buy_categories | self.get_categories

    def buys(self, product_id: str, category: str | None) -> bool:
        return product_id in self.buy_product_ids or (category is not None and category in self.buy_categories)

    def gets(self, product_id: str, category: str | None) -> bool:
        if self.same_set:
            return self.buys(product_id, category)
        return product_id in self.get_product_ids or (category is not None and category in self.get_categories)

    @cached_property
    def units_cap(self) -> int | None:
        """``max_applications``, and ``max_units`` in whole applications (``max_units // get_quantity``)."""
        caps = [cap for cap in (self.max_applications,
                                None if self.max_units is None else self.max_units // self.get_quantity)
                if cap is not None]
        return min(caps) if caps else None


@dataclass(frozen=True)
class Reward:
    """A step above free shipping, e.g. a gift from ¥10,000."""

    threshold: int
    label: str
    translations: tuple[tuple[str, str], ...] = ()

    def label_for(self, locale: str | None) -> str:
        return _translated(self.label, self.translations, locale)


@dataclass(frozen=True)
class ShippingStep:
    """A reduced fee from ``threshold``, below free shipping: "¥3,000以上で送料¥300"."""

    threshold: int
    fee: int


@dataclass(frozen=True, kw_only=True)
class ShippingThreshold(Rule):
    """Shipping costs ``fee`` below ``threshold`` and nothing from it, in one currency.

    ``steps`` lower the fee on the way (each from its own threshold, below free shipping). The thresholds
    are counted on the subtotal after discounts unless ``count_before_discounts`` is set. Never converted
    by exchange rate.
    """

    currency: str
    threshold: int
    fee: int
    rewards: tuple[Reward, ...] = ()
    count_before_discounts: bool = False
    steps: tuple[ShippingStep, ...] = ()

    def fee_at(self, counted: int) -> int:
        """The fee for a cart counted at ``counted``: the last step reached, nothing from the threshold."""
        if counted >= self.threshold:
            return 0
        fee = self.fee
        for step in self.steps:
            if counted >= step.threshold:
                fee = step.fee
        return fee

    def next_step(self, counted: int) -> ShippingStep | None:
        """The next reduced fee ahead of ``counted``, if one comes before free shipping."""
        return next((step for step in self.steps if step.threshold > counted), None)

    def _validate(self, errors: _Errors) -> None:
        errors.check(
            isinstance(self.currency, str) and len(self.currency) == 3 and self.currency.isupper(),
            "currency",
            "Use a three-letter currency code such as JPY.",
        )
        errors.check(is_whole(self.threshold) and self.threshold > 0, "threshold", "Must be more than zero.")
        errors.check(is_whole(self.fee) and self.fee >= 0, "fee", "A shipping fee must not be negative.")
        last = self.threshold if is_whole(self.threshold) else 0
        for reward in self.rewards:
            if not (is_whole(reward.threshold) and reward.threshold > last):
                errors.by_field["rewards"].append(
                    "Each reward needs a threshold above free shipping and above the reward before it."
                )
                break
            last = reward.threshold
        errors.check(all(reward.label.strip() for reward in self.rewards), "rewards", "Each reward needs a name.")
        errors.check(self.max_units is None, "max_units", "A shipping threshold discounts no units.")
        last_threshold, last_fee = 0, self.fee if is_whole(self.fee) else None
        for step in self.steps:
            if not (isinstance(step, ShippingStep) and is_whole(step.threshold) and is_whole(step.fee)):
                errors.by_field["steps"].append("Each step needs a whole threshold and fee.")
                break
            if not last_threshold < step.threshold < (self.threshold if is_whole(self.threshold) else step.threshold + 1):
                errors.by_field["steps"].append(
                    "Each step's threshold must be above the step before it and below free shipping."
                )
                break
            if not (0 <= step.fee and (last_fee is None or step.fee < last_fee)):
                errors.by_field["steps"].append("Each step's fee must be below the fee before it, and not negative.")
                break
            last_threshold, last_fee = step.threshold, step.fee


#: Steps one spend rule may have: enough for any ladder a shop writes, and bounded work per quote.
MAX_SPEND_STEPS = 10


@dataclass(frozen=True)
class SpendStep:
    """One step of a spend discount: from ``threshold`` spent, ``amount_off`` minor units or ``percent_bp`` off."""

    threshold: int
    amount_off: int | None = None
    percent_bp: int | None = None

    def saving_at(self, counted: int) -> int:
        """What this step takes off an order counted at ``counted`` (before the margin floor), at most ``counted``."""
        if self.amount_off is not None:
            return min(self.amount_off, counted)
        return percent_of(counted, self.percent_bp or 0)


@dataclass(frozen=True, kw_only=True)
class SpendDiscount(Rule):
    """An order discount by spend, in one currency: "¥5,000以上で¥500引き、¥10,000以上で10%オフ".

    Counted on the subtotal after item discounts (and gifts), before shipping; the reached step that saves
    the most applies. Never converted by exchange rate.
    """

    currency: str
    steps: tuple[SpendStep, ...]

    def step_for(self, counted: int) -> SpendStep | None:
        """The reached step that saves the most at ``counted`` (ties: the higher step), or ``None``."""
        best = None
        for step in self.steps:
            if counted >= step.threshold and (best is None or step.saving_at(counted) >= best.saving_at(counted)):
                best = step
        return best

    def saving_at(self, counted: int) -> int:
        step = self.step_for(counted)
        return step.saving_at(counted) if step else 0

    def next_step(self, counted: int) -> SpendStep | None:
        """The first step ahead of ``counted`` that would save more than the cart gets now."""
        now = self.saving_at(counted)
        return next((step for step in self.steps if step.threshold > counted and step.saving_at(step.threshold) > now),
                    None)

    def _validate(self, errors: _Errors) -> None:
        _check_currency(errors, self.currency)
        errors.check(bool(self.steps), "steps", "A spend discount needs at least one step.")
        # It prices the whole order after every item rule: nothing follows it to keep off, no unit to count.
        errors.check(not self.exclusive, "exclusive", "A spend discount applies after every other rule: it cannot be exclusive.")
        errors.check(self.max_units is None, "max_units", "A spend discount prices the whole order: it has no units to limit.")
        errors.check(len(self.steps) <= MAX_SPEND_STEPS, "steps", f"At most {MAX_SPEND_STEPS} steps.")
        previous: list[SpendStep] = []
        for step in self.steps:
            if not (isinstance(step, SpendStep) and is_whole(step.threshold) and step.threshold > 0):
                errors.by_field["steps"].append("Each step needs a threshold of more than zero.")
                return
            amount, percent = step.amount_off, step.percent_bp
            if (amount is None) == (percent is None):
                errors.by_field["steps"].append("Give each step an amount off or a percentage off, not both.")
                return
            if amount is not None and not (is_whole(amount) and 0 < amount <= step.threshold):
                errors.by_field["steps"].append("An amount off must be more than zero and at most its threshold.")
                return
            if percent is not None and not (is_whole(percent) and 0 < percent <= FULL_BASIS_POINTS):
                errors.by_field["steps"].append("A percentage off must be above 0% and at most 100%.")
                return
            if previous and step.threshold <= previous[-1].threshold:
                errors.by_field["steps"].append("List the steps by threshold, each above the last.")
                return
            if previous and step.saving_at(step.threshold) <= max(p.saving_at(step.threshold) for p in previous):
                errors.by_field["steps"].append("A higher step must take more off at its threshold than the steps below.")
                return
            previous.append(step)


@dataclass(frozen=True, kw_only=True)
class FreeGift(Rule):
    """A gift product at no charge (ノベルティ), one unit per order, while its condition holds and it is in stock.

    The condition: the order's spend reaches ``threshold`` (counted like a spend discount, without the gift
    product's own units), or it holds a unit of one of ``trigger_product_ids``; with both, both must hold.
    """

    currency: str
    gift_product_id: str
    threshold: int | None = None
    trigger_product_ids: frozenset[str] = frozenset()

    def _validate(self, errors: _Errors) -> None:
        _check_currency(errors, self.currency)
        errors.check(bool(self.gift_product_id) and isinstance(self.gift_product_id, str), "gift_product_id",
                     "Choose the gift product.")
        errors.check(self.threshold is not None or bool(self.trigger_product_ids), "threshold",
                     "Give a spend threshold, products that earn the gift, or both.")
        if self.threshold is not None:
            errors.check(is_whole(self.threshold) and self.threshold > 0, "threshold", "Must be more than zero.")
        errors.check(self.gift_product_id not in self.trigger_product_ids, "trigger_product_ids",
                     "The gift cannot earn itself.")
        errors.check(self.margin_floor_bp is None, "margin_floor_bp", "A gift is given away: it has no margin floor.")

    def earned(self, counted_without_gift: int, product_ids: Iterable[str]) -> bool:
        """Whether the condition holds for an order counted at ``counted_without_gift`` holding ``product_ids``."""
        if self.threshold is not None and counted_without_gift < self.threshold:
            return False
        return not self.trigger_product_ids or not self.trigger_product_ids.isdisjoint(product_ids)


#: Order-level rules: priced on the whole order after the item rules, indexed by currency, not by product.
ORDER_RULES = (SpendDiscount, FreeGift)


def _check_currency(errors: _Errors, currency: object) -> None:
    errors.check(
        isinstance(currency, str) and len(currency) == 3 and currency.isupper(),
        "currency",
        "Use a three-letter currency code such as JPY.",
    )


@dataclass(frozen=True)
class RuleBook:
    """Every configured rule, indexed by the products and categories they touch.

    Finding the rules for a cart looks up its products and categories, so the
    cost does not grow with the number of rules in the shop.
    """

    rules: tuple[Rule, ...] = ()
    _by_product: Mapping[str, tuple[Rule, ...]] = field(init=False, repr=False, compare=False)
    _by_category: Mapping[str, tuple[Rule, ...]] = field(init=False, repr=False, compare=False)
    _shipping: Mapping[str, tuple[ShippingThreshold, ...]] = field(init=False, repr=False, compare=False)
    _overrides: Mapping[str, Rule] = field(init=False, repr=False, compare=False)
    _orders: Mapping[str, tuple[Rule, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_product: dict[str, list[Rule]] = defaultdict(list)
        by_category: dict[str, list[Rule]] = defaultdict(list)
        shipping: dict[str, list[ShippingThreshold]] = defaultdict(list)
        orders: dict[str, list[Rule]] = defaultdict(list)
        for rule in self.rules:
            if isinstance(rule, ShippingThreshold):
                shipping[rule.currency].append(rule)
                continue
            if isinstance(rule, ORDER_RULES):
                orders[rule.currency].append(rule)
                continue
            for product_id in rule.product_ids:
                by_product[product_id].append(rule)
            for category in getattr(rule, "categories", ()):
                by_category[category].append(rule)
        object.__setattr__(self, "_by_product", {key: tuple(value) for key, value in by_product.items()})
        object.__setattr__(self, "_by_category", {key: tuple(value) for key, value in by_category.items()})
        object.__setattr__(self, "_shipping", {key: tuple(value) for key, value in shipping.items()})
        object.__setattr__(self, "_overrides", {})
        object.__setattr__(self, "_orders", {key: tuple(value) for key, value in orders.items()})

    def touching(self, product_ids: Iterable[str], categories: Iterable[str | None]) -> list[Rule]:
        """Rules (not shipping) that involve any of these products or categories, each once."""
        found: dict[str, Rule] = {}
        for product_id in product_ids:
            for rule in self._by_product.get(product_id, ()):
                found.setdefault(rule.id, rule)
        for category in categories:
            if category is not None:
                for rule in self._by_category.get(category, ()):
                    found.setdefault(rule.id, rule)
        if self._overrides:
            return [self._overrides.get(rule_id, rule) for rule_id, rule in found.items()]
        return list(found.values())

    def with_overrides(self, overrides: Mapping[str, Rule]) -> RuleBook:
        """This rulebook with some rules replaced by versions that name the same products and categories.

        An A/B variant changes a rule's copy or discount, never what it
        touches, so the indexes are shared and nothing is rebuilt.
        """
        for rule_id, rule in overrides.items():
            if rule.id != rule_id:
                raise ValueError(f"override for rule {rule_id} has id {rule.id}")
        book = object.__new__(RuleBook)
        for name in ("rules", "_by_product", "_by_category", "_shipping", "_orders"):
            object.__setattr__(book, name, getattr(self, name))
        object.__setattr__(book, "_overrides", {**self._overrides, **overrides})
        return book

    def shipping_for(self, currency: str) -> tuple[ShippingThreshold, ...]:
        return self._shipping.get(currency, ())

    def order_rules_for(self, currency: str) -> list[Rule]:
        """Spend discounts and gifts in ``currency`` (A/B overrides applied), in the order they were given."""
        found = self._orders.get(currency, ())
        if self._overrides:
            return [self._overrides.get(rule.id, rule) for rule in found]
        return list(found)
