"""Intake: signed Shopify order webhooks at full speed against `referrals api` and against a body-only endpoint,
then at a fixed 500 requests/s for latency. No workers run: this is the webhook path alone."""
from __future__ import annotations

import itertools

from bench.config import Config
from bench.load import closed_loop, fixed_rate
from bench.orders import order_requests, seed_referrers
from bench.profiling import sampled
from bench.stack import Stack, api, bare_api, product_stack

WARMUP_SECONDS = 1.5
HEADROOM_RPS = 2_500  # requests made ahead for a closed-loop run: more than the intake can take in the time


def run(config: Config) -> dict:
    with product_stack("intake", config.log_dir) as stack:
        codes = seed_referrers(stack, config.referrers)
        with bare_api(stack) as (_, port):
            bare = _saturate(port, itertools.cycle(order_requests(codes, 2_000, run="bare")), config)
        with api(stack) as (process, port), sampled(process.pid, "intake-api", config):
            intake = _saturate(port, iter(order_requests(codes, _capacity(config), run="max")), config)
            steady = _fixed_rate(port, codes, config)
    return {"intake_rps": intake["rps"], "intake_bare_rps": bare["rps"],
            "intake_ratio": round(intake["rps"] / bare["rps"], 3) if bare["rps"] else None,
            "intake_p99_ms": steady["p99_ms"],
            "detail": {"bare_closed_loop": bare, "intake_closed_loop": intake, f"intake_fixed_{config.fixed_rate}_rps": steady,
                       "connections": config.connections, "workers_running": False}}


def _capacity(config: Config) -> int:
    return int((config.intake_seconds + WARMUP_SECONDS) * HEADROOM_RPS)


def _saturate(port: int, requests, config: Config) -> dict:
    closed_loop(port, requests, connections=config.connections, duration_s=WARMUP_SECONDS)
    return closed_loop(port, requests, connections=config.connections, duration_s=config.intake_seconds).summary()


def _fixed_rate(port: int, codes: list[str], config: Config) -> dict:
    count = int(config.fixed_rate * config.fixed_rate_seconds)
    requests = order_requests(codes, count, first=10_000_000, run="steady")
    return fixed_rate(port, requests, rate=config.fixed_rate).summary()
