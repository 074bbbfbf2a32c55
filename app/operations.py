"""Operator commands on pipeline results: roll back a redemption, complete or roll back a reward, resend a
notification, replay an inbox event, retry and purge failed jobs. Each runs inside the caller's unit of work and
reuses the pipeline's own step functions, so an operator action and a webhook change rows the same way."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Update, delete, select, update
from sqlalchemy.orm import Session

from app import followups
from app.pipeline.redeem import roll_back
from app.pipeline.rewards import OPERATOR, complete, roll_back_reward
from app.unit_of_work import UnitOfWork
from db.models import Code, Distribution, FailedJob, InboundEvent, Redemption, Reward
from db.queries.errors import Conflict
from db.queries.lookups import get
from db.types import utcnow
from db.writes import insert_ignore
from domain.events import Unparseable
from domain.model import DistributionStatus, EventStatus, RedemptionStatus, RewardStatus
from domain.platforms.registry import PARSERS, Parser

OPERATOR_ROLLBACK = "rolled back by an operator"


def rollback_redemption(uow: UnitOfWork, redemption_id: str) -> Redemption:
    """Roll back a succeeded redemption and its referral; the referrer's rewards are settled next."""
    session = uow.session
    redemption = _succeeded(get(session, Redemption, redemption_id, "redemption"))
    code = session.get(Code, redemption.code_id)
    if code is not None and code.holder_id:
        uow.lock_customer(code.holder_id)
    redemption = _succeeded(get(session, Redemption, redemption_id, "redemption", for_update=True))
    roll_back(uow, redemption, None, utcnow())
    return redemption


def _succeeded(redemption: Redemption) -> Redemption:
    if redemption.status != RedemptionStatus.SUCCEEDED:
        raise Conflict(f"only a succeeded redemption can be rolled back; this one is {redemption.status}")
    return redemption


def complete_reward(uow: UnitOfWork, reward_id: str) -> Reward:
    """Complete a pending reward now: a material one an operator fulfilled, or a held one released early."""
    reward = _locked_reward(uow, reward_id)
    if reward.status != RewardStatus.PENDING:
        raise Conflict(f"only a pending reward can be completed; this one is {reward.status}")
    complete(uow, reward, utcnow())
    if reward.status != RewardStatus.COMPLETED:
        raise Conflict(reward.details.get("pending_reason") or "the reward could not be completed")
    return reward


def rollback_reward(uow: UnitOfWork, reward_id: str) -> Reward:
    """Roll back a pending or completed reward; completed credits and points get a reversing ledger entry."""
    reward = _locked_reward(uow, reward_id)
    if reward.status == RewardStatus.ROLLED_BACK:
        raise Conflict("the reward is already rolled back")
    roll_back_reward(uow, reward, utcnow(), reason=OPERATOR_ROLLBACK, by=OPERATOR)
    return reward


def _locked_reward(uow: UnitOfWork, reward_id: str) -> Reward:
    """The reward, after its referrer's lock (the order the worker takes them in)."""
    uow.lock_customer(get(uow.session, Reward, reward_id, "reward").customer_id)
    return get(uow.session, Reward, reward_id, "reward", for_update=True)


# --- notifications -----------------------------------------------------------------------------


def resend_distribution(uow: UnitOfWork, distribution_id: str) -> Distribution:
    """Queue a failed notification again (a new attempt; the distribution keeps its history)."""
    distribution = get(uow.session, Distribution, distribution_id, "distribution", for_update=True)
    if distribution.status != DistributionStatus.FAILED:
        raise Conflict(f"only a failed distribution can be resent; this one is {distribution.status}")
    distribution.status = DistributionStatus.QUEUED
    uow.then(followups.send(distribution.id))
    return distribution


# --- inbox ------------------------------------------------------------------------------------


def replay_event(uow: UnitOfWork, event_id: str) -> InboundEvent:
    """Process an inbox event again: a rejected one is parsed anew, a failed one reopened, a stuck one re-enqueued."""
    session = uow.session
    row = get(session, InboundEvent, event_id, "event", for_update=True)
    if row.status == EventStatus.PROCESSED:
        raise Conflict("the event was processed; replaying it would apply it twice")
    if row.status == EventStatus.REJECTED:
        if row.source not in PARSERS:
            raise Conflict(f"no parser for source {row.source!r}")
        _reparse(session, row, PARSERS[row.source])
    elif row.status == EventStatus.FAILED:
        row.status, row.error = EventStatus.RECEIVED, None
    if row.status in (EventStatus.RECEIVED, EventStatus.ENQUEUED):
        uow.then(followups.process(row.id))
    return row


def _reparse(session: Session, row: InboundEvent, parse: Parser) -> None:
    try:
        parsed = parse(row.body.encode("utf-8"), row.headers)
    except Unparseable as problem:
        raise Conflict(f"the event still cannot be parsed: {problem}") from None
    twin = session.scalar(
        select(InboundEvent.id).where(
            InboundEvent.source == row.source, InboundEvent.external_id == parsed.external_id, InboundEvent.id != row.id
        )
    )
    if twin is not None:
        raise Conflict(f"the platform's event {parsed.external_id!r} was received again since, as {twin}")
    row.external_id, row.topic = parsed.external_id, parsed.topic
    row.normalized = parsed.event.to_dict() if parsed.event else None
    row.status = EventStatus.RECEIVED if parsed.event else EventStatus.PROCESSED
    row.error = None if parsed.event else f"topic {parsed.topic!r} is not used; nothing to do"
    row.processed_at = None if parsed.event else utcnow()


# --- failed jobs ------------------------------------------------------------------------------


def retry_jobs(uow: UnitOfWork, *, job_id: str | None = None, actor: str | None = None) -> list[FailedJob]:
    """Mark failed jobs retried; their messages are sent again once this has committed.

    One job by id (again if it was retried before), or every job not retried yet (of one actor).
    The inbox event or distribution a job gave up on is reopened, so the new message acts.
    """
    session = uow.session
    jobs = _jobs_to_retry(session, job_id, actor)
    unknown = sorted({job.actor for job in jobs} - followups.ACTORS)
    if unknown:
        raise Conflict(f"no actor named {unknown[0]!r} in this process")
    now = utcnow()
    for job in jobs:
        followup = followups.retry(job.actor, tuple(job.args), dict(job.kwargs))
        job.retried_at, job.retry_message_id = now, followup.message_id
        _reopen(session, job)
        uow.then(followup)
    return jobs


def record_failed_job(uow: UnitOfWork, job: dict[str, Any]) -> None:
    """A job that failed for good is kept (once per message); the inbox event or notification it was for is marked
    failed, so it can be found and retried."""
    insert_ignore(uow.session, FailedJob, job)
    if job["actor"] in GAVE_UP and job["args"]:
        uow.session.execute(GAVE_UP[job["actor"]](job["args"][0], job["error"][:2000]))


def _event_failed(event_id: str, reason: str) -> Update:
    return (
        update(InboundEvent)
        .where(InboundEvent.id == event_id, InboundEvent.status != EventStatus.PROCESSED)
        .values(status=EventStatus.FAILED, error=reason)
    )


def _distribution_failed(distribution_id: str, reason: str) -> Update:
    return (
        update(Distribution)
        .where(Distribution.id == distribution_id, Distribution.status == DistributionStatus.QUEUED)
        .values(status=DistributionStatus.FAILED, last_error=reason)
    )


GAVE_UP: dict[str, Callable[[str, str], Update]] = {
    "process_event": _event_failed,
    "send_distribution": _distribution_failed,
}


def _jobs_to_retry(session: Session, job_id: str | None, actor: str | None) -> list[FailedJob]:
    if job_id is not None:
        return [get(session, FailedJob, job_id, "failed job", for_update=True)]
    query = select(FailedJob).where(FailedJob.retried_at.is_(None)).order_by(FailedJob.id).with_for_update()
    if actor is not None:
        query = query.where(FailedJob.actor == actor)
    return list(session.scalars(query))


REOPEN = {
    "process_event": (InboundEvent, {"status": EventStatus.RECEIVED, "error": None}, EventStatus.FAILED),
    "send_distribution": (Distribution, {"status": DistributionStatus.QUEUED}, DistributionStatus.FAILED),
}


def _reopen(session: Session, job: FailedJob) -> None:
    if job.actor not in REOPEN or not job.args:
        return
    model, values, failed = REOPEN[job.actor]
    session.execute(update(model).where(model.id == job.args[0], model.status == failed).values(**values))


def purge_job(uow: UnitOfWork, job_id: str) -> None:
    uow.session.delete(get(uow.session, FailedJob, job_id, "failed job"))


def purge_jobs(uow: UnitOfWork, before: datetime, *, actor: str | None = None) -> int:
    """Delete failed jobs that failed before `before`; how many went."""
    statement = delete(FailedJob).where(FailedJob.failed_at < before)
    if actor is not None:
        statement = statement.where(FailedJob.actor == actor)
    return uow.session.execute(statement).rowcount or 0
