"""Pure formatting helpers the templates use: reward amounts and dates, in English or German."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

_MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "de": (
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ),
}
_SEPARATORS = {"en": (",", "."), "de": (".", ",")}
_WORDS = {
    "en": {"credits": "credits", "point": "point", "points": "points", "coupon": "a coupon", "material": "a gift"},
    "de": {
        "credits": "Guthaben",
        "point": "Punkt",
        "points": "Punkte",
        "coupon": "ein Gutschein",
        "material": "ein Geschenk",
    },
}


def language(lang: str | None) -> str:
    """The supported language for `lang`, English when unknown."""
    return lang if lang in _MONTHS else "en"


def group_thousands(number: int, lang: str = "en") -> str:
    """Digits grouped by thousands: 1500 → '1,500' (en) or '1.500' (de)."""
    thousands, _ = _SEPARATORS[language(lang)]
    return f"{number:,}".replace(",", thousands)


def format_credits(amount: int | None, lang: str = "en") -> str:
    """Credits held in minor units, e.g. 1000 → '10.00 credits'."""
    lang = language(lang)
    sign = "-" if (amount or 0) < 0 else ""
    major, minor = divmod(abs(int(amount or 0)), 100)
    decimal = _SEPARATORS[lang][1]
    return f"{sign}{group_thousands(major, lang)}{decimal}{minor:02d} {_WORDS[lang]['credits']}"


def format_points(amount: int | None, lang: str = "en") -> str:
    """Loyalty points, e.g. 500 → '500 points'."""
    lang = language(lang)
    count = int(amount or 0)
    word = _WORDS[lang]["point" if abs(count) == 1 else "points"]
    return f"{group_thousands(count, lang)} {word}"


def reward_text(reward: Mapping | None, lang: str = "en") -> str:
    """What a reward is worth, in words: '10.00 credits', '500 points', 'a coupon', 'a gift'."""
    if not reward:
        return ""
    lang = language(lang)
    kind = reward.get("type")
    if kind == "credits":
        return format_credits(reward.get("amount"), lang)
    if kind == "points":
        return format_points(reward.get("amount"), lang)
    return _WORDS[lang].get(kind, _WORDS[lang]["material"])


def long_date(value: str | date | None, lang: str = "en") -> str:
    """A date written out, e.g. '4 December 2026' (en) or '4. Dezember 2026' (de)."""
    day = _as_date(value)
    if day is None:
        return "" if value is None else str(value)
    lang = language(lang)
    month = _MONTHS[lang][day.month - 1]
    return f"{day.day}. {month} {day.year}" if lang == "de" else f"{day.day} {month} {day.year}"


def _as_date(value: str | date | None) -> date | None:
    """The calendar date of an ISO string, date or datetime; None when unreadable."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return datetime.fromisoformat(str(value)).date()
    except ValueError:
        return None
