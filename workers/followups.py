"""Follow-up messages a step asks for; the runner sends them only after the step's transaction commits."""
from __future__ import annotations

from dataclasses import dataclass


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
    return FollowUp("complete_reward", (reward_id,), delay_ms)


def process(event_id: str) -> FollowUp:
    return FollowUp("process_event", (event_id,))
