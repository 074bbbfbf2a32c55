"""The FastAPI application: webhook intake, the JSON API under /api/v1, health probes, the dashboard."""

from __future__ import annotations

import functools
import time
from contextlib import asynccontextmanager

import anyio
import structlog
from fastapi import FastAPI

from api.dashboard import mount_dashboard
from api.docs import mount_docs
from api.errors import install_error_handlers
from api.health import health_router
from api.inbox_writer import InboxWriter
from api.intake import store_batch
from api.metrics import build_metrics, metrics_router
from api.unsubscribe import unsubscribe_router
from api.v1 import v1_router
from api.webhooks import webhook_router
from bootstrap.runtime import Runtime

log = structlog.get_logger("referrals.http")


def create_app(runtime: Runtime) -> FastAPI:
    """Build the app around an already-wired runtime (no globals)."""
    inbox = InboxWriter(functools.partial(store_batch, runtime))
    app = FastAPI(
        title="Referral Pipeline",
        version="0.1.0",
        description="Self-hosted referral-program engine.",
        lifespan=_lifespan(runtime.settings.db_pool_size, inbox),
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.inbox = inbox
    app.state.metrics = build_metrics(runtime)
    install_error_handlers(app)
    app.include_router(webhook_router())
    app.include_router(v1_router())
    app.include_router(health_router())
    app.include_router(metrics_router())
    app.include_router(unsubscribe_router())
    mount_docs(app)
    mount_dashboard(app, runtime)
    app.add_middleware(RequestLog)
    return app


def _lifespan(threads: int, inbox: InboxWriter):
    """Cap the thread pool that runs database work at the connection pool's size (no connection churn);
    at shutdown, store the webhooks still waiting for the inbox writer."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield
        await anyio.to_thread.run_sync(inbox.close)

    return lifespan


class RequestLog:
    """One canonical log line per request (plain ASGI: cheaper than BaseHTTPMiddleware)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        structlog.contextvars.clear_contextvars()
        started, status = time.perf_counter(), [500]

        async def send_with_status(message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        await self.app(scope, receive, send_with_status)
        log.info(
            "request",
            method=scope["method"],
            path=scope["path"],
            status=status[0],
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
        )
