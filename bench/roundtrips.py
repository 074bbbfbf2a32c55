"""Round trips per order: the SQL statements, commits and Redis messages each pipeline step sends for one referral
order, run in-process (stub broker, one worker thread, `.eml` outbox) against PostgreSQL.

    bench/run --only roundtrips          (also part of every run; cheap)
"""

from __future__ import annotations

import warnings
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

from dramatiq import Middleware, Worker
from sqlalchemy import event

from api.app import create_app
from bench.config import Config
from bench.infra import in_process_runtime
from tests.support.pipeline import body_of, shopify_headers, shopify_order
from tests.support.seed import EACH_CREDITS, FIVE_POINTS, seed_campaign

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's TestClient warns about httpx on import
    from fastapi.testclient import TestClient

INTAKE = "intake (POST /webhooks/shopify)"
SHOWN_CHARS = 110


class _Attribution(Middleware):
    """Names the actor whose message is being processed (one worker thread: one at a time)."""

    def __init__(self, counts: dict) -> None:
        self.counts, self.current = counts, INTAKE

    def before_process_message(self, broker, message):
        self.current = message.actor_name
        self.counts[message.actor_name]["messages"] += 1

    def before_enqueue(self, broker, message, delay):
        self.counts[self.current]["enqueued"] += 1


def run(config: Config) -> dict:
    with in_process_runtime("roundtrips") as runtime:
        per_step = _count_one_order(runtime)
    totals = Counter()
    for counts in per_step.values():
        totals.update({name: value for name, value in counts.items() if name != "sql"})
    return {
        "sql_statements_per_order": totals["statements"],
        "detail": {
            "per_step": per_step,
            "total": dict(totals),
            "orders": 1,
            "note": "the second order to a referrer (the first warms caches); rewards complete at once",
        },
    }


def _count_one_order(runtime) -> dict[str, dict[str, int]]:
    seeded = seed_campaign(runtime, tiers=[EACH_CREDITS, FIVE_POINTS])
    counts: dict[str, Counter] = defaultdict(Counter)
    attribution = _Attribution(counts)
    runtime.broker.add_middleware(attribution)
    with TestClient(create_app(runtime)) as client, _one_worker_thread(runtime.broker) as worker:
        _post_and_drain(client, runtime, worker, seeded.code, 1, attribution)
        counts.clear()
        with _counting(runtime.engine, counts, attribution) as counting:
            _post_and_drain(client, runtime, worker, seeded.code, 2, attribution)
    return {step: dict(values) | {"sql": counting.sent[step]} for step, values in counts.items()}


def _post_and_drain(
    client: TestClient, runtime, worker: Worker, code: str, number: int, attribution: _Attribution
) -> None:
    """The webhook first (the worker paused), then every message it leads to, one at a time."""
    worker.pause()
    attribution.current = INTAKE
    body = body_of(shopify_order(number, code=code, email=f"friend{number}@example.com"))
    response = client.post("/webhooks/shopify", content=body, headers=shopify_headers(body, webhook_id=f"rt-{number}"))
    assert response.status_code == 202, response.text
    worker.resume()
    for queue in list(runtime.broker.queues):
        runtime.broker.join(queue)


@contextmanager
def _one_worker_thread(broker) -> Iterator[Worker]:
    worker = Worker(broker, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


class _counting:
    """Counts statements and commits by the step running when they are sent."""

    def __init__(self, engine, counts: dict, attribution: _Attribution) -> None:
        self.engine, self.counts, self.attribution = engine, counts, attribution
        self.sent: dict[str, list[str]] = defaultdict(list)

    def statement(self, connection, cursor, statement: str, *args) -> None:
        self.counts[self.attribution.current]["statements"] += 1
        self.sent[self.attribution.current].append(" ".join(statement.split())[:SHOWN_CHARS])

    def commit(self, *args) -> None:
        self.counts[self.attribution.current]["commits"] += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self.statement)
        event.listen(self.engine, "commit", self.commit)
        return self

    def __exit__(self, *exc_info) -> None:
        event.remove(self.engine, "before_cursor_execute", self.statement)
        event.remove(self.engine, "commit", self.commit)
