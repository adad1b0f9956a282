"""Urgency claims ("今だけ", "limited time") are refused on save unless they are true.

The detector and the rule of what makes a claim true live in :mod:`plugin.storefront.urgency`, which the
storefront uses to keep untrue copy that reached the database by another route from shoppers. Here: a
form's or an import's record, field by field.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone

from ..storefront.urgency import URGENCY_PATTERNS, claims_urgency, is_enforced, normalise

__all__ = ["URGENCY_PATTERNS", "URGENCY_REFUSED", "claims_urgency", "is_true_urgency", "normalise", "urgency_errors"]

URGENCY_REFUSED = (
    "An urgency claim must be true (景品表示法): give the offer an end date within %(first)s days, or a limit "
    "in total (first N), or remove the wording."
)
#: Copy fields a shopper reads, by kind of field: plain and in each row of a group.
TEXT_FIELDS = ("label", "label_en", "accept_label", "accept_label_en", "decline_label", "decline_label_en")
ROW_GROUPS = {"variants": ("label", "label_en", "button_label", "button_label_en"), "rewards": ("label", "label_en")}


def _moment(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value))
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def is_true_urgency(record: Mapping, now: datetime, max_days: int) -> bool:
    """An end within ``max_days`` of its start (or of now), or a limit in total: the claim can be true."""
    return is_enforced(now, max_days, ends_at=_moment(record.get("ends_at")), global_cap=record.get("global_cap"),
                       starts_at=_moment(record.get("starts_at")))


def urgency_errors(record: Mapping, now: datetime, max_days: int) -> dict:
    """Per field (rows by number), the urgency claims this record may not make; ``{}`` when none."""
    errors: dict = {}
    if is_true_urgency(record, now, max_days):
        return errors
    message = URGENCY_REFUSED % {"first": max_days}
    for name in TEXT_FIELDS:
        if claims_urgency(record.get(name)):
            errors[name] = [message]
    for group, names in ROW_GROUPS.items():
        for number, row in enumerate(record.get(group) or []):
            wrong = {name: [message] for name in names if isinstance(row, Mapping) and claims_urgency(row.get(name))}
            if wrong:
                errors.setdefault(group, {})[number] = wrong
    downsell = record.get("downsell")
    if isinstance(downsell, Mapping):
        nested = urgency_errors(downsell, now, max_days)
        if nested:
            errors["downsell"] = nested
    return errors
