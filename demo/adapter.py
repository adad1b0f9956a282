"""The shop's side of Tsuide: how the plugin reads this shop's catalogue, cart and orders."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone

from flask import has_request_context, session, url_for
from sqlalchemy import func, or_, select

import plugin

from . import shopper
from .extensions import db
from .models import Order, OrderLine, Product


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
        if not order_id.isdigit():
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
