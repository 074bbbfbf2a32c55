"""Redis restarted empty (FLUSHDB of the test's database) with work queued: the reconciler brings it all back."""

from __future__ import annotations

import pytest
import redis

from tests.faults.workload import referral_workload, seed_program
from tests.support.faults import deliver_all, delivered_keys, outcome, wait_until_quiet
from tests.support.processes import wait_until

pytestmark = pytest.mark.slow


def test_events_queued_in_redis_are_all_processed_after_redis_comes_back_empty(
    fault_runtime, intake, worker_pool, smtp, redis_url
):
    program = seed_program(fault_runtime, referrers=10)
    workload = referral_workload(program, referees=180, plain_orders=10, unknown_codes=10, prefix="flush")
    assert deliver_all(intake, workload.requests) == {(202, "accepted"): 200}
    broker_db = redis.Redis.from_url(redis_url)
    assert broker_db.dbsize() > 0, "the accepted events wait in Redis"
    broker_db.flushdb()  # every queued process_event is gone before a worker ever saw it
    worker_pool(processes=2, threads=4)
    wait_until(
        lambda: outcome(fault_runtime)["events"].get("processed", 0) >= 50,
        timeout_s=120,
        message="the reconciler re-enqueues the lost events and workers start on them",
    )
    broker_db.flushdb()  # again mid-stream: re-enqueued events, settlements and mails in flight or delayed are gone
    wait_until_quiet(fault_runtime, timeout_s=180)

    assert outcome(fault_runtime) == workload.expected.summary()
    delivered = delivered_keys(smtp.handler)
    assert sum(delivered.values()) == workload.expected.distributions["sent"] == len(delivered), (
        "each mail exactly once"
    )
