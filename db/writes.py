"""Write helpers shared by the worker steps: insert-or-ignore on a unique key, activity rows, row locks."""
from __future__ import annotations

import functools
from typing import Any, TypeVar

from sqlalchemy import select
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


@functools.cache
def _insert_ignore_statement(model: type[Base], dialect_name: str):
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    key = model.__table__.primary_key.columns.values()[0]
    return dialect.insert(model.__table__).on_conflict_do_nothing().returning(key)


def record_activity(
    session: Session,
    activity_type: str,
    *,
    campaign_id: str | None,
    customer_id: str | None,
    data: dict[str, Any],
    key: str | None = None,
) -> None:
    """Append one activity row; `key` makes it idempotent (the same step writes it once)."""
    session.add(
        Activity(
            id=new_id("act"),
            dedupe_key=f"{activity_type}:{key}" if key else None,
            type=activity_type,
            category=category_of(activity_type),
            campaign_id=campaign_id,
            customer_id=customer_id,
            data=data,
            created_at=utcnow(),
        )
    )


def lock_customer(session: Session, customer_id: str) -> Customer | None:
    """Serialise work for one referrer: a row lock on PostgreSQL (SQLite already holds its write lock)."""
    return session.scalars(select(Customer).where(Customer.id == customer_id).with_for_update()).one_or_none()


def get_for_update(session: Session, model: type[ModelT], row_id: str) -> ModelT | None:
    return session.get(model, row_id, with_for_update=True)
