"""Money and copy for shoppers, in Japanese and English, formatted by Babel."""
from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision

MESSAGES = {
    "ja": {
        "free_shipping_remaining": "あと{amount}で送料無料",
        "free_shipping_reached": "送料無料になりました",
        "next_reward": "あと{amount}で{reward}",
        "complete_bundle": "{label}：あと{items}を追加で{saving}お得",
        "reach_tier": "{label}：あと{count}点で{percent}オフ（{saving}お得）",
        "add": "追加する",
        "saving": "{amount}お得",
        "offers_heading": "ついでにいかがですか",
    },
    "en": {
        "free_shipping_remaining": "{amount} more for free shipping",
        "free_shipping_reached": "You've unlocked free shipping",
        "next_reward": "{amount} more for {reward}",
        "complete_bundle": "{label}: add {items} and save {saving}",
        "reach_tier": "{label}: add {count} more for {percent} off (save {saving})",
        "add": "Add",
        "saving": "Save {amount}",
        "offers_heading": "While you're here",
    },
}


def language(locale: str | None) -> str:
    """The language Tsuide has copy for: ``"ja"`` or ``"en"``."""
    code = (locale or "ja").replace("-", "_").split("_")[0].lower()
    return code if code in MESSAGES else "en"


def text(key: str, locale: str | None, **values: object) -> str:
    return MESSAGES[language(locale)][key].format(**values)


def format_money(amount: int, currency: str, locale: str | None) -> str:
    """``amount`` minor units as the shopper reads it: 3000 JPY -> "￥3,000" (ja), "¥3,000" (en)."""
    digits = get_currency_precision(currency)
    return format_currency(Decimal(amount).scaleb(-digits), currency, locale=locale or "ja")


def format_percent(basis_points: int) -> str:
    whole, rest = divmod(basis_points, 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0") + "%"
