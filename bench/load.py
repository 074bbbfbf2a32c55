"""The one load generator: pre-encoded HTTP/1.1 requests over keep-alive connections on uvloop.

Two shapes: `closed_loop` (N connections, each sends its next request when the last answer arrived; gives the
maximum rate) and `fixed_rate` (requests start on a schedule whatever the answers do; latency is measured
from the scheduled start, so a slow server is not hidden by a slow sender).
"""

from __future__ import annotations

import asyncio
import gc
import math
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvloop

HOST = "127.0.0.1"
ATTEMPTS = 3  # a request whose connection fails is sent again on a new one (webhooks are deduplicated by id)
NETWORK_ERRORS = (OSError, asyncio.IncompleteReadError, ValueError)


def encode_post(path: str, headers: Mapping[str, str], body: bytes) -> bytes:
    """A complete keep-alive POST request, ready to write to a socket."""
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {HOST}",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class Outcome:
    """What one load run saw."""

    elapsed_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0

    def record(self, status: int, seconds: float) -> None:
        self.statuses[status] += 1
        self.latencies_ms.append(seconds * 1000)

    def summary(self) -> dict:
        done = len(self.latencies_ms)
        return {
            "requests": done,
            "network_errors": self.errors,
            "elapsed_s": round(self.elapsed_s, 3),
            "rps": round(done / self.elapsed_s, 1) if self.elapsed_s else 0.0,
            "p50_ms": percentile(self.latencies_ms, 50),
            "p90_ms": percentile(self.latencies_ms, 90),
            "p99_ms": percentile(self.latencies_ms, 99),
            "max_ms": percentile(self.latencies_ms, 100),
            "statuses": {str(code): count for code, count in sorted(self.statuses.items())},
        }


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile, rounded to 0.01."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)], 2)


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection(HOST, port))

    async def exchange(self, raw: bytes) -> int:
        """Send one request, read its whole answer (Content-Length framed); return the status code."""
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = _content_length(head)
        if length:
            await self.reader.readexactly(length)
        return int(head[9:12])

    def close(self) -> None:
        self.writer.close()

    def closed_by_server(self) -> bool:
        """The server has hung up (uvicorn closes a keep-alive connection idle for 5 s): the FIN is already read."""
        return self.reader.at_eof() or self.writer.is_closing()


async def _send(
    connection: Connection | None, port: int, raw: bytes, outcome: Outcome
) -> tuple[Connection | None, int | None]:
    """Send `raw`, reconnecting and resending after a network error; returns the connection to reuse and the status."""
    for _ in range(ATTEMPTS):
        try:
            connection = connection or await Connection.open(port)
            return connection, await connection.exchange(raw)
        except NETWORK_ERRORS:
            outcome.errors += 1
            if connection is not None:
                connection.close()
            connection = None
            await asyncio.sleep(0.05)
    return None, None


def _content_length(head: bytes) -> int:
    start = head.lower().find(b"\r\ncontent-length:")
    if start < 0:
        raise ValueError("the server answered without Content-Length")
    end = head.find(b"\r\n", start + 2)
    return int(head[start + 17 : end])


def closed_loop(port: int, requests: Iterable[bytes], *, connections: int, duration_s: float | None = None) -> Outcome:
    """Send `requests` over `connections` busy connections until they run out or `duration_s` passes."""
    with _no_collector_pauses():
        return uvloop.run(_closed_loop(port, iter(requests), connections, duration_s))


def fixed_rate(port: int, requests: Iterable[bytes], *, rate: float, max_connections: int = 256) -> Outcome:
    """Start one request every 1/rate seconds until they run out."""
    with _no_collector_pauses():
        return uvloop.run(_fixed_rate(port, requests, rate, max_connections))


@contextmanager
def _no_collector_pauses():
    """No garbage collection in the load generator while it sends. This process also holds the benchmark's
    database runtime, so a full collection here took 80-90 ms; every request due in that pause was then counted
    as that much slower, as if the server had stalled."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()


async def _closed_loop(port: int, requests: Iterator[bytes], connections: int, duration_s: float | None) -> Outcome:
    outcome = Outcome()
    deadline = time.perf_counter() + duration_s if duration_s else math.inf
    started = time.perf_counter()
    await asyncio.gather(*(_busy_user(port, requests, deadline, outcome) for _ in range(connections)))
    outcome.elapsed_s = time.perf_counter() - started
    return outcome


async def _busy_user(port: int, requests: Iterator[bytes], deadline: float, outcome: Outcome) -> None:
    connection = None
    for raw in requests:
        began = time.perf_counter()
        if began > deadline:
            break
        connection, status = await _send(connection, port, raw, outcome)
        if status is not None:
            outcome.record(status, time.perf_counter() - began)
    if connection is not None:
        connection.close()


async def _fixed_rate(port: int, requests: Iterable[bytes], rate: float, max_connections: int) -> Outcome:
    outcome, pool = Outcome(), _Pool(port, max_connections)
    started = time.perf_counter() + 0.01
    tasks = []
    for index, raw in enumerate(requests):
        due = started + index / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.create_task(_scheduled(pool, raw, due, outcome)))
    await asyncio.gather(*tasks)
    outcome.elapsed_s = time.perf_counter() - started
    pool.close()
    return outcome


async def _scheduled(pool: _Pool, raw: bytes, due: float, outcome: Outcome) -> None:
    async with pool.slots:
        connection, status = await _send(pool.take(), pool.port, raw, outcome)
        if status is not None:
            outcome.record(status, time.perf_counter() - due)
        if connection is not None:
            pool.idle.append(connection)


class _Pool:
    """Idle keep-alive connections, at most `size` in use at once."""

    def __init__(self, port: int, size: int) -> None:
        self.port, self.slots, self.idle = port, asyncio.Semaphore(size), []

    def take(self) -> Connection | None:
        """The most recently used idle connection the server has not closed, as an HTTP client's pool would pick;
        None to open a new one. Reusing a connection the server closed would fail, and the retry would be
        counted against the server's latency."""
        while self.idle:
            connection = self.idle.pop()
            if not connection.closed_by_server():
                return connection
            connection.close()
        return None

    def close(self) -> None:
        for connection in self.idle:
            connection.close()
