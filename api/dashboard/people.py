"""The people pages: a campaign's referrers (with the Invite form and their CSV) and referees (with their order
totals), and one customer's page: profile, orders, balances, codes, referrals and activity across campaigns."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.dashboard.codes import publication
from api.dashboard.figures import recent_count
from api.dashboard.pages import (
    activity_label,
    campaign_page,
    day_window,
    flash,
    money,
    newest_first,
    read,
    redirect,
    render,
    router,
    run_async,
)
from api.v1.campaigns import referrers_csv
from app import codes as commands
from db.queries import lists
from db.queries.lookups import live_campaign
from domain import activity
from domain.notify import opted_out

# the activity types a customer's page can filter on: those about a customer
CUSTOMER_ACTIVITY = tuple(
    sorted(value for name, value in vars(activity).items() if name.isupper() and str(value).startswith("customer."))
)


def people_router() -> APIRouter:
    pages = router()
    _referrers(pages)
    _referees(pages)
    _customer(pages)
    return pages


def _referrers(pages: APIRouter) -> None:
    @pages.get("/campaigns/{campaign_id}/referrers")
    def referrers(
        request: Request, campaign_id: str, cursor: str | None = None, start: str | None = None, end: str | None = None
    ) -> Response:
        rows = newest_first(request, lists.referrers(campaign_id), cursor, window=day_window(start, end))
        return campaign_page(
            request,
            campaign_id,
            "referrers",
            "campaign_referrers.html",
            referrers=rows["data"],
            next_cursor=rows["next_cursor"],
            params=_dates(start, end) | {"cursor": cursor},
        )

    @pages.get("/campaigns/{campaign_id}/referrers.csv")
    def referrers_download(
        request: Request, campaign_id: str, start: str | None = None, end: str | None = None
    ) -> Response:
        runtime = request.app.state.dashboard.runtime
        read(request, live_campaign, campaign_id)
        return referrers_csv(runtime, campaign_id, *day_window(start, end))

    @pages.post("/campaigns/{campaign_id}/referrers")
    async def invite(request: Request, campaign_id: str) -> Response:
        body = publication(await request.form())
        code, published = await run_async(request, commands.invite, campaign_id, body.customer.data(), body.channel)
        who = body.customer.email
        flash(request, f"{who} was given the code {code.code}." if published else f"{who} already holds {code.code}.")
        return redirect(f"/campaigns/{campaign_id}/referrers")


def _referees(pages: APIRouter) -> None:
    @pages.get("/campaigns/{campaign_id}/referees")
    def referees(
        request: Request, campaign_id: str, cursor: str | None = None, start: str | None = None, end: str | None = None
    ) -> Response:
        currency = read(request, live_campaign, campaign_id).currency
        listing, window = lists.referees(campaign_id, currency), day_window(start, end)
        # the totals sum every referee of the campaign (0.5 s at 360,000): counted as the overview's figures are
        key = ("referee_totals", campaign_id, window)
        totals = recent_count(request, key, lists.referee_totals, listing, currency, *window)
        rows = newest_first(request, listing, cursor, window=window)
        referrers = read(request, lists.people, (row["referrer_id"] for row in rows["data"]))
        return campaign_page(
            request,
            campaign_id,
            "referees",
            "campaign_referees.html",
            referees=[
                row | {"amount": money(row["orders_amount"], currency), "referrer": referrers.get(row["referrer_id"])}
                for row in rows["data"]
            ],
            totals=totals | {"amount": money(totals["total_orders_amount"], currency)},
            next_cursor=rows["next_cursor"],
            params=_dates(start, end) | {"cursor": cursor},
        )


def _customer(pages: APIRouter) -> None:
    @pages.get("/customers/{customer_id}")
    def customer(
        request: Request,
        customer_id: str,
        cursor: str | None = None,
        campaign: str | None = None,
        type: str | None = None,
        start: str | None = None,
        end: str | None = None,
    ) -> Response:
        profile = read(request, _profile, customer_id, request.app.state.dashboard.runtime.settings.default_currency)
        chosen = {"campaign": campaign or None, "type": type if type in CUSTOMER_ACTIVITY else None}
        listing = lists.activity(customer_id=customer_id, campaign_id=chosen["campaign"], activity_type=chosen["type"])
        rows = newest_first(request, listing, cursor, window=day_window(start, end))
        name = profile["customer"]["name"] or profile["customer"]["email"] or customer_id
        return render(
            request,
            "customer.html",
            title=f"Customer {name}",
            **profile,
            activity=rows["data"],
            next_cursor=rows["next_cursor"],
            params=chosen | _dates(start, end) | {"cursor": cursor},
            activity_types={value: activity_label(value) for value in CUSTOMER_ACTIVITY},
        )


def _profile(session: Any, customer_id: str, currency: str) -> dict[str, Any]:
    """Everything the customer page shows above the activity list, read in one session."""
    customer = lists.customer(session, customer_id, currency)
    return {
        "customer": customer,
        "opted_out": opted_out(customer["metadata"] or {}),
        "order_totals": {
            code or "no currency": money(amount, code) for code, amount in customer["orders_amounts"].items()
        },
        "codes": lists.held_codes(session, customer_id),
        "referrals": lists.customer_referrals(session, customer_id),
        "campaigns": lists.campaign_names(session),
    }


def _dates(start: str | None, end: str | None) -> dict[str, str | None]:
    """The date filters as typed, for the filter form and the pager (the listing ignores one that is no date)."""
    return {"start": start or None, "end": end or None}
