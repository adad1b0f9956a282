"""The admin's view of renewal add-ons: what feeds them, whether they are on, and what they added.

Renewal add-ons (``tsuide.renewal_offers(subscription)``) come from the shop's
live bundles and volume discounts and from mined pairs, as a cart's offers do.
Three settings decide which (saved like every setting, audited, and in the
export): ``renewal_offers`` switches them off altogether, ``renewal_pairs``
leaves mined pairs out, ``renewal_excluded_rules`` names rules never suggested
for a next delivery. The results are counted from the subscribers' answers
(``tsuide_renewal_answers``): per source, the adds and what they charged, the
adds still pending, and the declines.
"""
from __future__ import annotations

from collections import defaultdict

from flask import current_app, redirect, request, url_for
from sqlalchemy import func, select

from ..errors import InvalidRequest
from ..storage.rules import Rule
from ..storage.subscriptions import RenewalAnswer
from . import dashboard, service
from .api import api
from .pages import _render, pages

#: The settings this page saves (the rest of the settings are the settings page's).
RENEWAL_SETTINGS = ("renewal_offers", "renewal_pairs", "renewal_excluded_rules")
#: Rule kinds whose offers a next delivery may get (a threshold's gap fillers are the cart page's only).
OFFER_KINDS = ("bundle", "volume")


def _tsuide():
    return current_app.extensions["tsuide"]


def overview() -> dict:
    """The settings in force, each live rule with whether it feeds renewals, mined pairs, and the results."""
    session = service._session()
    settings = service.settings()
    enabled = bool(settings["renewal_offers"])
    excluded = {str(rule_id) for rule_id in settings["renewal_excluded_rules"] or ()}
    rules = session.scalars(
        select(Rule).where(Rule.kind.in_(OFFER_KINDS), Rule.deleted_at.is_(None)).order_by(Rule.id)).all()
    sources = [{"rule_id": str(rule.id), "label": rule.label, "kind": rule.kind, "paused": bool(rule.paused),
                "product_ids": [item.product_id for item in rule.items],
                "categories": [category.category for category in rule.categories],
                "feeds": enabled and str(rule.id) not in excluded}
               for rule in rules]
    figures: dict[str, dict[str, int]] = defaultdict(lambda: {"adds": 0, "added_amount": 0, "pending": 0,
                                                               "declines": 0})
    for rule_id, status, count, charged in session.execute(
        select(RenewalAnswer.rule_id, RenewalAnswer.status, func.count(), func.coalesce(func.sum(RenewalAnswer.charge), 0))
        .group_by(RenewalAnswer.rule_id, RenewalAnswer.status)
    ):
        row = figures[rule_id or ""]
        if status == "added":
            row["adds"] += count
            row["added_amount"] += int(charged)
        elif status == "pending":
            row["pending"] += count
        elif status == "declined":
            row["declines"] += count
    named = [rule_id for rule_id in figures if rule_id]
    labels = dashboard._labels(named) if named else {}
    results = [{"rule_id": rule_id or None, "label": labels.get(rule_id, rule_id) if rule_id else None, **row}
               for rule_id, row in sorted(figures.items(), key=lambda item: (-item[1]["added_amount"], item[0]))]
    return {
        "available": "add_to_next_delivery" not in _tsuide().missing_features(),
        "renewal_offers": enabled,
        "renewal_pairs": bool(settings["renewal_pairs"]),
        "renewal_excluded_rules": sorted(excluded, key=int),
        "sources": sources,
        "results": results,
        "totals": {name: sum(row[name] for row in figures.values())
                   for name in ("adds", "added_amount", "pending", "declines")},
    }


def read_form(form) -> dict:
    """The page's form as settings: checkboxes are present when ticked; every listed rule not ticked is left out."""
    listed = form.getlist("listed_rules")
    if any(not rule_id.isascii() or not rule_id.isdigit() or len(rule_id) > 20 for rule_id in listed):
        raise InvalidRequest("Some fields need fixing.", {"renewal_excluded_rules": ["Unknown rule."]})
    fed = set(form.getlist("feeds"))
    return {"renewal_offers": form.get("renewal_offers") == "on",
            "renewal_pairs": form.get("renewal_pairs") == "on",
            "renewal_excluded_rules": [rule_id for rule_id in listed if rule_id not in fed][:500]}


@pages.route("/renewals", methods=["GET", "POST"])
def renewals_page():
    """Renewal add-ons: on or off, which rules and mined pairs feed them, and their results."""
    if request.method == "POST":
        service.save_settings(read_form(request.form))
        return redirect(url_for(".renewals_page", notice="settings"), 303)
    data = overview()
    names = {}
    wanted = {pid for source in data["sources"] for pid in source["product_ids"]}
    if wanted:
        names = {pid: product.name for pid, product in _tsuide()._adapter.products(wanted).items()}
    return _render("renewals.html", data=data, names=names)


@api.get("/renewals")
def renewals_api():
    """Renewal add-ons: the settings in force, what feeds them, and per source what they added."""
    from flask import jsonify

    return jsonify(overview())
