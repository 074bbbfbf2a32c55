"""A poison message: an inbox row whose normalised event is corrupt fails for good, once, and blocks nothing."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select, text

from app import followups
from db.ids import new_id
from db.models import FailedJob, InboundEvent
from db.types import utcnow
from tests.faults.workload import referral_workload, seed_program
from tests.support.databases import backend
from tests.support.faults import deliver_all, outcome, wait_until_quiet
from tests.support.processes import wait_until

pytestmark = pytest.mark.slow
CORRUPT_SHAPES = {
    "no type": {"order": {"id": "x"}},
    "order is a string": {"type": "order.paid", "order": "o-1", "customer": None, "codes": []},
    "customer is a list": {"type": "order.paid", "order": None, "customer": ["ann@example.com"], "codes": []},
}


def test_a_corrupt_inbox_event_fails_once_into_failed_jobs_and_the_rest_are_processed(
    fault_runtime, intake, worker_pool, smtp
):
    program = seed_program(fault_runtime, referrers=5)
    workload = referral_workload(program, referees=190, plain_orders=10, prefix="poison")
    worker_pool(processes=2, threads=4)
    poison = {name: _poison_row(fault_runtime, normalized) for name, normalized in CORRUPT_SHAPES.items()}
    if backend() == "sqlite":
        poison["not JSON at all"] = _poison_row(fault_runtime, {}, raw_normalized='{"type": "order.paid", "order": {')
    for event_id in poison.values():
        fault_runtime.enqueue(followups.process(event_id))
    assert deliver_all(intake, workload.requests) == {(202, "accepted"): 200}
    wait_until(
        lambda: {event.status for event in _events(fault_runtime, list(poison.values()))} == {"failed"},
        timeout_s=60,
        message="every poison event marked failed (else the reconciler re-enqueues it forever)",
    )
    wait_until_quiet(fault_runtime, timeout_s=180)
    time.sleep(3)  # several reconciler passes (every second): a failed event must not be picked up again

    expected = workload.expected.summary()
    expected["events"] = {"processed": 200, "failed": len(poison)}
    assert outcome(fault_runtime) == expected
    jobs = _failed_jobs(fault_runtime)
    assert sorted(job.args[0] for job in jobs) == sorted(poison.values()), "exactly one failed job per poison event"
    for job in jobs:
        assert (job.actor, job.queue, job.kwargs) == ("process_event", "referrals", {})
        assert job.options.get("retries") == 1, "a permanent error is not retried"
        assert job.error and job.traceback and "Traceback" in job.traceback and job.error.split(":")[0] in job.traceback
    for event in _events(fault_runtime, list(poison.values())):
        assert event.status == "failed" and event.error, (event.id, event.status, event.error)


def _poison_row(runtime, normalized: dict, *, raw_normalized: str | None = None) -> str:
    """An inbox row as intake would store it, but with a corrupt `normalized` event, written straight to the database."""
    event_id = new_id("evt")
    now = utcnow()
    with runtime.session_factory() as session, session.begin():
        session.add(
            InboundEvent(
                id=event_id,
                source="events",
                external_id=f"poison-{event_id}",
                topic="order.paid",
                body="{}",
                headers={},
                normalized=normalized,
                status="enqueued",
                attempts=0,
                received_at=now,
                enqueued_at=now,
            )
        )
    if raw_normalized is not None:
        with runtime.session_factory() as session, session.begin():
            session.execute(
                text("UPDATE inbound_events SET normalized = :raw WHERE id = :id"),
                {"raw": raw_normalized, "id": event_id},
            )
    return event_id


def _failed_jobs(runtime) -> list[FailedJob]:
    with runtime.session_factory() as session:
        return list(session.scalars(select(FailedJob)))


def _events(runtime, ids: list[str]) -> list:
    with runtime.session_factory() as session:
        return list(
            session.execute(
                select(InboundEvent.id, InboundEvent.status, InboundEvent.error).where(InboundEvent.id.in_(ids))
            )
        )
