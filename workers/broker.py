"""The dramatiq broker: Redis when REFERRALS_REDIS_URL is set, the in-process broker otherwise."""
from __future__ import annotations

from dramatiq import Broker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import default_middleware
from dramatiq.middleware.asyncio import AsyncIO

from config.settings import Settings
from workers.middleware import JobLog


def build_broker(settings: Settings) -> Broker:
    """A broker with dramatiq's default middleware, async actor support and per-job logging."""
    middleware = [factory() for factory in default_middleware] + [AsyncIO(), JobLog()]
    if settings.redis_url:
        return RedisBroker(url=settings.redis_url, middleware=middleware, namespace=settings.redis_namespace,
                           heartbeat_timeout=settings.redis_heartbeat_timeout_ms)
    return StubBroker(middleware=middleware)
