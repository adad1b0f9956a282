"""The rule tables: bundles, volume discounts, shipping thresholds, their items, steps, variants and redemptions.

Saving any rule validates it through the engine (every error at once) and
bumps the version stamp in the same transaction, so every worker sees the
change on its next request.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    JSON,
    Integer,
    String,
    UniqueConstraint,
    event,
    false,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..engine import rules as engine
from ..engine.variants import VariantSpec, apply_variant, can_price, check_variants
from .base import Base, State, as_utc, utcnow
from .percent import NotAPercentage, bp_to_percent, percent_to_bp


def basis_points(name: str, value) -> int | None:
    """``value``, a percentage a shop's code gave as keyword ``name``, in basis points; :class:`RuleError` if it is not one."""
    if value is None:
        return None
    try:
        return percent_to_bp(value)
    except NotAPercentage as error:
        raise engine.RuleError({name: [str(error)]}) from None


class PercentKeywords:
    """Constructor keywords in percent (``discount_percent=10``) for columns kept in basis points.

    They are set after every other keyword, so ``pricing_mode`` is known whatever order the code wrote them in.
    """

    _percent_keywords: tuple[str, ...] = ()

    def __init__(self, **kwargs):
        later = {name: kwargs.pop(name) for name in self._percent_keywords if name in kwargs}
        if "discount_percent" in later and kwargs.get("pricing_value") is not None:
            raise engine.RuleError({"discount_percent": [
                "Give discount_percent (percent off) or pricing_value (an amount in minor units), not both."]})
        super().__init__(**kwargs)
        for name, value in later.items():
            setattr(self, name, value)


class PercentOff:
    """``discount_percent``: a percent-off offer's discount in percent (the ``pricing_value`` column holds basis points)."""

    @property
    def discount_percent(self) -> Decimal | None:
        """The discount in percent (``Decimal("12.5")``) when ``pricing_mode`` is ``percent_off``, else ``None``."""
        return bp_to_percent(self.pricing_value) if self.pricing_mode == "percent_off" else None

    @discount_percent.setter
    def discount_percent(self, value) -> None:
        if self.pricing_mode not in (None, "percent_off"):
            raise engine.RuleError({"discount_percent": [
                f"discount_percent is for pricing_mode percent_off; with {self.pricing_mode}, set pricing_value "
                "(an amount in the currency's minor unit)."]})
        self.pricing_mode = "percent_off"
        self.pricing_value = basis_points("discount_percent", value)


class Rule(PercentKeywords, Base):
    """Terms every rule shares; one row per rule, ``kind`` tells which.

    Percentages are given in percent (``margin_floor_percent=10``, and a bundle's ``discount_percent=10``);
    the columns keep basis points (``margin_floor_bp``, ``pricing_value``), which are the engine's.
    """

    _percent_keywords = ("margin_floor_percent",)

    __tablename__ = "tsuide_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    label: Mapped[str] = mapped_column(String(200), nullable=False)
    label_en: Mapped[str | None] = mapped_column(String(200))
    starts_at: Mapped[datetime | None] = mapped_column(DateTime)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime)
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    stackable: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    exclusive: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    paused: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    per_customer_cap: Mapped[int | None] = mapped_column(Integer)
    global_cap: Mapped[int | None] = mapped_column(Integer)
    redeemed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    margin_floor_bp: Mapped[int | None] = mapped_column(Integer)
    max_units: Mapped[int | None] = mapped_column(Integer)  #: at most this many units discounted per order
    # fixed bundles (and a buy-X-get-Y's discount)
    pricing_mode: Mapped[str | None] = mapped_column(String(16))
    pricing_value: Mapped[int | None] = mapped_column(Integer)
    # shipping thresholds
    currency: Mapped[str | None] = mapped_column(String(3))
    threshold: Mapped[int | None] = mapped_column(Integer)
    fee: Mapped[int | None] = mapped_column(Integer)
    count_before_discounts: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # free gifts (their spend threshold is ``threshold``, the products that earn them ``items``)
    gift_product_id: Mapped[str | None] = mapped_column(String(64))
    # buy X get Y (the buy set is ``items`` and ``categories``)
    buy_quantity: Mapped[int | None] = mapped_column(Integer)
    get_quantity: Mapped[int | None] = mapped_column(Integer)
    max_applications: Mapped[int | None] = mapped_column(Integer)
    get_product_ids: Mapped[list | None] = mapped_column(JSON)
    get_categories: Mapped[list | None] = mapped_column(JSON)

    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    row_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    items: Mapped[list[RuleItem]] = relationship(
        cascade="all, delete-orphan", order_by="RuleItem.position", lazy="selectin"
    )
    categories: Mapped[list[RuleCategory]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    steps: Mapped[list[RuleStep]] = relationship(
        cascade="all, delete-orphan", order_by="RuleStep.threshold", lazy="selectin"
    )
    variants: Mapped[list[Variant]] = relationship(
        cascade="all, delete-orphan", order_by="Variant.position", lazy="selectin"
    )

    __mapper_args__ = {"polymorphic_on": kind, "version_id_col": row_version}

    @property
    def margin_floor_percent(self) -> Decimal | None:
        """The margin floor over cost in percent (``Decimal("10")``), or ``None`` for the shop's default."""
        return bp_to_percent(self.margin_floor_bp)

    @margin_floor_percent.setter
    def margin_floor_percent(self, value) -> None:
        self.margin_floor_bp = basis_points("margin_floor_percent", value)

    def to_rule(self) -> engine.Rule:
        """The engine's frozen value for this row; raises :class:`~plugin.engine.rules.RuleError`."""
        return build_rule(
            self,
            [(item.product_id, 1 if item.quantity is None else item.quantity) for item in self.items],
            [category.category for category in self.categories],
            [(step.threshold, step.percent_bp, step.label, step.label_en, step.fee, step.amount_off)
             for step in self.steps],
        )


class Bundle(PercentOff, Rule):
    """A fixed bundle: ``items`` together at a price.

    ``discount_percent=10`` for 10% off (``pricing_mode`` ``percent_off``), or ``pricing_mode`` ``amount_off`` /
    ``fixed_price`` with ``pricing_value`` an amount in the currency's minor unit (yen, cents).
    """

    _percent_keywords = ("margin_floor_percent", "discount_percent")

    __mapper_args__ = {"polymorphic_identity": "bundle"}


class VolumeRule(Rule):
    """Mix and match over products (``items``) and ``categories``; ``steps`` are the tiers."""

    __mapper_args__ = {"polymorphic_identity": "volume"}


class BuyGetRule(PercentOff, Rule):
    """Buy ``buy_quantity`` of the buy set (``items`` and ``categories``), get ``get_quantity`` of the get set
    (``get_product_ids`` and ``get_categories``; none: the buy set) at ``discount_percent`` off (100: free) or
    ``pricing_mode`` ``amount_off`` with ``pricing_value`` off each get unit; up to ``max_applications`` groups."""

    _percent_keywords = ("margin_floor_percent", "discount_percent")

    __mapper_args__ = {"polymorphic_identity": "buy_get"}


class ShippingRule(Rule):
    """A free-shipping threshold in one currency; ``steps`` are its reduced fees below it (with a ``fee``) and
    the rewards above it (with a label)."""

    __mapper_args__ = {"polymorphic_identity": "shipping"}


class SpendRule(Rule):
    """A spend discount in one currency; ``steps`` are its steps (``threshold`` with ``amount_off`` or a percentage)."""

    __mapper_args__ = {"polymorphic_identity": "spend"}


class GiftRule(Rule):
    """A free gift (ノベルティ): ``gift_product_id`` at no charge from ``threshold`` spent and/or with one of ``items``."""

    __mapper_args__ = {"polymorphic_identity": "gift"}


def build_rule(
    row,
    items: list[tuple[str, int]],
    categories: list[str],
    steps: list[tuple],
) -> engine.Rule:
    """The engine's value for a ``tsuide_rules`` row (an ORM object or a plain row) and its children."""
    terms = {
        "id": str(row.id) if row.id is not None else "new",
        "label": row.label,
        "translations": (("en", row.label_en),) if row.label_en else (),
        "starts_at": as_utc(row.starts_at),
        "ends_at": as_utc(row.ends_at),
        "priority": row.priority or 0,
        "stackable": bool(row.stackable),
        "exclusive": bool(row.exclusive),
        "paused": bool(row.paused),
        "per_customer_cap": row.per_customer_cap,
        "global_cap": row.global_cap,
        "redeemed": row.redeemed or 0,
        "margin_floor_bp": row.margin_floor_bp,
        "max_units": getattr(row, "max_units", None),
    }
    if row.kind == "bundle":
        try:
            mode = engine.PricingMode(row.pricing_mode)
        except ValueError:
            raise engine.RuleError({"pricing_mode": ["Choose fixed_price, percent_off or amount_off."]}) from None
        return engine.FixedBundle(
            **terms,
            items=tuple(engine.BundleItem(product_id, quantity) for product_id, quantity in items),
            mode=mode,
            value=row.pricing_value,
        )
    if row.kind == "volume":
        return engine.VolumeDiscount(
            **terms,
            product_ids=frozenset(product_id for product_id, _ in items),
            categories=frozenset(categories),
            tiers=tuple(engine.VolumeTier(threshold, percent_bp) for threshold, percent_bp, *_ in steps),
        )
    if row.kind == "buy_get":
        try:
            mode = engine.PricingMode(row.pricing_mode)
        except ValueError:
            raise engine.RuleError({"pricing_mode": ["Choose percent_off or amount_off."]}) from None
        return engine.BuyXGetY(
            **terms,
            buy_product_ids=frozenset(product_id for product_id, _ in items),
            buy_categories=frozenset(categories),
            buy_quantity=row.buy_quantity,
            get_product_ids=frozenset(row.get_product_ids or ()),
            get_categories=frozenset(row.get_categories or ()),
            get_quantity=row.get_quantity,
            mode=mode,
            value=row.pricing_value,
            max_applications=row.max_applications,
        )
    if row.kind == "shipping":
        return engine.ShippingThreshold(
            **terms,
            currency=row.currency,
            threshold=row.threshold,
            fee=row.fee,
            rewards=tuple(
                engine.Reward(threshold, label or "", (("en", label_en),) if label_en else ())
                for threshold, _, label, label_en, fee, *_ in steps if fee is None
            ),
            steps=tuple(engine.ShippingStep(threshold, fee) for threshold, _, _, _, fee, *_ in steps if fee is not None),
            count_before_discounts=bool(row.count_before_discounts),
        )
    if row.kind == "spend":
        return engine.SpendDiscount(
            **terms,
            currency=row.currency,
            steps=tuple(engine.SpendStep(threshold, amount_off=(rest[0] if rest else None), percent_bp=percent_bp)
                        for threshold, percent_bp, _, _, _, *rest in steps),
        )
    if row.kind == "gift":
        return engine.FreeGift(
            **terms,
            currency=row.currency,
            gift_product_id=row.gift_product_id or "",
            threshold=row.threshold,
            trigger_product_ids=frozenset(product_id for product_id, _ in items),
        )
    raise engine.RuleError({"kind": [f"Unknown rule kind {row.kind!r}."]})


class Variant(PercentKeywords, Base):
    """One arm of an A/B test of a bundle, volume discount or thank-you offer.

    Empty fields keep the offer's own: a variant with none set is the control.
    ``discount_percent`` (for a percent-off offer) or ``pricing_value`` (an amount, for the other modes)
    replaces the offer's discount; ``weight`` is its share of the visitors outside the holdout.
    """

    _percent_keywords = ("discount_percent",)

    __tablename__ = "tsuide_variants"
    __table_args__ = (UniqueConstraint("rule_id", "name"), UniqueConstraint("pp_offer_id", "name"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("tsuide_rules.id", ondelete="CASCADE"), index=True)
    pp_offer_id: Mapped[int | None] = mapped_column(ForeignKey("tsuide_pp_offers.id", ondelete="CASCADE"),
                                                    index=True)
    name: Mapped[str] = mapped_column(String(32), nullable=False)
    weight: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    label: Mapped[str | None] = mapped_column(String(200))
    label_en: Mapped[str | None] = mapped_column(String(200))
    button_label: Mapped[str | None] = mapped_column(String(60))
    button_label_en: Mapped[str | None] = mapped_column(String(60))
    pricing_value: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    #: Set when the discount was given in percent: saving checks that the offer is percent off.
    given_in_percent = False

    @property
    def discount_percent(self) -> Decimal | None:
        """The variant's discount in percent, read as the percent-off offer it belongs to would (``None``: the offer's)."""
        return bp_to_percent(self.pricing_value)

    @discount_percent.setter
    def discount_percent(self, value) -> None:
        self.pricing_value = basis_points("discount_percent", value)
        self.given_in_percent = value is not None



def changed_parents(session: Session, model: type, column: str) -> list:
    """Rows of ``model`` saved in this flush, and those whose variants changed (to validate together)."""
    parents = {id(obj): obj for obj in (*session.new, *session.dirty) if isinstance(obj, model)}
    for variant in (*session.new, *session.dirty):
        if isinstance(variant, Variant) and getattr(variant, column) is not None:
            parent = session.get(model, getattr(variant, column))
            if parent is not None:
                parents.setdefault(id(parent), parent)
    return [parent for parent in parents.values() if parent not in session.deleted]


def variant_errors(offer, variants) -> dict[str, list[str]]:
    """What is wrong with an offer's variants (the engine's value ``offer``), as field errors."""
    specs = [VariantSpec.of(variant) for variant in variants]
    mode = getattr(getattr(offer, "mode", None), "value", None)
    in_percent = [variant.name for variant in variants if getattr(variant, "given_in_percent", False)]
    if in_percent and mode != "percent_off":
        return {"variants": [f"{', '.join(in_percent)}: discount_percent is for a percent-off offer; give this "
                             "offer's variants pricing_value (an amount in the currency's minor unit)."]}
    try:
        check_variants(specs, can_price(offer), offer)
        for spec in specs:
            apply_variant(offer, spec)
    except engine.RuleError as error:
        return dict(error.errors)
    return {}


class RuleItem(Base):
    """A product in a bundle (with its quantity) or in a volume discount's collection."""

    __tablename__ = "tsuide_rule_items"
    __table_args__ = (UniqueConstraint("rule_id", "product_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("tsuide_rules.id", ondelete="CASCADE"), nullable=False, index=True)
    product_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class RuleCategory(Base):
    __tablename__ = "tsuide_rule_categories"
    __table_args__ = (UniqueConstraint("rule_id", "category"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("tsuide_rules.id", ondelete="CASCADE"), nullable=False, index=True)
    category: Mapped[str] = mapped_column(String(64), nullable=False)


class RuleStep(PercentKeywords, Base):
    """A volume tier (``threshold`` = minimum quantity, ``discount_percent=10`` off), a shipping reward
    (``threshold`` = amount, ``label``), a reduced shipping fee (``threshold`` = amount, its ``fee``), or a spend
    discount's step (``threshold`` = amount, ``amount_off`` or ``discount_percent``). The ``percent_bp`` column
    keeps a tier's or step's discount in basis points."""

    _percent_keywords = ("discount_percent",)

    __tablename__ = "tsuide_rule_steps"
    __table_args__ = (UniqueConstraint("rule_id", "threshold"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("tsuide_rules.id", ondelete="CASCADE"), nullable=False, index=True)
    threshold: Mapped[int] = mapped_column(Integer, nullable=False)
    percent_bp: Mapped[int | None] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(String(200))
    label_en: Mapped[str | None] = mapped_column(String(200))
    fee: Mapped[int | None] = mapped_column(Integer)
    amount_off: Mapped[int | None] = mapped_column(Integer)  #: a spend step's amount off (minor units)

    @property
    def discount_percent(self) -> Decimal | None:
        """A tier's discount in percent (``Decimal("10")``); ``None`` for a shipping reward."""
        return bp_to_percent(self.percent_bp)

    @discount_percent.setter
    def discount_percent(self, value) -> None:
        self.percent_bp = basis_points("discount_percent", value)


class Redemption(Base):
    """Applications of a capped rule in a placed order; one row per rule and order."""

    __tablename__ = "tsuide_redemptions"
    __table_args__ = (UniqueConstraint("rule_id", "order_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("tsuide_rules.id"), nullable=False)
    order_id: Mapped[str] = mapped_column(String(64), nullable=False)
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    applications: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)




def _overlap_errors(session: Session, rule: VolumeRule) -> dict[str, list[str]]:
    """Two live non-stackable volume discounts may not count the same product or category."""
    if rule.stackable or rule.paused or rule.deleted_at is not None:
        return {}  # a paused rule prices nothing; it is checked again when resumed
    products = {item.product_id for item in rule.items}
    categories = {category.category for category in rule.categories}
    with session.no_autoflush:
        others = session.scalars(
            select(VolumeRule).where(
                VolumeRule.deleted_at.is_(None), VolumeRule.stackable.is_(False), VolumeRule.paused.is_(False),
                VolumeRule.id != (rule.id or -1),
            )
        ).all()
    errors: dict[str, list[str]] = {}
    for other in others:
        shared = products & {item.product_id for item in other.items}
        if shared:
            errors.setdefault("product_ids", []).append(
                f"{', '.join(sorted(shared))} already counts toward volume discount {other.label!r}."
            )
        shared = categories & {category.category for category in other.categories}
        if shared:
            errors.setdefault("categories", []).append(
                f"{', '.join(sorted(shared))} already counts toward volume discount {other.label!r}."
            )
    return errors


#: Saving a row of these moves the version stamp, so every worker reloads its cache (which holds the rules,
#: the settings and every A/B test, thank-you offers' included: clearing an offer's variants touches only it).
STAMPED_TABLES = frozenset({"tsuide_rules", "tsuide_rule_items", "tsuide_rule_categories", "tsuide_rule_steps",
                            "tsuide_variants", "tsuide_settings", "tsuide_pp_offers",
                            "tsuide_blocked_pairs"})


@event.listens_for(Session, "before_flush")
def _validate_and_stamp(session: Session, flush_context, instances) -> None:
    touched = [obj for obj in (*session.new, *session.dirty, *session.deleted) if isinstance(obj, Base)]
    if not any(obj.__tablename__ in STAMPED_TABLES for obj in touched):
        return
    with session.no_autoflush:
        changed = changed_parents(session, Rule, "rule_id")
    for obj in changed:
        errors: dict[str, list[str]] = {}
        try:
            errors.update(variant_errors(obj.to_rule(), obj.variants))
        except engine.RuleError as error:
            errors.update(error.errors)
        if isinstance(obj, VolumeRule):
            for name, messages in _overlap_errors(session, obj).items():
                errors.setdefault(name, []).extend(messages)
        if errors:
            raise engine.RuleError(errors)
    session.execute(update(State).where(State.id == 1).values(version=State.version + 1))
