"""Fault injection for the pipeline tests: a referral program with several referrers, a stream of signed
webhooks whose effects are known in advance, an exact check of the rows they leave, and the faults
themselves (kill -9 of pool children, PostgreSQL backends terminated, an SMTP server that stops and
comes back on the same port, a real uvicorn server for concurrent deliveries)."""
from __future__ import annotations

import collections
import os
import random
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import uvicorn
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from config.settings import Settings
from db.ids import new_id
from db.models import (Activity, Campaign, Code, Customer, Distribution, InboundEvent, LedgerEntry, Redemption,
                       Referral, Reward, Tier)
from db.types import utcnow
from domain.codes import code_key
from domain.emails import normalize_email
from tests.support.pipeline import body_of, native_event, native_headers
from tests.support.processes import child_pids, settings_environment
from tests.support.seed import EACH_CREDITS, FIVE_POINTS
from tests.support.servers import RecordingHandler, unused_port

REPO_ROOT = Path(__file__).resolve().parents[2]
EMAIL_TRIGGERS = {"customer_rewarded": ["email"], "referee_welcome": ["email"]}


# --- a program and a workload with known effects ---------------------------------------------------------

@dataclass(frozen=True)
class Program:
    """One running campaign whose codes are held by several referrers."""

    campaign_id: str
    codes: list[str]
    referrer_ids: list[str]
    milestone: int = 5


def seed_program(runtime, *, referrers: int, hold_days: int = 0, notifications: dict | None = None,
                 name: str = "Faults") -> Program:
    """A campaign with an `each` credits tier and a 5-friends points milestone, one code per referrer."""
    with runtime.session_factory() as session, session.begin():
        campaign = Campaign(id=new_id("camp"), name=name, code_config={"pattern": "REF-####-????"}, meta={}, templates={},
                            notifications=EMAIL_TRIGGERS if notifications is None else notifications,
                            reward_hold_days=hold_days)
        session.add(campaign)
        session.flush()
        codes, holders = [], []
        for n in range(referrers):
            email = f"referrer{n}.{campaign.id[-6:]}@example.com"
            holder = Customer(id=new_id("cust"), source_id=f"ref-{campaign.id}-{n}", email=email,
                              email_normalized=normalize_email(email), name=f"Referrer {n}", meta={})
            session.add(holder)
            session.flush()
            code = f"F{campaign.id[-6:].upper()}-{n:04d}"
            session.add(Code(id=new_id("code"), code=code, code_key=code_key(code), campaign_id=campaign.id,
                             holder_id=holder.id, published_at=utcnow(), publish_channel="api", meta={}))
            codes.append(code)
            holders.append(holder.id)
        session.add_all([Tier(id=new_id("tier"), campaign_id=campaign.id, **spec) for spec in (EACH_CREDITS, FIVE_POINTS)])
    return Program(campaign.id, codes, holders)


@dataclass
class Expected:
    """Every row a workload must leave, counted by kind and status."""

    events: int = 0
    redemptions: dict = field(default_factory=dict)
    referrals: dict = field(default_factory=dict)
    rewards: dict = field(default_factory=dict)
    ledger: int = 0
    distributions: dict = field(default_factory=dict)
    activities: dict = field(default_factory=dict)
    orders_counted: int = 0

    def summary(self) -> dict:
        return {"events": {"processed": self.events} if self.events else {}, "redemptions": _nonzero(self.redemptions),
                "referrals": _nonzero(self.referrals), "rewards": _nonzero(self.rewards), "ledger": self.ledger,
                "distributions": _nonzero(self.distributions), "activities": _nonzero(self.activities),
                "orders_counted": self.orders_counted}


def _nonzero(counts: dict) -> dict:
    return {key: value for key, value in counts.items() if value}


@dataclass
class Workload:
    """Signed native webhooks (path, body, headers) and what they must produce once processed."""

    requests: list[tuple[str, bytes, dict]]
    expected: Expected


def referral_workload(program: Program, *, referees: int, plain_orders: int = 0, unknown_codes: int = 0,
                      email_triggers: dict | None = None, prefix: str = "w", seed: int = 7) -> Workload:
    """`referees` paid orders spread over the program's codes, plus orders without a code and explicit
    redemptions of an unknown code (recorded as failures, nothing follows), in a shuffled order."""
    payloads = [native_event(f"{prefix}-ref-{n}", "order.paid", order_id=f"{prefix}-o-{n}", code=program.codes[n % len(program.codes)],
                             email=f"{prefix}.friend{n}@example.com", source_id=f"{prefix}-c-{n}", status="paid")
                for n in range(referees)]
    payloads += [native_event(f"{prefix}-plain-{n}", "order.paid", order_id=f"{prefix}-p-{n}", email=f"{prefix}.plain{n}@example.com",
                              source_id=f"{prefix}-pc-{n}", status="paid") for n in range(plain_orders)]
    payloads += [native_event(f"{prefix}-unknown-{n}", "redemption.requested", code=f"NOPE-{prefix}-{n}",
                              email=f"{prefix}.guess{n}@example.com", source_id=f"{prefix}-gc-{n}") for n in range(unknown_codes)]
    random.Random(seed).shuffle(payloads)
    return Workload([_signed(payload) for payload in payloads],
                    expected_for(program, referees, plain_orders, unknown_codes, email_triggers or EMAIL_TRIGGERS))


def _signed(payload: dict) -> tuple[str, bytes, dict]:
    body = body_of(payload)
    return "/webhooks/events", body, native_headers(body)


def expected_for(program: Program, referees: int, plain_orders: int, unknown_codes: int, email_triggers: dict) -> Expected:
    per_referrer = collections.Counter(n % len(program.codes) for n in range(referees))
    rewards = referees + sum(1 for count in per_referrer.values() if count >= program.milestone)
    emails = rewards * ("customer_rewarded" in email_triggers) + referees * ("referee_welcome" in email_triggers)
    return Expected(
        events=referees + plain_orders + unknown_codes,
        redemptions={"succeeded": referees, "failed": unknown_codes},
        referrals={"active": referees},
        rewards={"completed": rewards},
        ledger=rewards,
        distributions={"sent": emails},
        activities={"customer.order.paid": referees + plain_orders, "customer.redemption.succeeded": referees,
                    "customer.redemption.failed": unknown_codes, "customer.referred": referees,
                    "customer.reward_redemptions.created": rewards, "customer.rewarded": rewards,
                    "customer.reward_redemptions.completed": rewards, "customer.email.sent": emails},
        orders_counted=referees + plain_orders,
    )


# --- what the pipeline left ------------------------------------------------------------------------------

def _by_status(session, model, column=None) -> dict:
    column = column if column is not None else model.status
    return dict(session.execute(select(column, func.count()).select_from(model).group_by(column)).all())


def outcome(runtime) -> dict:
    """The rows the pipeline wrote, in the shape of `Expected.summary()`."""
    with runtime.session_factory() as session:
        return {
            "events": _by_status(session, InboundEvent), "redemptions": _by_status(session, Redemption),
            "referrals": _by_status(session, Referral), "rewards": _by_status(session, Reward),
            "ledger": session.scalar(select(func.count()).select_from(LedgerEntry)),
            "distributions": _by_status(session, Distribution),
            "activities": _by_status(session, Activity, Activity.type),
            "orders_counted": session.scalar(select(func.coalesce(func.sum(Customer.orders_count), 0))),
        }


def quiescent(runtime) -> bool:
    """Nothing accepted is still on its way: no open event, unsettled referral, unsent mail or due reward."""
    now = utcnow()
    try:
        with runtime.session_factory() as session:
            open_work = [
                select(InboundEvent.id).where(InboundEvent.status.in_(["received", "enqueued"])),
                select(Referral.id).where(Referral.settled_at.is_(None)),
                select(Distribution.id).where(Distribution.status.in_(["queued", "sending"])),
                select(Reward.id).where(Reward.status == "pending", Reward.type != "material", Reward.hold_until <= now),
            ]
            return not any(session.scalar(query.limit(1)) for query in open_work)
    except DBAPIError:  # the database itself may be the fault under test
        return False


def open_work(runtime) -> dict:
    """What is still moving (for timeout messages)."""
    with runtime.session_factory() as session:
        return {"events": _by_status(session, InboundEvent), "distributions": _by_status(session, Distribution),
                "unsettled_referrals": session.scalar(select(func.count()).select_from(Referral).where(Referral.settled_at.is_(None)))}


def wait_until_quiet(runtime, *, timeout_s: float) -> None:
    """Poll until the pipeline has gone quiet twice in a row (every step commits its follow-ups' rows)."""
    deadline = time.monotonic() + timeout_s
    streak = 0
    while time.monotonic() < deadline:
        streak = streak + 1 if quiescent(runtime) else 0
        if streak >= 3:
            return
        time.sleep(0.5)
    raise AssertionError(f"the pipeline did not go quiet within {timeout_s}s: {open_work(runtime)}")


def wait_for_outcome(runtime, expected: Expected, *, timeout_s: float) -> dict:
    """Wait for quiet, then return the outcome (compare it with `expected.summary()`)."""
    wait_until_quiet(runtime, timeout_s=timeout_s)
    return outcome(runtime)


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


@contextmanager
def serving(app) -> Iterator[str]:
    """The ASGI app behind a real uvicorn server on a free port, in a thread; yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=unused_port(), log_level="warning", lifespan="off", access_log=False)
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

def start_fault_worker_pool(settings: Settings, *, processes: int, threads: int, log_file: Path,
                            send_claim_timeout_s: float) -> subprocess.Popen:
    """`referrals worker` through tests/faults/worker_main.py, which only shortens the send-claim timeout
    (a product constant of 5 minutes, not a setting yet) so a mail claimed by a killed worker is re-sent
    within the test's time."""
    env = settings_environment(settings) | {"REFERRALS_TEST_SEND_CLAIM_TIMEOUT_SECONDS": str(send_claim_timeout_s)}
    command = [sys.executable, "-m", "tests.faults.worker_main", "worker", "--processes", str(processes), "--threads", str(threads)]
    log = open(log_file, "ab")
    return subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


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
    """kill -9 a random worker process of the pool (the pool respawns it)."""

    def __init__(self, pool_pid: int, low: float = 1.0, high: float = 2.0) -> None:
        super().__init__("child-killer", low, high)
        self.pool_pid = pool_pid

    def strike(self) -> int | None:
        children = worker_children(self.pool_pid)
        if not children:
            return None
        victim = self.random.choice(children)
        os.kill(victim, signal.SIGKILL)
        return victim

    @property
    def kills(self) -> int:
        return sum(1 for pid in self.strikes if pid)


class BackendTerminator(Periodic):
    """pg_terminate_backend on every other connection to the test database."""

    def __init__(self, database_url: str, low: float = 0.5, high: float = 1.5) -> None:
        super().__init__("pg-terminator", low, high)
        self.engine = create_engine(database_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def strike(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'")).scalar()

    def stop(self) -> None:
        super().stop()
        self.engine.dispose()

    @property
    def terminated(self) -> int:
        return sum(self.strikes)


class RestartableSmtpServer:
    """An aiosmtpd server that can be stopped and started again on the same port, keeping what it received."""

    def __init__(self) -> None:
        self.handler = RecordingHandler()
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
