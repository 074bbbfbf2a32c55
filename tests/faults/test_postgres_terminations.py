"""PostgreSQL connections killed (pg_terminate_backend) while events flow: transient errors are retried, nothing is lost."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

from db.models import Distribution
from tests.faults.workload import referral_workload, seed_program
from tests.support.databases import backend
from tests.support.faults import (
    BackendTerminator,
    deliver_all,
    delivered_keys,
    outcome,
    outcome_or_none,
    wait_for,
    wait_until_quiet,
)
from tests.support.processes import wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres_only,
    pytest.mark.skipif(backend() != "postgresql", reason="pg_terminate_backend needs PostgreSQL"),
]


def test_connections_terminated_mid_stream_are_retried_until_every_event_is_processed(
    fault_runtime, fault_settings, intake, worker_pool, smtp
):
    program = seed_program(fault_runtime, referrers=10)
    workload = referral_workload(program, referees=180, plain_orders=10, unknown_codes=10, prefix="pg")
    worker_pool(processes=2, threads=4)
    terminator = BackendTerminator(fault_settings.database_url, 0.5, 1.5)
    terminator.start()
    try:
        # The intake's own connections are terminated too: it answers 503 and the platform retries, as Shopify would.
        answers = deliver_all(intake, workload.requests, retry_on=(503,))
        wait_until(
            lambda: _processed(fault_runtime) >= 0.9 * workload.expected.events,
            timeout_s=180,
            message="most events processed while connections are being terminated",
        )
    finally:
        terminator.stop()
    wait_until_quiet(fault_runtime, timeout_s=60)

    assert terminator.errors == [] and terminator.terminated >= 10, (terminator.terminated, terminator.errors)
    assert set(answers) <= {(202, "accepted"), (200, "duplicate")}, answers  # a 503 whose row was in fact stored
    assert outcome(fault_runtime) == workload.expected.summary()
    delivered = delivered_keys(smtp.handler)
    assert sum(delivered.values()) == workload.expected.distributions["sent"] == len(delivered), (
        "each mail exactly once: a lost database connection is not a crash",
        delivered.most_common(3),
    )


def _processed(runtime) -> int:
    now = outcome_or_none(runtime)
    return now["events"].get("processed", 0) if now else 0


def test_a_connection_lost_while_recording_a_delivered_mail_neither_strands_nor_resends_it(
    fault_runtime, fault_settings, intake, worker_pool, smtp
):
    """Deterministic version of the window above: the SMTP server has accepted the mail; the worker's transaction that
    records `sent` is waiting on the distribution's row lock when its connection is terminated."""
    program = seed_program(fault_runtime, referrers=1, notifications={"customer_rewarded": ["email"]})
    holder = RowLockHolder(fault_settings.database_url)
    smtp.handler.before_reply = holder.lock_distribution_of
    worker_pool(processes=1, threads=2)
    [order] = referral_workload(
        program, referees=1, prefix="lost", email_triggers={"customer_rewarded": ["email"]}
    ).requests
    assert deliver_all(intake, [order]) == {(202, "accepted"): 1}
    try:
        wait_until(
            lambda: holder.terminate_lock_waiter(),
            timeout_s=60,
            message="the worker recording `sent` waits on the row lock",
        )
    finally:
        holder.release()
    wait_for(
        lambda: _statuses(fault_runtime) == ["sent"],
        timeout_s=30,
        describe=lambda: (
            f"the mail the SMTP server accepted is still {_statuses(fault_runtime)}, not sent: it waits for "
            "the 5-minute send claim to expire, and is then sent a second time"
        ),
    )
    assert sum(delivered_keys(smtp.handler).values()) == 1


class RowLockHolder:
    """Holds the row lock of the distribution the SMTP server just accepted, from the test's own connection."""

    def __init__(self, database_url: str) -> None:
        self.engine = create_engine(database_url, poolclass=NullPool)
        self.connection = None
        self.transaction = None

    def lock_distribution_of(self, delivered) -> None:
        distribution_id = str(delivered.message["Message-ID"]).strip("<>").split("@")[0]
        self.connection = self.engine.connect()
        self.transaction = self.connection.begin()
        self.connection.execute(select(Distribution.id).where(Distribution.id == distribution_id).with_for_update())

    def terminate_lock_waiter(self) -> bool:
        if self.transaction is None:
            return False
        with self.engine.connect() as admin:
            return bool(
                admin.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                ).scalar()
            )

    def release(self) -> None:
        if self.transaction is not None:
            self.transaction.rollback()
            self.connection.close()
        self.engine.dispose()


def _statuses(runtime) -> list[str]:
    with runtime.session_factory() as session:
        return list(session.scalars(select(Distribution.status)))
