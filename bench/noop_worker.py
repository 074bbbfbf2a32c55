"""A no-op dramatiq actor on a RedisBroker: the ceiling a pipeline step could reach with these processes and threads.

BENCH_REDIS_URL=redis://127.0.0.1:6379/5 python -m dramatiq bench.noop_worker:setup --processes 2 --threads 8
"""

from __future__ import annotations

import os

import dramatiq
from dramatiq.brokers.redis import RedisBroker

NAMESPACE = "bench-noop"
QUEUE = "noop"


def build_broker(url: str) -> RedisBroker:
    """The broker with its no-op actor declared, set as dramatiq's global broker."""
    broker = RedisBroker(url=url, namespace=NAMESPACE)
    dramatiq.set_broker(broker)
    dramatiq.actor(_noop, broker=broker, queue_name=QUEUE, actor_name="noop")
    return broker


def _noop(number: int) -> None:
    return None


def setup() -> None:
    """Called by the `dramatiq` command (`bench.noop_worker:setup`)."""
    build_broker(os.environ["BENCH_REDIS_URL"])


def fill(broker: RedisBroker, count: int) -> None:
    actor = broker.get_actor("noop")
    for number in range(count):
        actor.send(number)


def messages_left(broker: RedisBroker) -> int:
    """Messages enqueued and not yet acknowledged."""
    return broker.client.hlen(f"{NAMESPACE}:{QUEUE}.msgs")
