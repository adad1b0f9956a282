"""What the host shop implements: subclass :class:`ShopAdapter`.

Three methods are required. Every optional method left as it is here switches
its feature off; :func:`missing_features` says which and why, for the admin.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from .engine.subscriptions import Plan
from .engine.values import Cart, CartLine, Customer, Order, Product

REQUIRED = ("current_cart", "products", "add_to_cart")

#: Optional method -> the feature that needs it, in words an admin reads.
OPTIONAL = {
    "search_products": "the admin's product picker",
    "order": "thank-you page offers",
    "amend_order": "one-click post-purchase offers",
    "customer": "targeting and per-customer caps",
    "order_lines": "mining what is bought together",
    "admin_name": "naming who changed what in the admin's audit log",
    "categories": "the admin's category picker, and refusing rules on categories the shop does not have",
    "start_subscription": "定期 (subscription) offers on the thank-you page",
    "add_to_next_delivery": "renewal add-ons for a subscription's next delivery",
}


class ShopAdapter:
    """The shop's side of the contract. Override the required methods; the rest are optional."""

    def current_cart(self) -> Cart:
        """The shopper's cart in this request."""
        raise NotImplementedError

    def products(self, ids: Iterable[str]) -> Mapping[str, Product]:
        """Catalogue entries for ``ids``; ids the shop does not know are left out."""
        raise NotImplementedError

    def add_to_cart(self, items: Sequence[tuple[str, int]]) -> None:
        """Put (product id, quantity) pairs in the shopper's cart."""
        raise NotImplementedError

    def search_products(self, query: str, limit: int) -> Sequence[Product]:
        raise NotImplementedError

    def categories(self) -> Sequence[tuple[str, str]]:
        """(category id, display name) pairs: the admin's category picker, and refusing unknown categories."""
        raise NotImplementedError

    def order(self, order_id: str) -> Order | None:
        """The order, or ``None`` unless the current shopper owns it."""
        raise NotImplementedError

    def amend_order(
        self, order_id: str, add: Sequence[tuple[str, int]], remove: Sequence[tuple[str, int]], charge: int,
        idempotency_key: str,
    ) -> bool:
        raise NotImplementedError

    def start_subscription(self, order_id: str, product_id: str | None, plan: Plan, idempotency_key: str) -> bool:
        """Switch the order's line of ``product_id`` (``None``: the whole order) to ``plan``; ``True`` once it is.

        The order is the plan's first delivery: refund ``plan.refund`` to its payment if it is above 0, then
        deliver ``plan.lines`` every ``plan.every`` ``plan.unit`` from ``plan.next_delivery_on``, charging
        ``plan.recurring_price`` for each, on the terms shown (``plan.payment_for(locale)``,
        ``plan.cancel_for(locale)``). Idempotent per ``idempotency_key``: called again with the same key, start
        nothing more and answer as the first call did.
        """
        raise NotImplementedError

    def add_to_next_delivery(self, subscription_id: str, items: Sequence[CartLine], idempotency_key: str) -> bool:
        """Add ``items`` (at the unit prices given: the engine's, for that delivery) to the subscription's next
        delivery and its charge; ``True`` once they are. Idempotent per ``idempotency_key``."""
        raise NotImplementedError

    def customer(self) -> Customer | None:
        """Who is shopping, or ``None`` for a guest. Without it, per-customer caps count per cart."""
        return None

    def order_lines(self, since: datetime | None) -> Iterable[tuple[str, str, int]]:
        raise NotImplementedError

    def admin_name(self) -> str | None:
        """Who is using the admin, for the audit log (e.g. the staff member's e-mail)."""
        raise NotImplementedError

    def is_admin(self) -> bool:
        """May this request use the admin? Closed until the shop says otherwise."""
        return False


def _overrides(adapter: ShopAdapter, name: str) -> bool:
    method = getattr(type(adapter), name, None)
    return method is not None and method is not getattr(ShopAdapter, name)


def check_adapter(adapter: object) -> None:
    """Refuse an adapter that lacks a required method, naming what to add."""
    if not isinstance(adapter, ShopAdapter):
        raise TypeError(
            "Tsuide needs an adapter: pass adapter=YourShopAdapter(), a subclass of plugin.ShopAdapter."
        )
    missing = [name for name in REQUIRED if not _overrides(adapter, name)]
    if missing:
        names = ", ".join(f"{name}()" for name in missing)
        raise TypeError(f"{type(adapter).__name__} must implement {names}: see 'The adapter' in the README.")


def missing_features(adapter: ShopAdapter) -> dict[str, str]:
    """Optional methods the shop has not provided -> the feature that stays off."""
    return {name: feature for name, feature in OPTIONAL.items() if not _overrides(adapter, name)}
