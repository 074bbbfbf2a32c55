"""Follow-up messages a step asks for; the runner sends them only after the step's transaction commits."""
from __future__ import annotations

from dataclasses import dataclass

MAX_DELAY_MS = 6 * 24 * 3600 * 1000  # dramatiq's Redis broker refuses delays of 7 days or more


@dataclass(frozen=True)
class FollowUp:
    actor: str
    args: tuple
    delay_ms: int | None = None


def settle(campaign_id: str, referrer_id: str) -> FollowUp:
    return FollowUp("settle_rewards", (campaign_id, referrer_id))


def send(distribution_id: str) -> FollowUp:
    return FollowUp("send_distribution", (distribution_id,))


def complete(reward_id: str, delay_ms: int | None = None) -> FollowUp:
    """Complete a held reward; a hold longer than the broker allows is re-scheduled by the step itself."""
    return FollowUp("complete_reward", (reward_id,), None if delay_ms is None else max(min(delay_ms, MAX_DELAY_MS), 0))


def process(event_id: str) -> FollowUp:
    return FollowUp("process_event", (event_id,))
