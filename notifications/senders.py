"""Hand notifications over: SMTP (aiosmtplib), a folder of .eml files, or signed webhook POSTs.

Lifecycle: each sender keeps its connection (SMTP) or HTTP client (webhooks) per event loop and
reuses it across messages; a loop gets its own on first use. Call `await sender.aclose()` on the
same loop before shutting it down (or use `async with`). Several threads may share one sender as
long as each runs its own event loop.
"""

from __future__ import annotations

import asyncio
import email.policy
import json
import os
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Generic, TypeVar

import aiosmtplib
import httpx

from notifications.errors import PermanentSendError, SendError, TransientSendError
from notifications.signing import SIGNATURE_HEADER, sign_payload

__all__ = [
    "OutboxSender",
    "PermanentSendError",
    "SendError",
    "SmtpConfig",
    "SmtpSender",
    "TransientSendError",
    "WebhookSender",
    "sign_payload",
]

T = TypeVar("T")

_TLS_MODES = ("starttls", "tls", "none")
_RETRYABLE_HTTP = {408, 425, 429}
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._@-]+")


class _PerLoop(Generic[T]):
    """One value per running event loop, made on first use; values of closed loops are dropped."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._values: dict[asyncio.AbstractEventLoop, T] = {}

    def get(self) -> T:
        """The current loop's value, created if needed."""
        loop = asyncio.get_running_loop()
        self._forget_closed_loops()
        if loop not in self._values:
            self._values[loop] = self._factory()
        return self._values[loop]

    def pop(self) -> T | None:
        """Remove and return the current loop's value."""
        self._forget_closed_loops()
        return self._values.pop(asyncio.get_running_loop(), None)

    def _forget_closed_loops(self) -> None:
        """Drop values whose loop is gone (their transports cannot be closed any more)."""
        for loop in [loop for loop in list(self._values) if loop.is_closed()]:
            self._values.pop(loop, None)


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to reach the SMTP server."""

    host: str
    port: int = 587
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: str = "starttls"  # "starttls" | "tls" | "none"
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.tls not in _TLS_MODES:
            raise ValueError(f"SMTP tls must be one of {', '.join(_TLS_MODES)}, not {self.tls!r}")
        if (self.username is None) != (self.password is None):
            raise ValueError("SMTP username and password go together")


class _SmtpChannel:
    """One loop's SMTP connection and the lock that keeps one transaction on it at a time."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.client: aiosmtplib.SMTP | None = None

    def discard(self) -> None:
        """Drop the connection without a goodbye; the next send reconnects."""
        if self.client is not None:
            self.client.close()
        self.client = None


class SmtpSender:
    """Sends email through one SMTP server, reusing the connection between messages."""

    def __init__(self, config: SmtpConfig) -> None:
        self._config = config
        self._channels: _PerLoop[_SmtpChannel] = _PerLoop(_SmtpChannel)

    async def send(self, message: EmailMessage) -> str:
        """Send `message` to its To/Cc/Bcc recipients; return the server's reply text."""
        channel = self._channels.get()
        async with channel.lock:
            return await self._send_on(channel, message)

    async def aclose(self) -> None:
        """Say goodbye to the server (QUIT) and close this loop's connection."""
        channel = self._channels.pop()
        if channel is None or channel.client is None or not channel.client.is_connected:
            return
        try:
            await channel.client.quit()
        except (aiosmtplib.SMTPException, OSError):
            channel.discard()

    async def __aenter__(self) -> SmtpSender:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _send_on(self, channel: _SmtpChannel, message: EmailMessage) -> str:
        """One SMTP transaction; any failure drops the connection and is classified."""
        try:
            client = await self._connected(channel)
            _refused, reply = await client.send_message(message)
        except BaseException as exc:
            channel.discard()
            error = classify_smtp_error(exc)
            if error is exc:
                raise
            raise error from exc
        return reply

    async def _connected(self, channel: _SmtpChannel) -> aiosmtplib.SMTP:
        """The channel's live connection, (re)connecting (TLS, login) when needed."""
        if channel.client is None or not channel.client.is_connected:
            channel.discard()
            channel.client = self._client()
            await channel.client.connect()
        return channel.client

    def _client(self) -> aiosmtplib.SMTP:
        """An unconnected aiosmtplib client for the configuration."""
        config = self._config
        return aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            username=config.username,
            password=config.password,
            use_tls=config.tls == "tls",
            start_tls=config.tls == "starttls",
            timeout=config.timeout,
        )


def classify_smtp_error(exc: BaseException) -> BaseException:
    """Transient (connection, timeout, 4xx) or permanent (5xx, unsendable message); others unchanged."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return _by_code([refused.code for refused in exc.recipients], _refusals_text(exc))
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return _by_code([exc.code], f"SMTP {exc.code} {exc.message}")
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        return PermanentSendError(f"SMTP server lacks a needed extension: {exc.message}")
    if isinstance(exc, (aiosmtplib.SMTPException, OSError)):
        return TransientSendError(f"SMTP connection failed: {type(exc).__name__}: {exc}")
    if isinstance(exc, ValueError):
        return PermanentSendError(f"message cannot be sent: {exc}")
    return exc


def _by_code(codes: list[int], text: str) -> SendError:
    """Permanent when every reply code is 5xx, transient otherwise."""
    permanent = bool(codes) and all(500 <= code < 600 for code in codes)
    return PermanentSendError(text) if permanent else TransientSendError(text)


def _refusals_text(exc: aiosmtplib.SMTPRecipientsRefused) -> str:
    """'SMTP recipient refused: 550 ... (bob@example.com)' for every refusal."""
    refusals = "; ".join(f"{r.code} {r.message} ({r.recipient})" for r in exc.recipients)
    return f"SMTP recipient refused: {refusals}"


class OutboxSender:
    """Writes each message as an .eml file into a folder: the embedded default's mail server."""

    def __init__(self, directory: Path) -> None:
        self._directory = Path(directory)

    async def send(self, message: EmailMessage) -> str:
        """Write `message` to <directory>/<timestamp>-<message-id>.eml; return the file's path."""
        try:
            path = await asyncio.to_thread(self.write, message)
        except OSError as exc:
            raise TransientSendError(f"outbox write failed: {exc}") from exc
        return str(path)

    async def aclose(self) -> None:
        """Nothing to release; here so every sender can be closed alike."""

    def write(self, message: EmailMessage) -> Path:
        """Write the file atomically (temporary file, fsync, rename) and return its path."""
        self._directory.mkdir(parents=True, exist_ok=True)
        path = self._directory / outbox_filename(message, datetime.now(UTC))
        _write_atomically(path, message.as_bytes(policy=email.policy.SMTP))
        return path


def outbox_filename(message: EmailMessage, now: datetime) -> str:
    """'20261127T100000.123456Z-<message id made filename-safe>.eml'."""
    message_id = _UNSAFE_FILENAME.sub("_", str(message.get("Message-ID", "")).strip().strip("<>"))
    return f"{now.strftime('%Y%m%dT%H%M%S.%fZ')}-{message_id[:120] or uuid.uuid4().hex}.eml"


def _write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to a hidden temporary file next to `path`, then rename it into place."""
    handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=".", suffix=".tmp", delete=False)  # noqa: SIM115 - closed below, its name kept
    try:
        with handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


class WebhookSender:
    """POSTs signed JSON to operators' webhook URLs, reusing one httpx client per event loop."""

    def __init__(self, *, secret: str, timeout: float = 10.0, clock: Callable[[], float] = time.time) -> None:
        if not secret:
            raise ValueError("a webhook secret is required")
        self._secret, self._timeout, self._clock = secret, timeout, clock
        self._clients: _PerLoop[httpx.AsyncClient] = _PerLoop(self._client)

    async def post(self, url: str, payload: Mapping[str, Any]) -> int:
        """POST `payload` as signed JSON; return the 2xx status or raise a SendError."""
        body = encode_payload(payload)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign_payload(self._secret, body, int(self._clock())),
        }
        response = await self._request(url, body, headers)
        return _check_status(response.status_code, url)

    async def aclose(self) -> None:
        """Close this loop's HTTP client and its pooled connections."""
        client = self._clients.pop()
        if client is not None:
            await client.aclose()

    async def __aenter__(self) -> WebhookSender:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _request(self, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        """Send the POST, classifying what goes wrong before a status arrives."""
        try:
            return await self._clients.get().post(url, content=body, headers=headers)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise PermanentSendError(f"invalid webhook URL: {exc}") from exc
        except httpx.TransportError as exc:  # connect errors, timeouts, broken connections
            raise TransientSendError(f"webhook to {_host(url)} failed: {type(exc).__name__}: {exc}") from exc

    def _client(self) -> httpx.AsyncClient:
        """An HTTP client that never follows redirects (a redirect is a misconfigured URL)."""
        headers = {"User-Agent": "referral-pipeline-webhooks/1"}
        return httpx.AsyncClient(timeout=self._timeout, follow_redirects=False, headers=headers)


def encode_payload(payload: Mapping[str, Any]) -> bytes:
    """The exact bytes sent and signed: compact UTF-8 JSON."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _check_status(status: int, url: str) -> int:
    """Return a 2xx status; 5xx, 408, 425 and 429 are transient, anything else permanent."""
    if 200 <= status < 300:
        return status
    text = f"webhook to {_host(url)} answered HTTP {status}"
    if status >= 500 or status in _RETRYABLE_HTTP:
        raise TransientSendError(text)
    raise PermanentSendError(text)


def _host(url: str) -> str:
    """The URL's host only: paths and queries may carry secrets and stay out of errors."""
    try:
        return httpx.URL(url).host or "?"
    except httpx.InvalidURL:
        return "?"
