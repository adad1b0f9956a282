"""The writes that go with a placed order: its use of capped rules, and its order event for the analytics.

Both run in the caller's transaction, so they commit (or roll back) with the order; the order event in a
savepoint of it, so a failure of the analytics never stops the order.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from ..engine.values import Quote
from ..errors import CapReached
from .base import utcnow
from .events import HOLDOUT, Event, analytics_savepoint
from .rule_cache import Snapshot
from .rules import Redemption, Rule


def redeem(session: Session, snapshot: Snapshot, order_id: str, quote: Quote, customer_id: str | None) -> None:
    """Count the capped rules this order used, atomically against their caps.

    Runs in the caller's transaction: commit it with the order. Raises
    :class:`~plugin.errors.CapReached` (and writes nothing it could not finish
    once the caller rolls back) when a cap ran out since the quote. Redeeming
    the same order twice counts it once.
    """
    for discount in quote.discounts:
        rule = snapshot.by_id.get(discount.rule_id)
        if rule is None or (rule.global_cap is None and rule.per_customer_cap is None):
            continue
        rule_id = int(rule.id)
        already = session.scalar(
            select(Redemption.id).where(
                Redemption.rule_id == rule_id, Redemption.order_id == order_id
            )
        )
        if already is not None:
            continue
        applications = discount.applications
        # The conditional update takes the rule's row lock, so concurrent orders queue here.
        claimed = session.execute(
            update(Rule)
            .where(
                Rule.id == rule_id,
                or_(
                    Rule.global_cap.is_(None),
                    Rule.redeemed + applications <= Rule.global_cap,
                ),
            )
            .values(redeemed=Rule.redeemed + applications)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            raise CapReached(rule.label)
        if rule.per_customer_cap is not None and customer_id is not None:
            used = session.scalar(
                select(func.coalesce(func.sum(Redemption.applications), 0)).where(
                    and_(Redemption.rule_id == rule_id, Redemption.customer_id == customer_id)
                )
            )
            if used + applications > rule.per_customer_cap:
                raise CapReached(rule.label)
        session.add(
            Redemption(rule_id=rule_id, order_id=order_id, customer_id=customer_id, applications=applications)
        )
    session.flush()


#: Offers a visitor took up to this long before an order count toward that order's attributed revenue.
ATTRIBUTION_DAYS = 7


def record_order(session: Session, visitor: str, order_id: str, total: int, holdout: bool) -> None:
    """Record a placed order for the analytics, in a savepoint of the caller's transaction; once per order.

    The visitor's adds and clicks not yet linked to an order (in the last
    :data:`ATTRIBUTION_DAYS`) get this order's id: that is what "attributed
    revenue" adds up. If the events cannot be written, the failure is logged
    and the order still commits: analytics never block a sale.
    """
    with analytics_savepoint(session):
        already = session.scalar(
            select(Event.id).where(Event.kind == "order", Event.order_id == order_id).limit(1)
        )
        if already is not None:
            return
        session.add(Event(kind="order", visitor_id=visitor, order_id=order_id, amount=total, page="checkout",
                          variant=HOLDOUT if holdout else None))
        since = utcnow() - timedelta(days=ATTRIBUTION_DAYS)
        session.execute(
            update(Event)
            .where(Event.visitor_id == visitor, Event.kind.in_(("add", "click")),
                   Event.order_id.is_(None), Event.created_at >= since)
            .values(order_id=order_id)
            .execution_options(synchronize_session=False)
        )


def record_subscription(session: Session, visitor: str, order_id: str, value: int, holdout: bool) -> None:
    """Record a 定期 bought at the checkout for the analytics (a ``subscribe`` event of no offer), in a savepoint.

    ``value`` is its value over the minimum commitment (``Plan.commitment_total``). The visitor's group is
    what makes it count for the offers or for the holdout.
    """
    with analytics_savepoint(session):
        session.add(Event(kind="subscribe", visitor_id=visitor, order_id=order_id, amount=value, page="checkout",
                          variant=HOLDOUT if holdout else None))


def record_order_rewards(session: Session, visitor: str, snapshot: Snapshot, quote: Quote) -> None:
    """A spend discount or gift an order got counts as taken, like an offer added from the panel: one ``add``
    event per such rule (before :func:`record_order`, which links it to the order). In a savepoint: analytics
    never block a sale."""
    from ..engine.rules import ORDER_RULES

    taken = [discount.rule_id for discount in quote.discounts
             if discount.amount > 0 and isinstance(snapshot.by_id.get(discount.rule_id), ORDER_RULES)]
    if not taken:
        return
    with analytics_savepoint(session):
        session.add_all(Event(kind="add", rule_id=rule_id, visitor_id=visitor, page="checkout")
                        for rule_id in dict.fromkeys(taken))
