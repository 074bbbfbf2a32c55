"""The unit of work: one transaction, plus what it produced for after its commit.

Every pipeline step and every operator command runs inside one. While it is open, a step or command
- asks for follow-up messages with `then(...)`: they are sent only once the transaction has committed
  (pypi/warehouse's after-commit task hook is the model), and dropped with it on a rollback;
- records activity rows with `record(...)`: they go out as one multi-row INSERT just before the commit;
- keeps values it read once and then maintains itself in `memo(name)`, and the customers it has locked.
Nothing of it outlives the transaction; nothing hides in `session.info`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.followups import FollowUp
from db.models import Base, Customer
from db.writes import activity_row, insert_activities, lock_customer_rows

Send = Callable[[FollowUp], Any]


@dataclass(eq=False)
class UnitOfWork:
    """One open transaction (`session`) and its after-commit buffers."""

    session: Session
    followups: list[FollowUp] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)
    memos: dict[str, dict] = field(default_factory=dict)
    locked_customers: set[str] = field(default_factory=set)

    def then(self, *followups: FollowUp) -> None:
        """Send these messages once the transaction has committed."""
        self.followups.extend(followups)

    def record(
        self,
        activity_type: str,
        *,
        campaign_id: str | None,
        customer_id: str | None,
        data: dict[str, Any],
        key: str | None = None,
    ) -> None:
        """Append one activity row, written at commit; `key` makes it idempotent (the same step writes it once)."""
        self.activities.append(
            activity_row(activity_type, campaign_id=campaign_id, customer_id=customer_id, data=data, key=key)
        )

    def memo(self, name: str) -> dict:
        """A dict that lives as long as this transaction, for values read once and then kept up to date by the
        step itself (such as a referrer's live-referral count while the referrer is locked)."""
        return self.memos.setdefault(name, {})

    def lock_customer(self, customer_id: str) -> Customer | None:
        """Serialise work for one referrer (a row lock on PostgreSQL; SQLite already holds its write lock).
        A customer this transaction has already locked costs no second round trip."""
        if customer_id in self.locked_customers:
            return self.session.get(Customer, customer_id)
        return self.lock_customers([customer_id]).get(customer_id)

    def lock_customers(self, customer_ids: list[str]) -> dict[str, Customer]:
        """Lock several customers in one statement, in id order so two transactions never deadlock."""
        locked = lock_customer_rows(self.session, customer_ids)
        self.locked_customers.update(locked)
        return locked

    @contextmanager
    def flush_only_if_pending(self, *models: type[Base]) -> Iterator[None]:
        """Let the queries inside flush first only when the session holds unflushed rows of `models` (the rows their
        answer depends on); other pending changes wait for the next flush, since each flush costs a pass of its own."""
        session = self.session
        pending = any(isinstance(row, models) for row in (*session.new, *session.dirty, *session.deleted))
        with nullcontext() if pending else session.no_autoflush:
            yield

    def write_activities(self) -> None:
        """Insert the recorded activities (called once, just before the commit)."""
        rows, self.activities = self.activities, []
        insert_activities(self.session, rows)


class UnitsOfWork:
    """Opens units of work on one session factory; `send` hands a follow-up to the broker after commit."""

    def __init__(self, session_factory: sessionmaker[Session], send: Send) -> None:
        self.session_factory, self.send = session_factory, send

    @contextmanager
    def __call__(self, *, send_after_commit: bool = True) -> Iterator[UnitOfWork]:
        """A transaction that commits when the block ends without an exception, then sends its follow-ups
        (unless the caller sends `uow.followups` itself, as the webhook intake does off its writer thread)."""
        with self.session_factory() as session, session.begin():
            uow = UnitOfWork(session)
            yield uow
            uow.write_activities()
        if send_after_commit:
            self.send_all(uow.followups)

    def run(self, step: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run `step(uow, *args, **kwargs)` in its own unit of work; its result once committed and its follow-ups sent."""
        with self() as uow:
            return step(uow, *args, **kwargs)

    def send_all(self, followups: list[FollowUp]) -> None:
        for followup in followups:
            self.send(followup)
