"""Urgency claims ("今だけ", "limited time", "残りわずか") and whether the server makes them true.

Japan's Act against Unjustifiable Premiums and Misleading Representations
(景品表示法) treats a false "only now" as misleading: an offer that says so
must really end soon (an end date within ``TSUIDE_URGENCY_MAX_DAYS``) or really
run out (a ``global_cap``), and the server must be what ends it or counts it
out. One list of patterns, matched on text normalised by NFKC (full-width and
half-width alike) and case-folded.

The admin refuses such copy on save (:mod:`plugin.admin.urgency`); the
storefront checks it again before a shopper reads it (:mod:`.honest_copy`),
because copy reaches the shop by other routes too: rows written through the
models, an import, a schedule changed after the copy was written, an old row.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from functools import lru_cache

#: Words that claim time or stock is short, in Japanese and English, as normalised text matches them.
URGENCY_PATTERNS = (
    "今だけ", "いまだけ", "イマダケ", "期間限定", "本日限り", "本日かぎり", "今日だけ", "今日限り", "本日のみ",
    "残りわずか", "残り僅か", "のこりわずか", "残りあと", "先着", "数量限定", "在庫限り", "ラストチャンス",
    "お急ぎ", "急いで", "まもなく終了", "間もなく終了", "終了間近", "タイムセール",
    r"only today", r"today only", r"limited[- ]time", r"last chance", r"hurry", r"ends? soon", r"while stocks? last",
    r"final hours?", r"only \d+ left", r"act now", r"don'?t miss out",
)
_PATTERN = re.compile("|".join(URGENCY_PATTERNS))


def normalise(text: str) -> str:
    """Full-width and half-width alike (NFKC), case-folded, runs of spaces as one."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@lru_cache(maxsize=4096)
def claims_urgency(text: str | None) -> bool:
    """Whether ``text`` says time or stock is short (remembered per text: panels ask on every render)."""
    return bool(text) and _PATTERN.search(normalise(text)) is not None


def is_enforced(now: datetime, max_days: int, *, ends_at: datetime | None, global_cap: int | None,
                starts_at: datetime | None = None) -> bool:
    """Whether an offer with these terms may claim urgency: a limit in total that the server counts, or an
    end the server keeps within ``max_days`` of its start (or of now, once started). Datetimes are aware."""
    if global_cap:
        return True
    if ends_at is None:
        return False
    begin = max(now, starts_at) if starts_at is not None else now
    return ends_at - begin <= timedelta(days=max_days)
