"""Notifications sent by the pipeline: real SMTP server, retries through dramatiq, outcomes on the distribution."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dramatiq import Worker
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from app.pipeline.distributions import queue_notifications
from app.pipeline.events import process_event
from bootstrap.runtime import Runtime, build_runtime
from db.models import Activity, Customer, Distribution, FailedJob, InboundEvent
from tests.conftest import empty_database, make_settings
from tests.support.counts import all_rows
from tests.support.pipeline import body_of, drain, drain_with_threads, native_event, native_headers
from tests.support.seed import EACH_CREDITS, seed_campaign
from tests.support.servers import WEBHOOK_SECRET


@pytest.fixture
def smtp_runtime(database_url, tmp_path, smtp_server) -> Iterator[Runtime]:
    settings = make_settings(
        database_url,
        tmp_path,
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_tls="none",
        outgoing_webhook_secret=WEBHOOK_SECRET,
        max_retries=3,
    )
    runtime = build_runtime(settings)
    empty_database(runtime)
    worker = Worker(runtime.broker, worker_threads=2, worker_timeout=50)
    worker.start()
    yield runtime
    worker.stop()
    runtime.close()


@pytest.fixture
def smtp_client(smtp_runtime) -> Iterator[TestClient]:
    """The api on that runtime, run through its lifespan: the inbox writer's threads end with the test."""
    with TestClient(
        create_app(smtp_runtime), headers={"Authorization": f"Bearer {smtp_runtime.settings.api_token}"}
    ) as client:
        yield client


def order(client: TestClient, code: str, n: int = 1, **customer) -> None:
    payload = native_event(
        f"evt-{n}",
        "order.paid",
        order_id=f"o-{n}",
        code=code,
        email=f"friend{n}@example.com",
        source_id=f"c-{n}",
        status="paid",
    )
    payload["data"]["customer"] |= customer
    body = body_of(payload)
    assert client.post("/webhooks/events", content=body, headers=native_headers(body)).status_code == 202


def test_the_reward_email_reaches_the_smtp_server_with_text_and_html_parts(smtp_runtime, smtp_server, smtp_client):
    seeded = seed_campaign(smtp_runtime)
    order(smtp_client, seeded.code)
    drain(smtp_runtime, include_delayed=True)
    [delivered] = smtp_server.handler.delivered
    assert delivered.rcpt_tos == ["ann@example.com"]
    assert delivered.message.get_body(("plain",)) is not None and delivered.message.get_body(("html",)) is not None
    [distribution] = all_rows(smtp_runtime, Distribution)
    assert (distribution.trigger, distribution.status, distribution.attempts) == ("customer_rewarded", "sent", 1)
    assert distribution.sent_at is not None


def test_a_server_answering_451_then_250_gets_the_message_after_a_retry(smtp_runtime, smtp_server, smtp_client):
    seeded = seed_campaign(smtp_runtime)
    smtp_server.handler.rcpt_replies.append("451 4.7.1 Try again later")
    order(smtp_client, seeded.code)
    drain(smtp_runtime, include_delayed=True)
    assert len(smtp_server.handler.delivered) == 1
    [distribution] = all_rows(smtp_runtime, Distribution)
    assert (distribution.status, distribution.attempts) == ("sent", 2)
    activity = [a.type for a in all_rows(smtp_runtime, Activity) if a.category == "notification"]
    assert activity == ["customer.email.failed", "customer.email.sent"]


def test_a_550_refusal_fails_the_distribution_without_retrying(smtp_runtime, smtp_server, smtp_client):
    seeded = seed_campaign(smtp_runtime)
    smtp_server.handler.rcpt_replies.append("550 5.1.1 No such user")
    order(smtp_client, seeded.code)
    drain(smtp_runtime, include_delayed=True)
    assert smtp_server.handler.delivered == []
    [distribution] = all_rows(smtp_runtime, Distribution)
    assert (distribution.status, distribution.attempts) == ("failed", 1)
    assert "550" in distribution.last_error
    assert all_rows(smtp_runtime, FailedJob) == []


def test_a_distribution_delivered_twice_is_sent_once(smtp_runtime, smtp_server, smtp_client):
    seeded = seed_campaign(smtp_runtime)
    order(smtp_client, seeded.code)
    drain(smtp_runtime, include_delayed=True)
    [distribution] = all_rows(smtp_runtime, Distribution)
    smtp_runtime.actors["send_distribution"].send(distribution.id)
    smtp_runtime.actors["send_distribution"].send(distribution.id)
    drain(smtp_runtime, include_delayed=True)
    assert len(smtp_server.handler.delivered) == 1


def test_a_customer_who_opted_out_gets_no_marketing_message_and_the_distribution_says_why(
    smtp_runtime, smtp_server, smtp_client
):
    seeded = seed_campaign(smtp_runtime, notifications={"referee_welcome": ["email"], "customer_rewarded": ["email"]})
    order(smtp_client, seeded.code, metadata={"unsubscribed": True})
    drain(smtp_runtime, include_delayed=True)
    by_trigger = {d.trigger: d for d in all_rows(smtp_runtime, Distribution)}
    assert by_trigger["referee_welcome"].status == "skipped"
    assert "opted out" in by_trigger["referee_welcome"].last_error
    assert by_trigger["customer_rewarded"].status == "sent"
    assert [d.rcpt_tos for d in smtp_server.handler.delivered] == [["ann@example.com"]]


def test_a_campaign_can_send_rewards_as_signed_outgoing_webhooks(smtp_runtime, webhook_server, smtp_client):
    seeded = seed_campaign(
        smtp_runtime, notifications={"customer_rewarded": ["webhook"]}, webhook_url=webhook_server.url
    )
    order(smtp_client, seeded.code)
    drain(smtp_runtime, include_delayed=True)
    [received] = webhook_server.received
    assert received.signature_valid
    [distribution] = all_rows(smtp_runtime, Distribution)
    assert (distribution.channel, distribution.status) == ("webhook", "sent")


def test_an_invited_referrer_gets_their_code_with_an_inline_qr_image(smtp_runtime, smtp_server):
    seeded = seed_campaign(smtp_runtime)
    with smtp_runtime.units() as uow:
        from db.models import Campaign

        campaign, referrer = (
            uow.session.get(Campaign, seeded.campaign_id),
            uow.session.get(Customer, seeded.referrer_id),
        )
        queue_notifications(uow, campaign, referrer, "code_published", "invite-1", {"code": seeded.code})
    drain(smtp_runtime, include_delayed=True)
    [delivered] = smtp_server.handler.delivered
    images = [part for part in delivered.message.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0]["Content-ID"]
    assert seeded.code in delivered.message.get_body(("plain",)).get_content()


def test_a_malicious_customer_name_cannot_inject_headers(smtp_runtime, smtp_server, smtp_client):
    seeded = seed_campaign(smtp_runtime, notifications={"referee_welcome": ["email"], "customer_rewarded": []})
    order(smtp_client, seeded.code, name="Eve\r\nBcc: victim@evil.example")
    drain(smtp_runtime, include_delayed=True)
    [delivered] = smtp_server.handler.delivered
    assert delivered.message["Bcc"] is None
    assert delivered.rcpt_tos == ["friend1@example.com"]


def test_the_unsubscribe_link_in_an_email_opts_the_customer_out(smtp_runtime, smtp_server, smtp_client):
    seeded = seed_campaign(smtp_runtime)
    order(smtp_client, seeded.code)
    drain(smtp_runtime, include_delayed=True)
    [delivered] = smtp_server.handler.delivered
    link = delivered.message["List-Unsubscribe"].strip("<>")
    assert smtp_client.get(link.replace(smtp_runtime.settings.public_url, "")).status_code == 200
    [referrer] = all_rows(smtp_runtime, Customer, Customer.id == seeded.referrer_id)
    assert referrer.meta["unsubscribed"] is True
    assert smtp_client.get("/unsubscribe/cust_forged.0000").status_code == 404


def test_a_failed_distribution_can_be_resent_by_an_operator(smtp_runtime, smtp_server, smtp_client):
    seeded = seed_campaign(smtp_runtime)
    smtp_server.handler.rcpt_replies.append("550 5.1.1 Mailbox full")
    order(smtp_client, seeded.code)
    drain(smtp_runtime, include_delayed=True)
    [distribution] = all_rows(smtp_runtime, Distribution)
    assert distribution.status == "failed"
    response = smtp_client.post(f"/api/v1/distributions/{distribution.id}/resend")
    assert response.status_code == 200 and response.json()["status"] == "queued"
    drain(smtp_runtime, include_delayed=True)
    assert all_rows(smtp_runtime, Distribution)[0].status == "sent"
    assert smtp_client.post(f"/api/v1/distributions/{distribution.id}/resend").status_code == 409


STALE_TRIGGERS = ("referee_welcome", "customer_referred", "customer_rewarded")


@pytest.mark.parametrize("channel", ["email", "webhook"])
def test_notifications_about_a_referral_and_reward_rolled_back_before_they_left_are_skipped_and_say_why(
    database_url, tmp_path, smtp_server, webhook_server, channel
):
    """The order is refunded while its notifications still wait in the broker (no worker yet)."""
    runtime = build_runtime(
        make_settings(
            database_url,
            tmp_path,
            smtp_host="127.0.0.1",
            smtp_port=smtp_server.port,
            smtp_tls="none",
            outgoing_webhook_secret=WEBHOOK_SECRET,
        )
    )
    empty_database(runtime)
    seeded = seed_campaign(
        runtime,
        reward_hold_days=14,
        tiers=[EACH_CREDITS],
        webhook_url=webhook_server.url,
        notifications={trigger: [channel] for trigger in STALE_TRIGGERS},
    )
    try:
        with TestClient(create_app(runtime)) as client:
            order(client, seeded.code)
            process_open_events(runtime)
            assert [d.status for d in all_rows(runtime, Distribution)] == ["queued"] * 3
            refund = body_of(native_event("evt-refund", "order.refunded", order_id="o-1", source_id="c-1"))
            assert client.post("/webhooks/events", content=refund, headers=native_headers(refund)).status_code == 202
            process_open_events(runtime)
        drain_with_threads(runtime, 2)
    finally:
        runtime.close()
    assert smtp_server.handler.delivered == [] and webhook_server.received == []
    distributions = all_rows(runtime, Distribution)
    assert sorted((d.trigger, d.channel, d.status, d.attempts) for d in distributions) == sorted(
        (trigger, channel, "skipped", 0) for trigger in STALE_TRIGGERS
    )
    reasons = {d.trigger: d.last_error for d in distributions}
    assert (
        "referral was rolled back" in reasons["referee_welcome"]
        and "referral was rolled back" in reasons["customer_referred"]
    )
    assert "reward was rolled back" in reasons["customer_rewarded"]
    assert [
        a.type for a in all_rows(runtime, Activity) if a.category == "notification"
    ] == []  # nothing was sent or failed


def process_open_events(runtime: Runtime) -> None:
    """Run the pipeline step for every inbox event not yet processed, here (its emails wait in the broker)."""
    with runtime.session_factory() as session:
        open_ids = session.scalars(
            select(InboundEvent.id).where(InboundEvent.status != "processed").order_by(InboundEvent.id)
        ).all()
    for event_id in open_ids:
        runtime.pipeline_units.run(process_event, event_id)
