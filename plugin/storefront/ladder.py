"""The cart bar's ladder of rewards: spend discounts, gifts and shipping on one line, nearest first.

"あと¥800で¥500引き · あと¥3,000で送料無料". Every amount is the quote's own (what is left to spend on the
order as the engine counts it), never an estimate.
"""
from __future__ import annotations

from collections.abc import Callable

from ..engine.values import Quote

#: Rewards read on the bar at once: the nearest, then the one after it.
SHOWN = 2


def rungs(quote: Quote, money: Callable[[int], str], percent: Callable[[int], str],
          gettext: Callable[..., str]) -> list[tuple[int, str, str | None]]:
    """Every reward ahead as (what is left to spend, its words, its rule id or ``None`` for shipping's), nearest
    first; shipping's first on a tie."""
    found: list[tuple[int, int, str, str | None]] = []
    progress = quote.free_shipping
    if progress is not None and not progress.reached:
        if progress.next_step is not None:
            found.append((progress.next_step_remaining, 0, gettext(
                "%(amount)s more for shipping at %(fee)s", amount=money(progress.next_step_remaining),
                fee=money(progress.next_step.fee)), None))
        found.append((progress.remaining, 0, gettext("%(amount)s more for free shipping",
                                                     amount=money(progress.remaining)), None))
    if progress is not None and progress.next_reward is not None:
        found.append((progress.next_reward_remaining, 0, gettext(
            "%(amount)s more for %(reward)s", amount=money(progress.next_reward_remaining),
            reward=progress.next_reward.label), None))
    for rung in quote.ladder:
        if rung.kind == "gift":
            reward = gettext("a free gift")
        elif rung.step.amount_off is not None:
            reward = gettext("%(amount)s off", amount=money(rung.step.amount_off))
        else:
            reward = gettext("%(percent)s off", percent=percent(rung.step.percent_bp))
        found.append((rung.remaining, 1, gettext("%(amount)s more for %(reward)s", amount=money(rung.remaining),
                                                  reward=reward), rung.rule_id))
    found.sort(key=lambda item: item[:2])
    return [(remaining, text, rule_id) for remaining, _, text, rule_id in found]


def ladder_text(quote: Quote, money: Callable[[int], str], percent: Callable[[int], str],
                gettext: Callable[..., str]) -> tuple[str | None, list[str]]:
    """The bar's words when the order has spend or gift rewards ahead (else ``None``: the shipping bar's own),
    and the rule ids of the rewards it names (their impressions count in the analytics, like any offer's)."""
    if not quote.ladder:
        return None, []
    shown, texts = [], set()
    for _, text, rule_id in rungs(quote, money, percent, gettext):
        if text not in texts:  # two gifts at one threshold read once
            texts.add(text)
            shown.append((text, rule_id))
    shown = shown[:SHOWN]
    return " · ".join(text for text, _ in shown), [rule_id for _, rule_id in shown if rule_id]
