"""The reconciler: finds accepted work that stalled (lost message, Redis flushed, worker killed) and re-enqueues it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from app import followups
from app.followups import FollowUp
from app.unit_of_work import UnitOfWork
from db.models import Distribution, InboundEvent, Referral, Reward
from domain.hold import AUTO_COMPLETING_TYPES
from domain.model import DistributionStatus, EventStatus, RewardStatus

BATCH = 5000
OPEN = [EventStatus.RECEIVED, EventStatus.ENQUEUED]


@dataclass(frozen=True)
class StuckWork:
    events: list[str]
    settlements: list[tuple[str, str]]
    distributions: list[str]
    rewards: list[str]

    @property
    def followups(self) -> list[FollowUp]:
        return (
            [followups.process(event_id) for event_id in self.events]
            + [followups.settle(*pair) for pair in self.settlements]
            + [followups.send(distribution_id) for distribution_id in self.distributions]
            + [followups.complete(reward_id) for reward_id in self.rewards]
        )

    def counts(self) -> dict[str, int]:
        return {
            "events": len(self.events),
            "settlements": len(self.settlements),
            "distributions": len(self.distributions),
            "rewards": len(self.rewards),
        }


def reconcile(uow: UnitOfWork, **window: Any) -> StuckWork:
    """Find the stuck work (`find_stuck_work`) and send it again after commit; the events re-sent are stamped
    `enqueued` now, so one event is re-sent at most once per `older_than` window."""
    stuck = find_stuck_work(uow.session, **window)
    if stuck.events:
        uow.session.execute(
            update(InboundEvent)
            .where(InboundEvent.id.in_(stuck.events), InboundEvent.status.in_(OPEN))
            .values(status=EventStatus.ENQUEUED, enqueued_at=window["now"])
        )
    uow.then(*stuck.followups)
    return stuck


def find_stuck_work(
    session: Session,
    *,
    older_than: timedelta,
    now: datetime,
    events_older_than: timedelta | None = None,
    sends_older_than: timedelta | None = None,
    send_claim_timeout: timedelta = timedelta(minutes=5),
) -> StuckWork:
    """Everything that should have moved on by now but has not (a send claimed longer ago than
    `send_claim_timeout` is taken to have died with its worker)."""
    cutoff = now - older_than
    events_cutoff = now - (events_older_than or older_than)
    sends_cutoff = now - (sends_older_than or older_than)
    return StuckWork(
        events=_ids(
            session,
            select(InboundEvent.id)
            .where(
                InboundEvent.status.in_([EventStatus.RECEIVED, EventStatus.ENQUEUED]),
                func.coalesce(InboundEvent.enqueued_at, InboundEvent.received_at) < events_cutoff,
            )
            .order_by(InboundEvent.id),
        ),
        settlements=sorted(
            set(
                session.execute(
                    select(Referral.campaign_id, Referral.referrer_id)
                    .where(
                        Referral.settled_at.is_(None),
                        or_(Referral.rolled_back_at < cutoff, Referral.created_at < cutoff),
                    )
                    .limit(BATCH)
                ).all()
            )
        ),
        distributions=_ids(
            session,
            select(Distribution.id)
            .where(
                or_(
                    (Distribution.status == DistributionStatus.QUEUED)
                    & (func.coalesce(Distribution.claimed_at, Distribution.created_at) < sends_cutoff),
                    (Distribution.status == DistributionStatus.SENDING)
                    & (Distribution.claimed_at < now - send_claim_timeout),
                )
            )
            .order_by(Distribution.id),
        ),
        rewards=_ids(
            session,
            select(Reward.id).where(
                Reward.status == RewardStatus.PENDING,
                Reward.type.in_(list(AUTO_COMPLETING_TYPES)),
                Reward.hold_until <= now,
                Reward.created_at < cutoff,
            ),
        ),
    )


def _ids(session: Session, query) -> list[str]:
    return list(session.scalars(query.limit(BATCH)))
