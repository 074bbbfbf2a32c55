"""Latency: referral orders at a fixed 100 per second (and, for comparison, 50); for each, webhook received
(InboundEvent.received_at) to pending reward written (Reward.created_at, stamped in the settling transaction just
before it commits)."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from bench.config import Config
from bench.load import fixed_rate, percentile
from bench.orders import Expected, order_requests, seed_referrers, wait_until_finished
from bench.stack import Stack, pipeline, product_stack, worker_peak_rss
from db.models import InboundEvent, Reward, Tier

SETTLE_TIMEOUT_S = 300.0


def run(config: Config) -> dict:
    """At the target rate, and at a lower one: where the target is missed, the second says whether the reward path
    is slow or the machine is simply past what it sustains at that rate (then the delay grows through the run)."""
    target = _at_rate(config, config.latency_rate)
    lower = _at_rate(config, config.latency_lower_rate)
    return {
        "reward_latency_p95_ms": target["p95_ms"],
        "detail": target | {f"at_{config.latency_lower_rate}_per_s": lower},
    }


def _at_rate(config: Config, rate: int) -> dict:
    count = int(rate * config.latency_seconds)
    with product_stack("latency", config.log_dir) as stack:
        codes = seed_referrers(stack, config.referrers)
        requests = order_requests(codes, count, run=f"latency-{rate}")
        with pipeline(stack, config, notification_processes=config.notification_processes) as product:
            posted = fixed_rate(product.port, requests, rate=rate).summary()
            counts, complete = wait_until_finished(
                stack, Expected.of(count, config.referrers), time.perf_counter() + SETTLE_TIMEOUT_S
            )
            peaks = worker_peak_rss(product.workers)
        latencies = reward_latencies_ms(stack)
    return {
        "orders": count,
        "rate": rate,
        "complete": complete,
        "notification_processes": config.notification_processes,
        "rewards_measured": len(latencies),
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "max_ms": percentile(latencies, 100),
        "p95_ms_by_fifth_of_the_run": _p95_by_fifth(latencies),
        "http": posted,
        "produced": counts,
        "worker_peak_rss_mb": peaks,
    }


def _p95_by_fifth(latencies_in_arrival_order: list[float]) -> list[float | None]:
    """Steady if these stay level; growing when orders arrive faster than the workers finish them."""
    count = len(latencies_in_arrival_order)
    return [
        percentile(latencies_in_arrival_order[count * fifth // 5 : count * (fifth + 1) // 5], 95) for fifth in range(5)
    ]


def reward_latencies_ms(stack: Stack) -> list[float]:
    """Per `each`-tier reward, in the order the webhooks arrived: milliseconds from arrival to the reward row."""
    query = (
        select(func.extract("epoch", Reward.created_at - InboundEvent.received_at) * 1000)
        .join(InboundEvent, InboundEvent.id == Reward.event_id)
        .join(Tier, Tier.id == Reward.tier_id)
        .where(Tier.kind == "each")
        .order_by(InboundEvent.received_at)
    )
    with stack.runtime.session_factory() as session:
        return [float(value) for value in session.scalars(query)]
