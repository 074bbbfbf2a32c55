"""OutboxSender: each message becomes one complete, parseable .eml file."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from notifications.email import build_email
from notifications.render import RenderedMessage
from notifications.senders import OutboxSender, outbox_filename

pytestmark = pytest.mark.anyio


def message(qr_png: bytes | None = None) -> EmailMessage:
    rendered = RenderedMessage(subject="Your code", text="Hi Ann", html="<p>Hi Ann</p>")
    return build_email(
        rendered,
        sender="Shop <referrals@shop.example.com>",
        recipient="ann@example.com",
        recipient_name="Ann Lee",
        qr_png=qr_png,
    )


async def test_the_outbox_writes_a_parseable_eml_file(tmp_path, qr_png):
    sent = message(qr_png)

    path = await OutboxSender(tmp_path / "outbox").send(sent)

    parsed = email.message_from_bytes(
        (tmp_path / "outbox" / path.split("/")[-1]).read_bytes(), policy=email.policy.default
    )
    assert path.endswith(".eml")
    assert parsed["Message-ID"] == sent["Message-ID"]
    assert parsed["To"].addresses[0].addr_spec == "ann@example.com"
    assert parsed.get_body(("plain",)).get_content().strip() == "Hi Ann"
    assert any(part.get_content() == qr_png for part in parsed.walk() if part.get_content_type() == "image/png")


async def test_the_outbox_creates_its_folder_and_leaves_no_temporary_files(tmp_path):
    outbox = tmp_path / "var" / "outbox"

    for _ in range(3):
        await OutboxSender(outbox).send(message())

    assert sorted(p.suffix for p in outbox.iterdir()) == [".eml"] * 3


async def test_the_outbox_names_files_by_time_then_message_id(tmp_path):
    sent = message()

    path = await OutboxSender(tmp_path).send(sent)

    stamp, _, rest = path.split("/")[-1].partition("-")
    assert rest == sent["Message-ID"].strip("<>") + ".eml"
    assert datetime.strptime(stamp, "%Y%m%dT%H%M%S.%fZ")


def test_odd_message_ids_still_give_safe_file_names():
    sent = EmailMessage()
    sent["Message-ID"] = "<../../etc/passwd x@evil>"

    name = outbox_filename(sent, datetime(2026, 11, 27, 10, 0, tzinfo=UTC))

    assert name == "20261127T100000.000000Z-.._.._etc_passwd_x@evil.eml"
    assert "/" not in name


def test_a_message_without_a_message_id_still_gets_a_unique_file_name():
    now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)

    assert outbox_filename(EmailMessage(), now) != outbox_filename(EmailMessage(), now)
