"""Write helpers shared by the worker steps: insert-or-ignore on a unique key, activity rows, row locks."""
from __future__ import annotations

import functools
from contextlib import contextmanager, nullcontext
from typing import Any, Iterator, TypeVar

from sqlalchemy import bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.ids import new_id
from db.models import Activity, Base, Customer
from db.types import utcnow
from domain.activity import category_of

ModelT = TypeVar("ModelT", bound=Base)
PENDING_ACTIVITIES = "pending_activities"
LOCKED_CUSTOMERS = "locked_customers"
MEMOS = "memos"
ACTIVITIES_AT_COMMIT = "activities_at_commit"  # set on every session of build_session_factory, which writes them
TRANSACTION_SCOPED = (PENDING_ACTIVITIES, LOCKED_CUSTOMERS, MEMOS)


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


def record_activity(
    session: Session,
    activity_type: str,
    *,
    campaign_id: str | None,
    customer_id: str | None,
    data: dict[str, Any],
    key: str | None = None,
) -> None:
    """Append one activity row; `key` makes it idempotent (the same step writes it once).

    Rows wait in the session and go out as one multi-row INSERT when the transaction commits
    (`write_pending_activities`): a step's five or six activities cost one statement, not six flushes.
    """
    if not session.info.get(ACTIVITIES_AT_COMMIT):
        raise RuntimeError("record_activity needs a session from db.engine.build_session_factory (it writes them at commit)")
    session.info.setdefault(PENDING_ACTIVITIES, []).append({
        "id": new_id("act"),
        "dedupe_key": f"{activity_type}:{key}" if key else None,
        "type": activity_type,
        "category": category_of(activity_type),
        "campaign_id": campaign_id,
        "customer_id": customer_id,
        "data": data,
        "created_at": utcnow(),
    })


def write_pending_activities(session: Session) -> None:
    """The session's `before_commit` hook: insert the activities recorded in this transaction."""
    rows = session.info.get(PENDING_ACTIVITIES)
    forget_transaction(session)
    if rows:
        session.execute(_INSERT_ACTIVITIES, rows).all()


# With RETURNING, SQLAlchemy sends the rows as one multi-row INSERT … VALUES ("insertmanyvalues"), which costs
# less than the driver's executemany of one INSERT per row.
_INSERT_ACTIVITIES = insert(Activity.__table__).returning(Activity.__table__.c.id)


def forget_transaction(session: Session, *_args: Any) -> None:
    """Drop what the session kept for the transaction that ends (also the `after_soft_rollback` hook:
    activities of a rolled-back transaction never happened)."""
    for name in TRANSACTION_SCOPED:
        session.info.pop(name, None)


def transaction_memo(session: Session, name: str) -> dict:
    """A dict that lives until this transaction commits or rolls back, for values a step reads once and then keeps
    up to date itself (such as a referrer's live-referral count while the referrer is locked)."""
    return session.info.setdefault(MEMOS, {}).setdefault(name, {})


@contextmanager
def flush_if_pending(session: Session, *models: type[Base]) -> Iterator[None]:
    """Let the queries inside flush the session first only when it holds unflushed rows of `models` (the rows
    their answer depends on); other pending changes wait and go out together in the next flush, since each
    flush costs a unit-of-work pass of its own."""
    pending = any(isinstance(row, models) for row in (*session.new, *session.dirty, *session.deleted))
    with nullcontext() if pending else session.no_autoflush:
        yield


def lock_customer(session: Session, customer_id: str) -> Customer | None:
    """Serialise work for one referrer: a row lock on PostgreSQL (SQLite already holds its write lock).
    A customer this transaction has already locked costs no second round trip."""
    if customer_id in session.info.get(LOCKED_CUSTOMERS, ()):
        return session.get(Customer, customer_id)
    return lock_customers(session, [customer_id]).get(customer_id)


def lock_customers(session: Session, customer_ids: list[str]) -> dict[str, Customer]:
    """Lock several customers in one statement, in id order so two transactions never deadlock."""
    if not customer_ids:
        return {}
    locked = {customer.id: customer for customer in session.scalars(_LOCK_CUSTOMERS, {"ids": sorted(set(customer_ids))})}
    session.info.setdefault(LOCKED_CUSTOMERS, set()).update(locked)
    return locked


_LOCK_CUSTOMERS = (select(Customer).where(Customer.id.in_(bindparam("ids", expanding=True))).order_by(Customer.id)
                   .with_for_update().execution_options(populate_existing=True))  # a row read before the lock is read again


def get_for_update(session: Session, model: type[ModelT], row_id: str) -> ModelT | None:
    return session.get(model, row_id, with_for_update=True)
