"""The campaign pages: the list with the "New campaign" form, the overview, and the pause/activate actions."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.dashboard.forms import CONVERSIONS, LABELS, FormErrors, campaign_body, campaign_form
from api.dashboard.pages import (
    back,
    campaign_page,
    flash,
    newest_first,
    read,
    redirect,
    render,
    router,
    run_async,
)
from app import campaigns as commands
from db.queries import campaigns as queries
from db.queries.errors import Invalid

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
        return _list_page(request, None, values, errors, status=422)

    @pages.get("/campaigns/{campaign_id}")
    def overview(request: Request, campaign_id: str) -> Response:
        summary = read(request, queries.summary, campaign_id)
        return campaign_page(request, campaign_id, "", "campaign.html", summary=summary)

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
