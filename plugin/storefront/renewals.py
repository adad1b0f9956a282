"""Renewal add-ons: products for a subscription's next delivery, priced by the engine, added in one click.

:func:`renewal_offers` quotes the next delivery as a cart with the shop's
live rules and mined pairs (the same front door as the cart page), and keeps
the offers that add something the delivery does not hold yet, in stock, not
declined by this subscriber and not added already. Each comes with a signed
token (``SECRET_KEY``, its own salt) naming the subscription, the delivery,
the lines at exactly the shown price and the moment it closes:
``TSUIDE_RENEWAL_CUTOFF_DAYS`` before the delivery. Adding claims the token's
idempotency key in ``tsuide_renewal_answers`` first, then calls the shop's
``add_to_next_delivery`` once; a double click, a retry or the e-mail's link
opened twice adds once. A claim holds a lease (``TSUIDE_CLAIM_LEASE_SECONDS``):
once it ran out (its worker died inside the shop's call), the next add of it,
or the next look at that subscription's add-ons, takes the lease over (one
request only) and asks the shop again with the claimed lines under the same key.
"""
from __future__ import annotations

import logging
import time as clock
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from ..engine.subscriptions import Subscription, priced_items, renewal_price
from ..engine.values import Cart, CartLine, Offer, Product
from ..errors import NotAddable, OfferUnavailable, PaymentFailed, UnknownOffer
from ..storage.base import utcnow
from ..storage.events import Event, analytics_savepoint
from ..storage.subscriptions import RenewalAnswer
from .visitor import signing_keys, visitor_id

log = logging.getLogger("tsuide")
_SALT = "tsuide-renewal-offer"
#: Offers the engine is asked for before those the delivery cannot take are left out.
CANDIDATES = 10
#: How long a request waits for a concurrent add with the same key to finish.
CLAIM_WAIT_SECONDS = 10.0
CLAIM_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class RenewalOffer:
    """One suggestion for the next delivery: what it adds, at what price, and the signed token that adds it."""

    offer: Offer
    products: tuple[Product, ...]
    items: tuple[CartLine, ...]  #: at the unit prices the delivery charges: they add up to ``price``
    list_price: int
    price: int
    token: str

    @property
    def saving(self) -> int:
        return self.list_price - self.price


@dataclass(frozen=True)
class Renewal:
    """What ``tsuide.renewal_offers(subscription)`` answers: the suggestions, and what was added already."""

    subscription: Subscription
    offers: tuple[RenewalOffer, ...]
    closes_at: datetime
    added: tuple[str, ...] = ()  #: products already added to this delivery through Tsuide
    enabled: bool = True  #: ``False`` when the shop has no ``add_to_next_delivery``


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(signing_keys(), salt=_SALT)


def closes_at(delivery_on: date) -> datetime:
    """When additions to the delivery of ``delivery_on`` close."""
    cutoff = delivery_on - timedelta(days=current_app.config["TSUIDE_RENEWAL_CUTOFF_DAYS"])
    return datetime.combine(cutoff, time(0, 0), tzinfo=timezone.utc)


def _answers(session, subscription_id: str) -> list[RenewalAnswer]:
    return list(session.scalars(select(RenewalAnswer).where(RenewalAnswer.subscription_id == subscription_id)))


def renewal_offers(tsuide, subscription: Subscription, now: datetime | None = None) -> Renewal:
    """The add-ons to suggest for ``subscription``'s next delivery, priced for that delivery."""
    now = now or datetime.now(timezone.utc)
    closing = closes_at(subscription.next_delivery_on)
    if "add_to_next_delivery" in tsuide.missing_features() or not tsuide.setting("TSUIDE_RENEWAL_OFFERS"):
        return Renewal(subscription, (), closing, enabled=False)
    session = tsuide._state().db.session
    answers = _answers(session, subscription.id)
    if any(lease_expired(answer) for answer in answers):
        # An add whose worker died: looking at the delivery completes it (or releases it), as an add would.
        for answer in [answer for answer in answers if lease_expired(answer)]:
            try:
                _settle(tsuide, answer, closing)
            except PaymentFailed:
                pass  # refused by the shop: released, so it is suggested again below
        answers = _answers(session, subscription.id)
    delivery = subscription.next_delivery_on
    added = {pid for a in answers if a.status in ("pending", "added") and a.delivery_on == delivery
             for pid in a.product_ids}
    since = (now - timedelta(days=tsuide.setting("TSUIDE_DECLINE_DAYS"))).replace(tzinfo=None)
    declined = {pid for a in answers if a.status == "declined" and a.created_at >= since for pid in a.product_ids}
    if now >= closing:
        return Renewal(subscription, (), closing, tuple(sorted(added)))
    held = {line.product_id for line in subscription.lines}
    # Candidates beyond the cart's few: some add what the delivery holds and are left out below.
    cart = Cart(subscription.lines, subscription.customer_id)
    quote = tsuide._price(tsuide._context(cart), now, max_offers=CANDIDATES)
    wanted = {line.product_id for offer in quote.offers for line in offer.add}
    catalogue = tsuide._adapter.products(wanted) if wanted else {}
    found = []
    for offer in quote.offers:
        ids = {line.product_id for line in offer.add}
        price = renewal_price(offer)  # what the delivery costs more with them: the engine's figure, or None
        if not ids or ids & (held | added | declined) or price is None:
            continue  # never what the delivery holds, was added, or was declined
        if not feeds_renewals(tsuide, offer.rule_id):
            continue  # the admin left this rule (or mined pairs) out of renewals
        if any(pid not in catalogue or not catalogue[pid].in_stock for pid in ids):
            continue
        items = priced_items(offer.add, price)
        token = _serializer().dumps({
            "s": subscription.id, "d": delivery.isoformat(), "r": offer.rule_id,
            "i": [[line.product_id, line.quantity, line.unit_price] for line in items],
            "u": int(closing.timestamp())})
        found.append(RenewalOffer(offer, tuple(catalogue[line.product_id] for line in offer.add), items,
                                  offer.added_price, price, token))
    shown = tsuide.setting("TSUIDE_MAX_CART_OFFERS")
    return Renewal(subscription, tuple(found[:shown]), closing, tuple(sorted(added)))


def feeds_renewals(tsuide, rule_id: str) -> bool:
    """Whether offers of ``rule_id`` (a rule's id, or ``pair:<product>`` for a mined pair) may be suggested for a
    next delivery: the admin's ``renewal_pairs`` and ``renewal_excluded_rules`` settings."""
    if rule_id.startswith("pair:"):
        return bool(tsuide.setting("TSUIDE_RENEWAL_PAIRS"))
    return rule_id not in set(tsuide.setting("TSUIDE_RENEWAL_EXCLUDED_RULES") or ())


@dataclass(frozen=True)
class Addition:
    """A genuine token, read: what it adds to which delivery."""

    subscription_id: str
    delivery_on: date
    rule_id: str
    items: tuple[CartLine, ...]
    closes_at: datetime

    @property
    def price(self) -> int:
        return sum(line.subtotal for line in self.items)

    @property
    def key(self) -> str:
        """One add per subscription, delivery and products, however often it is asked for."""
        products = ",".join(sorted({line.product_id for line in self.items}))
        return f"renewal:{self.subscription_id}:{self.delivery_on.isoformat()}:{products}"[:100]


def read(tsuide, token: str, now: datetime | None = None) -> Addition:
    """The addition a token names; 404 for a forged one, 410 once its delivery closed."""
    try:
        data = _serializer().loads(token or "")
        addition = Addition(str(data["s"]), date.fromisoformat(data["d"]), str(data["r"]),
                            tuple(CartLine(str(p), int(q), int(u)) for p, q, u in data["i"]),
                            datetime.fromtimestamp(int(data["u"]), timezone.utc))
    except (BadSignature, KeyError, TypeError, ValueError):
        raise UnknownOffer(tsuide.gettext("This offer does not exist.")) from None
    if (now or datetime.now(timezone.utc)) >= addition.closes_at:
        raise OfferUnavailable(tsuide.gettext("This offer has ended"))
    return addition


def _claim_row(addition: Addition, now: datetime) -> RenewalAnswer:
    return RenewalAnswer(subscription_id=addition.subscription_id, delivery_on=addition.delivery_on,
                         product_ids=sorted({line.product_id for line in addition.items}), status="pending",
                         idempotency_key=addition.key, charge=addition.price, created_at=now, claimed_at=now,
                         items=[[line.product_id, line.quantity, line.unit_price] for line in addition.items],
                         rule_id=addition.rule_id[:64])


def _claimed(row: RenewalAnswer, closes: datetime) -> Addition:
    """The addition a claim holds: its own lines, whatever token asked again."""
    items = tuple(CartLine(str(p), int(q), int(u)) for p, q, u in (row.items or ()))
    return Addition(row.subscription_id, row.delivery_on, row.rule_id or "", items, closes)


def _lease_cutoff(now: datetime) -> datetime:
    return now - timedelta(seconds=current_app.config["TSUIDE_CLAIM_LEASE_SECONDS"])


def lease_expired(row: RenewalAnswer, now: datetime | None = None) -> bool:
    """Whether a pending add's lease ran out: the request that holds it is taken to be dead."""
    return row.status == "pending" and (row.claimed_at or row.created_at) <= _lease_cutoff(now or utcnow())


def add(tsuide, token: str) -> Addition:
    """Add what ``token`` names to the next delivery, once: claim the key, ask the shop, record the answer.

    A second request for the same key waits for the first (up to :data:`CLAIM_WAIT_SECONDS`) and answers as
    it did; one whose claim's lease ran out (its worker died inside ``add_to_next_delivery``) takes the lease
    over and asks the shop again, once, with the claim's items under the same key.
    """
    addition = read(tsuide, token)
    if "add_to_next_delivery" in tsuide.missing_features() or not tsuide.setting("TSUIDE_RENEWAL_OFFERS"):
        raise OfferUnavailable(tsuide.gettext("This offer is no longer available."))
    products = tsuide._adapter.products({line.product_id for line in addition.items})
    if any(line.product_id not in products or not products[line.product_id].in_stock for line in addition.items):
        raise NotAddable(tsuide.gettext("This offer is no longer available."))
    session = tsuide._state().db.session
    deadline = clock.monotonic() + CLAIM_WAIT_SECONDS
    while True:
        row = _claim_row(addition, utcnow())
        try:
            session.add(row)
            session.commit()
        except IntegrityError:  # added, or being added, under this key already: never twice
            session.rollback()
        else:
            return _ask_shop(tsuide, row.id, addition)
        taken = session.scalar(select(RenewalAnswer).where(RenewalAnswer.idempotency_key == addition.key))
        if taken is None:
            continue  # the claim we met was released (the shop refused): claim it ourselves
        if taken.status == "added":
            return _claimed(taken, addition.closes_at)
        if taken.status == "pending" and lease_expired(taken):
            settled = _settle(tsuide, taken, addition.closes_at)
            if settled is not None:
                return settled
        if clock.monotonic() > deadline:
            raise NotAddable(tsuide.gettext("Your order is being updated. Please wait a moment."))
        clock.sleep(CLAIM_POLL_SECONDS)


def _settle(tsuide, row: RenewalAnswer, closes: datetime) -> Addition | None:
    """Take over a pending add whose lease ran out (one request only) and ask the shop again, once.

    ``None`` when another request took the lease first: the caller looks again and waits.
    """
    session = tsuide._state().db.session
    row_id, addition = row.id, _claimed(row, closes)
    now = utcnow()
    taken_over = session.execute(
        update(RenewalAnswer)
        .where(RenewalAnswer.id == row_id, RenewalAnswer.status == "pending",
               func.coalesce(RenewalAnswer.claimed_at, RenewalAnswer.created_at) <= _lease_cutoff(now))
        .values(claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    if not taken_over:
        return None
    if not addition.items:  # claimed before claims kept their lines: nothing to retry, so release it
        log.warning("tsuide: renewal add %s has no recorded lines to retry; releasing it", row_id)
        _release(session, row_id)
        raise PaymentFailed(tsuide.gettext("The payment did not go through, so nothing was charged. Please try again."))
    log.warning("tsuide: adding to the next delivery of subscription %s was interrupted; retrying it under the "
                "same key", addition.subscription_id)
    return _ask_shop(tsuide, row_id, addition)


def _release(session, row_id: int) -> None:
    session.rollback()
    session.execute(delete(RenewalAnswer).where(RenewalAnswer.id == row_id, RenewalAnswer.status == "pending"))
    session.commit()


def _ask_shop(tsuide, row_id: int, addition: Addition) -> Addition:
    """Call the shop's ``add_to_next_delivery`` under the claim's key; mark the claim added, or release it."""
    session = tsuide._state().db.session
    try:
        done = bool(tsuide._adapter.add_to_next_delivery(addition.subscription_id, addition.items, addition.key))
    except Exception:
        log.exception("tsuide: adding to the next delivery of subscription %s failed", addition.subscription_id)
        done = False
    if not done:
        _release(session, row_id)
        raise PaymentFailed(tsuide.gettext("The payment did not go through, so nothing was charged. Please try again."))
    marked = session.execute(
        update(RenewalAnswer).where(RenewalAnswer.id == row_id, RenewalAnswer.status == "pending")
        .values(status="added").execution_options(synchronize_session=False)
    ).rowcount
    if marked:  # recorded once, by whoever marked it
        with analytics_savepoint(session):
            session.add(Event(kind="add", rule_id=addition.rule_id, visitor_id=visitor_id(), page="renewal",
                              amount=addition.price))
    session.commit()
    return addition


def decline(tsuide, token: str) -> Addition:
    """Remember that this subscriber does not want these products (for ``TSUIDE_DECLINE_DAYS``)."""
    addition = read(tsuide, token)
    session = tsuide._state().db.session
    session.add(RenewalAnswer(subscription_id=addition.subscription_id, delivery_on=addition.delivery_on,
                              product_ids=sorted({line.product_id for line in addition.items}), status="declined",
                              charge=0, created_at=utcnow(), rule_id=addition.rule_id[:64]))
    session.commit()
    return addition
