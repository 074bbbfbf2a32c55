"""The targets of SPEC §8, the results table and the JSON file."""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Target:
    figure: str
    label: str
    bound: float | None = None
    better: Callable[[float, float], bool] = operator.ge
    unit: str = ""

    def text(self) -> str:
        if self.bound is None:
            return "(reference)"
        return f"{'≥' if self.better is operator.ge else '≤'} {self.bound:g}{self.unit}"

    def verdict(self, value: Any) -> str:
        if self.bound is None:
            return ""
        if value is None:
            return "n/a"
        return "pass" if self.better(value, self.bound) else "FAIL"


LE = operator.le
TARGETS = (
    Target("intake_rps", "intake, signed webhooks (req/s)"),
    Target("intake_bare_rps", "bare ASGI endpoint, same load (req/s)"),
    Target("intake_ratio", "intake / bare", 0.2),
    Target("intake_p99_ms", "intake p99 at 500 req/s", 50, LE, " ms"),
    Target("e2e_orders_per_s", "end to end (referral orders/s)", 500),
    Target("noop_msgs_per_s", "no-op dramatiq actor (msgs/s)"),
    Target("e2e_vs_noop", "end to end / no-op", 0.25),
    Target("reward_latency_p95_ms", "webhook → pending reward p95 at 100/s", 100, LE, " ms"),
    Target("reads_p95_ms", "dashboard reads, worst p95", 50, LE, " ms"),
    Target("pages_p95_ms", "dashboard pages signed in, worst p95", 100, LE, " ms"),
    Target("worker_rss_mb", "worker process peak RSS", 150, LE, " MB"),
    Target("sql_statements_per_order", "SQL statements per referral order"),
    Target("pg_cpu_ms_per_order", "PostgreSQL CPU per order, one event per transaction", unit=" ms"),
    Target("pg_cpu_ms_per_order_set_based", "the same rows set-based, 100 orders per transaction", unit=" ms"),
)


def table(results: dict[str, Any]) -> str:
    rows = [("figure", "value", "target", "result")]
    rows += [(t.label, _shown(results.get(t.figure)), t.text(), t.verdict(results.get(t.figure))) for t in TARGETS]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _shown(value: Any) -> str:
    return "—" if value is None else f"{value:g}" if isinstance(value, (int, float)) else str(value)


def verdicts(results: dict[str, Any]) -> dict[str, str]:
    return {t.figure: t.verdict(results.get(t.figure)) for t in TARGETS if t.bound is not None}


def write(results: dict[str, Any], directory: Path, *, quick: bool) -> list[Path]:
    """latest.json, and quick.json or full.json beside it (so a quick run does not hide the last full one)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / "latest.json", directory / ("quick.json" if quick else "full.json")]
    for path in paths:
        path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return paths
