"""SmtpSender against a real aiosmtpd server: delivery, and how failures are classified."""

from __future__ import annotations

import asyncio

import pytest

from notifications.email import QR_CID, build_email
from notifications.render import Renderer, sample_context
from notifications.senders import PermanentSendError, SmtpConfig, SmtpSender, TransientSendError

pytestmark = pytest.mark.anyio

SENDER = "Example Shop <referrals@shop.example.com>"


def invitation(qr_png: bytes | None = None, recipient: str = "ann@example.com"):
    rendered = Renderer().render("code_published", {**sample_context("code_published"), "qr_png": qr_png})
    return build_email(rendered, sender=SENDER, recipient=recipient, recipient_name="Ann Lee", qr_png=qr_png)


def sender_for(port: int, *, timeout: float = 5.0) -> SmtpSender:
    return SmtpSender(SmtpConfig(host="127.0.0.1", port=port, tls="none", timeout=timeout))


async def test_a_message_arrives_with_its_recipient_subject_parts_and_qr_image(smtp_server, qr_png):
    async with sender_for(smtp_server.port) as sender:
        reply = await sender.send(invitation(qr_png))

    (delivered,) = smtp_server.handler.delivered
    message = delivered.message
    image = next(part for part in message.walk() if part.get_content_type() == "image/png")
    assert "Message accepted" in reply
    assert delivered.mail_from == "referrals@shop.example.com"
    assert delivered.rcpt_tos == ["ann@example.com"]
    assert message["Subject"] == "Your referral code for Example Shop: REF-4821-KQZP"
    assert "REF-4821-KQZP" in message.get_body(("plain",)).get_content()
    assert f"cid:{QR_CID}" in message.get_body(("html",)).get_content()
    assert image["Content-ID"] == f"<{QR_CID}>" and image.get_content() == qr_png


async def test_a_451_is_transient_and_the_next_send_succeeds(smtp_server):
    smtp_server.handler.rcpt_replies.append("451 4.3.0 Try again later")

    async with sender_for(smtp_server.port) as sender:
        with pytest.raises(TransientSendError, match="451"):
            await sender.send(invitation())
        await sender.send(invitation())

    assert [d.rcpt_tos for d in smtp_server.handler.delivered] == [["ann@example.com"]]


async def test_a_550_is_permanent(smtp_server):
    smtp_server.handler.rcpt_replies.append("550 5.1.1 No such user here")

    async with sender_for(smtp_server.port) as sender:
        with pytest.raises(PermanentSendError, match="550 5.1.1 No such user here"):
            await sender.send(invitation())

    assert smtp_server.handler.delivered == []


async def test_a_closed_port_is_transient(closed_port):
    async with sender_for(closed_port) as sender:
        with pytest.raises(TransientSendError, match="connection failed"):
            await sender.send(invitation())


async def test_a_server_that_never_greets_times_out_as_transient(silent_port):
    async with sender_for(silent_port, timeout=0.3) as sender:
        with pytest.raises(TransientSendError):
            await sender.send(invitation())


async def test_one_connection_carries_several_messages(smtp_server):
    async with sender_for(smtp_server.port) as sender:
        for recipient in ("ann@example.com", "ben@example.com", "cy@example.com"):
            await sender.send(invitation(recipient=recipient))

    delivered = smtp_server.handler.delivered
    assert [d.rcpt_tos for d in delivered] == [["ann@example.com"], ["ben@example.com"], ["cy@example.com"]]
    assert len({d.peer for d in delivered}) == 1


async def test_concurrent_sends_on_one_sender_all_arrive(smtp_server):
    recipients = [f"friend{n}@example.com" for n in range(10)]

    async with sender_for(smtp_server.port) as sender:
        await asyncio.gather(*(sender.send(invitation(recipient=r)) for r in recipients))

    assert sorted(d.rcpt_tos[0] for d in smtp_server.handler.delivered) == sorted(recipients)


def test_a_sender_works_from_a_fresh_event_loop_per_send_when_closed_in_each(smtp_server):
    sender = sender_for(smtp_server.port)

    async def send_then_close() -> str:
        try:
            return await sender.send(invitation())
        finally:
            await sender.aclose()

    asyncio.run(send_then_close())
    asyncio.run(send_then_close())

    assert len(smtp_server.handler.delivered) == 2


def test_an_unknown_tls_mode_is_refused_at_start_up():
    with pytest.raises(ValueError, match="tls"):
        SmtpConfig(host="mail.example.com", tls="ssl")


def test_the_smtp_password_stays_out_of_the_config_repr():
    config = SmtpConfig(host="mail.example.com", username="u", password="hunter2")

    assert "hunter2" not in repr(config)
