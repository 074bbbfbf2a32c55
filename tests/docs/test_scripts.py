"""scripts/lib.sh: the interpreter probe is quiet about versions a machine lacks, and a start installs nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.embedded import REPO


def lib(call: str, *, path: str | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": path} if path else None
    return subprocess.run(
        ["bash", "-c", f"source scripts/lib.sh && {call}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def shim(folder: Path, name: str, script: str) -> None:
    (folder / name).write_text(f"#!/bin/sh\n{script}\n")
    (folder / name).chmod(0o755)


def test_the_probe_asks_python3_first_and_says_nothing_of_missing_versions(tmp_path):
    missing = 'echo "pyenv: $(basename "$0"): command not found" >&2; exit 127'
    for name in ("python3.13", "python3.12"):
        shim(tmp_path, name, missing)
    shim(tmp_path, "python3", f'exec {sys.executable} "$@"')
    found = lib("python_bin", path=f"{tmp_path}:/usr/bin:/bin")
    assert (found.returncode, found.stdout.strip(), found.stderr) == (0, "python3", "")


def test_an_old_python3_falls_back_quietly_to_a_versioned_one(tmp_path):
    shim(tmp_path, "python3", "exit 1")
    shim(tmp_path, "python3.13", 'echo "pyenv: python3.13: command not found" >&2; exit 127')
    shim(tmp_path, "python3.12", f'exec {sys.executable} "$@"')
    found = lib("python_bin", path=f"{tmp_path}:/usr/bin:/bin")
    assert (found.returncode, found.stdout.strip(), found.stderr) == (0, "python3.12", "")


def test_a_start_with_the_venv_in_sync_installs_nothing_and_prints_nothing():
    assert lib('ensure_venv "[test]"').returncode == 0
    again = lib('ensure_venv "[test]"')
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
