"""Real servers for tests: aiosmtpd for SMTP (scriptable replies) and http.server for outgoing webhooks."""

from __future__ import annotations

import collections
import email
import email.policy
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from notifications.signing import SIGNATURE_HEADER, verify_signature

WEBHOOK_SECRET = "whsec_test_secret"


def unused_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Delivered:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    peer: tuple


@dataclass
class RecordingHandler:
    """Records every delivered message; RCPT answers can be scripted ('451 ...', '550 ...')."""

    delivered: list[Delivered] = field(default_factory=list)
    rcpt_replies: collections.deque = field(default_factory=collections.deque)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_replies:
            return self.rcpt_replies.popleft()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.delivered.append(Delivered(envelope.mail_from, list(envelope.rcpt_tos), parsed, session.peer))
        return "250 2.0.0 Message accepted for delivery"


@dataclass
class SmtpServer:
    handler: RecordingHandler
    port: int


@contextmanager
def running_smtp_server() -> Iterator[SmtpServer]:
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=unused_port())
    controller.start()
    try:
        yield SmtpServer(handler, controller.port)
    finally:
        controller.stop()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_valid: bool
    client: tuple


@dataclass
class WebhookReceiver:
    """What the webhook server saw; `statuses` scripts its answers (default: 200 if signed, else 401)."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    statuses: collections.deque = field(default_factory=collections.deque)


def _handler_for(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            valid = verify_signature(WEBHOOK_SECRET, self.headers.get(SIGNATURE_HEADER), body, now=int(time.time()))
            receiver.received.append(Received(self.path, dict(self.headers), body, valid, self.client_address))
            status = receiver.statuses.popleft() if receiver.statuses else (200 if valid else 401)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def running_webhook_server() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(receiver))
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/referrals?token=abc"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
