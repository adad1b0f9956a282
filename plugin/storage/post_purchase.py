"""Tables for thank-you page offers: the offers, their items and triggers, and each order's answers."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..engine import post_purchase as engine
from ..engine import subscriptions
from .base import Base, as_utc, utcnow
from .rules import PercentKeywords, PercentOff, Variant, changed_parents, variant_errors
from ..engine.rules import BundleItem, PricingMode, RuleError
from ..engine.values import CartLine


class PostPurchaseOffer(PercentOff, PercentKeywords, Base):
    """An add-on, upgrade or subscribe offer; a row with ``parent_id`` is the downsell shown after its parent is
    declined. A subscribe offer's plan is in the ``cycle_*``, ``first_pricing_*``, ``min_deliveries`` and
    ``*_terms`` columns; its price prices each later delivery.

    Its price: ``discount_percent=10`` off the items (the default mode, ``percent_off``), or ``pricing_mode``
    ``amount_off`` / ``fixed_price`` with ``pricing_value`` an amount in minor units.
    """

    _percent_keywords = ("discount_percent",)

    __tablename__ = "tsuide_pp_offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tsuide_pp_offers.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    label: Mapped[str] = mapped_column(String(200), nullable=False)
    label_en: Mapped[str | None] = mapped_column(String(200))
    accept_label: Mapped[str | None] = mapped_column(String(60))
    accept_label_en: Mapped[str | None] = mapped_column(String(60))
    decline_label: Mapped[str | None] = mapped_column(String(60))
    decline_label_en: Mapped[str | None] = mapped_column(String(60))
    replaces_product_id: Mapped[str | None] = mapped_column(String(64))
    pricing_mode: Mapped[str] = mapped_column(String(16), nullable=False, default="percent_off")
    pricing_value: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    min_order_total: Mapped[int | None] = mapped_column(Integer)
    max_order_total: Mapped[int | None] = mapped_column(Integer)
    segment: Mapped[str] = mapped_column(String(16), nullable=False, default="any")
    starts_at: Mapped[datetime | None] = mapped_column(DateTime)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime)
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    paused: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    global_cap: Mapped[int | None] = mapped_column(Integer)
    accepted: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    row_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    cycle_every: Mapped[int | None] = mapped_column(Integer)
    cycle_unit: Mapped[str | None] = mapped_column(String(8))
    first_pricing_mode: Mapped[str | None] = mapped_column(String(16))
    first_pricing_value: Mapped[int | None] = mapped_column(Integer)
    min_deliveries: Mapped[int | None] = mapped_column(Integer)
    payment_terms: Mapped[str | None] = mapped_column(Text)
    payment_terms_en: Mapped[str | None] = mapped_column(Text)
    cancel_terms: Mapped[str | None] = mapped_column(Text)
    cancel_terms_en: Mapped[str | None] = mapped_column(Text)

    items: Mapped[list[PostPurchaseItem]] = relationship(
        cascade="all, delete-orphan", order_by="PostPurchaseItem.position", lazy="selectin"
    )
    triggers: Mapped[list[PostPurchaseTrigger]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    variants: Mapped[list[Variant]] = relationship(
        cascade="all, delete-orphan", order_by="Variant.position", lazy="selectin"
    )
    downsell: Mapped[PostPurchaseOffer | None] = relationship(
        remote_side="PostPurchaseOffer.parent_id", uselist=False, lazy="selectin",
        primaryjoin="PostPurchaseOffer.id == foreign(PostPurchaseOffer.parent_id)",
    )

    __mapper_args__ = {"version_id_col": row_version}

    def to_offer(self, with_downsell: bool = True) -> engine.PostPurchaseOffer:
        """The engine's value for this row; raises :class:`~plugin.engine.rules.RuleError`."""

        def pair(ja: str | None, en: str | None) -> tuple[tuple[str, str], ...]:
            return tuple((code, text) for code, text in (("ja", ja), ("en", en)) if text)

        downsell = self.downsell if with_downsell else None
        live_downsell = downsell is not None and downsell.deleted_at is None
        errors = {}
        choices = (("kind", engine.OfferKind, self.kind), ("pricing_mode", PricingMode, self.pricing_mode or "percent_off"),
                   ("segment", engine.Segment, self.segment or "any"))
        for name, kind, value in choices:
            try:
                kind(value)
            except ValueError:
                errors[name] = [f"Choose one of: {', '.join(choice.value for choice in kind)}."]
        plan_errors: dict[str, list[str]] = {}
        plan = self._plan_terms(plan_errors) if self.kind == engine.OfferKind.SUBSCRIBE.value else None
        if errors:
            raise RuleError({**errors, **plan_errors})
        try:
            offer = self._engine_offer(pair, plan, downsell if live_downsell else None)
        except RuleError as error:
            if not plan_errors:
                raise
            # Every wrong field at once: the plan's own, and the offer's (less "it needs a plan").
            merged = {name: list(messages) for name, messages in error.errors.items()
                      if not (name == "cycle_every" and plan is None)}
            for name, messages in plan_errors.items():
                merged.setdefault(name, []).extend(messages)
            raise RuleError(merged) from None
        if plan_errors:
            raise RuleError(plan_errors)
        return offer

    def _engine_offer(self, pair, plan, downsell) -> engine.PostPurchaseOffer:
        return engine.PostPurchaseOffer(
            id=str(self.id) if self.id is not None else "new",
            kind=engine.OfferKind(self.kind),
            label=self.label,
            translations=pair(None, self.label_en),
            accept_label=pair(self.accept_label, self.accept_label_en),
            decline_label=pair(self.decline_label, self.decline_label_en),
            trigger_products=frozenset(t.product_id for t in self.triggers if t.product_id),
            trigger_categories=frozenset(t.category for t in self.triggers if t.category),
            items=tuple(BundleItem(item.product_id, 1 if item.quantity is None else item.quantity) for item in self.items),
            replaces=self.replaces_product_id,
            mode=PricingMode(self.pricing_mode or "percent_off"),
            value=self.pricing_value or 0,
            min_order_total=self.min_order_total,
            max_order_total=self.max_order_total,
            segment=engine.Segment(self.segment or "any"),
            starts_at=as_utc(self.starts_at),
            ends_at=as_utc(self.ends_at),
            priority=self.priority or 0,
            paused=bool(self.paused),
            global_cap=self.global_cap,
            accepted=self.accepted or 0,
            downsell=downsell.to_offer(with_downsell=False) if downsell is not None else None,
            plan=plan,
        )

    def _plan_terms(self, errors: dict) -> subscriptions.PlanTerms | None:
        """The subscribe offer's plan, or ``None`` with every wrong field added to ``errors``."""
        unit = first_mode = None
        try:
            unit = subscriptions.CycleUnit(self.cycle_unit)
        except ValueError:
            errors["cycle_unit"] = ["Choose weeks or months."]
        if self.first_pricing_mode:
            try:
                first_mode = PricingMode(self.first_pricing_mode)
            except ValueError:
                errors["first_pricing_mode"] = [f"Choose one of: {', '.join(mode.value for mode in PricingMode)}."]
        try:
            return subscriptions.PlanTerms(
                every=self.cycle_every if self.cycle_every is not None else 0,
                unit=unit if unit is not None else subscriptions.CycleUnit.MONTH,
                first_mode=first_mode, first_value=self.first_pricing_value or 0,
                min_deliveries=self.min_deliveries,
                payment=tuple((code, text) for code, text in (("ja", self.payment_terms), ("en", self.payment_terms_en))
                              if text),
                cancel=tuple((code, text) for code, text in (("ja", self.cancel_terms), ("en", self.cancel_terms_en))
                             if text),
            )
        except RuleError as error:
            for name, messages in error.errors.items():
                errors.setdefault(name, []).extend(messages)
            return None


class PostPurchaseItem(Base):
    __tablename__ = "tsuide_pp_offer_items"
    __table_args__ = (UniqueConstraint("offer_id", "product_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("tsuide_pp_offers.id", ondelete="CASCADE"), nullable=False,
                                          index=True)
    product_id: Mapped[str] = mapped_column(String(64), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class PostPurchaseTrigger(Base):
    """An order holding this product (or a product of this category) gets the offer."""

    __tablename__ = "tsuide_pp_offer_triggers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("tsuide_pp_offers.id", ondelete="CASCADE"), nullable=False,
                                          index=True)
    product_id: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(64))


class PostPurchaseResponse(Base):
    """A shopper's answer to an offer for one order: ``declined``, or an accept's claim, ``pending`` then ``accepted``.

    ``idempotency_key`` is unique, so a retried or doubled accept is one amendment.
    ``accepted_order_id`` is set only while an accept is pending or done and is
    unique too, so an order takes at most one offer, however many tabs race.
    A pending claim holds a lease from ``claimed_at``; ``lines`` keeps what it
    adds and removes, so whoever settles a claim whose worker died retries the
    very amendment that was claimed, under the same key.
    """

    __tablename__ = "tsuide_pp_responses"
    __table_args__ = (UniqueConstraint("order_id", "offer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("tsuide_pp_offers.id"), nullable=False)
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # pending | accepted | declined
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    accepted_order_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    charge: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)  #: when the claim's lease last started
    #: ``{"add": [[product, quantity, unit price]], "remove": [...]}``, and a subscribe offer's ``"plan"``
    lines: Mapped[dict | None] = mapped_column(JSON)

    @staticmethod
    def lines_of(add: tuple[CartLine, ...], remove: tuple[CartLine, ...],
                 plan: subscriptions.Plan | None = None) -> dict:
        """The ``lines`` value of an amendment (and the plan a subscribe offer starts)."""
        value = {name: [[line.product_id, line.quantity, line.unit_price] for line in lines]
                 for name, lines in (("add", add), ("remove", remove))}
        if plan is not None:
            value["plan"] = plan.as_dict()
        return value

    def plan(self) -> subscriptions.Plan | None:
        """The plan a subscribe claim starts (or started), as it was shown."""
        data = (self.lines or {}).get("plan")
        return subscriptions.Plan.from_dict(data) if data else None

    def amendment_lines(self) -> tuple[tuple[CartLine, ...], tuple[CartLine, ...]]:
        """What the claim adds and removes, as the shop's ``amend_order`` was (or will be) asked."""
        lines = self.lines or {}
        return tuple(tuple(CartLine(*line) for line in lines.get(name, ())) for name in ("add", "remove"))


@event.listens_for(Session, "before_flush")
def _validate_offers(session: Session, flush_context, instances) -> None:
    """Saving an offer validates it through the engine, naming every wrong field at once."""
    with session.no_autoflush:
        changed = changed_parents(session, PostPurchaseOffer, "pp_offer_id")
    for obj in changed:
        errors = variant_errors(obj.to_offer(with_downsell=False), obj.variants)
        if errors:
            raise RuleError(errors)
