"""`referrals up` as a user runs it: a child process in a folder of its own (its var/ there), on a free port."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.processes import wait_until
from tests.support.servers import unused_port

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Embedded:
    url: str
    folder: Path
    process: subprocess.Popen
    log: Path

    def banner(self) -> str:
        return self.log.read_text()


def project_folder(folder: Path) -> Path:
    """A folder that looks like a clone with its `.venv` (the running one's), so README steps run there as written."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".venv").symlink_to(Path(sys.executable).parent.parent)
    return folder


def clean_environment() -> dict[str, str]:
    """This environment without REFERRALS_* settings: the embedded default, as on a fresh machine."""
    return {key: value for key, value in os.environ.items() if not key.startswith("REFERRALS_")} | {"COLUMNS": "80"}


@contextmanager
def running_up(folder: Path) -> Iterator[Embedded]:
    """`.venv/bin/referrals up --port N` in `folder`; ready once it answers /readyz; stopped with Ctrl+C (SIGINT)."""
    port, log = unused_port(), folder / "up.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [".venv/bin/referrals", "up", "--port", str(port), "--threads", "2"],
            cwd=folder,
            env=clean_environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    embedded = Embedded(f"http://127.0.0.1:{port}", folder, process, log)
    try:
        wait_until(lambda: _ready(embedded), timeout_s=60, message=f"referrals up on port {port}")
        yield embedded
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ready(embedded: Embedded) -> bool:
    if embedded.process.poll() is not None:
        raise AssertionError(f"referrals up exited {embedded.process.returncode}:\n{embedded.banner()}")
    try:
        return httpx.get(f"{embedded.url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def server_file(embedded: Embedded) -> dict:
    return json.loads((embedded.folder / "var" / "server.json").read_text())
