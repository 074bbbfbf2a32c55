"""Operator use cases on exchange rates: set one for a pair and a date, delete one. Each records its activity."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from app.unit_of_work import UnitOfWork
from db.ids import new_id
from db.models import ExchangeRate
from db.queries.errors import Invalid
from db.queries.lookups import get
from db.types import utcnow
from domain.money import InvalidMoney, currency_code, parse_rate

# Not among SPEC §2's (Voucherify's) activity types, which name none for settings: category "other"
RATE_SET = "exchange_rate.set"
RATE_DELETED = "exchange_rate.deleted"


def set_rate(uow: UnitOfWork, values: dict[str, Any]) -> ExchangeRate:
    """1 `base` = `rate` `quote` from `date` on (today, UTC, when not given); a rate of the same pair and date is
    replaced. Values: base, quote, rate (a decimal string), date."""
    base, quote = _currency(values.get("base"), "base"), _currency(values.get("quote"), "quote")
    if base == quote:
        raise Invalid("quote: must differ from base")
    rate, day = _rate(values.get("rate")), values.get("date") or utcnow().date()
    row = uow.session.scalars(
        select(ExchangeRate)
        .where(ExchangeRate.base == base, ExchangeRate.quote == quote, ExchangeRate.date == day)
        .with_for_update()
    ).one_or_none()
    previous = row.rate if row is not None else None
    if row is None:
        row = ExchangeRate(id=new_id("fx"), base=base, quote=quote, date=day, created_at=utcnow())
        uow.session.add(row)
    row.rate = str(rate)
    _record(uow, RATE_SET, row, previous=previous)
    return row


def delete_rate(uow: UnitOfWork, rate_id: str) -> None:
    row = get(uow.session, ExchangeRate, rate_id, "exchange rate", for_update=True)
    uow.session.delete(row)
    _record(uow, RATE_DELETED, row)


def _currency(value: Any, field_name: str) -> str:
    try:
        return currency_code(value)
    except InvalidMoney as error:
        raise Invalid(f"{field_name}: {error}") from None


def _rate(value: Any) -> Any:
    try:
        return parse_rate(value)
    except InvalidMoney as error:
        raise Invalid(f"rate: {error}") from None


def _record(uow: UnitOfWork, activity_type: str, row: ExchangeRate, **extra: Any) -> None:
    day: date = row.date
    uow.record(
        activity_type,
        campaign_id=None,
        customer_id=None,
        data={
            "exchange_rate_id": row.id,
            "base": row.base,
            "quote": row.quote,
            "rate": row.rate,
            "date": day.isoformat(),
            **extra,
        },
    )
