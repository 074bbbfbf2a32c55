"""What processing events in batches would buy: the PostgreSQL CPU an order's rows cost when `process_event` writes
them one event per transaction (the pipeline today), against the same rows written set-based, `batch` orders per
transaction with one multi-row INSERT per table, the inbox rows marked in one UPDATE and the codes locked once.

The set-based figure is a floor for a batched pipeline, not a design: it leaves out the reads such a pipeline would
still make (a handful of statements per batch, not per order). It says how much of PostgreSQL's share of an order
is per-statement and per-transaction overhead, which batching removes, and how much is the rows themselves
(indexes, foreign keys, the counter triggers), which it cannot. Same rows, same schema, same triggers.

    bench/run --only batching
"""

from __future__ import annotations

import gc
import warnings
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import Engine, bindparam, create_engine, delete, func, insert, select, update
from sqlalchemy.pool import NullPool

from api.app import create_app
from app.pipeline.events import process_event
from bench.config import Config
from bench.cpu import backends_of, metered
from bench.infra import in_process_runtime
from bench.orders import seed_referrers
from bootstrap.runtime import Runtime
from db.models import Base, Code, InboundEvent
from domain.model import EventStatus
from tests.support.pipeline import body_of, shopify_headers, shopify_order

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's TestClient warns about httpx on import
    from fastapi.testclient import TestClient

# What a referral order writes, parents before children (the order the set-based pass inserts them in).
WRITTEN = (
    "customers",
    "orders",
    "redemptions",
    "referrals",
    "reward_redemptions",
    "ledger_entries",
    "distributions",
    "activities",
)
REFERRERS = 10


@dataclass(frozen=True)
class Written:
    """The rows one pass of orders wrote, by table, and when each of its events started (its rows' lower bound)."""

    rows: dict[str, list[dict]]
    started: list[datetime]


def run(config: Config) -> dict:
    with in_process_runtime("batching") as runtime:
        return _compare(runtime, config.batching_orders, config.batching_batch)


def _compare(runtime: Runtime, orders: int, batch: int) -> dict:
    codes = seed_referrers(SimpleNamespace(runtime=runtime), REFERRERS)
    with TestClient(create_app(runtime)) as client:
        _process(runtime, _post(client, codes, first=1, count=orders))  # warms caches, plans and prepared statements
        event_ids = _post(client, codes, first=1_000_001, count=orders)
    postgres = {"postgres": backends_of(_measuring_engine(runtime.engine))}
    gc.collect()
    gc.freeze()
    with metered(postgres) as per_event:
        _process(runtime, event_ids)
    written = _take_back(runtime.engine, event_ids)
    with metered(postgres) as set_based:
        _write_set_based(runtime.engine, written, event_ids, batch)
    _check_rewritten(runtime.engine, written)
    per_event_ms, set_based_ms = (reading.per_unit_ms(orders)["postgres"] for reading in (per_event, set_based))
    return {
        "pg_cpu_ms_per_order": per_event_ms,
        "pg_cpu_ms_per_order_set_based": set_based_ms,
        "detail": {
            "orders": orders,
            "batch": batch,
            "rows_per_order": _rows_per_order(written, orders),
            "postgres_cpu_ms_per_order": {"per_event_today": per_event_ms, "set_based_writes": set_based_ms},
            "set_based_share": round(set_based_ms / per_event_ms, 2) if per_event_ms else None,
            "note": "same rows; the set-based pass leaves out a batched pipeline's reads (a few per batch)",
        },
    }


def _post(client: TestClient, codes: list[str], *, first: int, count: int) -> list[str]:
    """`count` signed Shopify orders, each a new referee of one of the referrers; their inbox event ids."""
    ids = []
    for number in range(first, first + count):
        body = body_of(shopify_order(number, code=codes[number % len(codes)], email=f"friend{number}@example.com"))
        response = client.post(
            "/webhooks/shopify", content=body, headers=shopify_headers(body, webhook_id=f"batching-{number}")
        )
        assert response.status_code == 202, response.text
        ids.append(response.json()["event_id"])
    return ids


def _process(runtime: Runtime, event_ids: list[str]) -> None:
    """Today's pipeline step, one event per transaction (its follow-ups are dropped: no emails here)."""
    for event_id in event_ids:
        with runtime.pipeline_units(send_after_commit=False) as uow:
            process_event(uow, event_id)


def _measuring_engine(engine: Engine) -> Engine:
    """Its own connection for finding the backends, so the one doing the work is measured, not skipped."""
    return create_engine(engine.url, poolclass=NullPool)


def _take_back(engine: Engine, event_ids: list[str]) -> Written:
    """Read the rows the events wrote, delete them and reopen the events, as if they had never been processed."""
    tables = Base.metadata.tables
    with engine.begin() as connection:
        started = dict(
            connection.execute(
                select(InboundEvent.id, InboundEvent.processed_at).where(InboundEvent.id.in_(event_ids))
            ).all()
        )
        since = min(started.values())
        rows = {
            name: [
                dict(row._mapping)
                for row in connection.execute(
                    select(tables[name]).where(tables[name].c.created_at >= since).order_by(tables[name].c.created_at)
                )
            ]
            for name in WRITTEN
        }
        for name in reversed(WRITTEN):
            connection.execute(delete(tables[name]).where(tables[name].c.created_at >= since))
        connection.execute(
            update(InboundEvent)
            .where(InboundEvent.id.in_(event_ids))
            .values(status=EventStatus.RECEIVED, processed_at=None)
        )
        connection.execute(update(Code).values(redeemed_count=Code.redeemed_count - len(event_ids) // REFERRERS))
    return Written(rows, [started[event_id] for event_id in event_ids])


def _write_set_based(engine: Engine, written: Written, event_ids: list[str], batch: int) -> None:
    """The same rows again, `batch` events per transaction: an event's rows were all written after it started."""
    tables = Base.metadata.tables
    for first in range(0, len(event_ids), batch):
        low = written.started[first]
        high = written.started[first + batch] if first + batch < len(event_ids) else None
        with engine.begin() as connection:
            connection.execute(
                update(InboundEvent)
                .where(InboundEvent.id.in_(event_ids[first : first + batch]))
                .values(status=EventStatus.PROCESSED, processed_at=func.now())
            )
            connection.execute(select(Code.id).order_by(Code.id).with_for_update()).all()
            for name in WRITTEN:
                chunk = [
                    row
                    for row in written.rows[name]
                    if row["created_at"] >= low and (high is None or row["created_at"] < high)
                ]
                if (
                    chunk
                ):  # with RETURNING, SQLAlchemy sends one multi-row INSERT … VALUES per chunk ("insertmanyvalues")
                    table = tables[name]
                    connection.execute(insert(table).returning(*table.primary_key.columns), chunk).all()
            connection.execute(
                update(Code).values(redeemed_count=Code.redeemed_count + bindparam("per_code")),
                {"per_code": len(event_ids[first : first + batch]) // REFERRERS},
            )


def _check_rewritten(engine: Engine, written: Written) -> None:
    """The set-based pass must have written every row back (a chunking mistake would flatter it)."""
    tables = Base.metadata.tables
    with engine.connect() as connection:
        counts = {
            name: connection.scalar(select(func.count()).where(tables[name].c.created_at >= written.started[0]))
            for name in WRITTEN
        }
    expected = {name: len(rows) for name, rows in written.rows.items()}
    if counts != expected:
        raise RuntimeError(f"the set-based pass wrote {counts}, not the {expected} taken back")


def _rows_per_order(written: Written, orders: int) -> dict[str, float]:
    return {name: round(len(rows) / orders, 2) for name, rows in written.rows.items()}
