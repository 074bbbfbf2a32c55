"""How big each benchmark is: the full run, or `--quick` (under three minutes in all)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Config:
    quick: bool
    log_dir: Path
    profile: bool = False
    # intake
    intake_seconds: float = 15.0
    connections: int = 32
    fixed_rate: int = 500
    fixed_rate_seconds: float = 15.0
    api_workers: int = (
        2  # `referrals api --workers N`, one per core as docs/deployment.md advises; the bare endpoint too
    )
    # end to end, no-op ceiling, memory
    processes: int = 2
    threads: int = 4
    # latency: `referrals worker --notification-processes K` (emails in their own lower-priority process); the
    # end-to-end run keeps every process doing everything, the same pool as the no-op actor's
    notification_processes: int = 1
    e2e_orders: int = 5_000
    referrers: int = 10
    e2e_timeout_s: float = 900.0
    noop_messages: int = 20_000
    # latency
    latency_rate: int = 100
    latency_lower_rate: int = 50
    latency_seconds: float = 30.0
    # batching: what set-based writes would save PostgreSQL per order (same size in quick runs: about 20 s)
    batching_orders: int = 300
    batching_batch: int = 100
    # reads
    redemptions: int = 1_000_000
    activities: int = 5_000_000
    read_repeats: int = 100
    # pages: requests per dashboard page after the warm-up
    page_repeats: int = 50

    @classmethod
    def for_run(cls, *, quick: bool, log_dir: Path, profile: bool = False, notification_processes: int = 1) -> Config:
        if not quick:
            return cls(quick=False, log_dir=log_dir, profile=profile, notification_processes=notification_processes)
        return cls(
            quick=True,
            log_dir=log_dir,
            profile=profile,
            notification_processes=notification_processes,
            intake_seconds=5.0,
            fixed_rate_seconds=5.0,
            e2e_orders=600,
            e2e_timeout_s=120.0,
            noop_messages=5_000,
            latency_seconds=8.0,
            redemptions=100_000,
            activities=500_000,
            read_repeats=30,
            page_repeats=20,
        )
