"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="The process is up")
    async def healthz() -> dict:
        return {"status": "ok"}

    @router.get("/readyz", summary="Database and broker are reachable")
    async def readyz(request: Request) -> JSONResponse:
        checks = await run_in_threadpool(_checks, request.app.state.runtime)
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse(
            {"status": "ok" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503
        )

    return router


def _checks(runtime) -> dict[str, str]:
    return {"database": _probe(lambda: _ping_database(runtime)), "broker": _probe(lambda: _ping_broker(runtime))}


def _probe(check) -> str:
    try:
        check()
    except Exception as error:  # noqa: BLE001 - any failure means not ready
        return f"error: {type(error).__name__}: {error}"[:300]
    return "ok"


def _ping_database(runtime) -> None:
    with runtime.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _ping_broker(runtime) -> None:
    client = getattr(runtime.broker, "client", None)
    if client is not None:
        client.ping()
