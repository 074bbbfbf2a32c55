"""Real servers for the notification tests: aiosmtpd for SMTP, http.server for webhooks, raw sockets."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator

import pytest
import segno

from tests.support.servers import WEBHOOK_SECRET, Delivered, RecordingHandler, unused_port  # noqa: F401 - used by tests


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def closed_port() -> int:
    return unused_port()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


@pytest.fixture
def qr_png() -> bytes:
    buffer = io.BytesIO()
    segno.make("https://shop.example.com/r/REF-1234-ABCD").save(buffer, kind="png", scale=3)
    return buffer.getvalue()
