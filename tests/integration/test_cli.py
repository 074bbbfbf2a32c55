"""The `referrals` command against a real database: operator commands read and change what the API does."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli.main import app
from db.ids import new_id
from db.models import FailedJob, InboundEvent
from db.types import utcnow
from tests.support.counts import all_rows
from tests.support.pipeline import body_of, shopify_headers


@pytest.fixture
def cli(runtime, monkeypatch):
    for name, value in {
        "DATABASE_URL": runtime.settings.database_url,
        "API_TOKEN": "cli-token",
        "SHOPIFY_SECRET": runtime.settings.shopify_secret,
    }.items():
        monkeypatch.setenv(f"REFERRALS_{name}", value)
    monkeypatch.delenv("REFERRALS_REDIS_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "250")
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def add_failed_job(runtime) -> str:
    job_id = new_id("job")
    with runtime.session_factory() as session, session.begin():
        session.add(
            FailedJob(
                id=job_id,
                message_id=new_id("msg"),
                queue="referrals",
                actor="complete_reward",
                args=["rwd_x"],
                kwargs={},
                options={},
                error="ValueError: boom",
                traceback="Traceback …",
                failed_at=utcnow(),
            )
        )
    return job_id


def test_jobs_failed_lists_and_show_prints_the_traceback(runtime, cli):
    job_id = add_failed_job(runtime)
    listed = cli("jobs", "failed")
    assert listed.exit_code == 0 and "complete_reward" in listed.output
    shown = cli("jobs", "show", job_id)
    assert shown.exit_code == 0 and "Traceback" in shown.output


def test_jobs_retry_marks_the_job_retried_and_purge_forgets_it(runtime, cli):
    job_id = add_failed_job(runtime)
    assert cli("jobs", "retry", job_id).exit_code == 0
    [job] = all_rows(runtime, FailedJob)
    assert job.retried_at is not None and job.retry_message_id
    assert cli("jobs", "purge", job_id).exit_code == 0
    assert all_rows(runtime, FailedJob) == []


def test_an_unknown_job_is_a_clear_error_with_a_non_zero_exit(cli):
    result = cli("jobs", "show", "job_missing")
    assert result.exit_code == 1 and "not found" in result.output


def test_events_replay_parses_a_rejected_event_again(runtime, client, cli):
    body = b'{"id": 1, "total_price": "12.00", "line_items": [{"quantity": "two"}]}'
    client.post("/webhooks/shopify", content=body, headers=shopify_headers(body, webhook_id="bad-1"))
    [event] = all_rows(runtime, InboundEvent)
    assert event.status == "rejected"
    with runtime.session_factory() as session, session.begin():
        session.get(InboundEvent, event.id).body = body_of({"id": 1, "total_price": "12.00"}).decode()
    result = cli("events", "replay", event.id)
    assert result.exit_code == 0, result.output
    assert all_rows(runtime, InboundEvent)[0].status in ("received", "enqueued", "processed")
    assert "inbox" in cli("events", "list").output
