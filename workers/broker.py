"""The dramatiq broker: Redis when REFERRALS_REDIS_URL is set, the in-process broker otherwise."""

from __future__ import annotations

from dramatiq import Broker, Middleware
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Retries, default_middleware
from dramatiq.middleware.asyncio import AsyncIO

from config.settings import Settings
from workers.middleware import JobLog


def build_broker(settings: Settings) -> Broker:
    """A broker with dramatiq's default middleware, async actor support and per-job logging."""
    middleware = [factory() for factory in default_middleware] + [AsyncIO()]
    if settings.redis_url:
        broker: Broker = RedisBroker(
            url=settings.redis_url,
            middleware=middleware,
            namespace=settings.redis_namespace,
            heartbeat_timeout=settings.redis_heartbeat_timeout_ms,
        )
    else:
        broker = StubBroker(middleware=middleware)
    add_outcome_middleware(broker, JobLog())
    return broker


def add_outcome_middleware(broker: Broker, middleware: Middleware) -> None:
    """Add middleware that reads a job's outcome: dramatiq runs after-hooks last-added first, so it must
    sit before Retries to see `message.failed` once Retries has decided."""
    broker.add_middleware(middleware, before=Retries)


def queue_depth(broker: Broker, queue_name: str, *, include_delayed: bool = True) -> int:
    """Messages queued or in flight on one queue, and those delayed for later unless told not to (both brokers)."""
    names = [queue_name, f"{queue_name}.DQ"] if include_delayed else [queue_name]
    client = getattr(broker, "client", None)
    if client is not None:
        return sum(client.hlen(f"{broker.namespace}:{name}.msgs") for name in names)
    queues = getattr(broker, "queues", {})
    return sum(queues[name].unfinished_tasks for name in names if name in queues)


def dead_letters(broker: Broker, queue_name: str) -> int:
    """Messages in the dead-letter queue (Redis broker; the in-process broker keeps them in memory)."""
    client = getattr(broker, "client", None)
    return (
        client.zcard(f"{broker.namespace}:{queue_name}.XQ")
        if client is not None
        else len(getattr(broker, "dead_letters", ()))
    )


def waiting_messages(broker: Broker, queue_name: str) -> int:
    """Messages waiting to be fetched (not in flight, not delayed): a real backlog."""
    client = getattr(broker, "client", None)
    if client is not None:
        return client.llen(f"{broker.namespace}:{queue_name}")
    queue = getattr(broker, "queues", {}).get(queue_name)
    return queue.qsize() if queue is not None else 0
