"""The shoppers' events the analytics count: views, beacons, adds, accepts, declines and orders."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class Event(Base):
    """What a shopper did, for the analytics.

    ``kind`` is ``view``, ``impression``, ``click`` or ``dismiss`` (from the
    widget's beacons, :data:`plugin.storefront.schemas.EVENT_KINDS`), or ``add``,
    ``accept``, ``decline`` or ``order`` (recorded by the server). Offer events name the offer
    (``rule_id``: a rule id, ``pp:<id>`` for a thank-you offer, ``gap:<product>``
    for a free-shipping gap filler) and the ``variant`` the visitor was assigned.
    ``view`` (a visitor saw a page with a panel) and ``order`` (a placed order,
    ``amount`` its total) carry ``variant="holdout"`` for visitors in the
    holdout. ``accept`` carries what the thank-you offer charged in ``amount``.
    A cart ``add`` or ``click`` gets the ``order_id`` of the visitor's next order.
    """

    __tablename__ = "tsuide_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    rule_id: Mapped[str | None] = mapped_column(String(64), index=True)
    visitor_id: Mapped[str | None] = mapped_column(String(64), index=True)
    order_id: Mapped[str | None] = mapped_column(String(64), index=True)
    page: Mapped[str | None] = mapped_column(String(32))
    variant: Mapped[str | None] = mapped_column(String(32))
    amount: Mapped[int | None] = mapped_column(BigInteger)  #: minor units: an order in rupiah passes 2**31
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False, index=True)

#: The ``variant`` of a view or order by a visitor in the holdout.
HOLDOUT = "holdout"
