"""Helpers shared by the platform parsers: JSON bodies, money and text fields."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from domain.events import Unparseable
from domain.money import to_minor_units

MAX_AMOUNT = 10**15  # minor units: far above any real order, well inside a 64-bit integer column


def json_object(body: bytes) -> Mapping[str, Any]:
    """The body as a JSON object, or Unparseable saying what is wrong."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise Unparseable(f"body is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise Unparseable("body must be a JSON object")
    return data


def minor_units(value: Any, currency: str | None, field_name: str) -> int:
    """A decimal string such as "129.00" in the currency's minor units (12900; ISO 4217 exponents: JPY 0, KWD 3)."""
    return within_range(to_minor_units(decimal_amount(value, field_name), currency), field_name)


def decimal_amount(value: Any, field_name: str) -> Decimal:
    """A decimal string such as "129.00" as a Decimal in major units, or Unparseable."""
    try:
        amount = Decimal(str(value))
        if not amount.is_finite() or abs(amount) > MAX_AMOUNT:
            raise Unparseable(f"{field_name} must be a finite amount in range, got {str(value)[:40]!r}")
        return amount
    except (ArithmeticError, ValueError) as error:
        if isinstance(error, Unparseable):
            raise
        raise Unparseable(f"{field_name} must be a decimal amount, got {str(value)[:40]!r}") from None


def within_range(value: int, field_name: str) -> int:
    """An amount or count that fits the database's 64-bit integers (and any real order)."""
    if abs(value) > MAX_AMOUNT:
        raise Unparseable(f"{field_name} is out of range: {value}")
    return value


MAX_TEXT = 255


def text(value: Any, max_length: int = MAX_TEXT) -> str | None:
    """A non-empty string (ids may arrive as numbers), or None; NUL bytes and over-long values are refused."""
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    value = str(value).strip()
    if "\x00" in value:
        raise Unparseable("text fields must not contain NUL characters")
    if len(value) > max_length:
        raise Unparseable(f"a text field is longer than {max_length} characters: {value[:40]!r}…")
    return value or None


def mapping(value: Any, field_name: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Unparseable(f"{field_name} must be an object")
    return value


def sequence(value: Any, field_name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Unparseable(f"{field_name} must be a list")
    return value


def full_name(first: Any, last: Any) -> str | None:
    return " ".join(part for part in (text(first), text(last)) if part) or None


def required(data: Mapping[str, Any], key: str, field_name: str) -> str:
    value = text(data.get(key))
    if value is None:
        raise Unparseable(f"{field_name} is required")
    return value


def whole_number(value: Any, field_name: str, default: int = 1) -> int:
    """A whole number given as an integer or a string of digits (platforms send both)."""
    if value is None or value == "":
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return within_range(value, field_name)
    if isinstance(value, str) and value.strip().isdigit():
        return within_range(int(value.strip()), field_name)
    raise Unparseable(f"{field_name} must be a whole number, got {value!r}")


def named_values(entries: list[Any], name_field: str) -> dict[str, Any]:
    """Shopify's `note_attributes` and WooCommerce's `meta_data` (a list of {name, value}) as a dict; an entry whose
    name is missing or not text is left out (it cannot be matched by a rule anyway)."""
    return {
        entry[name_field]: entry.get("value")
        for entry in entries
        if isinstance(entry, dict) and isinstance(entry.get(name_field), str)
    }
