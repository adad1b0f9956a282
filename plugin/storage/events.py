"""The shoppers' events the analytics count: views, beacons, adds, accepts, declines and orders."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from weakref import WeakKeyDictionary

from sqlalchemy import BigInteger, DateTime, Integer, String
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from .base import Base, utcnow

log = logging.getLogger("tsuide")


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


#: Causes of failed event writes already logged, per database (engine), so a broken table logs once.
_logged_failures: WeakKeyDictionary[object, set[str]] = WeakKeyDictionary()


@contextmanager
def analytics_savepoint(session: Session) -> Iterator[None]:
    """Run analytics reads and writes in a savepoint of the caller's transaction; never let them fail it.

    Analytics never block a sale: if the events table is missing, locked or
    full, the savepoint is rolled back, the failure is logged once per cause,
    and the caller's own writes (an order, its caps, an accepted offer) go on
    to commit. Use it around every event write on a shopper's path.
    """
    session.flush()  # the caller's own pending writes fail (or not) outside the savepoint
    try:
        with session.begin_nested():
            yield
    except SQLAlchemyError as error:
        first_line = str(error).splitlines()[0] if str(error) else ""
        cause = f"{type(error).__name__}:{first_line}"
        logged = _logged_failures.setdefault(session.get_bind(), set())
        if cause not in logged:
            logged.add(cause)
            log.error("tsuide: recording events failed; the shopper's order went ahead without them", exc_info=error)
