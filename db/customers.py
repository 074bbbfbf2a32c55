"""Finding or creating the customer a webhook names: by source id first, then by normalised email."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.ids import new_id
from db.models import Customer
from db.types import utcnow
from db.writes import insert_ignore
from domain.emails import normalize_email
from domain.events import CustomerData


def upsert_customer(session: Session, data: CustomerData) -> Customer:
    """The one customer for this source id or email, created if new, with missing details filled in."""
    normalized = normalize_email(data.email)
    if data.source_id is None and normalized is None:
        return _guest(session, data)
    customer = find_customer(session, data.source_id, normalized)
    if customer is None:
        insert_ignore(session, Customer, _new_customer_values(data, normalized))
        customer = find_customer(session, data.source_id, normalized)
    _fill_blanks(customer, data, normalized)
    return customer


def _guest(session: Session, data: CustomerData) -> Customer:
    """A customer with neither a source id nor a usable email: a new row each time (nothing to match on)."""
    customer = Customer(**{key if key != "metadata" else "meta": value for key, value in _new_customer_values(data, None).items()})
    session.add(customer)
    return customer


def find_customer(session: Session, source_id: str | None, email_normalized: str | None) -> Customer | None:
    if source_id:
        customer = session.scalars(select(Customer).where(Customer.source_id == source_id)).one_or_none()
        if customer is not None:
            return customer
    if email_normalized:
        return session.scalars(select(Customer).where(Customer.email_normalized == email_normalized)).one_or_none()
    return None


def _new_customer_values(data: CustomerData, normalized: str | None) -> dict:
    now = utcnow()
    return {
        "id": new_id("cust"), "source_id": data.source_id, "email": data.email, "email_normalized": normalized,
        "name": data.name, "locale": data.locale, "metadata": dict(data.metadata), "orders_count": 0,
        "orders_amount": 0, "created_at": now, "updated_at": now,
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
