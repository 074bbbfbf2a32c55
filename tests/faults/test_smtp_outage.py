"""The SMTP server goes down and comes back on the same port: every mail is sent, once, and ends `sent`."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from db.models import Activity
from tests.faults.workload import referral_workload, seed_program
from tests.support.faults import deliver_all, delivered_keys, outcome, wait_until_quiet
from tests.support.processes import wait_until

pytestmark = pytest.mark.slow
OUTAGE_S = 8  # well inside the retry budget (8 retries backing off from 250 ms: 30 s or more before a job gives up)


def test_mail_that_fails_while_the_smtp_server_is_down_is_sent_exactly_once_when_it_is_back(
    fault_runtime, intake, worker_pool, smtp
):
    program = seed_program(fault_runtime, referrers=10)
    workload = referral_workload(program, referees=190, plain_orders=10, prefix="smtp")
    worker_pool(processes=2, threads=4)
    smtp.stop()
    down_since = time.monotonic()
    assert deliver_all(intake, workload.requests) == {(202, "accepted"): 200}
    wait_until(
        lambda: _failed_sends(fault_runtime) >= 20, timeout_s=60, message="sends failing while the server is down"
    )
    time.sleep(
        max(0.0, OUTAGE_S - (time.monotonic() - down_since))
    )  # the outage itself: the fault, not a wait for work
    smtp.start()
    wait_until_quiet(fault_runtime, timeout_s=180)

    actual = outcome(fault_runtime)
    failed_attempts = actual["activities"].pop("customer.email.failed", 0)
    assert actual == workload.expected.summary()
    delivered = delivered_keys(smtp.handler)
    assert sum(delivered.values()) == workload.expected.distributions["sent"] == len(delivered), (
        "each mail exactly once"
    )
    assert failed_attempts >= 20 and _all_failed_sends_will_retry(fault_runtime)


def _failed_sends(runtime) -> int:
    return outcome(runtime)["activities"].get("customer.email.failed", 0)


def _all_failed_sends_will_retry(runtime) -> bool:
    with runtime.session_factory() as session:
        rows = session.scalars(select(Activity.data).where(Activity.type == "customer.email.failed"))
        return all(data["will_retry"] for data in rows)
