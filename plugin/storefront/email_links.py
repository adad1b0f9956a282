"""The confirmation e-mail's link to a thank-you offer: signed, for one order, open until its own deadline.

The link carries the order id and the end of the e-mail window (``TSUIDE_EMAIL_OFFER_HOURS`` after the
order), signed with the app's ``SECRET_KEY`` (itsdangerous, its own salt), in the query parameter
``tsuide_offer``. Opening the thank-you page through it extends that order's offer window, for this
browser's session, to the e-mail window; the accept and decline calls that follow find it there. A link
whose window has passed shows a kind "this offer has ended"; a tampered or foreign one is ignored.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import current_app, request, session
from itsdangerous import BadSignature, URLSafeSerializer

from ..engine.values import Order
from .visitor import signing_keys

#: The query parameter that carries the signed link.
PARAMETER = "tsuide_offer"
_SALT = "tsuide-email-offer"
_SESSION_KEY = "tsuide_email_windows"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(signing_keys(), salt=_SALT)


def email_deadline(order: Order) -> datetime:
    """When the e-mail's offer for ``order`` closes."""
    return order.placed_at + timedelta(hours=current_app.config["TSUIDE_EMAIL_OFFER_HOURS"])


def link_token(order: Order) -> str:
    """The signed value of the e-mail link for ``order``: its id and the end of its e-mail window."""
    return _serializer().dumps({"order": order.id, "until": int(email_deadline(order).timestamp())})


def read_token(token: str, order_id: str) -> datetime | None:
    """The deadline a genuine link for ``order_id`` carries, else ``None`` (tampered, or another order's)."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("order") != order_id or not isinstance(data.get("until"), int):
        return None
    return datetime.fromtimestamp(data["until"], timezone.utc)


def opened_from_email(order_id: str, now: datetime) -> str | None:
    """Look at this request's link: ``"open"`` (and remember the window in the session), ``"ended"`` for a
    genuine link whose window has passed, ``None`` when there is no genuine link for this order."""
    token = request.args.get(PARAMETER) if request else None
    if not token:
        return None
    until = read_token(token, order_id)
    if until is None:
        return None
    if now >= until:
        return "ended"
    windows = dict(session.get(_SESSION_KEY) or {})
    windows[order_id] = int(until.timestamp())
    session[_SESSION_KEY] = windows
    return "open"


def email_window(order_id: str) -> datetime | None:
    """The e-mail window this browser opened for ``order_id``, if any (the session is signed by Flask)."""
    if not request:
        return None
    until = (session.get(_SESSION_KEY) or {}).get(order_id)
    return datetime.fromtimestamp(until, timezone.utc) if isinstance(until, int) else None
