"""`--profile`: py-spy samples a process tree while a benchmark drives it; the top frames are summarised.

Two recordings per process tree: `wall` (every non-idle thread, so time waiting on PostgreSQL or a lock shows)
and `cpu` (only threads holding the GIL: where the Python time goes). The raw files (collapsed stacks) open in
speedscope.app or turn into a flame graph with flamegraph.pl; `<name>.<mode>.top.txt` lists the top frames.
"""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from pathlib import Path

from bench.config import Config
from bench.infra import ROOT, VENV_BIN
from bench.launcher import launched, stop

SAMPLES_PER_SECOND = 100
TOP = 30
MODES = {"wall": [], "cpu": ["--gil"]}


def sampled(pid: int, name: str, config: Config):
    """Sample `pid` and its children while the block runs (only with --profile)."""
    if not config.profile:
        return nullcontext()
    stack = ExitStack()
    for mode, options in MODES.items():
        stack.enter_context(_recording(pid, f"{name}.{mode}", options, config))
    return stack


@contextmanager
def _recording(pid: int, name: str, options: list[str], config: Config) -> Iterator[None]:
    out_dir = config.log_dir.parent / "profiles"
    out_dir.mkdir(parents=True, exist_ok=True)
    raw = out_dir / f"{name}.collapsed.txt"
    argv = [
        str(VENV_BIN / "py-spy"),
        "record",
        "--pid",
        str(pid),
        "--subprocesses",
        "--function",
        "--nonblocking",
        "--full-filenames",
        "--rate",
        str(SAMPLES_PER_SECOND),
        "--format",
        "raw",
        "--output",
        str(raw),
        *options,
    ]
    with launched(f"py-spy-{name}", argv, env={}, log_dir=config.log_dir, ready=lambda _: True) as recorder:
        try:
            yield
        finally:
            recorder.process.send_signal(signal.SIGINT)
            recorder.process.wait(timeout=60)
            stop(recorder)
    (out_dir / f"{name}.top.txt").write_text(summarise(raw))


def summarise(raw: Path) -> str:
    """The frames with the most samples: the project's own functions (inclusive), any function (inclusive), and
    where the samples were taken (self)."""
    inclusive, own, total = Counter(), Counter(), 0
    for line in raw.read_text().replace(f"{ROOT}/", "").splitlines():
        stack, _, count = line.rpartition(" ")
        frames, samples = [frame for frame in stack.split(";") if _is_function(frame)], int(count)
        if not frames:
            continue
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    project = Counter({frame: n for frame, n in inclusive.items() if _is_project(frame)})
    return (
        f"{total} samples\n\n"
        + _table("project functions, inclusive", project, total)
        + "\n"
        + _table("all functions, inclusive", inclusive, total)
        + "\n"
        + _table("self", own, total)
    )


def _is_function(frame: str) -> bool:
    """`name (file:line)`, not the `process <pid>:"<command line>"` frames py-spy puts first."""
    return frame.endswith(")") and not frame.startswith("process ")


def _is_project(frame: str) -> bool:
    location = frame.rpartition("(")[2]
    return not location.startswith(("/", "<", ".venv")) and "/" in location


def _table(title: str, counts: Counter, total: int) -> str:
    rows = [f"{100 * samples / total:6.1f}%  {frame}" for frame, samples in counts.most_common(TOP)]
    return f"== {title}\n" + "\n".join(rows) + "\n"
