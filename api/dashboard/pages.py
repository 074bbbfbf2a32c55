"""What every dashboard route shares: the route class that loads and saves the session, checks the CSRF token
of every POST and sends an anonymous visitor to the login page; rendering and redirects."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from api.dashboard.sessions import Session, Sessions
from api.dashboard.throttle import LoginThrottle
from api.pagination import CURSOR, PageParams, paginate
from bootstrap.runtime import Runtime
from db.queries import Listing
from db.queries.errors import NotFound
from db.queries.operators import active_operator

TEMPLATES = Path(__file__).parent / "templates"
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@dataclass
class Dashboard:
    """The dashboard's parts, kept on `app.state.dashboard`."""

    runtime: Runtime
    sessions: Sessions
    throttle: LoginThrottle
    templates: Jinja2Templates
    # argon2 takes 64 MiB and a core for a fraction of a second per check: two at a time, whatever arrives
    password_checks: anyio.CapacityLimiter = field(default_factory=lambda: anyio.CapacityLimiter(2))


def templates() -> Jinja2Templates:
    """Jinja2 with autoescaping on (Starlette's default for .html): every value is shown as text."""
    engine = Jinja2Templates(directory=str(TEMPLATES))
    engine.env.filters["when"] = when
    engine.env.globals["period"] = period
    engine.env.filters["activity_label"] = activity_label
    return engine


def when(value: str | datetime | None) -> str:
    """An ISO 8601 moment as `2026-12-07 23:55 UTC` (every time the dashboard shows is UTC)."""
    if value is None:
        return "—"
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def day(value: str | None) -> str:
    """A date the operator chose (start of a day in UTC) as `2027-06-30`; any other moment as `when` shows it."""
    shown = when(value)
    return shown.removesuffix(" 00:00 UTC")


def period(start: str | None, end: str | None) -> str:
    """A timeframe in words: `2027-01-01 → 2027-06-30`, `until 2027-06-30`, `from 2027-01-01` or `no end date`."""
    if start and end:
        return f"{day(start)} → {day(end)}"
    if end:
        return f"until {day(end)}"
    return f"from {day(start)}" if start else "no end date"


def activity_label(activity_type: str) -> str:
    """`customer.redemption.succeeded` → `Customer redemption succeeded`."""
    return activity_type.replace(".", " ").replace("_", " ").capitalize()


class DashboardRoute(APIRoute):
    """A dashboard route: session in `request.state.session`, POSTs refused (403) without the session's CSRF
    token, NotFound shown as a 404 page; with `signed_in`, an anonymous visitor is sent to /login?next=<path>."""

    signed_in = False

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def dashboard_route(request: Request) -> Response:
            dashboard: Dashboard = request.app.state.dashboard
            request.state.session = session = dashboard.sessions.load(request)
            response = await self._answer(handler, request, dashboard, session)
            dashboard.sessions.save(request.state.session, request, response)
            response.headers.update(HEADERS)
            return response

        return dashboard_route

    async def _answer(self, handler: Callable, request: Request, dashboard: Dashboard, session: Session) -> Response:
        if self.signed_in:
            request.state.operator = await anyio.to_thread.run_sync(_operator, dashboard.runtime, session)
            if request.state.operator is None:
                return redirect(login_url(request))
        if request.method == "POST" and not await _csrf_ok(request, session):
            return render(request, "error.html", status=403, title="Form expired", message=CSRF_REFUSED)
        try:
            return await handler(request)
        except NotFound as error:
            return render(request, "error.html", status=404, title="Not found", message=str(error))


class SignedInRoute(DashboardRoute):
    signed_in = True


CSRF_REFUSED = "This form was not sent from a page of this dashboard, or it is too old. Go back, reload, and retry."


async def _csrf_ok(request: Request, session: Session) -> bool:
    token = (await request.form()).get("csrf_token")
    return isinstance(token, str) and secrets.compare_digest(token.encode(), session.csrf.encode())


def _operator(runtime: Runtime, session: Session) -> Any:
    if session.operator_id is None:
        return None
    with runtime.session_factory() as db:
        return active_operator(db, session.operator_id)


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?" + urlencode({"next": target})


def router(*, signed_in: bool = True) -> APIRouter:
    return APIRouter(route_class=SignedInRoute if signed_in else DashboardRoute, include_in_schema=False)


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """`template` with `context`, the session's CSRF token, the operator and the flash messages (shown once).
    `status` is the HTTP status: a template variable cannot be called that."""
    session: Session = request.state.session
    dashboard: Dashboard = request.app.state.dashboard
    context |= {
        "csrf_token": session.csrf,
        "operator": getattr(request.state, "operator", None),
        "flashes": session.pop_flashes(),
    }
    return dashboard.templates.TemplateResponse(request, template, context, status_code=status)


def redirect(url: str) -> RedirectResponse:
    """303 See Other: after a POST the browser GETs `url` (POST-redirect-GET)."""
    return RedirectResponse(url, status_code=303)


def flash(request: Request, text: str, kind: str = "success") -> None:
    """A message shown once, on the next page rendered for this session."""
    request.state.session.flash(text, kind)


def run_command(request: Request, command: Callable[..., Any], *args: Any) -> Any:
    """An application command (`app/`) in its unit of work, as the API and the CLI run it."""
    dashboard: Dashboard = request.app.state.dashboard
    return dashboard.runtime.units.run(command, *args)


def newest_first(request: Request, listing: Listing, cursor: str | None, *, size: int = 50) -> dict[str, Any]:
    """One page of a listing, newest first, as the API pages it: {"data": [...], "next_cursor": ...}; a cursor
    that is not one of ours starts from the newest."""
    params = PageParams(size, cursor if cursor and CURSOR.fullmatch(cursor) else None, None, None)
    return read(request, paginate, listing.query, listing.id_column, listing.date_column, params, listing.serialize)


def read(request: Request, query: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    dashboard: Dashboard = request.app.state.dashboard
    with dashboard.runtime.session_factory() as session:
        return query(session, *args, **kwargs)
