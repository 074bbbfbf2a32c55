"""Follow-up messages a step or command asks for (`UnitOfWork.then`); they are sent only after its transaction commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

MAX_DELAY_MS = 6 * 24 * 3600 * 1000  # dramatiq's Redis broker refuses delays of 7 days or more
ACTORS = frozenset({"process_event", "settle_rewards", "complete_reward", "send_distribution"})


@dataclass(frozen=True)
class FollowUp:
    """One message for one actor; `message_id` when the caller must know it before it is sent (a retried job)."""

    actor: str
    args: tuple
    delay_ms: int | None = None
    kwargs: dict[str, Any] = field(default_factory=dict, compare=False)
    message_id: str | None = None


def settle(campaign_id: str, referrer_id: str) -> FollowUp:
    return FollowUp("settle_rewards", (campaign_id, referrer_id))


def send(distribution_id: str) -> FollowUp:
    return FollowUp("send_distribution", (distribution_id,))


def complete(reward_id: str, delay_ms: int | None = None) -> FollowUp:
    """Complete a held reward; a hold longer than the broker allows is re-scheduled by the step itself."""
    return FollowUp("complete_reward", (reward_id,), None if delay_ms is None else max(min(delay_ms, MAX_DELAY_MS), 0))


def process(event_id: str) -> FollowUp:
    return FollowUp("process_event", (event_id,))


def retry(actor: str, args: tuple, kwargs: dict[str, Any]) -> FollowUp:
    """A failed job's message sent again, under a new message id known before it is sent."""
    return FollowUp(actor, args, kwargs=kwargs, message_id=str(uuid.uuid4()))
