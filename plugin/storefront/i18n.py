"""Money and copy for shoppers, in Japanese and English, through Babel.

Messages are written in English in the code and templates; translations live
in ``plugin/translations/<lang>/LC_MESSAGES/messages.po``, read with Babel.
Money is formatted by Babel for the shopper's locale.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po
from babel.numbers import format_currency, get_currency_precision

TRANSLATIONS = Path(__file__).parent / "translations"
LANGUAGES = ("ja", "en")


def language(locale: str | None) -> str:
    """The language Tsuide has copy for: ``"ja"`` or ``"en"``."""
    code = (locale or "ja").replace("-", "_").split("_")[0].lower()
    return code if code in LANGUAGES else "en"


@lru_cache(maxsize=None)
def _catalog(lang: str) -> dict[str, str]:
    path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as file:
        catalog = read_po(file, locale=lang)
    return {message.id: message.string for message in catalog if message.id and message.string}


def gettext(message: str, locale: str | None, **values: object) -> str:
    """``message`` in the shopper's language, with ``%(name)s`` placeholders filled in."""
    return translator(locale)(message, **values)


@lru_cache(maxsize=64)
def translator(locale: str | None) -> Callable[..., str]:
    """:func:`gettext` for one locale, its catalogue looked up once: what a panel calls ``_``."""
    catalog = _catalog(language(locale))

    def translate(message: str, **values: object) -> str:
        translated = catalog.get(message, message)
        return translated % values if values else translated

    return translate


@lru_cache(maxsize=8192)
def format_money(amount: int, currency: str, locale: str | None) -> str:
    """``amount`` minor units as the shopper reads it: 3000 JPY -> "￥3,000" (ja), "¥3,000" (en)."""
    digits = get_currency_precision(currency)
    return format_currency(Decimal(amount).scaleb(-digits), currency, locale=locale or "ja")


@lru_cache(maxsize=64)
def money_formatter(currency: str, locale: str | None) -> Callable[[int], str]:
    """:func:`format_money` for one currency and locale: what a panel calls ``money``."""

    def money(amount: int) -> str:
        return format_money(amount, currency, locale)

    return money


#: From this many seconds left, a countdown reads in hours and minutes ("23時間59分"), not "1439:59".
COUNTDOWN_HOURS_FROM = 3_600
#: The long form's copy, with the widget's placeholders for the hours and minutes it fills in as it ticks.
COUNTDOWN_HOURS = "%(hours)s h %(minutes)s min"


def countdown(seconds: int, translate: Callable[..., str]) -> str:
    """Time left as a shopper reads it: "12:59" under an hour, "23時間59分" / "23 h 59 min" from an hour.

    ``static/widget.js`` ticks the same two forms (``data-tsuide-hours`` carries the long one's copy).
    """
    seconds = max(0, int(seconds))
    if seconds >= COUNTDOWN_HOURS_FROM:
        return translate(COUNTDOWN_HOURS, hours=seconds // 3_600, minutes=seconds % 3_600 // 60)
    return f"{seconds // 60}:{seconds % 60:02d}"


def format_percent(basis_points: int) -> str:
    """1000 -> "10%", 1250 -> "12.5%"."""
    whole, rest = divmod(basis_points, 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0") + "%"
