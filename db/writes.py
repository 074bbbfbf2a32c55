"""Write helpers shared by the steps and commands: insert-or-ignore on a unique key, activity rows, row locks."""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from sqlalchemy import bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.ids import new_id
from db.models import Activity, Base, Customer
from db.types import utcnow
from domain.activity import category_of

ModelT = TypeVar("ModelT", bound=Base)


def insert_ignore(session: Session, model: type[Base], values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on any unique key; True when the row was inserted."""
    statement = _insert_ignore_statement(model, session.get_bind().dialect.name)
    return session.execute(statement, values).first() is not None


def insert_ignore_many(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> set[Any]:
    """`insert_ignore` for many rows in one multi-row statement; the primary keys of the rows inserted."""
    statement = _insert_ignore_statement(model, session.get_bind().dialect.name)
    return set(session.scalars(statement, rows))


def insert_or_none(session: Session, model: type[ModelT], values: dict[str, Any]) -> ModelT | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING the new row as a loaded object; None when a unique key clashed.
    `values` are keyed by attribute name (one round trip instead of an insert and a select)."""
    statement = _insert_or_none_statement(model, session.get_bind().dialect.name)
    return session.scalars(statement, [values]).first()


def upsert_dialect(dialect_name: str):
    """The dialect module whose `insert` has ON CONFLICT (PostgreSQL's or SQLite's)."""
    return postgresql if dialect_name == "postgresql" else sqlite


@functools.cache
def _insert_or_none_statement(model: type[Base], dialect_name: str):
    """Built once per model: a statement whose parameters come at execution costs no cache-key walk over the values."""
    return upsert_dialect(dialect_name).insert(model).on_conflict_do_nothing().returning(model)


@functools.cache
def _insert_ignore_statement(model: type[Base], dialect_name: str):
    key = model.__table__.primary_key.columns.values()[0]
    return upsert_dialect(dialect_name).insert(model.__table__).on_conflict_do_nothing().returning(key)


def activity_row(
    activity_type: str,
    *,
    campaign_id: str | None,
    customer_id: str | None,
    data: dict[str, Any],
    key: str | None = None,
) -> dict[str, Any]:
    """One activity row as `insert_activities` writes it; `key` makes it idempotent (the same step writes it once)."""
    return {
        "id": new_id("act"),
        "dedupe_key": f"{activity_type}:{key}" if key else None,
        "type": activity_type,
        "category": category_of(activity_type),
        "campaign_id": campaign_id,
        "customer_id": customer_id,
        "data": data,
        "created_at": utcnow(),
    }


def insert_activities(session: Session, rows: list[dict[str, Any]]) -> None:
    """A transaction's activities as one multi-row INSERT: five or six activities cost one statement, not six flushes."""
    if rows:
        session.execute(_INSERT_ACTIVITIES, rows).all()


# With RETURNING, SQLAlchemy sends the rows as one multi-row INSERT … VALUES ("insertmanyvalues"), which costs
# less than the driver's executemany of one INSERT per row.
_INSERT_ACTIVITIES = insert(Activity.__table__).returning(Activity.__table__.c.id)


def lock_customer_rows(session: Session, customer_ids: list[str]) -> dict[str, Customer]:
    """Lock customers' rows in one statement, in id order so two transactions never deadlock (a row lock on
    PostgreSQL; SQLite already holds its write lock)."""
    if not customer_ids:
        return {}
    return {customer.id: customer for customer in session.scalars(_LOCK_CUSTOMERS, {"ids": sorted(set(customer_ids))})}


_LOCK_CUSTOMERS = (
    select(Customer)
    .where(Customer.id.in_(bindparam("ids", expanding=True)))
    .order_by(Customer.id)
    .with_for_update()
    .execution_options(populate_existing=True)
)  # a row read before the lock is read again


def get_for_update(session: Session, model: type[ModelT], row_id: str) -> ModelT | None:
    return session.get(model, row_id, with_for_update=True)
