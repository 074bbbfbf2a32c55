"""End to end: referral orders posted to `referrals api` while `referrals worker` runs, until every reward, activity
row and email exists; beside it the drain rate of a no-op actor with the same processes and threads, and the
peak memory of the worker processes."""

from __future__ import annotations

import time

from bench import noop_worker
from bench.config import Config
from bench.cpu import backends_of, database_counters, metered, this_process, tree
from bench.load import closed_loop
from bench.orders import Expected, order_requests, seed_referrers, wait_until_finished
from bench.profiling import sampled
from bench.stack import Pipeline, Stack, noop_pool, pipeline, product_stack, worker_peak_rss


def run(config: Config) -> dict:
    with product_stack("e2e", config.log_dir) as stack:
        noop = noop_drain(stack, config)
        orders = _orders(stack, config)
    return {
        "e2e_orders_per_s": orders["orders_per_s"],
        "noop_msgs_per_s": noop["msgs_per_s"],
        "e2e_vs_noop": round(orders["orders_per_s"] / noop["msgs_per_s"], 3) if noop["msgs_per_s"] else None,
        "worker_rss_mb": max(orders["worker_peak_rss_mb"], default=None),
        "detail": {"orders": orders, "noop": noop},
    }


def noop_drain(stack: Stack, config: Config) -> dict:
    """Fill the no-op queue first, then time the workers emptying it (from the first ack to the last)."""
    broker = noop_worker.build_broker(stack.redis_url)
    noop_worker.fill(broker, config.noop_messages)
    with noop_pool(stack, processes=config.processes, threads=config.threads):
        first_seen, left_then, done = _watch_drain(broker)
    broker.close()
    rate = left_then / (done - first_seen) if done > first_seen else None
    return {
        "messages": config.noop_messages,
        "measured": left_then,
        "seconds": round(done - first_seen, 3),
        "msgs_per_s": round(rate, 1) if rate else None,
        "processes": config.processes,
        "threads": config.threads,
    }


def _watch_drain(broker, timeout_s: float = 300.0) -> tuple[float, int, float]:
    deadline = time.perf_counter() + timeout_s
    total = noop_worker.messages_left(broker)
    left = total
    while left == total and time.perf_counter() < deadline:
        time.sleep(0.002)
        left = noop_worker.messages_left(broker)
    first_seen, left_then = time.perf_counter(), left
    while left and time.perf_counter() < deadline:
        time.sleep(0.005)
        left = noop_worker.messages_left(broker)
    return first_seen, left_then, time.perf_counter()


def _orders(stack: Stack, config: Config) -> dict:
    codes = seed_referrers(stack, config.referrers)
    requests = order_requests(codes, config.e2e_orders, run="e2e")
    expected = Expected.of(config.e2e_orders, config.referrers)
    with (
        pipeline(stack, config) as product,
        sampled(product.workers.pid, "e2e-workers", config),
        metered(_components(stack, product), database_counters(stack.runtime.engine)) as cpu,
    ):
        started = time.perf_counter()
        posted = closed_loop(product.port, requests, connections=config.connections).summary()
        counts, complete = wait_until_finished(stack, expected, started + config.e2e_timeout_s)
        elapsed = time.perf_counter() - started
        peaks = worker_peak_rss(product.workers)
    return {
        "orders": config.e2e_orders,
        "referrers": config.referrers,
        "complete": complete,
        "seconds": round(elapsed, 2),
        "orders_per_s": round(config.e2e_orders / elapsed, 1) if complete else None,
        "posting": posted,
        "produced": counts,
        "expected": vars(expected),
        "worker_peak_rss_mb": peaks,
        "cpu": cpu.summary(config.e2e_orders, "order"),
    }


def _components(stack: Stack, product: Pipeline) -> dict:
    return {
        "api": tree(product.api.pid),
        "workers": tree(product.workers.pid),
        "postgres": backends_of(stack.runtime.engine),
        "load_generator_and_driver": this_process,
    }
