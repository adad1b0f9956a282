"""The answers to renewal add-ons: what a subscriber declined or added for a next delivery."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class RenewalAnswer(Base):
    """A subscriber's answer to the add-ons suggested for one delivery: ``declined``, or an add's claim.

    An add is claimed here (``pending``, a unique ``idempotency_key``) before the
    shop's ``add_to_next_delivery`` is called, then marked ``added``, or deleted
    if the shop refused, so a double click, a retry or an e-mail link opened
    twice adds once. ``product_ids`` names what was added or declined.

    A pending claim holds a lease from ``claimed_at`` (``TSUIDE_CLAIM_LEASE_SECONDS``,
    as a thank-you accept's): once it ran out, the worker that held it is taken
    to be dead, and the next request for the same key takes the lease over (a
    conditional update: one request only) and asks the shop again with the
    claim's own ``items`` under the same key. ``rule_id`` names what suggested it.
    """

    __tablename__ = "tsuide_renewal_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    delivery_on: Mapped[date] = mapped_column(Date, nullable=False)
    product_ids: Mapped[list] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # pending | added | declined
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    charge: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)  #: when the claim's lease last started
    #: ``[[product id, quantity, unit price]]``: what the claim adds, as the shop is asked
    items: Mapped[list | None] = mapped_column(JSON)
    rule_id: Mapped[str | None] = mapped_column(String(64))  #: the rule or mined pair that suggested it
