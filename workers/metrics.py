"""Worker-side Prometheus metrics: step duration and outcome, shared by the pool's processes.

`referrals worker` points PROMETHEUS_MULTIPROC_DIR at a fresh folder before it spawns its worker
processes; each process records into it, and the supervising process serves the sum on --metrics-port.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time

from dramatiq import Middleware
from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess, start_http_server

STEP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class StepMetrics(Middleware):
    """Observes every job: `referrals_step_duration_seconds{step}` and `referrals_steps_total{step,outcome}`."""

    def __init__(self) -> None:
        registry = CollectorRegistry()
        self.duration = Histogram(
            "referrals_step_duration_seconds",
            "Duration of one pipeline step",
            ["step"],
            buckets=STEP_BUCKETS,
            registry=registry,
        )
        self.outcomes = Counter(
            "referrals_steps",
            "Pipeline steps run, by outcome (ok, retry, failed)",
            ["step", "outcome"],
            registry=registry,
        )
        self.started: dict[str, float] = {}

    def before_process_message(self, broker, message):
        self.started[message.message_id] = time.perf_counter()

    def after_process_message(self, broker, message, *, result=None, exception=None):
        started = self.started.pop(message.message_id, None)
        if started is not None:
            self.duration.labels(message.actor_name).observe(time.perf_counter() - started)
        outcome = "ok" if exception is None else ("failed" if message.failed else "retry")
        self.outcomes.labels(message.actor_name, outcome).inc()

    def after_skip_message(self, broker, message):
        self.started.pop(message.message_id, None)


def prepare_multiprocess_dir() -> str:
    """A fresh folder for the pool's metric files, exported for the processes about to be spawned."""
    path = tempfile.mkdtemp(prefix="referrals-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path


def serve_pool_metrics(port: int, path: str) -> None:
    """Serve the sum of every worker process's metrics on `port` (0 disables)."""
    if port:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=path)
        start_http_server(port, registry=registry)


def forget_process(pid: int | None) -> None:
    """Drop a dead worker process's live gauges (counters and histograms keep their totals)."""
    if pid is not None and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid)


def remove_multiprocess_dir(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)
