"""Re-enqueueing stalled work, once (`referrals reconcile`) or periodically (inside `referrals worker`/`up`)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Protocol

import structlog
from dramatiq import Broker

from app.pipeline.reconcile import reconcile
from app.unit_of_work import UnitsOfWork
from config.settings import Settings
from db.types import utcnow
from workers.actors import NOTIFICATIONS_QUEUE, PIPELINE_QUEUE
from workers.broker import waiting_messages

log = structlog.get_logger("referrals.reconciler")


BACKLOG_PATIENCE = 10


class Runtime(Protocol):
    """What reconciling needs of the runtime (`bootstrap.runtime.Runtime` has it)."""

    settings: Settings
    broker: Broker
    units: UnitsOfWork


def reconcile_once(runtime: Runtime, *, older_than_seconds: int) -> dict[str, int]:
    """Find stuck work and enqueue it again; returns how many of each kind were re-enqueued.

    While messages wait in the pipeline queue, an inbox event is only "stuck" after BACKLOG_PATIENCE times
    longer: it is most likely waiting its turn, and re-sending it would only grow the backlog. The same holds
    for a queued notification while the notifications queue has a backlog (emails can lag the pipeline on
    purpose, see `--notification-processes`).
    """
    with runtime.units() as uow:
        stuck = reconcile(
            uow,
            older_than=timedelta(seconds=older_than_seconds),
            now=utcnow(),
            events_older_than=_patience(runtime, PIPELINE_QUEUE, older_than_seconds),
            sends_older_than=_patience(runtime, NOTIFICATIONS_QUEUE, older_than_seconds),
            send_claim_timeout=timedelta(seconds=runtime.settings.send_claim_timeout_seconds),
        )
    counts = stuck.counts()
    if any(counts.values()):
        log.info("reconciled", **counts)
    return counts


def _patience(runtime: Runtime, queue_name: str, older_than_seconds: int) -> timedelta:
    """How long work of this queue may wait: longer while the queue has messages waiting their turn."""
    backlog = waiting_messages(runtime.broker, queue_name) > 0
    return timedelta(seconds=older_than_seconds * (BACKLOG_PATIENCE if backlog else 1))


class PeriodicReconciler(threading.Thread):
    """A daemon thread that reconciles every `interval` seconds until stopped."""

    def __init__(self, runtime: Runtime, *, interval: float, older_than_seconds: int) -> None:
        super().__init__(name="reconciler", daemon=True)
        self.runtime, self.interval, self.older_than_seconds = runtime, interval, older_than_seconds
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                reconcile_once(self.runtime, older_than_seconds=self.older_than_seconds)
            except Exception as error:  # noqa: BLE001 - keep reconciling after a database or broker hiccup
                log.warning("reconcile_failed", error=f"{type(error).__name__}: {error}")

    def stop(self) -> None:
        self.stopped.set()
