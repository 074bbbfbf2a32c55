"""The FastAPI application: webhook intake, the JSON API under /api/v1, health probes."""
from __future__ import annotations

import time

import structlog
from fastapi import FastAPI, Request

from api.errors import install_error_handlers
from api.health import health_router
from api.metrics import build_metrics, metrics_router
from api.unsubscribe import unsubscribe_router
from api.v1 import v1_router
from api.webhooks import webhook_router
from config.container import Runtime

log = structlog.get_logger("referrals.http")


def create_app(runtime: Runtime) -> FastAPI:
    """Build the app around an already-wired runtime (no globals)."""
    app = FastAPI(title="Referral Pipeline", version="0.1.0", description="Self-hosted referral-program engine.")
    app.state.runtime = runtime
    app.state.metrics = build_metrics(runtime)
    install_error_handlers(app)
    app.include_router(webhook_router())
    app.include_router(v1_router())
    app.include_router(health_router())
    app.include_router(metrics_router())
    app.include_router(unsubscribe_router())
    app.middleware("http")(_request_log)
    return app


async def _request_log(request: Request, call_next):
    """One canonical log line per request."""
    structlog.contextvars.clear_contextvars()
    started = time.perf_counter()
    response = await call_next(request)
    log.info("request", method=request.method, path=request.url.path, status=response.status_code,
             duration_ms=round((time.perf_counter() - started) * 1000, 2))
    return response
