"""Fault injection for the pipeline tests: the rows the pipeline left and when it has gone quiet, delivering
webhooks as a platform does (retrying 503s; several threads at once through a real uvicorn server), and the
faults themselves: kill -9 of pool children, PostgreSQL backends terminated, an SMTP server that stops and
comes back on the same port."""

from __future__ import annotations

import asyncio
import collections
import os
import random
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import redis as redis_lib
import uvicorn
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from db.models import Activity, Customer, Distribution, InboundEvent, LedgerEntry, Redemption, Referral, Reward
from db.types import utcnow
from tests.support.processes import child_pids, poll
from tests.support.servers import Delivered, RecordingHandler, unused_port

# --- what the pipeline left ------------------------------------------------------------------------------


def _by_status(session, model, column=None) -> dict:
    column = column if column is not None else model.status
    return dict(session.execute(select(column, func.count()).select_from(model).group_by(column)).all())


def outcome(runtime) -> dict:
    """The rows the pipeline wrote, counted by kind and status (the shape of tests.faults.workload.Expected.summary())."""
    with runtime.session_factory() as session:
        return {
            "events": _by_status(session, InboundEvent),
            "redemptions": _by_status(session, Redemption),
            "referrals": _by_status(session, Referral),
            "rewards": _by_status(session, Reward),
            "ledger": session.scalar(select(func.count()).select_from(LedgerEntry)),
            "distributions": _by_status(session, Distribution),
            "activities": _by_status(session, Activity, Activity.type),
            "orders_counted": session.scalar(select(func.coalesce(func.sum(Customer.orders_count), 0))),
        }


def outcome_or_none(runtime) -> dict | None:
    """`outcome`, or None while the database refuses (for polling during a database fault)."""
    try:
        return outcome(runtime)
    except DBAPIError:
        return None


def quiescent(runtime) -> bool:
    """Nothing accepted is still on its way: no open event, unsettled referral, unsent mail or due reward."""
    now = utcnow()
    try:
        with runtime.session_factory() as session:
            open_work = [
                select(InboundEvent.id).where(InboundEvent.status.in_(["received", "enqueued"])),
                select(Referral.id).where(Referral.settled_at.is_(None)),
                select(Distribution.id).where(Distribution.status.in_(["queued", "sending"])),
                select(Reward.id).where(
                    Reward.status == "pending", Reward.type != "material", Reward.hold_until <= now
                ),
            ]
            return not any(session.scalar(query.limit(1)) for query in open_work)
    except DBAPIError:  # the database itself may be the fault under test
        return False


def open_work(runtime) -> dict:
    """What is still moving (for timeout messages)."""
    with runtime.session_factory() as session:
        return {
            "events": _by_status(session, InboundEvent),
            "distributions": _by_status(session, Distribution),
            "unsettled_referrals": session.scalar(
                select(func.count()).select_from(Referral).where(Referral.settled_at.is_(None))
            ),
            "stuck_distributions": list(
                session.execute(
                    select(
                        Distribution.id,
                        Distribution.status,
                        Distribution.attempts,
                        Distribution.claimed_at,
                        Distribution.last_error,
                    )
                    .where(Distribution.status.in_(["queued", "sending"]))
                    .limit(5)
                )
            ),
        }


def wait_until_quiet(runtime, *, timeout_s: float) -> None:
    """Poll until the pipeline is quiet on three polls in a row (each step commits the rows its follow-ups act on)."""
    deadline = time.monotonic() + timeout_s
    streak = 0
    while time.monotonic() < deadline:
        streak = streak + 1 if quiescent(runtime) else 0
        if streak >= 3:
            return
        time.sleep(0.5)
    raise AssertionError(f"the pipeline did not go quiet within {timeout_s}s: {open_work(runtime)}")


def wait_for(condition: Callable[[], bool], *, timeout_s: float, describe: Callable[[], str]) -> None:
    """`wait_until`, with the failure message computed when it times out (the state then, not before)."""
    if not poll(condition, timeout_s=timeout_s):
        raise AssertionError(f"timed out after {timeout_s}s: {describe()}")


def sent_distribution_ids(runtime) -> set[str]:
    with runtime.session_factory() as session:
        return set(session.scalars(select(Distribution.id).where(Distribution.status == "sent")))


def delivered_keys(handler: RecordingHandler) -> collections.Counter:
    """How many times the SMTP server accepted each distribution (its id is the Message-ID's local part)."""
    return collections.Counter(str(d.message["Message-ID"]).strip("<>").split("@")[0] for d in handler.delivered)


# --- posting webhooks like a platform does ---------------------------------------------------------------


def deliver(client, request: tuple[str, bytes, dict], *, retry_on: tuple[int, ...] = (503,), attempts: int = 30):
    """POST one webhook, retrying on `retry_on` answers as a platform would; returns the final response."""
    path, body, headers = request
    for _ in range(attempts):
        response = client.post(path, content=body, headers=headers)
        if response.status_code not in retry_on:
            return response
        time.sleep(0.2)
    return response


def deliver_all(client, requests: Iterable[tuple[str, bytes, dict]], **options) -> collections.Counter:
    """Deliver every webhook; returns a count of (status code, answer status)."""
    answers = collections.Counter()
    for request in requests:
        response = deliver(client, request, **options)
        answers[(response.status_code, response.json().get("status"))] += 1
    return answers


def post_together(base_url: str, requests: list[tuple[str, bytes, dict]]) -> list:
    """POST every request from its own thread at the same moment (a barrier); returns the responses in order."""
    barrier = threading.Barrier(len(requests))

    def post(request):
        path, body, headers = request
        with httpx.Client(base_url=base_url, timeout=60) as client:
            barrier.wait()
            return client.post(path, content=body, headers=headers)

    with ThreadPoolExecutor(len(requests)) as threads:
        return list(threads.map(post, requests))


def post_groups_together(
    base_url: str, groups: list[list[tuple[str, bytes, dict]]], *, parallel: int = 4
) -> list[list]:
    """`post_together` for each group, `parallel` groups at a time."""
    with ThreadPoolExecutor(parallel) as threads:
        return list(threads.map(lambda group: post_together(base_url, group), groups))


@contextmanager
def serving(app) -> Iterator[str]:
    """The ASGI app behind a real uvicorn server on a free port, in a thread; yields its base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=unused_port(), log_level="warning", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# --- worker pools and the faults ---------------------------------------------------------------------------


def worker_children(pool_pid: int) -> list[int]:
    """The pool's worker processes (not multiprocessing's resource tracker)."""
    pids = []
    for pid in child_pids(pool_pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline:
            pids.append(pid)
    return pids


class Periodic(threading.Thread):
    """Runs `strike()` every `low`–`high` seconds until stopped; remembers what each strike returned."""

    def __init__(self, name: str, low: float, high: float, *, seed: int = 1) -> None:
        super().__init__(name=name, daemon=True)
        self.low, self.high, self.random = low, high, random.Random(seed)
        self.stopped = threading.Event()
        self.strikes: list = []
        self.errors: list[str] = []

    def run(self) -> None:
        while not self.stopped.wait(self.random.uniform(self.low, self.high)):
            try:
                self.strikes.append(self.strike())
            except Exception as error:  # noqa: BLE001 - a failed strike is reported, the test goes on
                self.errors.append(f"{type(error).__name__}: {error}")

    def strike(self):
        raise NotImplementedError

    def stop(self) -> None:
        self.stopped.set()
        if self.is_alive():
            self.join(timeout=10)


class ChildKiller(Periodic):
    """kill -9 a random worker process of the pool (the pool respawns it), once it has been up `min_age_s`
    (a process killed while it is still importing has no work in flight: that would test nothing)."""

    def __init__(self, pool_pid: int, low: float = 1.0, high: float = 2.0, *, min_age_s: float = 2.0) -> None:
        super().__init__("child-killer", low, high)
        self.pool_pid, self.min_age_s = pool_pid, min_age_s

    def strike(self) -> int | None:
        children = [pid for pid in worker_children(self.pool_pid) if _age_s(pid) >= self.min_age_s]
        if not children:
            return None
        victim = self.random.choice(children)
        os.kill(victim, signal.SIGKILL)
        return victim

    @property
    def kills(self) -> int:
        return sum(1 for pid in self.strikes if pid)


def _age_s(pid: int) -> float:
    """Seconds since the process started (0 when it is gone)."""
    try:
        start_ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime_s = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, IndexError, ValueError):
        return 0.0
    return uptime_s - start_ticks / os.sysconf("SC_CLK_TCK")


class BackendTerminator(Periodic):
    """pg_terminate_backend on every other connection to the test database."""

    def __init__(self, database_url: str, low: float = 0.5, high: float = 1.5) -> None:
        super().__init__("pg-terminator", low, high)
        self.engine = create_engine(database_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def strike(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                )
            ).scalar()

    def stop(self) -> None:
        super().stop()
        self.engine.dispose()

    @property
    def terminated(self) -> int:
        return sum(self.strikes)


@dataclass
class HookedHandler(RecordingHandler):
    """Records like RecordingHandler; `before_reply(delivered)` runs after a message is stored, before the 250 reply."""

    before_reply: Callable[[Delivered], None] | None = None

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        if self.before_reply is not None:
            await asyncio.to_thread(self.before_reply, self.delivered[-1])
        return reply


@contextmanager
def database_held(database_url: str, event_ids: list[str]) -> Iterator[None]:
    """Hold up the workers the way a long transaction does: SQLite's write lock, or on PostgreSQL the row locks of
    the given inbox rows (intake and the reconciler's reads go on)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(url.database, timeout=30, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection, connection.begin() as transaction:
            connection.execute(select(InboundEvent.id).where(InboundEvent.id.in_(event_ids)).with_for_update())
            yield
            transaction.rollback()
    finally:
        engine.dispose()


def unacked_messages(redis_url: str, queue: str = "referrals") -> int:
    """Messages fetched by some worker and not acknowledged yet (dramatiq's per-worker ack sets)."""
    client = redis_lib.Redis.from_url(redis_url)
    return sum(client.scard(key) for key in client.scan_iter(f"*:__acks__.*.{queue}"))


class RestartableSmtpServer:
    """An aiosmtpd server that can be stopped and started again on the same port, keeping what it received."""

    def __init__(self) -> None:
        self.handler = HookedHandler()
        self.port = unused_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        deadline = time.monotonic() + 10
        while True:
            try:
                self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
                self.controller.start()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
