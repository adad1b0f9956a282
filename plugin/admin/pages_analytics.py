"""The analytics dashboard page and its CSV export, on the admin pages' blueprint."""
from __future__ import annotations

from flask import Response, current_app, request, url_for
from markupsafe import Markup

from ..insights.analytics import NOT_ENOUGH_DATA
from ..errors import InvalidRequest
from . import dashboard, service
from .charts import Bar, Series, bar_chart, line_chart, percent_format
from .pages import _render, pages

TOP_PAIRS = 5


def _tsuide():
    return current_app.extensions["tsuide"]


def _running(pairs) -> tuple[float | None, ...]:
    """Revenue per visitor from the range's first day to each day (steadier than each day alone)."""
    points, revenue, visitors = [], 0, 0
    for day_revenue, day_visitors in pairs:
        revenue += day_revenue
        visitors += day_visitors
        points.append(revenue / visitors if visitors else None)
    return tuple(points)


def _revenue_series(report) -> tuple[list[str], list[Series]]:
    """Revenue per visitor so far, day by day: visitors who saw offers against the holdout."""
    tsuide = _tsuide()
    return ([day.day.strftime("%m/%d") for day in report.days],
            [Series(tsuide.gettext("Saw offers"), _running((d.revenue, d.new_visitors) for d in report.days)),
             Series(tsuide.gettext("Holdout (no offers)"),
                    _running((d.holdout_revenue, d.new_holdout_visitors) for d in report.days))])


def _revenue_chart(report) -> Markup:
    tsuide = _tsuide()
    return line_chart(
        tsuide.gettext("Revenue per visitor so far, by day"), *_revenue_series(report),
        y_format=lambda value: tsuide.format_money(round(value)),
        no_data=tsuide.gettext("No data yet"),
    )


def _revenue_table(report) -> dict:
    """The chart's series as a table: its text alternative."""
    tsuide = _tsuide()
    labels, series = _revenue_series(report)
    shown = [[("—" if line.points[index] is None else tsuide.format_money(round(line.points[index])))
              for line in series] for index in range(len(labels))]
    return {"names": [line.name for line in series], "rows": list(zip(labels, shown))}


def _subscription_chart(report) -> Markup:
    """定期 value over the minimum commitment per visitor: the offers' group against the holdout."""
    tsuide = _tsuide()
    groups = (report.treated, report.holdout)
    bars = [Bar(tsuide.gettext("Saw offers") if group.name == "offers" else tsuide.gettext("Holdout (no offers)"),
                group.commitment_per_visitor) for group in groups if group.visitors]
    return bar_chart(tsuide.gettext("定期 value per visitor"), bars,
                     value_format=lambda value: tsuide.format_money(round(value)),
                     no_data=tsuide.gettext("No data yet"))


def _take_chart(offer, label: str) -> Markup:
    tsuide = _tsuide()
    winner = offer.verdict.winner if offer.verdict else None
    bars = [Bar(variant.variant or tsuide.gettext("(no test)"), variant.stats.take_rate, *variant.take_interval,
                highlight=variant.variant is not None and variant.variant == winner)
            for variant in offer.variants]
    return bar_chart(tsuide.gettext("Take rate of %(offer)s, with 95%% intervals", offer=label), bars,
                     value_format=percent_format, no_data=tsuide.gettext("No data yet"))


@pages.get("/analytics")
def analytics_page():
    """Per offer and variant over a date range, the holdout comparison, and the top mined pairs."""
    args = request.args.to_dict()
    try:
        board = dashboard.load(args)
        errors = {}
    except InvalidRequest as error:
        board = dashboard.load({})
        errors = error.fields
    report = board.report
    return _render(
        "analytics.html", 400 if errors else 200,
        board=board, report=report, errors=errors, values=args, not_enough=NOT_ENOUGH_DATA,
        revenue_chart=_revenue_chart(report), revenue_table=_revenue_table(report),
        subscription_chart=_subscription_chart(report),
        take_charts={offer.offer_id: _take_chart(offer, board.labels[offer.offer_id]) for offer in report.offers},
        pairs=service.mined_pairs(1, TOP_PAIRS)["items"],
        csv_url=url_for(".analytics_csv", start=report.start.isoformat(), end=report.end.isoformat()),
    )


@pages.get("/analytics.csv")
def analytics_csv():
    board = dashboard.load(request.args.to_dict())
    name = f"tsuide-analytics-{board.report.start.isoformat()}-{board.report.end.isoformat()}.csv"
    return Response(dashboard.as_csv(board), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
