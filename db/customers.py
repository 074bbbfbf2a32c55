"""Finding or creating the customer a webhook names: by source id first, then by normalised email."""

from __future__ import annotations

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from db.ids import new_id
from db.models import Customer
from db.types import utcnow
from db.writes import insert_or_none
from domain.emails import normalize_email
from domain.events import CustomerData


def upsert_customer(session: Session, data: CustomerData) -> Customer:
    """The one customer for this source id or email, created if new, with missing details filled in."""
    normalized = normalize_email(data.email)
    if data.source_id is None and normalized is None:
        return _guest(session, data)
    customer = (
        find_customer(session, data.source_id, normalized)
        or insert_or_none(session, Customer, _new_customer_values(data, normalized))
        or find_customer(session, data.source_id, normalized)
    )  # another worker created it just now
    _fill_blanks(customer, data, normalized)
    return customer


def _guest(session: Session, data: CustomerData) -> Customer:
    """A customer with neither a source id nor a usable email: a new row each time (nothing to match on)."""
    customer = Customer(**_new_customer_values(data, None))
    session.add(customer)
    return customer


# Built once, one per combination of keys a webhook can carry (every order looks its customer up).
_BY_SOURCE = Customer.source_id == bindparam("source_id")
_BY_EMAIL = Customer.email_normalized == bindparam("email_normalized")
_FIND = {
    (True, True): select(Customer).where(or_(_BY_SOURCE, _BY_EMAIL)),
    (True, False): select(Customer).where(_BY_SOURCE),
    (False, True): select(Customer).where(_BY_EMAIL),
}


def find_customer(session: Session, source_id: str | None, email_normalized: str | None) -> Customer | None:
    """The customer with this source id, else the one with this normalised email (one query for both)."""
    query = _FIND.get((bool(source_id), bool(email_normalized)))
    if query is None:
        return None
    found = list(session.scalars(query, {"source_id": source_id, "email_normalized": email_normalized}))
    by_source = [customer for customer in found if source_id and customer.source_id == source_id]
    return (by_source or found or [None])[0]


def _new_customer_values(data: CustomerData, normalized: str | None) -> dict:
    now = utcnow()
    return {
        "id": new_id("cust"),
        "source_id": data.source_id,
        "email": data.email,
        "email_normalized": normalized,
        "name": data.name,
        "locale": data.locale,
        "meta": dict(data.metadata),
        "orders_count": 0,
        "orders_amounts": {},
        "created_at": now,
        "updated_at": now,
    }


def _fill_blanks(customer: Customer, data: CustomerData, normalized: str | None) -> None:
    """Attach what the customer row lacks; never overwrite what an operator or an earlier event set."""
    if data.source_id and customer.source_id is None:
        customer.source_id = data.source_id
    if normalized and customer.email_normalized is None:
        customer.email, customer.email_normalized = data.email, normalized
    if data.name and not customer.name:
        customer.name = data.name
    if data.locale and not customer.locale:
        customer.locale = data.locale
    new_metadata = {k: v for k, v in data.metadata.items() if customer.meta.get(k) != v}
    if new_metadata:
        customer.meta = {**customer.meta, **new_metadata}
