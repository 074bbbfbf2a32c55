"""The dashboard: server-rendered pages for operators (SPEC §5), at the root beside /api/v1 and /webhooks."""

from __future__ import annotations

import secrets
from pathlib import Path

import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from api.dashboard.campaigns import campaigns_router
from api.dashboard.codes import codes_router
from api.dashboard.history import history_router
from api.dashboard.login import login_router, logout_router
from api.dashboard.operations import operations_router
from api.dashboard.pages import HEADERS, Dashboard, templates
from api.dashboard.people import people_router
from api.dashboard.sessions import Sessions
from api.dashboard.settings import settings_router
from api.dashboard.throttle import LoginThrottle
from bootstrap.runtime import Runtime

STATIC = Path(__file__).parent / "static"
log = structlog.get_logger("referrals.dashboard")


def mount_dashboard(app: FastAPI, runtime: Runtime) -> None:
    """The dashboard's routes, its static files under /static, and its parts on `app.state.dashboard`."""
    settings = runtime.settings
    sessions = Sessions(
        _session_secret(runtime),
        max_age=settings.session_max_age_seconds,
        trusted_proxies=settings.trusted_proxy_addresses(),
    )
    app.state.dashboard = Dashboard(runtime, sessions, LoginThrottle(), templates())
    for router in routers():
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _answer_unknown_pages_in_html(app)


def routers() -> list[APIRouter]:
    return [
        login_router(),
        logout_router(),
        campaigns_router(),
        operations_router(),
        codes_router(),
        people_router(),
        history_router(),
        settings_router(),
    ]


NOT_HTML = ("/api/", "/webhooks/", "/metrics", "/health", "/static/")


def _answer_unknown_pages_in_html(app: FastAPI) -> None:
    """A browser asking for a page that does not exist gets a page that says so (404), not the API's JSON; the
    API, webhooks, probes and anything that does not ask for HTML keep the JSON error."""
    json_answer = app.exception_handlers[HTTPException]

    async def not_found_page(request: Request, error: Exception) -> Response:
        wants_html = "text/html" in request.headers.get("accept", "")
        if not isinstance(error, HTTPException) or error.status_code != 404 or not wants_html:
            return await json_answer(request, error)
        if request.url.path.startswith(NOT_HTML):
            return await json_answer(request, error)
        dashboard: Dashboard = request.app.state.dashboard
        context = {"title": "Not found", "message": f"There is no page at {request.url.path}.", "flashes": []}
        response = dashboard.templates.TemplateResponse(request, "error.html", context, status_code=404)
        response.headers.update(HEADERS)
        return response

    app.add_exception_handler(HTTPException, not_found_page)


def _session_secret(runtime: Runtime) -> str:
    """REFERRALS_SESSION_SECRET, else REFERRALS_SECRET_KEY, else a key of this process only (sessions then end
    at a restart and do not carry between uvicorn workers: set one of the two in production)."""
    settings = runtime.settings
    if settings.session_secret or settings.secret_key:
        return settings.session_secret or settings.secret_key or ""
    log.warning("dashboard sessions use a key of this process only: set REFERRALS_SESSION_SECRET")
    return secrets.token_urlsafe(32)
