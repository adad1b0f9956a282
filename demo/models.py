"""The shop's own tables: catalogue, customers, orders. Created by ``db.create_all()``.

The plugin's ``tsuide_*`` tables are not here: ``flask tsuide db upgrade`` makes them.
Prices and costs are whole yen.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow() -> datetime:
    """Naive UTC, the way every datetime is stored here."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Product(db.Model):
    __tablename__ = "shop_products"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_ja: Mapped[str] = mapped_column(String(200), nullable=False)
    name_en: Mapped[str] = mapped_column(String(200), nullable=False)
    description_ja: Mapped[str] = mapped_column(Text, nullable=False, default="")
    description_en: Mapped[str] = mapped_column(Text, nullable=False, default="")
    category: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    price: Mapped[int] = mapped_column(Integer, nullable=False)
    cost: Mapped[int | None] = mapped_column(Integer)
    in_stock: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    #: Colour of the placeholder image, e.g. "#d97757".
    colour: Mapped[str] = mapped_column(String(7), nullable=False, default="#8a8f98")
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_ja

    def description(self, lang: str) -> str:
        return self.description_en if lang == "en" else self.description_ja


class Customer(db.Model):
    __tablename__ = "shop_customers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_ja: Mapped[str] = mapped_column(String(200), nullable=False)
    name_en: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str] = mapped_column(String(200), nullable=False)

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_ja


class Order(db.Model):
    __tablename__ = "shop_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Not a foreign key: guests (session-only shoppers) place orders too.
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    buyer_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    card_last4: Mapped[str] = mapped_column(String(4), nullable=False, default="")
    placed_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow, index=True)
    subtotal: Mapped[int] = mapped_column(Integer, nullable=False)
    discount_total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    shipping_fee: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total: Mapped[int] = mapped_column(Integer, nullable=False)
    #: The discounts applied, as shown to the shopper: [{"label": ..., "amount": ...}].
    discounts: Mapped[list] = mapped_column(db.JSON, nullable=False, default=list)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id", lazy="selectin"
    )

    @property
    def number(self) -> str:
        """The id the plugin and the shopper see."""
        return str(self.id)


class OrderLine(db.Model):
    __tablename__ = "shop_order_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_orders.id", ondelete="CASCADE"), nullable=False, index=True)
    product_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    #: The name at the time of the order, in the shopper's language.
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    unit_price: Mapped[int] = mapped_column(Integer, nullable=False)
    discount: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total: Mapped[int] = mapped_column(Integer, nullable=False)

    order: Mapped[Order] = relationship(back_populates="lines")


class Payment(db.Model):
    """A charge the pretend payment provider took from an order's card on file.

    The checkout's own payment is not recorded here (it is the order's total); these are the extra
    charges of post-purchase offers. ``idempotency_key`` is unique, so a retried amendment charges once.
    """

    __tablename__ = "shop_payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_orders.id", ondelete="CASCADE"), nullable=False, index=True)
    amount: Mapped[int] = mapped_column(Integer, nullable=False)
    card_last4: Mapped[str] = mapped_column(String(4), nullable=False, default="")
    idempotency_key: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)


class Subscription(db.Model):
    """A 定期 subscription started from a thank-you offer: what each delivery holds and when the next comes.

    ``idempotency_key`` is unique, so a retried start makes one subscription; ``additions`` are the next
    delivery's extras, added through Tsuide's renewal add-ons (each once, by its own key).
    """

    __tablename__ = "shop_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_orders.id", ondelete="CASCADE"), nullable=False)
    #: [[product id, quantity, unit price at list]] of each delivery
    lines: Mapped[list] = mapped_column(db.JSON, nullable=False)
    every: Mapped[int] = mapped_column(Integer, nullable=False)
    unit: Mapped[str] = mapped_column(String(8), nullable=False)
    recurring_price: Mapped[int] = mapped_column(Integer, nullable=False)
    min_deliveries: Mapped[int | None] = mapped_column(Integer)
    next_delivery_on: Mapped[date] = mapped_column(Date, nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    #: [[product id, quantity, unit price, idempotency key]] added to the next delivery
    additions: Mapped[list] = mapped_column(db.JSON, nullable=False, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
