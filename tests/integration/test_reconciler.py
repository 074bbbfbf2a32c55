"""The reconciler's patience: work waiting its turn behind a backlog is not enqueued a second time."""

from __future__ import annotations

from datetime import timedelta

from dramatiq import Message

from app import followups
from db.ids import new_id
from db.models import Distribution
from db.types import utcnow
from workers.actors import NOTIFICATIONS_QUEUE
from workers.reconciler import BACKLOG_PATIENCE, reconcile_once

OLDER_THAN_SECONDS = 60


def queued_email(runtime, age: timedelta) -> str:
    distribution_id = new_id("dist")
    with runtime.session_factory() as session, session.begin():
        session.add(
            Distribution(
                id=distribution_id,
                dedupe_key=f"customer_rewarded:email:{distribution_id}",
                trigger="customer_rewarded",
                channel="email",
                recipient="ann@example.com",
                template="customer_rewarded",
                status="queued",
                attempts=0,
                context={},
                created_at=utcnow() - age,
            )
        )
    return distribution_id


def test_a_queued_email_behind_a_notifications_backlog_is_not_enqueued_again_until_much_later(runtime):
    queued_email(runtime, timedelta(seconds=OLDER_THAN_SECONDS * 2))
    runtime.enqueue(followups.send("dist_waiting_its_turn"))  # the notifications queue has a backlog
    assert reconcile_once(runtime, older_than_seconds=OLDER_THAN_SECONDS)["distributions"] == 0
    runtime.broker.flush_all()  # the backlog has drained: the email really is stuck now
    assert reconcile_once(runtime, older_than_seconds=OLDER_THAN_SECONDS)["distributions"] == 1


def test_a_queued_email_far_older_than_the_patience_is_enqueued_again_even_during_a_backlog(runtime):
    stuck = queued_email(runtime, timedelta(seconds=OLDER_THAN_SECONDS * BACKLOG_PATIENCE + 5))
    runtime.enqueue(followups.send("dist_waiting_its_turn"))
    assert reconcile_once(runtime, older_than_seconds=OLDER_THAN_SECONDS)["distributions"] == 1
    enqueued = [Message.decode(data).args[0] for data in runtime.broker.queues[NOTIFICATIONS_QUEUE].queue]
    assert stuck in enqueued


def test_a_pipeline_backlog_does_not_delay_a_stuck_email(runtime):
    queued_email(runtime, timedelta(seconds=OLDER_THAN_SECONDS * 2))
    runtime.enqueue(followups.process("evt_waiting_its_turn"))
    assert reconcile_once(runtime, older_than_seconds=OLDER_THAN_SECONDS)["distributions"] == 1
