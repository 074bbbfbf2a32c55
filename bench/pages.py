"""Every dashboard page at scale: the signed-in GET routes of api.dashboard.routers(), each through `referrals api`
with a real session cookie, on the read benchmark's seed (1M redemptions, 5M activity rows; `--quick` 100k/500k).

The seeded database is kept (`referrals_bench_pages_<redemptions>`, or BENCH_PAGES_DATABASE_URL) and seeded only when
it is not there yet, so a second run measures at once; migrations are applied every time (new indexes included).
Routes are discovered, not listed: a path parameter is filled from the seeded rows by its name (the names every
dashboard module uses); a route with a parameter this file does not know is reported as such, never skipped quietly.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi.routing import APIRoute
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api.dashboard import routers
from app import operators
from bench.config import Config
from bench.infra import POSTGRES_ADMIN_URL, private_redis_database
from bench.launcher import free_port
from bench.load import percentile
from bench.seed_reads import Plan, seed
from bench.stack import Stack, api, environment
from bootstrap.runtime import build_runtime
from config.settings import Settings
from db.migrate import upgrade
from db.queries.errors import Conflict

TARGET_MS = 100.0
WARM_UP = 5
SKIPPED_SUFFIXES = (".csv", ".svg", ".png")
SKIPPED_PATHS = ("/login",)
OPERATOR_EMAIL, OPERATOR_PASSWORD = "bench@example.com", "bench pages password"
SESSION_SECRET = "bench-pages-session-secret-of-32-chars!"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PARAMETER = re.compile(r"{(\w+)}")
OVERVIEW = "/campaigns/{campaign_id}"
RECOUNT_REPEATS = 20  # the overview with a window not counted in the last minute (reference, not the target)

# How each path parameter is filled: one row of the largest seeded campaign (":campaign_id" is bound)
PARAMETER_QUERIES = {
    "campaign_id": "SELECT :campaign_id",
    "code": "SELECT code FROM codes WHERE campaign_id = :campaign_id AND holder_id IS NOT NULL ORDER BY redeemed_count"
    " DESC, id LIMIT 1",
    "redemption_id": "SELECT id FROM redemptions WHERE campaign_id = :campaign_id ORDER BY id DESC LIMIT 1",
    "reward_id": "SELECT id FROM reward_redemptions WHERE campaign_id = :campaign_id ORDER BY id DESC LIMIT 1",
    "customer_id": "SELECT customer_id FROM campaign_referrers WHERE campaign_id = :campaign_id"
    " ORDER BY live_referrals DESC, customer_id LIMIT 1",
    "tier_id": "SELECT id FROM referral_tiers WHERE campaign_id = :campaign_id ORDER BY id LIMIT 1",
    "rule_id": "SELECT id FROM validation_rules WHERE campaign_id = :campaign_id ORDER BY id LIMIT 1",
    "distribution_id": "SELECT id FROM distributions WHERE campaign_id = :campaign_id ORDER BY id DESC LIMIT 1",
    "job_id": "SELECT id FROM failed_jobs ORDER BY id DESC LIMIT 1",
    "event_id": "SELECT id FROM inbound_events ORDER BY id DESC LIMIT 1",
}
# The seed has no rules, distributions, failed jobs or inbound events: a few rows each, so their pages have one
EXTRA_ROWS = (
    """INSERT INTO validation_rules (id, campaign_id, name, conditions, position, created_at)
       SELECT 'rule_seed' || c, 'camp_seed' || c, 'Orders of 50 or more', '{"order.amount": {"$gte": 5000}}', 0, now()
       FROM generate_series(0, 4) AS c ON CONFLICT DO NOTHING""",
    """INSERT INTO distributions (id, dedupe_key, campaign_id, customer_id, trigger, channel, recipient, template,
                                  status, attempts, context, created_at)
       SELECT 'dist_seed' || lpad(n::text, 21, '0'), 'seed:' || n, 'camp_seed' || (n % 5),
              'cust_seed' || lpad(n::text, 21, '0'), 'reward_created', 'email', 'c' || n || '@example.com',
              'reward_created', CASE WHEN n % 10 = 0 THEN 'failed' ELSE 'sent' END, 1, '{}', now() - n * interval '1 minute'
       FROM generate_series(1, 2000) AS n ON CONFLICT DO NOTHING""",
    """INSERT INTO failed_jobs (id, message_id, queue, actor, args, kwargs, options, error, failed_at)
       SELECT 'job_seed' || lpad(n::text, 21, '0'), 'msg-seed-' || n, 'default', 'process_event', '[]', '{}', '{}',
              'RuntimeError: seeded failure', now() - n * interval '1 minute'
       FROM generate_series(1, 200) AS n ON CONFLICT DO NOTHING""",
    """INSERT INTO inbound_events (id, source, external_id, topic, body, headers, status, attempts, received_at)
       SELECT 'evt_seed' || lpad(n::text, 21, '0'), 'native', 'seed-' || n, 'order.paid', '{}', '{}',
              CASE WHEN n % 20 = 0 THEN 'failed' ELSE 'processed' END, 1, now() - n * interval '1 second'
       FROM generate_series(1, 5000) AS n ON CONFLICT DO NOTHING""",
)


@dataclass(frozen=True)
class Page:
    """A dashboard GET route and the URL measured for it (None: a parameter could not be filled, see `problem`)."""

    route: str
    url: str | None
    problem: str | None = None
    recount: bool = False  # a new window each request: the overview's figures counted afresh every time


def run(config: Config) -> dict:
    database_url = _database_url(config)
    seed_seconds = _seeded(database_url, Plan(config.redemptions, config.activities))
    with _stack(database_url, config) as stack, api(stack, workers=1) as (_, port):
        pages = discover(stack.runtime.engine)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            _sign_in(client)
            results = {page.route: _measure(client, page, config.page_repeats) for page in pages}
            overview = next((page for page in pages if page.route == OVERVIEW and page.url), None)
            if overview is not None:
                recounted = Page(f"{OVERVIEW} recounted", overview.url, recount=True)
                results[recounted.route] = _measure(client, recounted, RECOUNT_REPEATS)
    _print(results)
    routes = {page.route for page in pages}
    measured = [result["p95_ms"] for route, result in results.items() if "p95_ms" in result and route in routes]
    return {
        "pages_p95_ms": max(measured, default=None),
        "detail": {
            "redemptions": config.redemptions,
            "activities": config.activities,
            "repeats": config.page_repeats,
            "seed_seconds": seed_seconds,
            "pages": results,
        },
    }


def discover(engine) -> list[Page]:
    """Every signed-in GET page of the dashboard with its path parameters filled from the seed."""
    with Session(engine) as session:
        campaign_id = session.scalar(
            text("SELECT campaign_id FROM redemptions GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
        )
        values: dict[str, str | None] = {}
        pages = []
        for path in _get_paths():
            names = PARAMETER.findall(path)
            unknown = [name for name in names if name not in PARAMETER_QUERIES]
            if unknown:
                pages.append(Page(path, None, f"unknown path parameter(s): {', '.join(unknown)}"))
                continue
            for name in names:
                if name not in values:
                    values[name] = session.scalar(text(PARAMETER_QUERIES[name]), {"campaign_id": campaign_id})
            missing = [name for name in names if values[name] is None]
            if missing:
                pages.append(Page(path, None, f"no seeded row for {', '.join(missing)}"))
                continue
            pages.append(Page(path, PARAMETER.sub(lambda match: str(values[match.group(1)]), path)))
    return pages


def _get_paths() -> list[str]:
    paths = []
    for router in routers():
        for route in router.routes:
            if not isinstance(route, APIRoute) or "GET" not in route.methods:
                continue
            if route.path.endswith(SKIPPED_SUFFIXES) or route.path in SKIPPED_PATHS:
                continue
            paths.append(route.path)
    return sorted(set(paths))


def _database_url(config: Config) -> str:
    configured = os.environ.get("BENCH_PAGES_DATABASE_URL")
    if configured:
        return configured
    return str(make_url(POSTGRES_ADMIN_URL).set(database=f"referrals_bench_pages_{config.redemptions}"))


def _seeded(database_url: str, plan: Plan) -> dict[str, Any]:
    """Create, migrate and seed the database unless a finished seed is there; migrations and the extra rows always.
    Returns how long seeding took (0 when the seed was found)."""
    started = time.perf_counter()
    _create_database(database_url)
    engine = create_engine(database_url)
    try:
        upgrade(engine)
        with engine.connect() as connection:
            found = connection.scalar(text("SELECT count(*) FROM campaigns WHERE id LIKE 'camp_seed%'"))
        timings: dict[str, Any] = {"reused": bool(found)}
        if not found:
            print(f"[pages] seeding {plan.redemptions:,} redemptions / {plan.activities:,} activities…", flush=True)
            timings |= seed(engine, plan, echo=lambda line: print(line, flush=True))
        with engine.begin() as connection:
            for statement in EXTRA_ROWS:
                connection.execute(text(statement))
        timings["total"] = round(time.perf_counter() - started, 1)
        print(f"[pages] seed {'reused' if found else 'made'} in {timings['total']} s", flush=True)
        return timings
    finally:
        engine.dispose()


def _create_database(database_url: str) -> None:
    name = make_url(database_url).database
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


@contextmanager
def _stack(database_url: str, config: Config) -> Iterator[Stack]:
    """The product's environment over the kept database (a private Redis DB as every benchmark), an operator."""
    config.log_dir.mkdir(parents=True, exist_ok=True)
    with private_redis_database() as redis_url:
        env = environment(database_url, redis_url, free_port(), pool_size=5)
        env["REFERRALS_SESSION_SECRET"] = SESSION_SECRET
        runtime = build_runtime(Settings(_env_file=None, database_url=database_url, db_pool_size=2))
        try:
            _operator(runtime)
            yield Stack("pages", env, runtime, redis_url, 0, config.log_dir)
        finally:
            runtime.close()


def _operator(runtime) -> None:
    with suppress(Conflict):  # kept from an earlier run
        runtime.units.run(operators.create, OPERATOR_EMAIL, OPERATOR_PASSWORD)


def _sign_in(client: httpx.Client) -> None:
    """A real sign-in: the login form's CSRF token, then the session cookie the client keeps."""
    token = CSRF.search(client.get("/login").text).group(1)
    response = client.post(
        "/login", data={"email": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD, "csrf_token": token, "next": ""}
    )
    if response.status_code != 303:
        raise RuntimeError(f"sign-in failed: {response.status_code} {response.text[:200]}")


def _measure(client: httpx.Client, page: Page, repeats: int) -> dict[str, Any]:
    if page.url is None:
        return {"problem": page.problem}
    urls = (_shifted_window(page.url, n) if page.recount else page.url for n in range(1, WARM_UP + 2 + repeats))
    started = time.perf_counter()
    response = client.get(next(urls))
    first_ms = (time.perf_counter() - started) * 1000
    if response.is_redirect:
        return {"url": page.url, "problem": f"redirects to {response.headers.get('location')}"}
    for _ in range(WARM_UP):
        response = client.get(next(urls))
    if response.status_code != 200:
        return {"url": page.url, "problem": f"status {response.status_code}"}
    samples = [_timed(lambda url=url: client.get(url)) for url in urls]
    return {
        "url": page.url,
        "first_ms": round(first_ms, 1),
        "p50_ms": percentile(samples, 50),
        "p95_ms": percentile(samples, 95),
        "p99_ms": percentile(samples, 99),
        "bytes": len(response.content),
    }


def _shifted_window(url: str, days_back: int) -> str:
    """The overview over 30 days ending `days_back` days ago: a window of its own, so its figures are counted."""
    last = datetime.now(UTC).date() - timedelta(days=days_back)
    return f"{url}?start={(last - timedelta(days=29)).isoformat()}&end={last.isoformat()}"


def _timed(request: Callable[[], httpx.Response]) -> float:
    started = time.perf_counter()
    response = request()
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return elapsed


def _print(results: dict[str, dict[str, Any]]) -> None:
    rows = [("page", "first ms", "p50 ms", "p95 ms", "p99 ms", "target", "result")]
    for route, result in results.items():
        if "p95_ms" not in result:
            rows.append((route, "", "", "", "", f"≤ {TARGET_MS:g} ms", f"not measured: {result['problem']}"))
            continue
        verdict = "pass" if result["p95_ms"] <= TARGET_MS else "FAIL"
        if route.endswith(" recounted"):
            verdict = "(reference: figures counted afresh each request)"
        figures = (f"{result[key]:.1f}" for key in ("first_ms", "p50_ms", "p95_ms", "p99_ms"))
        rows.append((route, *figures, f"≤ {TARGET_MS:g} ms", verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print(
        "\n[pages] each dashboard page (its first page), signed in: the first request, then p50/p95/p99 after warm-up:"
    )
    for row in rows:
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
