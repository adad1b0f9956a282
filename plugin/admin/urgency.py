"""Urgency claims ("今だけ", "limited time") are allowed only when they are true.

Japan's Act against Unjustifiable Premiums and Misleading Representations
(景品表示法) treats a false "only now" as misleading: an offer that says so
must really end soon (an end date within ``TSUIDE_URGENCY_MAX_DAYS``) or really
run out (a ``global_cap``). One list of patterns, matched on text normalised
by NFKC (full-width and half-width alike) and case-folded.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

#: Words that claim time or stock is short, in Japanese and English, as normalised text matches them.
URGENCY_PATTERNS = (
    "今だけ", "いまだけ", "イマダケ", "期間限定", "本日限り", "本日かぎり", "今日だけ", "今日限り", "本日のみ",
    "残りわずか", "残り僅か", "のこりわずか", "残りあと", "先着", "数量限定", "在庫限り", "ラストチャンス",
    "お急ぎ", "急いで", "まもなく終了", "間もなく終了", "終了間近", "タイムセール",
    r"only today", r"today only", r"limited[- ]time", r"last chance", r"hurry", r"ends? soon", r"while stocks? last",
    r"final hours?", r"only \d+ left", r"act now", r"don'?t miss out",
)
_PATTERN = re.compile("|".join(URGENCY_PATTERNS))
URGENCY_REFUSED = (
    "An urgency claim must be true (景品表示法): give the offer an end date within %(first)s days, or a limit "
    "in total (first N), or remove the wording."
)
#: Copy fields a shopper reads, by kind of field: plain and in each row of a group.
TEXT_FIELDS = ("label", "label_en", "accept_label", "accept_label_en", "decline_label", "decline_label_en")
ROW_GROUPS = {"variants": ("label", "label_en", "button_label", "button_label_en"), "rewards": ("label", "label_en")}


def normalise(text: str) -> str:
    """Full-width and half-width alike (NFKC), case-folded, runs of spaces as one."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def claims_urgency(text: str | None) -> bool:
    return bool(text) and _PATTERN.search(normalise(text)) is not None


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
    if record.get("global_cap"):
        return True
    ends = _moment(record.get("ends_at"))
    if ends is None:
        return False
    starts = _moment(record.get("starts_at"))
    begin = max(now, starts) if starts is not None else now
    return ends - begin <= timedelta(days=max_days)


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
