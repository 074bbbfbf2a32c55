"""The campaign pages: the list with the "New campaign" form, the overview, and the pause/activate actions."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.dashboard.chart import LINES, line_chart
from api.dashboard.figures import program_figures
from api.dashboard.forms import CONVERSIONS, LABELS, FormErrors, campaign_body, campaign_form
from api.dashboard.pages import (
    back,
    campaign_page,
    flash,
    in_thread,
    money,
    newest_first,
    parse_day,
    read,
    redirect,
    render,
    router,
    run_async,
)
from app import campaigns as commands
from db.queries import analytics
from db.queries import campaigns as queries
from db.queries.errors import Invalid

WINDOW_DAYS = ("7", "30", "90")  # the overview's quick windows; start/end dates choose any other
NEW_CAMPAIGN = {"pattern": "REF-####-????", "conversion": "order.paid", "reward_hold_days": "0"}


def campaigns_router() -> APIRouter:
    pages = router()

    @pages.get("/")
    def home() -> Response:
        return redirect("/campaigns")

    @pages.get("/campaigns")
    def campaign_list(request: Request, cursor: str | None = None) -> Response:
        return _list_page(request, cursor, NEW_CAMPAIGN, FormErrors())

    @pages.post("/campaigns")
    async def create(request: Request) -> Response:
        values = campaign_form(await request.form())
        body, errors = campaign_body(values)
        if body is not None:
            default_currency = request.app.state.dashboard.runtime.settings.default_currency
            try:
                campaign = await run_async(request, commands.create, body.values(default_currency))
            except Invalid as error:  # the unit of work rolled back: nothing was written
                errors.add(str(error), tuple(values))
            else:
                flash(request, f"Campaign “{campaign.name}” created.")
                return redirect(f"/campaigns/{campaign.id}")
        return await in_thread(_list_page, request, None, values, errors, status=422)

    @pages.get("/campaigns/{campaign_id}")
    def overview(
        request: Request,
        campaign_id: str,
        days: str | None = None,
        start: str | None = None,
        end: str | None = None,
        interval: str = "day",
    ) -> Response:
        if days:  # a quick window's button was pressed: the dates still in the form do not count
            start = end = None
        span, window_error = chosen_window(days, start, end, interval)
        summary = read(request, queries.summary, campaign_id)
        figures = program_figures(request, campaign_id, span)
        return campaign_page(
            request,
            campaign_id,
            "",
            "campaign.html",
            summary=summary,
            figures=figures,
            chart=line_chart(figures["series"], title=_chart_title(span), interval=span.interval),
            chart_lines=LINES,
            window_choice={"days": days, "start": start, "end": end, "interval": span.interval},
            window_error=window_error,
            window_days=WINDOW_DAYS,
            money={name: money(figures["totals"][name], figures["currency"]) for name in analytics.MONEY},
            unconverted={code: money(amount, code) for code, amount in figures["unconverted_revenue"].items()},
        )

    @pages.post("/campaigns/{campaign_id}/enable")
    async def enable(request: Request, campaign_id: str) -> Response:
        campaign = await run_async(request, commands.set_active, campaign_id, True)
        flash(request, f"Campaign “{campaign.name}” is active: its codes can be redeemed.")
        return redirect(await back(request, f"/campaigns/{campaign_id}"))

    @pages.post("/campaigns/{campaign_id}/disable")
    async def disable(request: Request, campaign_id: str) -> Response:
        campaign = await run_async(request, commands.set_active, campaign_id, False)
        flash(request, f"Campaign “{campaign.name}” is paused: its codes are refused until it is activated.")
        return redirect(await back(request, f"/campaigns/{campaign_id}"))

    return pages


def _list_page(
    request: Request, cursor: str | None, values: dict[str, str], errors: FormErrors, *, status: int = 200
) -> Response:
    rows = newest_first(request, queries.campaigns_with_totals(), cursor)
    return render(
        request,
        "campaigns.html",
        status=status,
        title="Campaigns",
        campaigns=rows["data"],
        next_cursor=rows["next_cursor"],
        form=values,
        errors=errors,
        conversions=CONVERSIONS,
        labels=LABELS,
    )


def chosen_window(
    days: str | None, start: str | None, end: str | None, interval: str
) -> tuple[analytics.Window, str | None]:
    """The overview's window: start/end dates when given (and no quick window is chosen), else the last 7, 30 or
    90 days (default 30); a window the API would refuse gives the default window and the reason, shown on the page."""
    try:
        if start or end:
            first, last = parse_day(start), parse_day(end)
            if (start and first is None) or (end and last is None):
                raise Invalid("dates are written YYYY-MM-DD")
            return analytics.window(first and first.date(), last and last.date(), interval), None
        if days and days not in WINDOW_DAYS:
            raise Invalid(f"the window is one of {', '.join(WINDOW_DAYS)} days, or two dates")
        span = analytics.window(interval=interval)
        return analytics.window(span.last - timedelta(days=int(days or 30) - 1), span.last, interval), None
    except Invalid as error:
        return analytics.window(), f"{error}; showing the last 30 days instead."


def _chart_title(span: analytics.Window) -> str:
    per = "week" if span.interval == "week" else "day"
    return f"Referees, redemptions and rewards per {per}, {span.first.isoformat()} to {span.last.isoformat()}"
