"""The dramatiq actors: one per pipeline step, each a thin call into its step, bound to a broker at start-up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dramatiq
from dramatiq import Actor, Broker

from app.pipeline import events, rewards
from app.unit_of_work import UnitsOfWork
from config.settings import Settings
from workers.errors import retry_when

PIPELINE_QUEUE = "referrals"
NOTIFICATIONS_QUEUE = "notifications"
# dramatiq runs a worker's prefetched messages lowest priority number first: under load the pipeline steps
# (redemptions, referrals, rewards) go ahead of the notifications they queued, which then follow.
PIPELINE_PRIORITY, NOTIFICATIONS_PRIORITY = 0, 10


def register_actors(
    broker: Broker, units: UnitsOfWork, send_distribution: Callable[[str], Any], settings: Settings
) -> dict[str, Actor]:
    """Declare every actor on `broker`; nothing is registered at import time."""
    options = {
        "broker": broker,
        "retry_when": retry_when(settings.max_retries),
        "min_backoff": 250,
        "max_backoff": 60_000,
    }

    def process_event(event_id: str) -> None:
        units.run(events.process_event, event_id)

    def settle_rewards(campaign_id: str, referrer_id: str) -> None:
        units.run(rewards.settle_rewards, campaign_id, referrer_id)

    def complete_reward(reward_id: str) -> None:
        units.run(rewards.complete_reward, reward_id)

    pipeline = [process_event, settle_rewards, complete_reward]
    actors = {
        fn.__name__: dramatiq.actor(
            fn, actor_name=fn.__name__, queue_name=PIPELINE_QUEUE, priority=PIPELINE_PRIORITY, **options
        )
        for fn in pipeline
    }
    actors["send_distribution"] = dramatiq.actor(
        send_distribution,
        actor_name="send_distribution",
        queue_name=NOTIFICATIONS_QUEUE,
        priority=NOTIFICATIONS_PRIORITY,
        **options,
    )
    return actors
