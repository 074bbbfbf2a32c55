"""Real worker processes (`referrals worker`) for end-to-end and fault tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from config.settings import Settings

ENV_FIELDS = (
    "database_url",
    "redis_url",
    "api_token",
    "shopify_secret",
    "woocommerce_secret",
    "events_secret",
    "smtp_host",
    "smtp_port",
    "smtp_tls",
    "outbox_dir",
    "redis_heartbeat_timeout_ms",
    "reconcile_interval_seconds",
    "reconcile_older_than_seconds",
    "send_claim_timeout_seconds",
    "max_retries",
    "log_level",
    "log_format",
)


def settings_environment(settings: Settings) -> dict[str, str]:
    """The REFERRALS_* environment that reproduces `settings` in a child process."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("REFERRALS_")}
    for name in ENV_FIELDS:
        value = getattr(settings, name)
        if value is not None:
            env[f"REFERRALS_{name.upper()}"] = str(value)
    return env


def start_worker_pool(
    settings: Settings,
    *,
    processes: int = 2,
    threads: int = 4,
    log_file: Path,
    metrics_port: int = 0,
    notification_processes: int = 0,
) -> subprocess.Popen:
    """`referrals worker` as a child process group, logging to `log_file` (metrics off unless a port is given)."""
    command = [
        str(Path(sys.executable).parent / "referrals"),
        "worker",
        "--processes",
        str(processes),
        "--threads",
        str(threads),
        "--metrics-port",
        str(metrics_port),
        "--notification-processes",
        str(notification_processes),
    ]
    log = open(log_file, "ab")  # noqa: SIM115 - the worker pool writes to it until it stops
    return subprocess.Popen(
        command, env=settings_environment(settings), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop_worker_pool(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def child_pids(parent: int) -> list[int]:
    """The pids of a process's children (the worker processes of a pool)."""
    path = Path(f"/proc/{parent}/task/{parent}/children")
    return [int(pid) for pid in path.read_text().split()] if path.exists() else []


def wait_until(condition: Callable[[], bool], *, timeout_s: float, message: str) -> None:
    """Poll `condition` until it holds (the pipeline runs in other processes; there is nothing to join)."""
    if not poll(condition, timeout_s=timeout_s):
        raise AssertionError(f"timed out after {timeout_s}s waiting for: {message}")


def poll(condition: Callable[[], bool], *, timeout_s: float, every_s: float = 0.2) -> bool:
    """True as soon as `condition` holds, False if it still does not after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every_s)
    return False
