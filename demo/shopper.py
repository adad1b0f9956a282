"""What the shop keeps in the shopper's Flask session: language, cart, identity, CSRF token."""
from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable

from flask import abort, has_request_context, request, session

LANGUAGES = ("ja", "en")
#: The most of one product a cart line may hold in the demo.
MAX_QUANTITY = 99
#: The hidden form field (and header) the CSRF token travels in.
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def lang() -> str:
    """The shopper's language: ``"ja"`` unless they switched to English."""
    if not has_request_context():
        return "ja"
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else "ja"


# -- cart --------------------------------------------------------------------------------------------


def cart_items() -> list[tuple[str, int]]:
    """The session cart as (product id, quantity) pairs; anything malformed is dropped."""
    if not has_request_context():
        return []
    items: list[tuple[str, int]] = []
    for entry in session.get("cart") or []:
        if (
            isinstance(entry, (list, tuple))
            and len(entry) == 2
            and isinstance(entry[0], str)
            and isinstance(entry[1], int)
            and 1 <= entry[1] <= MAX_QUANTITY
        ):
            items.append((entry[0], entry[1]))
    return items


def _save(items: Iterable[tuple[str, int]]) -> None:
    session["cart"] = [[product_id, quantity] for product_id, quantity in items if quantity > 0]


def add_items(items: Iterable[tuple[str, int]]) -> None:
    """Add quantities to the cart, merging with lines already there (at most :data:`MAX_QUANTITY`)."""
    current = dict(cart_items())
    for product_id, quantity in items:
        current[product_id] = min(MAX_QUANTITY, current.get(product_id, 0) + quantity)
    _save(current.items())


def subscribed() -> list[str]:
    """Products in the cart bought on 定期 (the product page's choice), not once."""
    held = {product_id for product_id, _ in cart_items()}
    chosen = session.get("subscribe")
    return [pid for pid in chosen if isinstance(pid, str) and pid in held] if isinstance(chosen, list) else []


def choose_subscription(product_id: str, on: bool) -> None:
    """Buy ``product_id`` on 定期 (``on``) or once; the last choice for a product wins."""
    chosen = [pid for pid in subscribed() if pid != product_id]
    session["subscribe"] = [*chosen, product_id] if on else chosen


def set_quantity(product_id: str, quantity: int) -> None:
    """Set one line's quantity; zero removes it."""
    current = dict(cart_items())
    if quantity <= 0:
        choose_subscription(product_id, False)
        current.pop(product_id, None)
    elif product_id in current:
        current[product_id] = min(MAX_QUANTITY, quantity)
    _save(current.items())


def clear_cart() -> None:
    session.pop("cart", None)
    session.pop("subscribe", None)


def cart_count() -> int:
    return sum(quantity for _, quantity in cart_items())


# -- identity ----------------------------------------------------------------------------------------


def customer_id() -> str | None:
    """Who is shopping: a seeded demo customer, or a random guest id given on the first visit."""
    if not has_request_context():
        return None
    if not session.get("customer_id"):
        session["customer_id"] = f"guest-{secrets.token_hex(6)}"
    return session["customer_id"]


def is_guest() -> bool:
    return (customer_id() or "").startswith("guest-")


# -- CSRF --------------------------------------------------------------------------------------------


def csrf_token() -> str:
    """This session's token, for the hidden ``csrf_token`` field of every form the shop renders."""
    if not session.get(CSRF_FIELD):
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


def check_csrf() -> None:
    """Refuse a POST whose form field (or header) does not carry this session's token."""
    expected = session.get(CSRF_FIELD)
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        abort(400, description="The form has expired. Please go back, reload the page and try again.")
