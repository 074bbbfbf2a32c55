"""Latency: referral orders at a fixed 100 per second; for each, webhook received (InboundEvent.received_at) to
pending reward written (Reward.created_at, stamped in the settling transaction just before it commits)."""
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
    count = int(config.latency_rate * config.latency_seconds)
    with product_stack("latency", config.log_dir) as stack:
        codes = seed_referrers(stack, config.referrers)
        requests = order_requests(codes, count, run="latency")
        with pipeline(stack, config, notification_processes=config.notification_processes) as product:
            posted = fixed_rate(product.port, requests, rate=config.latency_rate).summary()
            counts, complete = wait_until_finished(stack, Expected.of(count, config.referrers),
                                                    time.perf_counter() + SETTLE_TIMEOUT_S)
            peaks = worker_peak_rss(product.workers)
        latencies = reward_latencies_ms(stack)
    return {"reward_latency_p95_ms": percentile(latencies, 95),
            "detail": {"orders": count, "rate": config.latency_rate, "complete": complete,
                       "notification_processes": config.notification_processes, "rewards_measured": len(latencies),
                       "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
                       "p99_ms": percentile(latencies, 99), "max_ms": percentile(latencies, 100),
                       "http": posted, "produced": counts, "worker_peak_rss_mb": peaks}}


def reward_latencies_ms(stack: Stack) -> list[float]:
    """Per `each`-tier reward: milliseconds from its webhook's arrival to the reward row's creation."""
    query = (select(func.extract("epoch", Reward.created_at - InboundEvent.received_at) * 1000)
             .join(InboundEvent, InboundEvent.id == Reward.event_id).join(Tier, Tier.id == Reward.tier_id)
             .where(Tier.kind == "each"))
    with stack.runtime.session_factory() as session:
        return [float(value) for value in session.scalars(query)]
