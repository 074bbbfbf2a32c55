"""The one process launcher: a command in its own process group, logging to a file, ready when a probe says so."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.infra import ROOT


@dataclass
class Launched:
    name: str
    process: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def children(self) -> list[int]:
        """Direct children (the worker processes of a pool)."""
        path = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []


Probe = Callable[[Launched], bool]


def port_open(port: int) -> Probe:
    def probe(_: Launched) -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    return probe


def log_mentions(text: str, times: int = 1) -> Probe:
    return lambda launched: launched.log_text().count(text) >= times


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def launched(
    name: str, argv: list[str], *, env: Mapping[str, str], log_dir: Path, ready: Probe, timeout_s: float = 60.0
) -> Iterator[Launched]:
    """Run `argv` until the block ends; SIGTERM to the whole group then, SIGKILL if it lingers."""
    log_path = log_dir / f"{name}.log"
    with open(log_path, "wb") as log:  # a fresh log per launch: readiness probes read it
        process = subprocess.Popen(
            argv, cwd=ROOT, env={**_base_env(), **env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    running = Launched(name, process, log_path)
    try:
        _wait_ready(running, ready, timeout_s)
        yield running
    finally:
        stop(running)


def _base_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("REFERRALS_")}
    return env | {"PYTHONPATH": str(ROOT)}


def _wait_ready(running: Launched, ready: Probe, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise RuntimeError(
                f"{running.name} exited with {running.process.returncode}:\n{running.log_text()[-3000:]}"
            )
        if ready(running):
            return
        time.sleep(0.05)
    raise TimeoutError(f"{running.name} not ready after {timeout_s}s:\n{running.log_text()[-3000:]}")


def stop(running: Launched, timeout_s: float = 40.0) -> None:
    if running.process.poll() is not None:
        return
    os.killpg(running.pid, signal.SIGTERM)
    try:
        running.process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(running.pid, signal.SIGKILL)
        running.process.wait()


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM (peak resident set) of a live process, in MB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return None
    kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), None)
    return round(kb / 1024, 1) if kb is not None else None
