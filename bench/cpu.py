"""CPU time spent by each part of the system during a measurement, from /proc: it shows what a request or an order
costs on its own, whatever else shares the machine (wall-clock rates do not)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

TICKS = os.sysconf("SC_CLK_TCK")
Pids = Callable[[], list[int]]


def tree(pid: int) -> Pids:
    """`pid` and all its descendants, found again at each reading."""

    def pids() -> list[int]:
        found, todo = [], [pid]
        while todo:
            current = todo.pop()
            found.append(current)
            for task in Path(f"/proc/{current}/task").glob("*/children"):
                todo += [int(child) for child in _read(task).split()]
        return found

    return pids


def backends_of(engine) -> Pids:
    """The PostgreSQL server processes serving the engine's database."""

    def pids() -> list[int]:
        with engine.connect() as connection:
            return list(connection.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")))

    return pids


def database_counters(engine) -> dict[str, Callable[[], int]]:
    """PostgreSQL's counters for the engine's database: connections opened (a pool that keeps reconnecting shows
    here), transactions committed and rolled back."""

    def counter(column: str) -> Callable[[], int]:
        def count() -> int:
            with engine.connect() as connection:
                return connection.scalar(
                    text(f"SELECT {column} FROM pg_stat_database WHERE datname = current_database()")
                )

        return count

    return {
        "pg_sessions_opened": counter("sessions"),
        "pg_commits": counter("xact_commit"),
        "pg_rollbacks": counter("xact_rollback"),
    }


@dataclass
class Reading:
    """CPU seconds per component over the block, how busy the whole machine was, and how far counters moved.

    PostgreSQL backends that exit during the block take their CPU time with them: with connection churn
    (`pg_sessions_opened`) the postgres figure is a lower bound."""

    seconds: dict[str, float] = field(default_factory=dict)
    counted: dict[str, int] = field(default_factory=dict)
    machine_busy: float = 0.0
    wall: float = 0.0

    def per_unit_ms(self, units: int) -> dict[str, float]:
        return {name: round(1000 * value / units, 3) for name, value in self.seconds.items()} if units else {}

    def summary(self, units: int, unit: str) -> dict:
        cores = os.cpu_count() or 1
        ours = sum(self.seconds.values())
        return {
            f"cpu_ms_per_{unit}": self.per_unit_ms(units),
            f"cpu_ms_per_{unit}_total": round(1000 * ours / units, 3) if units else None,
            "machine_busy_pct": round(100 * self.machine_busy / (self.wall * cores), 1) if self.wall else None,
            "measured_processes_pct_of_machine": round(100 * ours / (self.wall * cores), 1) if self.wall else None,
            **{f"{name}_per_{unit}": round(value / units, 2) for name, value in self.counted.items() if units},
        }


@contextmanager
def metered(components: dict[str, Pids], counters: dict[str, Callable[[], int]] | None = None) -> Iterator[Reading]:
    reading, counters = Reading(), counters or {}
    before = {name: _per_pid(pids()) for name, pids in components.items()}
    counts_before = {name: count() for name, count in counters.items()}
    busy_before, wall_before = _machine()
    yield reading
    busy_after, wall_after = _machine()
    reading.counted = {name: count() - counts_before[name] for name, count in counters.items()}
    for name, pids in components.items():
        after = _per_pid(pids())
        reading.seconds[name] = round(sum(value - before[name].get(pid, 0.0) for pid, value in after.items()), 3)
    reading.machine_busy, reading.wall = busy_after - busy_before, (wall_after - wall_before) / (os.cpu_count() or 1)


def _per_pid(pids: list[int]) -> dict[int, float]:
    return {pid: seconds for pid in pids if (seconds := _cpu_seconds(pid)) is not None}


def _cpu_seconds(pid: int) -> float | None:
    stat = _read(Path(f"/proc/{pid}/stat"))
    if not stat:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def _machine() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores added up."""
    values = [int(value) for value in _read(Path("/proc/stat")).splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICKS, sum(values) / TICKS


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def this_process() -> list[int]:
    return [os.getpid()]
