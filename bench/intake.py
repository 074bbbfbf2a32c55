"""Intake: signed Shopify order webhooks at full speed against `referrals api` and against a body-only endpoint,
then at a fixed 500 requests/s for latency. No workers run: this is the webhook path alone."""

from __future__ import annotations

import itertools

from bench.config import Config
from bench.cpu import backends_of, database_counters, metered, this_process, tree
from bench.load import closed_loop, fixed_rate
from bench.orders import order_requests, seed_referrers
from bench.profiling import sampled
from bench.stack import api, bare_api, product_stack

WARMUP_SECONDS = 1.5
HEADROOM_RPS = 2_500  # requests made ahead for a closed-loop run: more than the intake can take in the time


def run(config: Config) -> dict:
    with product_stack("intake", config.log_dir) as stack:
        codes = seed_referrers(stack, config.referrers)
        with bare_api(stack, config.api_workers) as (process, port):
            bare = _saturate(
                port,
                itertools.cycle(order_requests(codes, 2_000, run="bare")),
                config,
                {"bare": tree(process.pid), "load_generator": this_process},
            )
        with api(stack, config.api_workers) as (process, port), sampled(process.pid, "intake-api", config):
            intake = _saturate(
                port,
                iter(order_requests(codes, _capacity(config), run="max")),
                config,
                {
                    "api": tree(process.pid),
                    "postgres": backends_of(stack.runtime.engine),
                    "load_generator": this_process,
                },
                database_counters(stack.runtime.engine),
            )
            steady = _fixed_rate(port, codes, config)
    return {
        "intake_rps": intake["rps"],
        "intake_bare_rps": bare["rps"],
        "intake_ratio": round(intake["rps"] / bare["rps"], 3) if bare["rps"] else None,
        "intake_p99_ms": steady["p99_ms"],
        "detail": {
            "bare_closed_loop": bare,
            "intake_closed_loop": intake,
            f"intake_fixed_{config.fixed_rate}_rps": steady,
            "connections": config.connections,
            "workers_running": False,
        },
    }


def _capacity(config: Config) -> int:
    return int((config.intake_seconds + WARMUP_SECONDS) * HEADROOM_RPS)


def _saturate(port: int, requests, config: Config, components: dict, counters: dict | None = None) -> dict:
    """Warm up, then the measured closed-loop run with the CPU each part spent per request."""
    closed_loop(port, requests, connections=config.connections, duration_s=WARMUP_SECONDS)
    with metered(components, counters) as cpu:
        outcome = closed_loop(port, requests, connections=config.connections, duration_s=config.intake_seconds)
    return outcome.summary() | {"cpu": cpu.summary(len(outcome.latencies_ms), "request")}


def _fixed_rate(port: int, codes: list[str], config: Config) -> dict:
    count = int(config.fixed_rate * config.fixed_rate_seconds)
    requests = order_requests(codes, count, first=10_000_000, run="steady")
    return fixed_rate(port, requests, rate=config.fixed_rate).summary()
