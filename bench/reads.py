"""Dashboard reads at scale: the db/queries functions behind GET /api/v1/campaigns/{id}/summary, /redemptions and
/activity, timed in-process (session, query, serialisation) on the largest seeded campaign."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, event, select, text
from sqlalchemy.orm import Session

from api.pagination import PageParams, paginate
from bench.config import Config
from bench.load import percentile
from bench.seed_reads import Plan, seed
from bench.stack import product_stack
from db.models import Redemption
from db.queries import Listing, lists
from db.queries import campaigns as campaign_queries
from db.types import utcnow

PAGE = 50
ACTIVITY_CATEGORY = "redemption"
ACTIVITY_WINDOW = timedelta(days=7)
TARGET_MS = 50.0
SLOW_STATEMENT_MS = 5.0

Query = Callable[[Session], Any]


def run(config: Config) -> dict:
    with product_stack("reads", config.log_dir) as stack:
        engine, session_factory = stack.runtime.engine, stack.runtime.session_factory
        timings = seed(engine, Plan(config.redemptions, config.activities), echo=lambda line: None)
        with session_factory() as session:
            queries = dashboard_queries(session)
        results = {name: _measure(session_factory, query, config.read_repeats) for name, query in queries.items()}
        slow = {
            name: _slow_statements(engine, queries[name]) for name in results if results[name]["p95_ms"] > TARGET_MS
        }
    return {
        "reads_p95_ms": max(result["p95_ms"] for result in results.values()),
        "detail": {
            "redemptions": config.redemptions,
            "activities": config.activities,
            "repeats": config.read_repeats,
            "seed_seconds": timings,
            "queries": results,
            "plans_over_target": slow,
        },
    }


def dashboard_queries(session: Session) -> dict[str, Query]:
    """The dashboard's reads for the campaign with the most redemptions."""
    campaign_id = session.scalar(text("SELECT campaign_id FROM redemptions GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"))
    middle = session.scalar(
        select(Redemption.id)
        .where(Redemption.campaign_id == campaign_id)
        .order_by(Redemption.id.desc())
        .offset(_count(session, campaign_id) // 2)
        .limit(1)
    )
    now = utcnow()
    return {
        "overview": lambda s: campaign_queries.summary(s, campaign_id),
        "top_5_referrers": lambda s: campaign_queries.top_referrers(s, campaign_id),
        "redemptions_first_page": lambda s: _page(
            s, lists.redemptions(s, campaign_id=campaign_id), PageParams(PAGE, None, None, None)
        ),
        "redemptions_cursor_page": lambda s: _page(
            s, lists.redemptions(s, campaign_id=campaign_id), PageParams(PAGE, middle, None, None)
        ),
        "activity_filter": lambda s: _page(
            s,
            lists.activity(campaign_id=campaign_id, category=ACTIVITY_CATEGORY),
            PageParams(PAGE, None, now - ACTIVITY_WINDOW, now),
        ),
    }


def _count(session: Session, campaign_id: str) -> int:
    return session.scalar(text("SELECT count(*) FROM redemptions WHERE campaign_id = :c"), {"c": campaign_id})


def _page(session: Session, listing: Listing, params: PageParams) -> dict:
    """What api.v1.common.page does for one request."""
    return paginate(session, listing.query, listing.id_column, listing.date_column, params, listing.serialize)


def _measure(session_factory, query: Query, repeats: int) -> dict:
    with session_factory() as session:
        query(session)  # warm the connection and the plan cache
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        with session_factory() as session:
            query(session)
        samples.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": percentile(samples, 50), "p95_ms": percentile(samples, 95), "max_ms": percentile(samples, 100)}


def _slow_statements(engine, query: Query) -> list[str]:
    """EXPLAIN ANALYZE of each statement the query sends that runs over SLOW_STATEMENT_MS (to see what index is missing)."""
    with engine.connect() as connection:
        statements = _statements_sent(connection, query)
        plans = [_explain(connection, statement, parameters) for statement, parameters in statements]
    return [plan for plan in plans if _execution_ms(plan) > SLOW_STATEMENT_MS]


def _statements_sent(connection: Connection, query: Query) -> list[tuple[str, Any]]:
    sent: list[tuple[str, Any]] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:
        sent.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", capture)
    try:
        query(Session(bind=connection))
    finally:
        event.remove(connection, "before_cursor_execute", capture)
    return sent


def _explain(connection: Connection, statement: str, parameters: Any) -> str:
    cursor = connection.connection.cursor()
    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
    return "\n".join(row[0] for row in cursor.fetchall())


def _execution_ms(plan: str) -> float:
    line = next((line for line in plan.splitlines() if line.startswith("Execution Time:")), "Execution Time: 0 ms")
    return float(line.split()[2])
