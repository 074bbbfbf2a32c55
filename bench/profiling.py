"""`--profile`: py-spy samples a process tree while a benchmark drives it; the top frames are summarised.

The raw file (collapsed stacks) opens in speedscope.app or turns into a flame graph with flamegraph.pl.
"""
from __future__ import annotations

import signal
from collections import Counter
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Iterator

from bench.config import Config
from bench.infra import VENV_BIN
from bench.launcher import launched, stop

SAMPLES_PER_SECOND = 100
TOP = 25


def sampled(pid: int, name: str, config: Config):
    """Sample `pid` and its children while the block runs (only with --profile)."""
    return _recording(pid, name, config) if config.profile else nullcontext()


@contextmanager
def _recording(pid: int, name: str, config: Config) -> Iterator[None]:
    out_dir = config.log_dir.parent / "profiles"
    out_dir.mkdir(parents=True, exist_ok=True)
    raw = out_dir / f"{name}.collapsed.txt"
    argv = [str(VENV_BIN / "py-spy"), "record", "--pid", str(pid), "--subprocesses", "--function", "--nonblocking",
            "--rate", str(SAMPLES_PER_SECOND), "--format", "raw", "--output", str(raw)]
    with launched(f"py-spy-{name}", argv, env={}, log_dir=config.log_dir, ready=lambda _: True) as recorder:
        try:
            yield
        finally:
            recorder.process.send_signal(signal.SIGINT)
            recorder.process.wait(timeout=60)
            stop(recorder)
    (out_dir / f"{name}.top.txt").write_text(summarise(raw))


def summarise(raw: Path) -> str:
    """The frames with the most samples, inclusive (anywhere on the stack) and self (at the top)."""
    inclusive, own, total = Counter(), Counter(), 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        frames, samples = stack.split(";"), int(count)
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames[1:]):  # the first frame names the process/thread
            inclusive[frame] += samples
    return f"{total} samples\n\n" + _table("inclusive", inclusive, total) + "\n" + _table("self", own, total)


def _table(title: str, counts: Counter, total: int) -> str:
    rows = [f"{100 * samples / total:6.1f}%  {frame}" for frame, samples in counts.most_common(TOP)]
    return f"== {title}\n" + "\n".join(rows) + "\n"
