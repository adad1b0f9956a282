"""The thank-you page funnel: what an order is offered now, and accepting or declining it.

Accepting claims the offer in the database first and only then asks the
shop to amend the order and charge it (see :mod:`.claims`). A second click,
a retry or a second tab finds the claim and charges nothing; while a claim
is pending the panel says "processing", and a claim whose worker died is
settled by whoever looks at it next. If the shop's charge fails, the claim
is released, so nothing is recorded and a retry is safe.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..engine import post_purchase as engine
from ..engine.subscriptions import Plan
from ..engine.values import Order
from ..errors import NotAddable, OfferUnavailable, PaymentFailed, UnknownOffer
from ..engine.rules import RuleError
from ..engine.variants import apply_variant
from . import claims, honest_copy
from .email_links import email_deadline, email_window
from .exposure import Exposure, exposure_for
from .visitor import visitor_id
from ..storage.events import Event, analytics_savepoint
from ..storage.base import row_id, utcnow
from ..storage.post_purchase import PostPurchaseOffer, PostPurchaseResponse

log = logging.getLogger("tsuide")

#: How long a request waits for a concurrent accept with the same key to finish.
CLAIM_WAIT_SECONDS = 10.0
CLAIM_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Step:
    """Where an order's funnel stands: ``offer`` (with its amendment), ``processing`` (an accept is being
    charged), ``accepted``, ``expired`` or ``none``."""

    state: str
    order: Order
    expires_at: datetime
    amendment: engine.Amendment | None = None
    is_downsell: bool = False
    left: int | None = None  #: "first N": how many shoppers may still accept
    charge: int | None = None  #: what an accepted (or processing) offer charges
    variant: str | None = None  #: the offer's A/B variant, as the order's shopper is assigned
    plan: Plan | None = None  #: the subscription an accepted (or processing) subscribe offer starts

    @property
    def ends_at(self) -> datetime:
        """When the offer shown stops being accepted: the order's window, or the offer's own end if sooner.

        Both are enforced by the server (an accept after either is refused), so a countdown to this is true.
        """
        offer_end = self.amendment.offer.ends_at if self.amendment is not None else None
        return min(self.expires_at, offer_end) if offer_end is not None else self.expires_at

    def seconds_left(self, now: datetime) -> int:
        return max(0, int((self.ends_at - now).total_seconds()))


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _expires(order: Order, minutes: int, email: bool = False) -> datetime:
    """The end of the order's offer window: the thank-you page's, or the e-mail's when the e-mail's link
    opened it (or ``email`` asks for it, as the e-mail block does)."""
    standard = engine.expires_at(order, minutes)
    extended = email_deadline(order) if email else email_window(order.id)
    return max(standard, extended) if extended is not None else standard


def _order(tsuide: Tsuide, order_id: str) -> Order:
    """The order, only if the current shopper owns it (the adapter decides)."""
    order = None if "order" in tsuide.missing_features() else tsuide._adapter.order(order_id)
    if order is None:
        raise UnknownOffer(tsuide.gettext("This offer does not exist."))
    return order


def _load_offers(session) -> list[PostPurchaseOffer]:
    rows = session.scalars(
        select(PostPurchaseOffer).where(PostPurchaseOffer.parent_id.is_(None), PostPurchaseOffer.deleted_at.is_(None))
    ).all()
    return list(rows)


def _responses(session, order_id: str) -> list[PostPurchaseResponse]:
    return list(session.scalars(select(PostPurchaseResponse).where(PostPurchaseResponse.order_id == order_id)))


def _taken(responses: list[PostPurchaseResponse]) -> PostPurchaseResponse | None:
    """The order's claim (pending or accepted), if it has one: an order takes at most one offer."""
    return next((r for r in responses if r.status in ("pending", "accepted")), None)


def current_step(tsuide: Tsuide, order: Order, now: datetime | None = None, email: bool = False) -> Step:
    """What the thank-you panel shows for ``order`` right now (settling first a claim whose lease ran out)."""
    session = tsuide._state().db.session
    responses = _responses(session, order.id)
    taken = _taken(responses)
    if taken is not None and claims.lease_expired(taken):
        _settle(tsuide, taken)
        order = _order(tsuide, order.id)  # the retried charge may have amended it
        responses = _responses(session, order.id)
    return _step(tsuide, order, responses, now or _now(), email)


def _settle(tsuide: Tsuide, row: PostPurchaseResponse) -> None:
    snapshot, _ = tsuide._state().store.current(tsuide._state().db.session, None)
    variant = order_exposure(tsuide, row.order_id, snapshot).variant_of(f"pp:{row.offer_id}")
    claims.settle(tsuide, row, variant)


def _step(tsuide: Tsuide, order: Order, responses: list[PostPurchaseResponse], now: datetime,
          email: bool = False) -> Step:
    state = tsuide._state()
    session = state.db.session
    snapshot, _ = state.store.current(session, None)  # the admin's settings, read once

    def setting(key: str):
        return tsuide.setting(key, snapshot)

    expires = _expires(order, setting("TSUIDE_POST_PURCHASE_MINUTES"), email)
    taken = _taken(responses)
    if taken is not None:  # "added" only once the charge went through
        return Step("accepted" if taken.status == "accepted" else "processing", order, expires, charge=taken.charge,
                    plan=taken.plan())
    if now >= expires:
        return Step("expired", order, expires)
    exposure = order_exposure(tsuide, order.id, snapshot)
    if exposure.holdout:
        return Step("none", order, expires)  # the holdout sees no offers, here as on the cart page

    rows = _load_offers(session)
    offers = [_as_seen(row.to_offer(), exposure) for row in rows]
    if "start_subscription" in tsuide.missing_features() or _subscribed_at_checkout(session, order.id):
        # The shop cannot start one, or the order is a 定期 already: never offer the switch.
        offers = [offer for offer in offers if offer.kind is not engine.OfferKind.SUBSCRIBE]
    declined_here = {str(r.offer_id) for r in responses if r.status == "declined"}
    adapter = tsuide._adapter
    customer = adapter.customer() if "customer" not in tsuide.missing_features() else None
    declined = set(declined_here)
    if order.customer_id:
        since = (now - timedelta(days=setting("TSUIDE_DECLINE_DAYS"))).replace(tzinfo=None)
        declined |= {
            str(offer_id)
            for offer_id in session.scalars(
                select(PostPurchaseResponse.offer_id).where(
                    PostPurchaseResponse.customer_id == order.customer_id,
                    PostPurchaseResponse.status == "declined",
                    PostPurchaseResponse.created_at >= since,
                )
            )
        }
    wanted = {line.product_id for line in order.lines}
    for offer in offers:
        for candidate in (offer, offer.downsell):
            if candidate is not None:
                wanted |= {item.product_id for item in candidate.items}
    products = adapter.products(wanted)
    names = {pid: product.name for pid, product in products.items()}
    offers = [honest_copy.post_purchase_offer(offer, names, now, current_app.config["TSUIDE_URGENCY_MAX_DAYS"],
                                              tsuide._report_once) for offer in offers]
    shopper = engine.Shopper(customer, declined)
    terms = {
        "now": now,
        "max_ratio_bp": round(setting("TSUIDE_UPSELL_MAX_RATIO") * 10_000),
        "loyal_orders": setting("TSUIDE_LOYAL_ORDERS"),
    }
    declined_offer = next((offer for offer in offers if offer.id in declined_here), None)
    if declined_offer is not None:
        # One offer and, after a decline, one cheaper alternative: that is the end of it.
        downsell = declined_offer.downsell
        amendment = downsell and engine.eligible(downsell, order, products, shopper, **terms)
        if not amendment:
            return Step("none", order, expires)
        return Step("offer", order, expires, amendment, is_downsell=True, left=downsell.left())
    amendment = engine.choose(offers, order, products, shopper, **terms)
    if amendment is None:
        return Step("none", order, expires)
    return Step("offer", order, expires, amendment, left=amendment.offer.left(),
                variant=exposure.variant_of(f"pp:{amendment.offer.id}"))


def _subscribed_at_checkout(session, order_id: str) -> bool:
    """Whether the shop recorded a 定期 bought with this order (``tsuide.record_subscription``)."""
    found = None
    with analytics_savepoint(session):
        found = session.scalar(select(Event.id).where(Event.kind == "subscribe", Event.order_id == order_id,
                                                      Event.page == "checkout").limit(1))
    return found is not None


def order_exposure(tsuide: Tsuide, order_id: str, snapshot) -> Exposure:
    """The holdout and variants of the shopper who placed the order, on whatever device opens its page.

    The order's event names that shopper's visitor id, so the confirmation
    e-mail's link opened on a phone shows the offer (its copy and price, or
    nothing for the holdout) that the checkout's browser was shown.
    """
    current = tsuide.exposure(snapshot)
    placed_by = None
    session = tsuide._state().db.session
    with analytics_savepoint(session):  # without its events, the order's page still sells
        placed_by = session.scalar(
            select(Event.visitor_id).where(Event.kind == "order", Event.order_id == order_id).limit(1)
        )
    if placed_by is None or placed_by == current.visitor:
        return current
    return exposure_for(placed_by, snapshot.tests, tsuide.setting("TSUIDE_HOLDOUT_PERCENT", snapshot))


def _as_seen(offer: engine.PostPurchaseOffer, exposure) -> engine.PostPurchaseOffer:
    """The offer as this visitor's A/B variant words and prices it (validated when it was saved)."""
    spec = exposure.chosen.get(f"pp:{offer.id}")
    if spec is None:
        return offer
    try:
        return apply_variant(offer, spec)
    except RuleError:
        log.warning("tsuide: variant %s of thank-you offer %s is not valid and is skipped", spec.name, offer.id)
        return offer


def step_for(tsuide: Tsuide, order_id: str, email: bool = False) -> Step:
    return current_step(tsuide, _order(tsuide, order_id), email=email)


def _offered(tsuide: Tsuide, step: Step, offer_id: str) -> engine.Amendment:
    if step.state == "expired":
        raise OfferUnavailable(tsuide.gettext("This offer has expired."))
    if step.state != "offer" or step.amendment is None or step.amendment.offer.id != offer_id:
        number = row_id(offer_id)
        row = tsuide._state().db.session.get(PostPurchaseOffer, number) if number is not None else None
        if row is not None and row.global_cap is not None and row.accepted >= row.global_cap:
            raise OfferUnavailable(tsuide.gettext("Sorry, this offer has just sold out."))
        if row is not None and row.ends_at is not None and row.ends_at <= utcnow():
            # Its own end came before the order's window closed: ended, as its countdown said (410, as at 0:00).
            raise OfferUnavailable(tsuide.gettext("This offer has expired."))
        raise NotAddable(tsuide.gettext("This offer is no longer available."))
    return step.amendment


def accept(tsuide: Tsuide, order_id: str, offer_id: str, key: str) -> Step:
    """Accept the order's current offer: claim it, then have the shop amend the order and charge once."""
    order = _order(tsuide, order_id)
    step = current_step(tsuide, order)
    if step.state in ("accepted", "processing"):
        return _replay(tsuide, order, key)
    amendment = _offered(tsuide, step, offer_id)
    claim = claims.claim(tsuide, order, amendment, key)
    if claim is None:  # the key or the order was claimed by another request
        return _replay(tsuide, order, key)
    charged = claims.charge(tsuide, claim)
    claims.conclude(tsuide, claim, charged, step.variant)
    if not charged:
        raise PaymentFailed(tsuide.gettext("The payment did not go through, so nothing was charged. Please try again."))
    return Step("accepted", _order(tsuide, order_id), step.expires_at, charge=amendment.charge, plan=amendment.plan)


def _event(kind: str, offer: engine.PostPurchaseOffer, order: Order, variant: str | None) -> Event:
    """What the shopper did with a thank-you offer, for the analytics (the server records these itself)."""
    return Event(kind=kind, rule_id=f"pp:{offer.id}", visitor_id=visitor_id(), order_id=order.id, page="thank-you",
                 variant=variant)


def _replay(tsuide: Tsuide, order: Order, key: str) -> Step:
    """Another request holds or finished the claim: wait for it, then answer as it did. Never charge again.

    A claim whose lease runs out meanwhile is settled here (see :mod:`.claims`).
    """
    session = tsuide._state().db.session
    deadline = time.monotonic() + CLAIM_WAIT_SECONDS
    while True:
        session.rollback()  # see what other transactions committed
        taken = session.scalars(
            select(PostPurchaseResponse).where(PostPurchaseResponse.accepted_order_id == order.id)
        ).first()
        if taken is None or taken.status == "accepted":
            break
        if claims.lease_expired(taken):
            _settle(tsuide, taken)
            continue
        if time.monotonic() > deadline:
            break
        time.sleep(CLAIM_POLL_SECONDS)
    if taken is None:
        # The claim we waited for failed to charge and was released.
        raise PaymentFailed(tsuide.gettext("The payment did not go through, so nothing was charged. Please try again."))
    if taken.status != "accepted":
        raise NotAddable(tsuide.gettext("Your order is being updated. Please wait a moment."))
    expires = _expires(order, tsuide.setting("TSUIDE_POST_PURCHASE_MINUTES"))
    return Step("accepted", _order(tsuide, order.id), expires, charge=taken.charge, plan=taken.plan())


def decline(tsuide: Tsuide, order_id: str, offer_id: str) -> Step:
    """Record a decline (remembered for this shopper) and answer with what comes next: a downsell or nothing."""
    order = _order(tsuide, order_id)
    session = tsuide._state().db.session
    step = current_step(tsuide, order)
    offer = _offered(tsuide, step, offer_id).offer
    session.add(
        PostPurchaseResponse(order_id=order.id, offer_id=int(offer.id), customer_id=order.customer_id,
                             status="declined", created_at=utcnow())
    )
    try:
        with analytics_savepoint(session):
            session.add(_event("decline", offer, order, step.variant))
        session.commit()
    except IntegrityError:  # declined twice: once is enough
        session.rollback()
    return current_step(tsuide, order)
