"""A minimal shop that mounts Tsuide the way the README tells a shop owner to."""
from __future__ import annotations

from factories import CATALOGUE
from flask import Flask, render_template_string
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from plugin import Cart, CartLine, ShopAdapter, Tsuide, migrate


class MemoryAdapter(ShopAdapter):
    """A shop whose catalogue and cart live in memory; tests set ``lines`` and ``customer_id``."""

    def __init__(self, catalogue=CATALOGUE):
        self.catalogue = dict(catalogue)
        self.lines: dict[str, int] = {}
        self.customer_id: str | None = None
        self.product_calls = 0

    def current_cart(self) -> Cart:
        return Cart(
            tuple(CartLine(pid, qty, self.catalogue[pid].price) for pid, qty in self.lines.items()),
            self.customer_id,
        )

    def products(self, ids):
        self.product_calls += 1
        return {pid: self.catalogue[pid] for pid in ids if pid in self.catalogue}

    def add_to_cart(self, items):
        for pid, qty in items:
            self.lines[pid] = self.lines.get(pid, 0) + qty


CART_PAGE = """<main><h1>Cart</h1>
<p id="total">{{ tsuide.format_money(quote.total) }}</p>
{{ tsuide.cart_panel(quote) }}
</main>"""


def make_shop(database_url: str, *, migrate_tables: bool = True, adapter: ShopAdapter | None = None, **config):
    app = Flask("testshop")
    app.config.update(SQLALCHEMY_DATABASE_URI=database_url, SECRET_KEY="test", TESTING=True, **config)
    db = SQLAlchemy(app)

    class ShopOrder(db.Model):  # the shop's own table, which the plugin must never touch
        __tablename__ = "shop_orders"
        id: Mapped[str] = mapped_column(String(20), primary_key=True)

    adapter = adapter or MemoryAdapter()
    tsuide = Tsuide(app, db=db, adapter=adapter)

    @app.get("/cart")
    def cart_page():
        quote = tsuide.quote(safe=True)
        return render_template_string(CART_PAGE, quote=quote)

    with app.app_context():
        db.create_all()
        if migrate_tables:
            migrate.upgrade(db.engine)
    return app, db, tsuide, adapter
