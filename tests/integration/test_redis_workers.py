"""End to end through real Redis, real `referrals worker` processes and a real SMTP server."""

from __future__ import annotations

import json
import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from bootstrap.runtime import Runtime
from db.models import Activity, InboundEvent, Referral, Reward
from tests.conftest import fresh_runtime, make_settings
from tests.support.pipeline import body_of, native_event, native_headers, shopify_headers, shopify_order
from tests.support.processes import child_pids, poll, start_worker_pool, stop_worker_pool, wait_until
from tests.support.seed import EACH_CREDITS, FIVE_POINTS, seed_campaign
from tests.support.servers import unused_port
from workers.process import NOTIFICATIONS_NICENESS

pytestmark = pytest.mark.slow


@pytest.fixture
def redis_settings(database_url, tmp_path, redis_url, smtp_server):
    return make_settings(
        database_url,
        tmp_path,
        redis_url=redis_url,
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_tls="none",
        reconcile_interval_seconds=1,
        reconcile_older_than_seconds=1,
        redis_heartbeat_timeout_ms=5000,
        log_format="json",
        log_level="INFO",
    )


@pytest.fixture
def redis_runtime(redis_settings) -> Iterator[Runtime]:
    with fresh_runtime(redis_settings) as runtime:
        yield runtime


@pytest.fixture
def api(redis_runtime) -> Iterator[TestClient]:
    with TestClient(create_app(redis_runtime)) as client:
        yield client


def count(runtime: Runtime, model, *where) -> int:
    with runtime.session_factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_an_order_flows_through_redis_and_worker_processes_to_an_email_and_activity(
    redis_runtime, redis_settings, api, smtp_server, tmp_path
):
    seeded = seed_campaign(redis_runtime)
    body = body_of(shopify_order(4242, code=seeded.code, email="friend@example.com"))
    metrics_port = unused_port()
    pool = start_worker_pool(
        redis_settings, processes=2, threads=2, log_file=tmp_path / "workers.log", metrics_port=metrics_port
    )
    try:
        assert (
            api.post("/webhooks/shopify", content=body, headers=shopify_headers(body, webhook_id="e2e-1")).status_code
            == 202
        )
        wait_until(lambda: len(smtp_server.handler.delivered) == 1, timeout_s=60, message="the reward email")
        metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
    finally:
        stop_worker_pool(pool)
    assert re.search(r'referrals_steps_total\{outcome="ok",step="process_event"\} [1-9]', metrics)
    assert re.search(r'referrals_step_duration_seconds_count\{step="send_distribution"\} 1\.0', metrics)
    [delivered] = smtp_server.handler.delivered
    assert delivered.rcpt_tos == ["ann@example.com"]
    assert "10.00 credits" in delivered.message.get_body(("plain",)).get_content()
    with redis_runtime.session_factory() as session:
        types = list(session.scalars(select(Activity.type).order_by(Activity.id)))
    expected = [
        "customer.order.paid",
        "customer.redemption.succeeded",
        "customer.referred",
        "customer.reward_redemptions.created",
        "customer.reward_redemptions.completed",
        "customer.email.sent",
    ]
    assert [t for t in types if t in expected] == expected


def test_notification_processes_alone_send_the_emails_at_lower_cpu_priority_and_come_back_when_killed(
    redis_runtime, redis_settings, api, smtp_server, tmp_path
):
    seeded = seed_campaign(redis_runtime)
    log_file = tmp_path / "workers.log"
    pool = start_worker_pool(redis_settings, processes=1, threads=2, notification_processes=1, log_file=log_file)
    try:
        wait_until(lambda: len(_started_roles(log_file)) == 2, timeout_s=60, message="both worker processes")
        assert sorted(_started_roles(log_file)) == ["notifications", "pipeline"]
        niceness = {pid: _niceness(pid) for pid in _worker_children(pool.pid)}
        assert (
            _niceness_gap(niceness.values()) == NOTIFICATIONS_NICENESS
        )  # relative: pytest itself may run under `nice`
        notifier = max(niceness, key=niceness.get)
        os.kill(notifier, signal.SIGKILL)
        wait_until(
            lambda: len(_started_roles(log_file)) == 3, timeout_s=60, message="the notifications process restarted"
        )
        assert _started_roles(log_file)[-1] == "notifications"
        niceness = {pid: _niceness(pid) for pid in _worker_children(pool.pid)}
        assert _niceness_gap(niceness.values()) == NOTIFICATIONS_NICENESS
        notifier = max(niceness, key=niceness.get)
        os.kill(notifier, signal.SIGSTOP)  # frozen, not dead: only it may send, so nothing is sent until it resumes
        body = body_of(shopify_order(4343, code=seeded.code, email="friend@example.com"))
        assert (
            api.post("/webhooks/shopify", content=body, headers=shopify_headers(body, webhook_id="split-1")).status_code
            == 202
        )
        wait_until(
            lambda: count(redis_runtime, Reward) == 1, timeout_s=60, message="the reward, by the pipeline process alone"
        )
        assert not poll(lambda: smtp_server.handler.delivered, timeout_s=2), "the pipeline process sent a notification"
        os.kill(notifier, signal.SIGCONT)
        wait_until(lambda: len(smtp_server.handler.delivered) == 1, timeout_s=60, message="the reward email")
    finally:
        for pid in _worker_children(pool.pid):
            os.kill(pid, signal.SIGCONT)
        stop_worker_pool(pool)
    assert smtp_server.handler.delivered[0].rcpt_tos == ["ann@example.com"]


def _started_roles(log_file) -> list[str]:
    lines = [json.loads(line) for line in log_file.read_text().splitlines() if '"worker.started"' in line]
    return [line["role"] for line in lines]


def _worker_children(pool_pid: int) -> list[int]:
    """The pool's worker processes (multiprocessing's spawn children), not its resource tracker."""
    return [pid for pid in child_pids(pool_pid) if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]


def _niceness_gap(values) -> int:
    low, high = sorted(values)
    return high - low


def _niceness(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def test_two_hundred_referees_through_two_worker_processes_give_exact_referrals_and_rewards(
    redis_runtime, redis_settings, api, tmp_path
):
    seeded = seed_campaign(redis_runtime, tiers=[EACH_CREDITS, FIVE_POINTS])
    for n in range(200):
        payload = native_event(
            f"evt-{n}",
            "order.paid",
            order_id=f"o-{n}",
            code=seeded.code,
            email=f"f{n}@example.com",
            source_id=f"c-{n}",
            status="paid",
        )
        body = body_of(payload)
        assert api.post("/webhooks/events", content=body, headers=native_headers(body)).status_code == 202
    pool = start_worker_pool(redis_settings, processes=2, threads=4, log_file=tmp_path / "workers.log")
    try:
        wait_until(
            lambda: (
                count(redis_runtime, Reward) == 201
                and count(redis_runtime, InboundEvent, InboundEvent.status == "processed") == 200
            ),
            timeout_s=120,
            message="200 processed events and 201 rewards",
        )
    finally:
        stop_worker_pool(pool)
    assert count(redis_runtime, Referral, Referral.status == "active") == 200
    assert count(redis_runtime, Reward, Reward.type == "points") == 1


def test_events_queued_when_redis_is_flushed_are_still_processed_by_the_reconciler(
    redis_runtime, redis_settings, api, redis_url, tmp_path
):
    seeded = seed_campaign(redis_runtime)
    for n in range(20):
        payload = native_event(
            f"evt-{n}",
            "order.paid",
            order_id=f"o-{n}",
            code=seeded.code,
            email=f"f{n}@example.com",
            source_id=f"c-{n}",
            status="paid",
        )
        body = body_of(payload)
        api.post("/webhooks/events", content=body, headers=native_headers(body))
    redis.Redis.from_url(redis_url).flushdb()
    pool = start_worker_pool(redis_settings, processes=1, threads=4, log_file=tmp_path / "workers.log")
    try:
        wait_until(
            lambda: count(redis_runtime, InboundEvent, InboundEvent.status == "processed") == 20,
            timeout_s=90,
            message="every accepted event processed after the flush",
        )
        wait_until(
            lambda: count(redis_runtime, Reward) == 21, timeout_s=60, message="a reward per referral and the milestone"
        )
    finally:
        stop_worker_pool(pool)
    assert count(redis_runtime, Referral) == 20
