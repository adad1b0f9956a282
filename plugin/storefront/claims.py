"""Claims with a lease: how accepting a thank-you offer charges once, even when a worker dies mid-charge.

An accept first *claims* the offer in one transaction: a ``pending`` row
with a unique idempotency key and a unique "accepted" mark per order, and
the offer's ``accepted`` count raised by a conditional update (below its
"first N" cap, if it has one). Only then is the shop's ``amend_order``
called, and the claim is marked ``accepted``, or released (row and count)
if the charge failed.

A claim holds a lease of ``TSUIDE_CLAIM_LEASE_SECONDS`` from ``claimed_at``.
While the lease runs, others wait for the claim and the panel says
"processing", never "added". A pending claim whose lease ran out was
interrupted (the worker was killed inside ``amend_order``): whoever looks
at it next takes the lease over with a conditional update, so only one
can, and retries ``amend_order`` once with the same lines and the same
idempotency key (the adapter's contract makes the same key charge at most
once), then marks the claim accepted or releases it.

A subscribe offer is claimed the same way; its claim keeps the plan as it
was shown, and "charging" it is the shop's ``start_subscription`` under the
claim's key (idempotent per key like ``amend_order``).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError

from ..engine import post_purchase as engine
from ..engine.subscriptions import Plan
from ..engine.values import CartLine, Order
from ..errors import OfferUnavailable
from ..storage.base import utcnow
from ..storage.events import Event, analytics_savepoint
from ..storage.post_purchase import PostPurchaseOffer, PostPurchaseResponse
from .visitor import visitor_id

log = logging.getLogger("tsuide")


@dataclass(frozen=True)
class Claim:
    """A pending accept, as plain values (they outlive the session's rows, which a charge may expire)."""

    id: int
    order_id: str
    offer_id: int
    key: str
    charge: int
    add: tuple[CartLine, ...]
    remove: tuple[CartLine, ...]
    plan: Plan | None = None  #: what a subscribe claim starts

    @classmethod
    def of(cls, row: PostPurchaseResponse) -> Claim:
        add, remove = row.amendment_lines()
        return cls(row.id, row.order_id, row.offer_id, row.idempotency_key, row.charge, add, remove, row.plan())


def lease_expired(row: PostPurchaseResponse, now: datetime | None = None) -> bool:
    """Whether a pending claim's lease ran out: the request that holds it is taken to be dead."""
    return row.status == "pending" and (row.claimed_at or row.created_at) <= _lease_cutoff(now)


def _lease_cutoff(now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(seconds=current_app.config["TSUIDE_CLAIM_LEASE_SECONDS"])


def _session(tsuide):
    return tsuide._state().db.session


def claim(tsuide, order: Order, amendment: engine.Amendment, key: str) -> Claim | None:
    """Claim ``amendment`` for ``order`` under ``key`` and commit, or ``None`` if the key or the order is taken.

    Raises :class:`~plugin.errors.OfferUnavailable` when the last "first N"
    slot went since the offer was shown.
    """
    session = _session(tsuide)
    offer = amendment.offer
    row = PostPurchaseResponse(
        order_id=order.id, offer_id=int(offer.id), customer_id=order.customer_id, status="pending",
        idempotency_key=key, accepted_order_id=order.id, charge=amendment.charge, claimed_at=utcnow(),
        lines=PostPurchaseResponse.lines_of(amendment.add, amendment.remove, amendment.plan),
    )
    try:
        session.add(row)
        session.flush()
        claimed = Claim.of(row)
        taken = update(PostPurchaseOffer).where(PostPurchaseOffer.id == int(offer.id))
        if offer.global_cap is not None:
            taken = taken.where(PostPurchaseOffer.accepted < PostPurchaseOffer.global_cap)
        counted = session.execute(
            taken.values(accepted=PostPurchaseOffer.accepted + 1).execution_options(synchronize_session=False)
        ).rowcount
        if not counted:
            session.rollback()
            raise OfferUnavailable(tsuide.gettext("Sorry, this offer has just sold out."))
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    return claimed


def charge(tsuide, claim: Claim) -> bool:
    """Ask the shop to amend the order and charge it (or start the subscription), under the claim's key;
    ``False`` if it did not."""
    try:
        if claim.plan is not None:
            plan = claim.plan
            return bool(tsuide._adapter.start_subscription(claim.order_id, plan.product_id, plan, claim.key))
        return bool(tsuide._adapter.amend_order(claim.order_id, claim.add, claim.remove, claim.charge, claim.key))
    except Exception:
        log.exception("tsuide: amending order %s failed", claim.order_id)
        return False


def conclude(tsuide, claim: Claim, charged: bool, variant: str | None) -> None:
    """Mark the claim accepted (and record the accept once) if the charge went through, else release it.

    Committing also commits what the shop's ``amend_order`` left in the session, as it always has.
    """
    session = _session(tsuide)
    if not charged:
        release(tsuide, claim)
        return
    marked = session.execute(
        update(PostPurchaseResponse)
        .where(PostPurchaseResponse.id == claim.id, PostPurchaseResponse.status == "pending")
        .values(status="accepted")
        .execution_options(synchronize_session=False)
    ).rowcount
    if marked:
        with analytics_savepoint(session):
            session.add(Event(kind="accept", rule_id=f"pp:{claim.offer_id}", visitor_id=visitor_id(),
                              order_id=claim.order_id, page="thank-you", variant=variant, amount=claim.charge))
            if claim.plan is not None:  # the subscription's worth: what its minimum commitment pays in all
                session.add(Event(kind="subscribe", rule_id=f"pp:{claim.offer_id}", visitor_id=visitor_id(),
                                  order_id=claim.order_id, page="thank-you", variant=variant,
                                  amount=claim.plan.commitment_total))
    session.commit()
    if not marked and session.get(PostPurchaseResponse, claim.id) is None:
        log.error("tsuide: order %s was charged under key %s after its claim was released: amend_order must be "
                  "idempotent per key", claim.order_id, claim.key)


def release(tsuide, claim: Claim) -> None:
    """Undo a claim whose charge failed: the offer (and its "first N" slot) is open again. Once only."""
    session = _session(tsuide)
    session.rollback()  # nothing the failed charge left in the session is kept
    released = session.execute(
        delete(PostPurchaseResponse)
        .where(PostPurchaseResponse.id == claim.id, PostPurchaseResponse.status == "pending")
        .execution_options(synchronize_session=False)
    ).rowcount
    if released:
        session.execute(
            update(PostPurchaseOffer)
            .where(PostPurchaseOffer.id == claim.offer_id)
            .values(accepted=PostPurchaseOffer.accepted - 1)
            .execution_options(synchronize_session=False)
        )
    session.commit()


def settle(tsuide, row: PostPurchaseResponse, variant: str | None) -> None:
    """Settle a pending claim whose lease ran out: take the lease over (one settler only), retry the charge once.

    If another request took the lease first, or the claim was settled
    meanwhile, this does nothing: the caller looks again and waits.
    """
    session = _session(tsuide)
    claim = Claim.of(row)
    now = utcnow()
    taken_over = session.execute(
        update(PostPurchaseResponse)
        .where(PostPurchaseResponse.id == claim.id, PostPurchaseResponse.status == "pending",
               func.coalesce(PostPurchaseResponse.claimed_at, PostPurchaseResponse.created_at) <= _lease_cutoff(now))
        .values(claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    if not taken_over:
        return
    if not claim.add and not claim.remove and claim.plan is None:
        log.warning("tsuide: claim %s of order %s has no recorded lines to retry; releasing it", claim.id,
                    claim.order_id)
        release(tsuide, claim)
        return
    log.warning("tsuide: the charge for order %s was interrupted; retrying it under the same key", claim.order_id)
    conclude(tsuide, claim, charge(tsuide, claim), variant)
