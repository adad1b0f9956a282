"""Which beacons are stored: only offers the server showed this visitor, once a visitor, offer, kind and day.

Every panel the server renders carries a *beacon token*: the ids of the
offers it shows, with the visitor id (and, on the thank-you page, the order),
signed with the app's ``SECRET_KEY`` (itsdangerous, salt ``"tsuide-beacon"``)
and good for :data:`TOKEN_MAX_AGE`. The widget sends it back with each
impression, click and dismiss beacon, and only the offers it names are
stored, under the visitor it names. So a browser can report on what the
shop's own rules and catalogue put on its page, and nothing else: no made-up
``gap:`` text on the dashboard, no offers for someone else's id.

A visitor's beacons of one kind are stored once a (UTC) day per offer; a
view, once a day per visitor. One query on the visitor's indexed events
finds what is stored already.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache

from flask import g
from itsdangerous import BadData, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.url_safe import URLSafeSerializerMixin
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..engine.values import Quote
from ..storage.events import Event
from .tokens import SecondMemo
from .visitor import signing_keys, visitor_id

#: How long a rendered panel's beacons are accepted: a day, the span beacons are de-duplicated over.
TOKEN_MAX_AGE = 86_400
_SALT = "tsuide-beacon"


@dataclass(frozen=True)
class Shown:
    """What a valid beacon token says the server showed this visitor."""

    offers: frozenset[str]
    order_id: str | None = None  #: the order a thank-you panel was for


#: A payload of at most this many bytes of JSON is signed as it is; a longer one may be zlib-compressed.
COMPRESS_FROM = 256


class BeaconSerializer(URLSafeTimedSerializer):
    """itsdangerous' URL-safe timed serializer, which tries zlib on a long payload only.

    A panel's payload is a visitor id and a few offer ids, which compression does not shorten, and each attempt
    sets up a compressor of a few hundred KB: about half the cost of a token, made for every panel. A short
    payload's token is the one ``URLSafeTimedSerializer`` makes (compressing would not pay), and every token
    loads with either.
    """

    def dump_payload(self, obj) -> bytes:
        payload = super(URLSafeSerializerMixin, self).dump_payload(obj)  # the JSON, as the mixin would compress it
        if len(payload) > COMPRESS_FROM:
            return super().dump_payload(obj)
        return base64_encode(payload)


def _serializer() -> URLSafeTimedSerializer:
    return _serializer_for(tuple(signing_keys()))


#: Beacon tokens kept for the second they were stamped in (see :mod:`.tokens`), at most this many: a visitor's add,
#: the cart API call and the product panel's refresh that follow it sign the same payload within one second.
TOKENS_KEPT = 1024
TOKENS = SecondMemo(TOKENS_KEPT)


@lru_cache(maxsize=16)
def _serializer_for(keys: tuple) -> URLSafeTimedSerializer:
    return BeaconSerializer(list(keys), salt=_SALT)


def beacon_token(offer_ids: Iterable[str], order_id: str | None = None) -> str:
    """The token a panel carries for the offers it shows this visitor.

    Made once a request for the same offers, so a panel's HTML and the JSON around it carry the same token
    even when the clock's second turns between the two; and across requests, the serializer's own token for the same
    signing keys and payload is kept for the rest of the second it carries (:data:`TOKENS`).
    """
    payload = {"visitor": visitor_id(), "offers": sorted(set(offer_ids)), "order": order_id}
    made = g._get_current_object().setdefault("tsuide_beacon_tokens", {})
    key = (payload["visitor"], tuple(payload["offers"]), order_id)
    token = made.get(key)
    if token is None:
        keys = tuple(signing_keys())
        kept_as = (keys, key)  # the signing keys (a rotation is a new key) and the payload
        token = TOKENS.get(kept_as)
        if token is None:
            token = _serializer_for(keys).dumps(payload)
            TOKENS.keep(kept_as, token)
        made[key] = token
    return token


def shown(token: str | None) -> Shown | None:
    """What ``token`` says the server showed this visitor, or ``None`` if it is not a valid token of theirs."""
    if not token:
        return None
    try:
        data = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    except BadData:
        return None
    if not isinstance(data, dict) or data.get("visitor") != visitor_id():
        return None
    return Shown(frozenset(data.get("offers") or ()), data.get("order"))


def cart_offer_ids(quote: Quote) -> list[str]:
    """The offers a cart panel shows: its offers, the gap fillers under the free-shipping bar, and the spend
    discounts and gifts its ladder names."""
    ids = [offer.rule_id for offer in quote.offers]
    if quote.free_shipping:
        ids += [f"gap:{filler.product.id}" for filler in quote.gap_fillers]
    ids += [rung.rule_id for rung in quote.ladder if rung.rule_id not in ids]  # spend steps and gifts on the bar
    return ids


def thank_you_offer_ids(step) -> list[str]:
    """The offer a thank-you panel shows, if it shows one."""
    return [f"pp:{step.amendment.offer.id}"] if step.state == "offer" and step.amendment is not None else []


def recorded_today(session: Session, visitor: str, kind: str) -> set[str | None]:
    """The offers (``None`` for a view) this visitor has a ``kind`` event for since midnight UTC."""
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    return set(session.scalars(select(Event.rule_id).where(
        Event.visitor_id == visitor, Event.kind == kind, Event.created_at >= today
    )))
