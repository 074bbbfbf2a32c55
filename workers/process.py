"""Worker processes: `referrals worker --processes N --threads M [--notification-processes K]`, restarting a child
that dies."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from dramatiq import Worker

from config.logging import configure_logging
from config.process import freeze_startup_objects
from config.settings import Settings
from workers.actors import NOTIFICATIONS_QUEUE, PIPELINE_QUEUE
from workers.broker import add_outcome_middleware
from workers.metrics import (
    StepMetrics,
    forget_process,
    prepare_multiprocess_dir,
    remove_multiprocess_dir,
    serve_pool_metrics,
)
from workers.reconciler import PeriodicReconciler

log = structlog.get_logger("referrals.worker")
RESTART_PAUSE_SECONDS = 1.0
NOTIFICATIONS_NICENESS = 10
BuildRuntime = Callable[[Settings], Any]  # bootstrap.runtime.build_runtime, handed down by the entry point


@dataclass(frozen=True)
class Role:
    """What one worker process consumes (None: every queue) and how far the OS lowers its CPU priority."""

    name: str
    queues: frozenset[str] | None = None
    niceness: int = 0


EVERYTHING = Role("all")
PIPELINE = Role("pipeline", frozenset({PIPELINE_QUEUE}))
# Notifications can wait a moment; redemptions and rewards should not. When the machine is busy the kernel gives the
# CPU to the pipeline processes first, and the emails catch up as soon as there is room.
NOTIFICATIONS = Role("notifications", frozenset({NOTIFICATIONS_QUEUE}), niceness=NOTIFICATIONS_NICENESS)


def pool_roles(processes: int, notification_processes: int) -> list[Role]:
    """Every process does everything, or (with notification processes) the pipeline and the emails are split."""
    if not notification_processes:
        return [EVERYTHING] * processes
    return [PIPELINE] * processes + [NOTIFICATIONS] * notification_processes


def run_worker_process(build_runtime: BuildRuntime, settings: Settings, threads: int, role: Role) -> None:
    """One worker process: consume the role's queues with `threads` threads until SIGTERM/SIGINT."""
    if role.niceness:
        os.nice(role.niceness)
    configure_logging(settings.log_format, settings.log_level)
    runtime = build_runtime(settings)
    add_outcome_middleware(runtime.broker, StepMetrics())
    worker = Worker(runtime.broker, queues=role.queues, worker_timeout=200, worker_threads=threads)
    stop = _stop_event()
    freeze_startup_objects()
    worker.start()
    log.info("worker.started", threads=threads, role=role.name)
    stop.wait()
    worker.stop(timeout=30_000)
    runtime.close()


def run_worker_pool(
    build_runtime: BuildRuntime,
    settings: Settings,
    *,
    processes: int,
    threads: int,
    metrics_port: int = 0,
    notification_processes: int = 0,
) -> None:
    """Supervise the worker processes, serve their metrics, and run the periodic reconciler here."""
    configure_logging(settings.log_format, settings.log_level)
    metrics_dir = prepare_multiprocess_dir()
    serve_pool_metrics(metrics_port, metrics_dir)
    context = multiprocessing.get_context("spawn")
    start = _Starter(context, build_runtime, settings, threads)
    children = [_Child(role, start(role)) for role in pool_roles(processes, notification_processes)]
    runtime = build_runtime(settings)
    reconciler = PeriodicReconciler(
        runtime, interval=settings.reconcile_interval_seconds, older_than_seconds=settings.reconcile_older_than_seconds
    )
    reconciler.start()
    stop = _stop_event()
    while not stop.wait(0.5):
        children = [_respawn_if_dead(start, child) for child in children]
    reconciler.stop()
    _terminate(children)
    runtime.close()
    remove_multiprocess_dir(metrics_dir)


@dataclass(frozen=True)
class _Child:
    role: Role
    process: multiprocessing.process.BaseProcess


@dataclass(frozen=True)
class _Starter:
    """Starts one worker process of a role."""

    context: Any
    build_runtime: BuildRuntime
    settings: Settings
    threads: int

    def __call__(self, role: Role) -> multiprocessing.process.BaseProcess:
        process = self.context.Process(
            target=run_worker_process,
            args=(self.build_runtime, self.settings, self.threads, role),
            name=f"referrals-worker-{role.name}",
        )
        process.start()
        return process


def _respawn_if_dead(start: _Starter, child: _Child) -> _Child:
    if child.process.is_alive():
        return child
    log.warning("worker.died", pid=child.process.pid, exitcode=child.process.exitcode, role=child.role.name)
    forget_process(child.process.pid)
    time.sleep(RESTART_PAUSE_SECONDS)
    return _Child(child.role, start(child.role))


def _terminate(children: list[_Child]) -> None:
    for child in children:
        child.process.terminate()
    for child in children:
        child.process.join(timeout=35)


def _stop_event() -> threading.Event:
    """An event set by SIGTERM or SIGINT."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop
