"""A Redis database number of our own for this test run, so two runs on one machine never collide."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import redis

REDIS_HOST_URL = os.environ.get("REFERRALS_TEST_REDIS_URL", "redis://127.0.0.1:6379")
LOCK_TTL_SECONDS = 3 * 3600


@contextmanager
def private_redis_database() -> Iterator[str]:
    """Claim a free database number (1–15) with a lock key in database 0, flush it, release it after."""
    lock_client = redis.Redis.from_url(f"{REDIS_HOST_URL}/0")
    number = next(
        (
            n
            for n in range(1, 16)
            if lock_client.set(f"referrals-test-lock:{n}", os.getpid(), nx=True, ex=LOCK_TTL_SECONDS)
        ),
        None,
    )
    if number is None:
        raise RuntimeError("all Redis test databases 1-15 are claimed by other runs")
    url = f"{REDIS_HOST_URL}/{number}"
    redis.Redis.from_url(url).flushdb()
    try:
        yield url
    finally:
        redis.Redis.from_url(url).flushdb()
        lock_client.delete(f"referrals-test-lock:{number}")
