"""A cart offer's button says what its click adds: "3点を追加する" / "Add 3 items".

A shop's own A/B button label is used unless a count it names contradicts the click ("Add all three" on an
offer that adds one item); then the generated label is shown instead, so the words never promise more (or
less) than the cart gets.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from ..engine.values import Offer

_ENGLISH = {"one": 1, "single": 1, "two": 2, "both": 2, "pair": 2, "three": 3, "four": 4, "five": 5, "six": 6,
            "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_KANJI = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
#: A number followed by a Japanese counter (3点, ３個, 二つ, 3袋) or an English count noun (3 items, 2 pairs).
_COUNTED = re.compile(
    r"(?P<number>[0-9０-９]+|[一二三四五六七八九十])\s*(?:点|個|つ|品|本|枚|足|袋|箱|セット|items?\b|pieces?\b|"
    r"products?\b|units?\b|bags?\b|pairs?\b)",
    re.IGNORECASE,
)
_WORD = re.compile(r"\b(" + "|".join(_ENGLISH) + r")\b", re.IGNORECASE)
_TIMES = re.compile(r"[×x]\s*(?P<number>[0-9０-９]+)", re.IGNORECASE)


def counts_named(label: str) -> set[int]:
    """The item counts ``label`` promises: "3点まとめて追加" -> {3}, "Add all three" -> {3}, "¥500お得" -> {}."""
    found = set()
    for match in (*_COUNTED.finditer(label), *_TIMES.finditer(label)):
        number = match.group("number")
        found.add(_KANJI[number] if number in _KANJI else int(number))  # int() reads full-width digits too
    found.update(_ENGLISH[word.lower()] for word in _WORD.findall(label))
    return found


def offer_button_label(offer: Offer, custom: str | None, gettext: Callable[..., str]) -> str:
    """The label of ``offer``'s button: the shop's ``custom`` one unless its count contradicts the click."""
    if offer.kind == "free_gift":  # one unit at no charge: the words say so, whatever a variant wrote
        return gettext("Add your free gift")
    count = offer.add_quantity
    # "Make it three" on a tier of 3 names the cart the click makes, which is no contradiction either.
    honest = {count} | ({offer.tier.min_quantity} if offer.kind == "reach_tier" and offer.tier else set())
    if custom and counts_named(custom) <= honest:
        return custom
    if count == 1:
        return gettext("Add 1 item")
    return gettext("Add %(count)s items", count=count)
