"""Reading exchange rates: the operator's list, and the rate that converts an order into its campaign's currency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from db.models import ExchangeRate
from db.queries import Listing
from db.queries.serializers import iso
from domain.money import Conversion, Converted, convert, pick_rate
from domain.money import ExchangeRate as Rate


def exchange_rates(*, currency: str | None = None, base: str | None = None, quote: str | None = None) -> Listing:
    """Rates newest first; `currency` keeps the rates with it on either side."""
    query = select(ExchangeRate)
    if currency is not None:
        query = query.where(or_(ExchangeRate.base == currency.upper(), ExchangeRate.quote == currency.upper()))
    if base is not None:
        query = query.where(ExchangeRate.base == base.upper())
    if quote is not None:
        query = query.where(ExchangeRate.quote == quote.upper())
    return Listing(query, ExchangeRate.id, ExchangeRate.created_at, exchange_rate)


def exchange_rate(row: ExchangeRate) -> dict[str, Any]:
    return {
        "id": row.id,
        "base": row.base,
        "quote": row.quote,
        "rate": row.rate,
        "date": row.date.isoformat(),
        "created_at": iso(row.created_at),
    }


def in_campaign_currency(
    session: Session, amount: int | None, currency: str | None, campaign_currency: str, on: date
) -> Conversion:
    """`amount` (minor units of `currency`) in the campaign's currency; reads rates only when the two differ."""
    currency = currency.upper() if currency else None
    if amount is None or currency is None or currency == campaign_currency:
        return Converted(amount)
    return convert(amount, currency, campaign_currency, _rate(session, currency, campaign_currency, on), on)


def _rate(session: Session, source: str, target: str, on: date) -> Rate | None:
    """The newest rate of the pair, each way round, dated on or before `on`; the domain picks between them."""
    candidates = [
        session.scalars(
            select(ExchangeRate)
            .where(and_(ExchangeRate.base == base, ExchangeRate.quote == quote, ExchangeRate.date <= on))
            .order_by(ExchangeRate.date.desc())
            .limit(1)
        ).first()
        for base, quote in ((source, target), (target, source))
    ]
    return pick_rate([_domain_rate(row) for row in candidates if row is not None], source, target, on)


def _domain_rate(row: ExchangeRate) -> Rate:
    return Rate(row.base, row.quote, Decimal(row.rate), row.date, row.id)
