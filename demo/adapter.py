"""The shop's side of Tsuide: how the plugin reads this shop's catalogue, cart and orders."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone

from flask import has_request_context, session, url_for
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

import plugin
from plugin.engine.money import allocate

from . import shopper
from .catalogue import CATEGORIES
from .extensions import db
from .text import category_name
from .models import Order, OrderLine, Payment, Product, Subscription
from .text import tr

#: The pretend payment provider declines extra charges to a card ending in these digits (for demos and tests).
DECLINING_CARD_LAST4 = "0002"


def to_plugin_product(row: Product, lang: str) -> plugin.Product:
    """A catalogue row as the plugin sees it; links only exist while serving a request."""
    linked = has_request_context()
    return plugin.Product(
        id=row.id,
        name=row.name(lang),
        price=row.price,
        category=row.category,
        url=url_for("shop.product", product_id=row.id) if linked else None,
        image_url=url_for("shop.image", product_id=row.id) if linked else None,
        in_stock=row.in_stock,
        cost=row.cost,
    )


def catalogue_prices(ids: Iterable[str]) -> dict[str, int]:
    ids = set(ids)
    if not ids:
        return {}
    return dict(db.session.execute(select(Product.id, Product.price).where(Product.id.in_(ids))).all())


def build_cart(items: Sequence[tuple[str, int]], customer_id: str | None) -> plugin.Cart:
    """A plugin cart for ``items``, priced from the catalogue; unknown products are left out."""
    prices = catalogue_prices(product_id for product_id, _ in items)
    lines = tuple(
        plugin.CartLine(product_id, quantity, prices[product_id])
        for product_id, quantity in items
        if product_id in prices
    )
    return plugin.Cart(lines, customer_id)


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


class DemoAdapter(plugin.ShopAdapter):
    """Catalogue and orders in the shop's database; the cart in the Flask session."""

    def current_cart(self) -> plugin.Cart:
        return build_cart(shopper.cart_items(), shopper.customer_id())

    def products(self, ids: Iterable[str]) -> Mapping[str, plugin.Product]:
        ids = set(ids)
        if not ids:
            return {}
        lang = shopper.lang()
        rows = db.session.scalars(select(Product).where(Product.id.in_(ids))).all()
        return {row.id: to_plugin_product(row, lang) for row in rows}

    def add_to_cart(self, items: Sequence[tuple[str, int]]) -> None:
        known = {
            row.id
            for row in db.session.scalars(select(Product).where(Product.id.in_({pid for pid, _ in items})))
            if row.in_stock
        }
        shopper.add_items((pid, quantity) for pid, quantity in items if pid in known and quantity > 0)

    def categories(self) -> Sequence[tuple[str, str]]:
        """The shop's categories (id, name in the shopper's language), for the admin's picker and its checks."""
        return [(category, category_name(category)) for category in CATEGORIES]

    def search_products(self, query: str, limit: int) -> Sequence[plugin.Product]:
        pattern = f"%{query.strip()}%"
        rows = db.session.scalars(
            select(Product)
            .where(or_(Product.id.ilike(pattern), Product.name_ja.ilike(pattern), Product.name_en.ilike(pattern)))
            .order_by(Product.position, Product.id)
            .limit(limit)
        ).all()
        lang = shopper.lang()
        return [to_plugin_product(row, lang) for row in rows]

    def order(self, order_id: str) -> plugin.Order | None:
        if not (order_id.isascii() and order_id.isdigit() and len(order_id) <= 9):  # "²" is a digit to isdigit()
            return None
        row = db.session.get(Order, int(order_id))
        if row is None or row.customer_id is None or row.customer_id != shopper.customer_id():
            return None
        return plugin.Order(
            id=row.number,
            lines=tuple(plugin.CartLine(line.product_id, line.quantity, line.unit_price) for line in row.lines),
            customer_id=row.customer_id,
            placed_at=_as_utc(row.placed_at),
            total=row.total,
        )

    def amend_order(
        self,
        order_id: str,
        add: Sequence[plugin.CartLine],
        remove: Sequence[plugin.CartLine],
        charge: int,
        idempotency_key: str,
    ) -> bool:
        """Accept a thank-you offer: change the stored order and charge its card on file, in one transaction.

        ``add`` comes at list price; the offer's saving is what it costs less than that, spread over the
        added lines, so the lines still add up to the order's total. Nothing changes unless the charge
        goes through.
        """
        if not (order_id.isascii() and order_id.isdigit() and len(order_id) <= 9):
            return False
        order = db.session.get(Order, int(order_id), with_for_update=True, populate_existing=True)
        if order is None or order.customer_id is None or order.customer_id != shopper.customer_id():
            return False
        already = db.session.scalar(select(Payment).where(Payment.idempotency_key == idempotency_key))
        if already is not None:
            return already.order_id == order.id  # this amendment was made before: never charge twice
        if not _charge_card_on_file(order, charge):
            db.session.rollback()
            return False

        removed = {line.product_id for line in remove}
        kept = [line for line in order.lines if line.product_id not in removed]
        gone = [line for line in order.lines if line.product_id in removed]
        credit = sum(line.total for line in gone)  # what the replaced lines cost in this order
        list_price = sum(line.subtotal for line in add)
        discounts = allocate(list_price - charge - credit, [line.subtotal for line in add]) if add else []
        names = {row.id: row.name(shopper.lang()) for row in db.session.scalars(
            select(Product).where(Product.id.in_({line.product_id for line in add})))}
        added = [
            OrderLine(product_id=line.product_id, name=names.get(line.product_id, line.product_id),
                      quantity=line.quantity, unit_price=line.unit_price, discount=discount,
                      total=line.subtotal - discount)
            for line, discount in zip(add, discounts)
        ]
        order.lines = kept + added  # delete-orphan removes the replaced lines

        new_subtotal = order.subtotal - sum(line.unit_price * line.quantity for line in gone) + list_price
        new_total = order.total + charge
        new_discount_total = new_subtotal + order.shipping_fee - new_total
        offer_saving = new_discount_total - order.discount_total
        if offer_saving:
            order.discounts = [*order.discounts, {"rule_id": None, "label": tr("thank_you_offer_discount"),
                                                  "amount": offer_saving}]
        order.subtotal, order.discount_total, order.total = new_subtotal, new_discount_total, new_total
        db.session.add(Payment(order_id=order.id, amount=charge, card_last4=order.card_last4,
                               idempotency_key=idempotency_key))
        try:
            db.session.commit()
        except IntegrityError:  # the same key, charged by a concurrent request
            db.session.rollback()
            return db.session.scalar(select(Payment).where(Payment.idempotency_key == idempotency_key)) is not None
        return True

    def start_subscription(self, order_id: str, product_id: str | None, plan: plugin.Plan,
                           idempotency_key: str) -> bool:
        """Switch the order's health food to 定期: store the plan as shown, refund a first-delivery discount."""
        if not (order_id.isascii() and order_id.isdigit() and len(order_id) <= 9):
            return False
        order = db.session.get(Order, int(order_id))
        if order is None or order.customer_id is None or order.customer_id != shopper.customer_id():
            return False
        already = db.session.scalar(select(Subscription).where(Subscription.idempotency_key == idempotency_key))
        if already is not None:
            return already.order_id == order.id  # started before under this key: never twice
        db.session.add(Subscription(
            customer_id=order.customer_id, order_id=order.id,
            lines=[[line.product_id, line.quantity, line.unit_price] for line in plan.lines], every=plan.every,
            unit=plan.unit.value, recurring_price=plan.recurring_price, min_deliveries=plan.min_deliveries,
            next_delivery_on=plan.next_delivery_on, idempotency_key=idempotency_key))
        if plan.refund:
            db.session.add(Payment(order_id=order.id, amount=-plan.refund, card_last4=order.card_last4,
                                   idempotency_key=idempotency_key))
            order.total -= plan.refund
        try:
            db.session.commit()
        except IntegrityError:  # the same key, by a concurrent request
            db.session.rollback()
            return db.session.scalar(
                select(Subscription).where(Subscription.idempotency_key == idempotency_key)) is not None
        return True

    def add_to_next_delivery(self, subscription_id: str, items: Sequence[plugin.CartLine],
                             idempotency_key: str) -> bool:
        """Put renewal add-ons in the subscription's next delivery, at the prices Tsuide quoted, once per key."""
        if not (subscription_id.isascii() and subscription_id.isdigit() and len(subscription_id) <= 9):
            return False
        row = db.session.get(Subscription, int(subscription_id), with_for_update=True, populate_existing=True)
        if row is None or row.customer_id != shopper.customer_id():
            return False
        if any(extra[3] == idempotency_key for extra in row.additions):
            return True
        row.additions = [*row.additions, *([line.product_id, line.quantity, line.unit_price, idempotency_key]
                                           for line in items)]
        db.session.commit()
        return True

    def customer(self) -> plugin.Customer | None:
        customer_id = shopper.customer_id()
        if customer_id is None:
            return None
        count, spent = db.session.execute(
            select(func.count(Order.id), func.coalesce(func.sum(Order.total), 0)).where(
                Order.customer_id == customer_id
            )
        ).one()
        return plugin.Customer(customer_id, orders_count=int(count), total_spent=int(spent))

    def order_lines(self, since: datetime | None) -> Iterable[tuple[str, str, int]]:
        query = select(OrderLine.order_id, OrderLine.product_id, OrderLine.quantity).join(Order)
        if since is not None:
            if since.tzinfo is not None:
                since = since.astimezone(timezone.utc).replace(tzinfo=None)
            query = query.where(Order.placed_at >= since)
        for order_id, product_id, quantity in db.session.execute(query.order_by(OrderLine.order_id, OrderLine.id)):
            yield str(order_id), product_id, quantity

    def is_admin(self) -> bool:
        return has_request_context() and bool(session.get("admin"))


def _charge_card_on_file(order: Order, amount: int) -> bool:
    """The pretend payment provider: charges the card the order was paid with, unless it declines."""
    return amount >= 0 and order.card_last4 != DECLINING_CARD_LAST4
