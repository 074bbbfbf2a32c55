"""WebhookSender against a real local HTTP server that verifies signatures."""

from __future__ import annotations

import json

import pytest

from notifications.senders import PermanentSendError, TransientSendError, WebhookSender
from notifications.signing import SIGNATURE_HEADER

from .conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.anyio

PAYLOAD = {"trigger": "customer_rewarded", "customer": {"id": "cus_1", "name": "Jörg"}, "reward": {"amount": 1000}}


async def test_the_receiver_gets_the_json_payload_with_a_valid_signature(webhook_server):
    async with WebhookSender(secret=WEBHOOK_SECRET) as sender:
        status = await sender.post(webhook_server.url, PAYLOAD)

    (received,) = webhook_server.received
    assert status == 200
    assert received.signature_valid
    assert json.loads(received.body) == PAYLOAD
    assert received.headers["Content-Type"] == "application/json"
    assert received.path == "/hooks/referrals?token=abc"


async def test_a_post_signed_with_another_secret_is_rejected_by_the_receiver(webhook_server):
    async with WebhookSender(secret="not-the-shared-secret") as sender:
        with pytest.raises(PermanentSendError, match="401"):
            await sender.post(webhook_server.url, PAYLOAD)

    assert not webhook_server.received[0].signature_valid


async def test_a_stale_clock_gives_a_signature_the_receiver_refuses(webhook_server):
    async with WebhookSender(secret=WEBHOOK_SECRET, clock=lambda: 1_000_000_000) as sender:
        with pytest.raises(PermanentSendError):
            await sender.post(webhook_server.url, PAYLOAD)

    assert webhook_server.received[0].headers[SIGNATURE_HEADER].startswith("t=1000000000,v1=")


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
async def test_server_errors_and_throttling_are_transient(webhook_server, status):
    webhook_server.statuses.append(status)

    async with WebhookSender(secret=WEBHOOK_SECRET) as sender:
        with pytest.raises(TransientSendError, match=str(status)):
            await sender.post(webhook_server.url, PAYLOAD)


@pytest.mark.parametrize("status", [400, 404, 410, 301])
async def test_client_errors_and_redirects_are_permanent(webhook_server, status):
    webhook_server.statuses.append(status)

    async with WebhookSender(secret=WEBHOOK_SECRET) as sender:
        with pytest.raises(PermanentSendError, match=str(status)):
            await sender.post(webhook_server.url, PAYLOAD)


async def test_errors_name_the_host_but_not_the_path_or_query(webhook_server):
    webhook_server.statuses.append(500)

    async with WebhookSender(secret=WEBHOOK_SECRET) as sender:
        with pytest.raises(TransientSendError) as raised:
            await sender.post(webhook_server.url, PAYLOAD)

    assert "127.0.0.1" in str(raised.value) and "token" not in str(raised.value)


async def test_a_closed_port_is_transient(closed_port):
    async with WebhookSender(secret=WEBHOOK_SECRET) as sender:
        with pytest.raises(TransientSendError, match="ConnectError"):
            await sender.post(f"http://127.0.0.1:{closed_port}/hook", PAYLOAD)


async def test_a_server_that_never_answers_times_out_as_transient(silent_port):
    async with WebhookSender(secret=WEBHOOK_SECRET, timeout=0.3) as sender:
        with pytest.raises(TransientSendError, match="Timeout"):
            await sender.post(f"http://127.0.0.1:{silent_port}/hook", PAYLOAD)


@pytest.mark.parametrize("url", ["ftp://example.com/hook", "not a url", "http://"])
async def test_an_unusable_url_is_permanent(url):
    async with WebhookSender(secret=WEBHOOK_SECRET) as sender:
        with pytest.raises(PermanentSendError):
            await sender.post(url, PAYLOAD)


async def test_one_client_connection_carries_several_posts(webhook_server):
    async with WebhookSender(secret=WEBHOOK_SECRET) as sender:
        for _ in range(3):
            await sender.post(webhook_server.url, PAYLOAD)

    assert len({received.client for received in webhook_server.received}) == 1


def test_a_webhook_sender_needs_a_secret():
    with pytest.raises(ValueError):
        WebhookSender(secret="")
