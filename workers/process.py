"""Worker processes: `referrals worker --processes N --threads M`, restarting a child that dies."""
from __future__ import annotations

import multiprocessing
import signal
import threading
import time

import structlog
from dramatiq import Worker

from config.container import build_runtime
from config.logging import configure_logging
from config.process import freeze_startup_objects
from config.settings import Settings
from workers.broker import add_outcome_middleware
from workers.metrics import StepMetrics, forget_process, prepare_multiprocess_dir, remove_multiprocess_dir, serve_pool_metrics
from workers.reconciler import PeriodicReconciler

log = structlog.get_logger("referrals.worker")
RESTART_PAUSE_SECONDS = 1.0


def run_worker_process(settings: Settings, threads: int) -> None:
    """One worker process: consume every queue with `threads` threads until SIGTERM/SIGINT."""
    configure_logging(settings.log_format, settings.log_level)
    runtime = build_runtime(settings)
    add_outcome_middleware(runtime.broker, StepMetrics())
    worker = Worker(runtime.broker, worker_threads=threads, worker_timeout=200)
    stop = _stop_event()
    freeze_startup_objects()
    worker.start()
    log.info("worker.started", threads=threads)
    stop.wait()
    worker.stop(timeout=30_000)
    runtime.close()


def run_worker_pool(settings: Settings, *, processes: int, threads: int, metrics_port: int = 0) -> None:
    """Supervise `processes` worker processes, serve their metrics, and run the periodic reconciler here."""
    configure_logging(settings.log_format, settings.log_level)
    metrics_dir = prepare_multiprocess_dir()
    serve_pool_metrics(metrics_port, metrics_dir)
    context = multiprocessing.get_context("spawn")
    children = [_spawn(context, settings, threads) for _ in range(processes)]
    runtime = build_runtime(settings)
    reconciler = PeriodicReconciler(runtime, interval=settings.reconcile_interval_seconds,
                                    older_than_seconds=settings.reconcile_older_than_seconds)
    reconciler.start()
    stop = _stop_event()
    while not stop.wait(0.5):
        children = [_respawn_if_dead(context, child, settings, threads) for child in children]
    reconciler.stop()
    _terminate(children)
    runtime.close()
    remove_multiprocess_dir(metrics_dir)


def _spawn(context, settings: Settings, threads: int):
    process = context.Process(target=run_worker_process, args=(settings, threads), name="referrals-worker")
    process.start()
    return process


def _respawn_if_dead(context, child, settings: Settings, threads: int):
    if child.is_alive():
        return child
    log.warning("worker.died", pid=child.pid, exitcode=child.exitcode)
    forget_process(child.pid)
    time.sleep(RESTART_PAUSE_SECONDS)
    return _spawn(context, settings, threads)


def _terminate(children) -> None:
    for child in children:
        child.terminate()
    for child in children:
        child.join(timeout=35)


def _stop_event() -> threading.Event:
    """An event set by SIGTERM or SIGINT."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop
