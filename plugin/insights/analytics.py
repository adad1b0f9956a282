"""What each offer and A/B variant earned over a date range, and what offers add over the holdout.

Everything is counted in SQL (grouped, never one Python row per event), in a
handful of queries, so a shop with millions of events gets its report in one
round of aggregation. The figures, per offer and variant:

- *seen*: visitors who saw it (any event about it); the trials of the tests;
- *clicks* and *takes* (added to the cart, or accepted on the thank-you page),
  each counted once per visitor;
- *attributed revenue*: for a cart offer, the totals of the orders placed
  after taking it (the flattering figure peers report); for a thank-you
  offer, what accepting it charged;
- the take rate's Wilson interval, and for a test a verdict (Holm-corrected
  two-proportion tests at the shop's significance level).

The holdout comparison is the honest one: revenue per visitor and per buyer
of the visitors who saw offers against the holdout who saw none.

定期 (subscriptions) are counted apart from revenue, by their ``subscribe``
events: one per subscription started, from the thank-you switch (``pp:<offer>``)
or bought at the checkout (``tsuide.record_subscription``, no offer). Its
amount is the subscription's *value over the minimum commitment*: the first
delivery's price plus the recurring price times (minimum deliveries − 1)
(``Plan.commitment_total``; the first price alone without a minimum). Per
group: subscriptions started, subscribers, that value in all and per
visitor, and the offers' group minus the holdout's value per visitor
(Welch, as for revenue).
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Float, and_, case, cast, distinct, func, select
from sqlalchemy.orm import Session

from .experiments import (
    NOT_ENOUGH_DATA,
    Incremental,
    MeanDifference,
    Verdict,
    VariantStats,
    verdict,
    welch_test,
    wilson_interval,
)
from ..storage.events import HOLDOUT, Event

OFFER_KINDS = ("impression", "click", "add", "accept", "decline", "dismiss")
TAKE_KINDS = ("add", "accept")
VISIT_KINDS = ("view", "order", "accept")
SUBSCRIBE = "subscribe"


@dataclass(frozen=True)
class VariantReport:
    """One variant of one offer (``variant`` is ``None`` for an offer under no test)."""

    variant: str | None
    stats: VariantStats
    declines: int
    dismissals: int
    subscriptions: int = 0  #: 定期 started through this offer (a subscribe offer's accepts)
    commitment_value: int = 0  #: their value over the minimum commitment, in all

    @property
    def take_interval(self) -> tuple[float, float]:
        return wilson_interval(self.stats.takes, self.stats.impressions)


@dataclass(frozen=True)
class OfferReport:
    offer_id: str
    variants: tuple[VariantReport, ...]
    verdict: Verdict | None  #: for an A/B test: a winner, or "not enough data yet"

    @property
    def page(self) -> str:
        return "thank-you" if self.offer_id.startswith("pp:") else "cart"


@dataclass(frozen=True)
class GroupReport:
    """Visitors who saw offers (``offers``) or the holdout, and what they spent (orders and thank-you charges)."""

    name: str
    visitors: int
    buyers: int
    orders: int
    revenue: int
    revenue_squares: float
    subscriptions: int = 0  #: 定期 started (thank-you switches and checkout purchases)
    subscribers: int = 0  #: visitors who started at least one
    commitment_value: int = 0  #: the subscriptions' value over their minimum commitment, in all
    commitment_squares: float = 0.0  #: the sum over visitors of the square of each one's value

    @property
    def revenue_per_visitor(self) -> float:
        return self.revenue / self.visitors if self.visitors else 0.0

    @property
    def subscriptions_per_visitor(self) -> float:
        return self.subscriptions / self.visitors if self.visitors else 0.0

    @property
    def commitment_per_visitor(self) -> float:
        """Value over the minimum commitment of the subscriptions started, per visitor of the group."""
        return self.commitment_value / self.visitors if self.visitors else 0.0

    @property
    def revenue_per_buyer(self) -> float:
        return self.revenue / self.buyers if self.buyers else 0.0

    @property
    def average_order_value(self) -> float:
        """Revenue (thank-you charges included) per order."""
        return self.revenue / self.orders if self.orders else 0.0

    @property
    def conversion(self) -> float:
        return self.buyers / self.visitors if self.visitors else 0.0


@dataclass(frozen=True)
class Day:
    """One of the shop's local days. ``visitors`` came that day; ``new_visitors`` came first that day, so
    their running sum is the range's distinct visitors so far (the denominator of revenue per visitor)."""

    day: date
    visitors: int
    revenue: int
    holdout_visitors: int
    holdout_revenue: int
    takes: int
    new_visitors: int = 0
    new_holdout_visitors: int = 0


@dataclass(frozen=True)
class Report:
    start: date
    end: date
    offers: tuple[OfferReport, ...]
    treated: GroupReport
    holdout: GroupReport
    incremental: Incremental | None  #: ``None`` until each group has two visitors
    days: tuple[Day, ...]
    #: offers' group minus holdout: 定期 value over the minimum commitment per visitor (``None`` as above)
    commitment_difference: MeanDifference | None = None


def utc_bounds(start: date, end: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The shop's local days ``start`` to ``end`` (inclusive) as naive UTC, as events are stored."""
    def utc(day: date) -> datetime:
        return datetime.combine(day, time(), zone).astimezone(timezone.utc).replace(tzinfo=None)

    return utc(start), utc(end + timedelta(days=1))


def _local_day(session: Session, column, zone: ZoneInfo, start: date, end: date):
    """The shop's calendar day of a stored (naive UTC) time, in SQL, daylight saving included.

    PostgreSQL converts with the zone's name. SQLite has no time zones: when
    the zone keeps one offset through the range (Japan always does) the day is
    shifted by it in SQL; otherwise a small Python function, registered on the
    connection for the query, converts each minute once.
    """
    if session.get_bind().dialect.name != "sqlite":
        return func.date(func.timezone(zone.key, func.timezone("UTC", column)))
    offsets = {datetime.combine(start + timedelta(days=index), time(), zone).utcoffset()
               for index in range((end - start).days + 2)}
    if len(offsets) == 1:
        return func.date(column, f"{int(offsets.pop().total_seconds()):+d} seconds")

    @lru_cache(maxsize=1 << 16)
    def local_day(minute: str) -> str:
        moment = datetime.fromisoformat(minute).replace(tzinfo=timezone.utc)
        return moment.astimezone(zone).date().isoformat()

    session.connection().connection.driver_connection.create_function(
        "tsuide_local_day", 1, lambda stored: None if stored is None else local_day(stored[:16]), deterministic=True
    )
    return func.tsuide_local_day(column)


def _offer_counts(session: Session, window) -> dict[tuple[str, str | None], dict[str, int]]:
    counts: dict[tuple[str, str | None], dict[str, int]] = defaultdict(dict)
    offer_events = and_(window, Event.rule_id.is_not(None), Event.kind.in_(OFFER_KINDS))
    by_kind = select(Event.rule_id, Event.variant, Event.kind, func.count(distinct(Event.visitor_id))).where(
        offer_events).group_by(Event.rule_id, Event.variant, Event.kind)
    for offer_id, variant, kind, visitors in session.execute(by_kind):
        counts[(offer_id, variant)][kind] = visitors
    seen = select(Event.rule_id, Event.variant, func.count(distinct(Event.visitor_id))).where(
        offer_events).group_by(Event.rule_id, Event.variant)
    for offer_id, variant, visitors in session.execute(seen):
        counts[(offer_id, variant)]["seen"] = visitors
    takes = select(Event.rule_id, Event.variant, func.count(distinct(Event.visitor_id))).where(
        window, Event.rule_id.is_not(None), Event.kind.in_(TAKE_KINDS)).group_by(Event.rule_id, Event.variant)
    for offer_id, variant, visitors in session.execute(takes):
        counts[(offer_id, variant)]["take"] = visitors
    return counts


def _attributed(session: Session, window) -> dict[tuple[str, str | None], int]:
    """Cart offers: totals of the orders they were taken for; thank-you offers: what they charged."""
    revenue: dict[tuple[str, str | None], int] = defaultdict(int)
    taken = (
        select(Event.rule_id, Event.variant, Event.order_id)
        .where(window, Event.kind == "add", Event.order_id.is_not(None))
        .distinct()
        .subquery()
    )
    orders = select(Event.order_id, func.max(Event.amount).label("amount")).where(
        Event.kind == "order").group_by(Event.order_id).subquery()
    for offer_id, variant, amount in session.execute(
        select(taken.c.rule_id, taken.c.variant, func.sum(orders.c.amount))
        .join(orders, orders.c.order_id == taken.c.order_id)
        .group_by(taken.c.rule_id, taken.c.variant)
    ):
        revenue[(offer_id, variant)] += int(amount or 0)
    for offer_id, variant, amount in session.execute(
        select(Event.rule_id, Event.variant, func.sum(Event.amount))
        .where(window, Event.kind == "accept").group_by(Event.rule_id, Event.variant)
    ):
        revenue[(offer_id, variant)] += int(amount or 0)
    return revenue


def _groups(session: Session, window) -> dict[bool, GroupReport]:
    spent = case((Event.kind.in_(("order", "accept")), func.coalesce(Event.amount, 0)), else_=0)
    committed = case((Event.kind == SUBSCRIBE, func.coalesce(Event.amount, 0)), else_=0)
    per_visitor = (
        select(
            func.max(case((and_(Event.kind.in_(("view", "order")), Event.variant == HOLDOUT), 1), else_=0)).label("held"),
            func.sum(spent).label("revenue"),
            func.sum(case((Event.kind == "order", 1), else_=0)).label("orders"),
            func.sum(case((Event.kind == SUBSCRIBE, 1), else_=0)).label("subscriptions"),
            func.sum(committed).label("committed"),
            # a visitor is one who viewed, ordered or accepted; a subscribe event alone makes nobody a visitor
            func.max(case((Event.kind.in_(VISIT_KINDS), 1), else_=0)).label("visited"),
        )
        .where(window, Event.kind.in_((*VISIT_KINDS, SUBSCRIBE)), Event.visitor_id.is_not(None))
        .group_by(Event.visitor_id)
        .subquery()
    )
    revenue = cast(per_visitor.c.revenue, Float)
    value = cast(per_visitor.c.committed, Float)
    rows = session.execute(
        select(
            per_visitor.c.held,
            func.count(),
            func.sum(case((per_visitor.c.revenue > 0, 1), else_=0)),
            func.sum(per_visitor.c.orders),
            func.sum(per_visitor.c.revenue),
            func.sum(revenue * revenue),
            func.sum(per_visitor.c.subscriptions),
            func.sum(case((per_visitor.c.subscriptions > 0, 1), else_=0)),
            func.sum(per_visitor.c.committed),
            func.sum(value * value),
        ).where(per_visitor.c.visited == 1).group_by(per_visitor.c.held)
    )
    found = {
        bool(held): GroupReport(HOLDOUT if held else "offers", visitors, int(buyers or 0), int(orders or 0),
                                int(total or 0), float(squares or 0.0), int(subscriptions or 0),
                                int(subscribers or 0), int(committed or 0), float(committed_squares or 0.0))
        for held, visitors, buyers, orders, total, squares, subscriptions, subscribers, committed, committed_squares
        in rows
    }
    for held in (False, True):
        found.setdefault(held, GroupReport(HOLDOUT if held else "offers", 0, 0, 0, 0, 0.0))
    return found


def _variance(total: float, squares: float, count: int) -> float:
    return max(0.0, (squares - total * total / count) / (count - 1))


def _incremental(treated: GroupReport, holdout: GroupReport) -> Incremental | None:
    """Offers' visitors minus the holdout's: revenue per visitor, and per buyer (Welch, from sums)."""
    if treated.visitors < 2 or holdout.visitors < 2:
        return None
    per_visitor = welch_test(
        treated.revenue_per_visitor, _variance(treated.revenue, treated.revenue_squares, treated.visitors),
        treated.visitors,
        holdout.revenue_per_visitor, _variance(holdout.revenue, holdout.revenue_squares, holdout.visitors),
        holdout.visitors,
    )
    per_buyer = None
    if treated.buyers >= 2 and holdout.buyers >= 2:
        per_buyer = welch_test(
            treated.revenue_per_buyer, _variance(treated.revenue, treated.revenue_squares, treated.buyers),
            treated.buyers,
            holdout.revenue_per_buyer, _variance(holdout.revenue, holdout.revenue_squares, holdout.buyers),
            holdout.buyers,
        )
    return Incremental(revenue_per_visitor=per_visitor, average_order_value=per_buyer)


def _commitment_difference(treated: GroupReport, holdout: GroupReport) -> MeanDifference | None:
    """Offers' visitors minus the holdout's: 定期 value over the minimum commitment per visitor (Welch)."""
    if treated.visitors < 2 or holdout.visitors < 2:
        return None
    return welch_test(
        treated.commitment_per_visitor,
        _variance(treated.commitment_value, treated.commitment_squares, treated.visitors), treated.visitors,
        holdout.commitment_per_visitor,
        _variance(holdout.commitment_value, holdout.commitment_squares, holdout.visitors), holdout.visitors,
    )


def _subscribed(session: Session, window) -> dict[tuple[str, str | None], tuple[int, int]]:
    """Per offer and variant: 定期 started through it, and their value over the minimum commitment."""
    return {(offer_id, variant): (int(count), int(value or 0)) for offer_id, variant, count, value in session.execute(
        select(Event.rule_id, Event.variant, func.count(), func.sum(Event.amount))
        .where(window, Event.kind == SUBSCRIBE, Event.rule_id.is_not(None)).group_by(Event.rule_id, Event.variant)
    )}


def _days(session: Session, window, start: date, end: date, zone: ZoneInfo) -> tuple[Day, ...]:
    day = _local_day(session, Event.created_at, zone, start, end).label("day")
    held = case((and_(Event.kind.in_(("view", "order")), Event.variant == HOLDOUT), 1), else_=0).label("held")
    figures: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    visits = select(day, held, func.count(distinct(Event.visitor_id))).where(
        window, Event.kind.in_(("view", "order"))).group_by(day, held)
    for when, is_held, visitors in session.execute(visits):
        figures[str(when)]["holdout_visitors" if is_held else "visitors"] += visitors
    money = select(day, held, func.sum(Event.amount)).where(
        window, Event.kind.in_(("order", "accept"))).group_by(day, held)
    for when, is_held, amount in session.execute(money):
        figures[str(when)]["holdout_revenue" if is_held else "revenue"] += int(amount or 0)
    takes = select(day, func.count()).where(window, Event.kind.in_(TAKE_KINDS)).group_by(day)
    for when, count in session.execute(takes):
        figures[str(when)]["takes"] += count
    first = (
        select(func.min(day).label("first_day"), func.max(held).label("held"))
        .where(window, Event.kind.in_(VISIT_KINDS), Event.visitor_id.is_not(None))
        .group_by(Event.visitor_id)
        .subquery()
    )
    for when, is_held, count in session.execute(
        select(first.c.first_day, first.c.held, func.count()).group_by(first.c.first_day, first.c.held)
    ):
        figures[str(when)]["new_holdout_visitors" if is_held else "new_visitors"] += count
    days = []
    for index in range((end - start).days + 1):
        current = start + timedelta(days=index)
        values = figures.get(current.isoformat(), {})
        days.append(Day(current, values.get("visitors", 0), values.get("revenue", 0),
                        values.get("holdout_visitors", 0), values.get("holdout_revenue", 0), values.get("takes", 0),
                        values.get("new_visitors", 0), values.get("new_holdout_visitors", 0)))
    return tuple(days)


def _offer_reports(
    counts: Mapping[tuple[str, str | None], Mapping[str, int]],
    revenue: Mapping[tuple[str, str | None], int],
    alpha: float,
    min_trials: int,
    current: Mapping[str, Collection[str]],
    subscribed: Mapping[tuple[str, str | None], tuple[int, int]] | None = None,
) -> tuple[OfferReport, ...]:
    by_offer: dict[str, list[VariantReport]] = defaultdict(list)
    for (offer_id, variant), figures in counts.items():
        seen = figures.get("seen", 0)
        stats = VariantStats(
            impressions=seen,
            clicks=min(figures.get("click", 0), seen),
            takes=min(figures.get("take", 0), seen),
            revenue=max(0, revenue.get((offer_id, variant), 0)),
            visitors=seen,
        )
        started, value = (subscribed or {}).get((offer_id, variant), (0, 0))
        by_offer[offer_id].append(
            VariantReport(variant, stats, figures.get("decline", 0), figures.get("dismiss", 0), started, value)
        )
    reports = []
    for offer_id, variants in by_offer.items():
        variants.sort(key=lambda report: (report.variant is not None, report.variant or ""))
        # A running test is judged on its variants now: a renamed or removed one is history, shown but not judged.
        judged_names = current.get(offer_id)
        named = {report.variant: report.stats for report in variants if report.variant is not None
                 and (judged_names is None or report.variant in judged_names)}
        judged = verdict(named, alpha=alpha, min_trials=min_trials) if len(named) >= 2 else None
        reports.append(OfferReport(offer_id, tuple(variants), judged))
    reports.sort(key=lambda report: (-sum(v.stats.revenue for v in report.variants), report.offer_id))
    return tuple(reports)


def build_report(
    session: Session,
    start: date,
    end: date,
    zone: ZoneInfo,
    alpha: float = 0.05,
    min_trials: int = 200,
    current: Mapping[str, Collection[str]] | None = None,
) -> Report:
    """The analytics for the shop's local days ``start`` to ``end``, inclusive.

    ``current`` names the variants of each test running now (offer id -> names).
    """
    low, high = utc_bounds(start, end, zone)
    window = and_(Event.created_at >= low, Event.created_at < high)
    groups = _groups(session, window)
    return Report(
        start=start,
        end=end,
        offers=_offer_reports(_offer_counts(session, window), _attributed(session, window), alpha, min_trials,
                              current or {}, _subscribed(session, window)),
        treated=groups[False],
        holdout=groups[True],
        incremental=_incremental(groups[False], groups[True]),
        days=_days(session, window, start, end, zone),
        commitment_difference=_commitment_difference(groups[False], groups[True]),
    )


def verdict_text(report: OfferReport) -> str:
    """The verdict's headline: the winner's name, or :data:`NOT_ENOUGH_DATA`."""
    if report.verdict is None or report.verdict.winner is None:
        return NOT_ENOUGH_DATA
    return report.verdict.winner


def finite(value: float) -> float | None:
    """A statistic for JSON and CSV: infinities and NaN become ``None``."""
    return value if math.isfinite(value) else None
