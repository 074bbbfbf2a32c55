"""What every dashboard route shares: the route class that loads and saves the session, checks the CSRF token
of every POST and sends an anonymous visitor to the login page; rendering and redirects."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import DataError, IntegrityError

from api.dashboard.figures import RecentFigures
from api.dashboard.sessions import Session, Sessions
from api.dashboard.throttle import LoginThrottle
from api.pagination import CURSOR, PageParams, paginate
from api.v1.common import first_line
from bootstrap.runtime import Runtime
from db.queries import Listing
from db.queries.errors import Conflict, Invalid, NotFound
from db.queries.lookups import live_campaign
from db.queries.operators import active_operator
from db.queries.serializers import campaign as campaign_fields
from domain.money import to_major_units

TEMPLATES = Path(__file__).parent / "templates"
HOME = "/campaigns"
DATE_INPUT = "%Y-%m-%d"
# (path under /campaigns/{id}, label): the overview, then the tabs of SPEC §5 "Dashboard routes"
CAMPAIGN_TABS = (
    ("", "Overview"),
    ("settings", "Settings"),
    ("codes", "Codes"),
    ("rules", "Rules"),
    ("redemptions", "Redemptions"),
    ("referrers", "Referrers"),
    ("referees", "Referees"),
    ("distributions", "Distributions"),
    ("landing", "Landing"),
    ("metadata", "Metadata"),
    ("rewards", "Rewards"),
    ("activity", "Activity"),
)
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
    recent_figures: RecentFigures = field(default_factory=RecentFigures)
    # argon2 takes 64 MiB and a core for a fraction of a second per check: two at a time, whatever arrives
    password_checks: anyio.CapacityLimiter = field(default_factory=lambda: anyio.CapacityLimiter(2))


def templates() -> Jinja2Templates:
    """Jinja2 with autoescaping on (Starlette's default for .html): every value is shown as text."""
    engine = Jinja2Templates(directory=str(TEMPLATES))
    engine.env.filters["when"] = when
    engine.env.globals["period"] = period
    engine.env.filters["activity_label"] = activity_label
    engine.env.filters["dict_without"] = lambda params, *names: {k: v for k, v in params.items() if k not in names}
    engine.env.globals["query_string"] = query_string
    engine.env.globals["campaign_tabs"] = CAMPAIGN_TABS
    return engine


def when(value: str | datetime | None) -> str:
    """An ISO 8601 moment as `2026-12-07 23:55 UTC` (every time the dashboard shows is UTC)."""
    if value is None:
        return "—"
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def day(value: str | None) -> str:
    """A date the operator chose (the start or the end of a day in UTC) as `2027-06-30`; any other moment as `when`
    shows it."""
    shown = when(value)
    return shown.removesuffix(" 00:00 UTC").removesuffix(" 23:59 UTC")  # a start, or an end through that day


def period(start: str | None, end: str | None) -> str:
    """A timeframe in words: `2027-01-01 → 2027-06-30`, `until 2027-06-30`, `from 2027-01-01` or `no end date`."""
    if start and end:
        return f"{day(start)} → {day(end)}"
    if end:
        return f"until {day(end)}"
    return f"from {day(start)}" if start else "no end date"


def money(amount: int | None, currency: str | None) -> str:
    """Minor units as the operator reads an amount: 129000 USD → `1,290.00 USD` (the currency's own decimals, no
    code when it is not known); "—" when there is no amount."""
    if amount is None:
        return "—"
    return f"{to_major_units(int(amount), currency or None):,} {currency or ''}".strip()


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
        except (Conflict, Invalid, IntegrityError, DataError) as error:
            if request.method != "POST":
                raise
            flash(request, refusal(error), "error")  # the command's unit of work rolled back: nothing was written
            return redirect(await back(request))


class SignedInRoute(DashboardRoute):
    signed_in = True


def refusal(error: Exception) -> str:
    """What the operator reads when a form's command is refused: the command's words, or the database's refusal
    in words (as the API answers them: 409 for a conflicting row, 422 for a value it cannot store)."""
    if isinstance(error, IntegrityError):
        return "The change conflicts with a row stored meanwhile; reload the page and retry."
    if isinstance(error, DataError):
        return f"A value was refused by the database: {first_line(error)}"
    return str(error)


CSRF_REFUSED = "This form was not sent from a page of this dashboard, or it is too old. Go back, reload, and retry."


async def _csrf_ok(request: Request, session: Session) -> bool:
    token = (await request.form()).get("csrf_token")
    return isinstance(token, str) and secrets.compare_digest(token.encode(), session.csrf.encode())


def _operator(runtime: Runtime, session: Session) -> Any:
    if session.operator_id is None:
        return None
    with runtime.session_factory() as db:
        return active_operator(db, session.operator_id)


def local_path(target: str | None, fallback: str = HOME) -> str:
    """`target` when it is a path on this site, else `fallback`: never `//host`, `/\\host`, `https://host` or
    anything a browser could read as another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in target):
        return fallback
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else fallback


async def back(request: Request, fallback: str = HOME) -> str:
    """Where a form's answer goes back to: its `back` field (a path on this site), else the page it was sent
    from (the Referer, when it is this site), else `fallback`."""
    target = (await request.form()).get("back")
    if isinstance(target, str) and local_path(target, "") == target:
        return target
    return _referer_path(request) or fallback


def login_url(request: Request) -> str:
    """The sign-in page, then back to this page; after a form sent with an expired session, back to the page the
    form was on (its address answers only POST)."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        target = _referer_path(request) or HOME
    return "/login?" + urlencode({"next": target})


def _referer_path(request: Request) -> str | None:
    """The page a request came from, when it is a page of this site."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc or not referer.path:
        return None
    return local_path(referer.path + (f"?{referer.query}" if referer.query else ""), "") or None


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


def campaign_page(request: Request, campaign_id: str, tab: str, template: str, **context: Any) -> HTMLResponse:
    """A page of a campaign (its overview or one of its tabs, `tab` as in CAMPAIGN_TABS): `template` extends
    campaign_base.html and gets the campaign's fields as `campaign`; a deleted or unknown campaign is a 404."""
    campaign = campaign_fields(read(request, live_campaign, campaign_id))
    label = dict(CAMPAIGN_TABS)[tab]
    title = campaign["name"] if not tab else f"{label} · {campaign['name']}"
    return render(request, template, title=title, campaign=campaign, tab=tab, **context)


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


async def run_async(request: Request, command: Callable[..., Any], *args: Any) -> Any:
    """`run_command` from an async route (one that reads its form itself), in a worker thread."""
    return await in_thread(run_command, request, command, *args)


async def in_thread(work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`work(*args, **kwargs)` in a worker thread: what reads the database (a page rendered from an async route)
    must not hold up the event loop, which also takes the shops' webhooks."""
    return await anyio.to_thread.run_sync(functools.partial(work, *args, **kwargs))


def newest_first(
    request: Request,
    listing: Listing | Callable[[Any], Listing],
    cursor: str | None,
    *,
    window: tuple[datetime | None, datetime | None] = (None, None),
    size: int = 50,
) -> dict[str, Any]:
    """One page of a listing (or of what `listing(session)` builds), newest first, as the API pages it:
    {"data": [...], "next_cursor": ...}; `window` is [start, end) as `day_window` gives it. A cursor that is not
    one of ours starts from the newest."""
    params = PageParams(size, cursor if cursor and CURSOR.fullmatch(cursor) else None, *window)

    def one_page(session: Any) -> dict[str, Any]:
        chosen = listing if isinstance(listing, Listing) else listing(session)
        return paginate(session, chosen.query, chosen.id_column, chosen.date_column, params, chosen.serialize)

    return read(request, one_page)


def day_window(start: str | None, end: str | None) -> tuple[datetime | None, datetime | None]:
    """Two date inputs (YYYY-MM-DD, days in UTC, both inclusive) as [start of the first day, start of the day after
    the last); a value that is not such a date is left out."""
    first, last = parse_day(start), parse_day(end)
    return first, (last + timedelta(days=1) if last else None)


def parse_day(text: str | None) -> datetime | None:
    try:
        return datetime.strptime(text or "", DATE_INPUT).replace(tzinfo=UTC)
    except ValueError:
        return None


def query_string(params: dict[str, Any] | None = None, /, **more: Any) -> str:
    """`?a=1&b=x` of `params` and `more` (which wins) that have a value, "" when none has: for pagers and filter
    links."""
    chosen = {name: value for name, value in ((params or {}) | more).items() if value not in (None, "")}
    return "?" + urlencode(chosen) if chosen else ""


def read(request: Request, query: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    dashboard: Dashboard = request.app.state.dashboard
    with dashboard.runtime.session_factory() as session:
        return query(session, *args, **kwargs)
