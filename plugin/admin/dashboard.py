"""The analytics dashboard's data: a date range read from a request, the report, and its JSON and CSV.

The HTML page, the JSON API and the CSV export all come from :func:`load`, so
the three show the same figures.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from ..insights import analytics
from ..insights.analytics import OfferReport, Report, finite
from ..storage.rules import Rule
from ..storage.post_purchase import PostPurchaseOffer
from .service import _session, load as load_body

_NUMBER = re.compile(r"[0-9]{1,9}")
#: Spreadsheets run a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: The dashboard's range when none is asked for: the last four weeks, today included.
DEFAULT_DAYS = 28
MAX_DAYS = 366
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


class RangeSchema(Schema):
    """``?start=2026-11-01&end=2026-11-28``: the shop's local days, both included."""

    class Meta:
        unknown = RAISE

    start = fields.Date(load_default=None, validate=validate.Range(min=EARLIEST, max=LATEST))
    end = fields.Date(load_default=None, validate=validate.Range(min=EARLIEST, max=LATEST))

    @validates_schema
    def _order(self, data, **kwargs):
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise ValidationError("The end must not be before the start.", "end")
        if start and end and (end - start).days >= MAX_DAYS:
            raise ValidationError(f"Choose at most {MAX_DAYS} days.", "end")


@dataclass(frozen=True)
class Dashboard:
    report: Report
    labels: dict[str, str]  #: offer id -> what the admin calls it
    alpha: float


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TSUIDE_TIMEZONE"])


def date_range(args: dict) -> tuple[date, date]:
    """The range a request asks for (400 naming the field if it cannot be read), else the last 28 days."""
    data = load_body(RangeSchema, args)
    span = timedelta(days=DEFAULT_DAYS - 1)
    if data["end"]:
        end = data["end"]
    else:
        end = data["start"] + span if data["start"] else datetime.now(_zone()).date()
    return data["start"] or end - span, end


def _labels(offer_ids: list[str]) -> dict[str, str]:
    """Each offer's name as the admin knows it: the rule's or offer's label, or the product suggested."""
    tsuide = current_app.extensions["tsuide"]
    session = _session()
    rule_ids = [int(offer_id) for offer_id in offer_ids if _NUMBER.fullmatch(offer_id)]
    pp_ids = [int(offer_id[3:]) for offer_id in offer_ids
              if offer_id.startswith("pp:") and _NUMBER.fullmatch(offer_id[3:])]
    labels = {str(rule_id): label for rule_id, label in session.execute(
        select(Rule.id, Rule.label).where(Rule.id.in_(rule_ids)))} if rule_ids else {}
    if pp_ids:
        labels.update({f"pp:{offer_id}": label for offer_id, label in session.execute(
            select(PostPurchaseOffer.id, PostPurchaseOffer.label).where(PostPurchaseOffer.id.in_(pp_ids)))})
    suggested = {offer_id.split(":", 1)[1] for offer_id in offer_ids if offer_id.startswith(("gap:", "pair:"))}
    names = {pid: product.name for pid, product in tsuide._adapter.products(suggested).items()} if suggested else {}
    for offer_id in offer_ids:
        if offer_id.startswith(("gap:", "pair:")):
            kind, product_id = offer_id.split(":", 1)
            what = tsuide.gettext("Free-shipping gap" if kind == "gap" else "Bought together")
            labels[offer_id] = f"{what}: {names.get(product_id, product_id)}"
    return {offer_id: labels.get(offer_id, offer_id) for offer_id in offer_ids}


def load(args: dict) -> Dashboard:
    start, end = date_range(args)
    tsuide = current_app.extensions["tsuide"]
    state = tsuide._state()
    snapshot, _ = state.store.current(state.db.session, None)
    alpha = tsuide.setting("TSUIDE_SIGNIFICANCE", snapshot)
    current = {offer_id: {spec.name for spec in specs} for offer_id, specs in snapshot.tests.items()}
    report = analytics.build_report(_session(), start, end, _zone(), alpha=alpha, current=current)
    return Dashboard(report, _labels([offer.offer_id for offer in report.offers]), alpha)


def _variant_rows(offer: OfferReport) -> list[dict]:
    rows = []
    for variant in offer.variants:
        stats = variant.stats
        low, high = variant.take_interval
        rows.append({
            "variant": variant.variant,
            "seen": stats.impressions,
            "clicks": stats.clicks,
            "click_rate": stats.click_rate,
            "takes": stats.takes,
            "take_rate": stats.take_rate,
            "take_rate_low": low,
            "take_rate_high": high,
            "declines": variant.declines,
            "dismissals": variant.dismissals,
            "attributed_revenue": stats.revenue,
            "revenue_per_visitor": stats.revenue_per_visitor,
            "subscriptions": variant.subscriptions,
            "commitment_value": variant.commitment_value,
        })
    return rows


def _difference(test) -> dict | None:
    if test is None:
        return None
    return {"difference": finite(test.difference), "low": finite(test.interval_low),
            "high": finite(test.interval_high), "p_value": finite(test.p_value)}


def as_json(dashboard: Dashboard) -> dict:
    report = dashboard.report
    offers = []
    for offer in report.offers:
        judged = offer.verdict
        offers.append({
            "offer_id": offer.offer_id,
            "label": dashboard.labels[offer.offer_id],
            "page": offer.page,
            "variants": _variant_rows(offer),
            "verdict": None if judged is None else {
                "winner": judged.winner, "message": judged.message, "reason": judged.reason,
                "leader": judged.leader,
                "comparisons": [{"variant": c.variant, "adjusted_p_value": c.adjusted_p_value,
                                 **_difference(c.test)} for c in judged.comparisons],
            },
        })
    incremental = report.incremental
    return {
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
        "significance": dashboard.alpha,
        "groups": {group.name: {"visitors": group.visitors, "buyers": group.buyers, "orders": group.orders,
                                "revenue": group.revenue, "conversion": group.conversion,
                                "revenue_per_visitor": group.revenue_per_visitor,
                                "revenue_per_buyer": group.revenue_per_buyer,
                                "average_order_value": group.average_order_value,
                                "subscriptions": group.subscriptions, "subscribers": group.subscribers,
                                "commitment_value": group.commitment_value,
                                "subscriptions_per_visitor": group.subscriptions_per_visitor,
                                "commitment_per_visitor": group.commitment_per_visitor}
                   for group in (report.treated, report.holdout)},
        "subscriptions": {"commitment_per_visitor": _difference(report.commitment_difference)},
        "incremental": None if incremental is None else {
            "revenue_per_visitor": _difference(incremental.revenue_per_visitor),
            "revenue_per_buyer": _difference(incremental.average_order_value),
        },
        "offers": offers,
        "days": [{"day": day.day.isoformat(), "visitors": day.visitors, "revenue": day.revenue,
                  "holdout_visitors": day.holdout_visitors, "holdout_revenue": day.holdout_revenue,
                  "takes": day.takes, "new_visitors": day.new_visitors,
                  "new_holdout_visitors": day.new_holdout_visitors} for day in report.days],
    }


CSV_COLUMNS = ("section", "offer_id", "offer", "page", "variant", "visitors", "clicks", "click_rate", "takes",
               "take_rate", "take_rate_low", "take_rate_high", "declines", "attributed_revenue",
               "revenue_per_visitor", "verdict", "leader_minus_this", "p_value_holm", "subscriptions",
               "subscribers", "commitment_value", "commitment_per_visitor")


def _rate(value: float) -> str:
    return f"{value:.4f}"


def _text(value: str | None) -> str:
    """Text for a CSV cell that a spreadsheet shows as text, never runs as a formula."""
    value = value or ""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def as_csv(dashboard: Dashboard) -> str:
    """The same figures as the page: one row per offer and variant, then the offers and holdout groups."""
    out = io.StringIO()
    # RFC 4180's CRLF: the writer quotes a cell holding any character of its line terminator, so a bare CR
    # (or LF) in a label stays inside its quoted cell instead of breaking the row in a spreadsheet.
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for offer in dashboard.report.offers:
        verdict = analytics.verdict_text(offer) if offer.verdict is not None else ""
        against = {c.variant: c for c in offer.verdict.comparisons} if offer.verdict is not None else {}
        for row in _variant_rows(offer):
            comparison = against.get(row["variant"])
            writer.writerow([
                "offer", _text(offer.offer_id), _text(dashboard.labels[offer.offer_id]), offer.page,
                _text(row["variant"]),
                row["seen"], row["clicks"], _rate(row["click_rate"]), row["takes"], _rate(row["take_rate"]),
                _rate(row["take_rate_low"]), _rate(row["take_rate_high"]), row["declines"],
                row["attributed_revenue"], f"{row['revenue_per_visitor']:.2f}", verdict,
                _rate(comparison.test.difference) if comparison else "",
                f"{comparison.adjusted_p_value:.6g}" if comparison else "",
                row["subscriptions"], "", row["commitment_value"], "",
            ])
    for group in (dashboard.report.treated, dashboard.report.holdout):
        writer.writerow(["group", "", group.name, "", "", group.visitors, "", "", group.buyers,
                         _rate(group.conversion), "", "", "", group.revenue, f"{group.revenue_per_visitor:.2f}", "",
                         "", "", group.subscriptions, group.subscribers, group.commitment_value,
                         f"{group.commitment_per_visitor:.2f}"])
    return out.getvalue()
