"""Campaigns: create, list, read, edit, pause/activate, delete, the overview, and the campaign's lists."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from fastapi import Query, Response

from api.v1 import responses as shapes
from api.v1.common import PageDep, RuntimeDep, csv_response, json_or_csv, page, read, returns, router, write
from api.v1.schemas import CampaignIn, CampaignPatch
from app import campaigns as commands
from bootstrap.runtime import Runtime
from db.queries import analytics, lists, serializers
from db.queries import campaigns as queries
from db.queries.export import listing_csv
from db.queries.lookups import live_campaign

REFERRER_COLUMNS = ("customer_id", "name", "email", "code", "published_at", "channel", "status", "referees")
REDEMPTION_COLUMNS = (
    "id",
    "code",
    "customer_id",
    "order_id",
    "result",
    "status",
    "failure_code",
    "failure_message",
    "amount",
    "created_at",
)
Format = Literal["json", "csv"]
RedemptionStatus = Literal["succeeded", "failed", "rolled_back"]
RewardStatus = Literal["pending", "completed", "rolled_back"]
ANALYTICS_DESCRIPTION = (
    f"Totals and one point per day (or calendar week, Monday first) of the window [start_date, end_date], UTC days,"
    f" at most {analytics.MAX_DAYS} days, zero-filled, no future points. Money is in minor units of the campaign's"
    " currency. Share-link visits and conversion are not counted yet (`not_counted`).\n\n"
    + "\n".join(f"- **{name}**: {text}" for name, text in analytics.DEFINITIONS.items())
)


def campaigns_router():
    api = router("/campaigns", "campaigns")

    @api.post("", status_code=201, summary="Create a campaign", responses=returns(shapes.Campaign, 201))
    def create(body: CampaignIn, runtime: RuntimeDep) -> dict:
        return serializers.campaign(write(runtime, commands.create, body.values(runtime.settings.default_currency)))

    @api.get("", summary="List campaigns, newest first", responses=returns(shapes.Page[shapes.Campaign]))
    def list_campaigns(runtime: RuntimeDep, params: PageDep, active: bool | None = None) -> dict:
        return page(runtime, queries.campaigns(active=active), params)

    @api.get("/{campaign_id}", summary="One campaign", responses=returns(shapes.Campaign))
    def show(campaign_id: str, runtime: RuntimeDep) -> dict:
        return serializers.campaign(read(runtime, live_campaign, campaign_id))

    @api.patch("/{campaign_id}", summary="Edit a campaign (only the fields given)", responses=returns(shapes.Campaign))
    def edit(campaign_id: str, body: CampaignPatch, runtime: RuntimeDep) -> dict:
        return serializers.campaign(write(runtime, commands.update, campaign_id, body.given()))

    @api.put("/{campaign_id}", summary="Edit a campaign (same as PATCH)", responses=returns(shapes.Campaign))
    def replace(campaign_id: str, body: CampaignPatch, runtime: RuntimeDep) -> dict:
        return serializers.campaign(write(runtime, commands.update, campaign_id, body.given()))

    @api.delete("/{campaign_id}", status_code=204, summary="Delete a campaign (its codes then fail validation)")
    def delete(campaign_id: str, runtime: RuntimeDep) -> Response:
        write(runtime, commands.delete, campaign_id)
        return Response(status_code=204)

    @api.post("/{campaign_id}/enable", summary="Activate a campaign", responses=returns(shapes.CampaignState))
    def enable(campaign_id: str, runtime: RuntimeDep) -> dict:
        campaign = write(runtime, commands.set_active, campaign_id, True)
        return {"id": campaign.id, "active": campaign.active}

    @api.post("/{campaign_id}/disable", summary="Pause a campaign", responses=returns(shapes.CampaignState))
    def disable(campaign_id: str, runtime: RuntimeDep) -> dict:
        campaign = write(runtime, commands.set_active, campaign_id, False)
        return {"id": campaign.id, "active": campaign.active}

    @api.get("/{campaign_id}/summary", summary="The campaign overview", responses=returns(shapes.Summary))
    def summary(campaign_id: str, runtime: RuntimeDep) -> dict:
        return read(runtime, queries.summary, campaign_id)

    @api.get(
        "/{campaign_id}/analytics",
        summary="Program figures over a window, per day or week",
        description=ANALYTICS_DESCRIPTION,
        responses=returns(shapes.Analytics),
    )
    def figures(
        campaign_id: str,
        runtime: RuntimeDep,
        start_date: date | None = Query(None, description="first UTC day; default 29 days before end_date"),
        end_date: date | None = Query(None, description="last UTC day, included; default today"),
        interval: analytics.Interval = "day",
    ) -> dict:
        span = analytics.window(start_date, end_date, interval)
        return read(runtime, analytics.figures, campaign_id, span)

    _lists(api)
    return api


def _lists(api) -> None:
    """The campaign's tabs: referrers, referees, redemptions, rewards, distributions, activity."""

    @api.get(
        "/{campaign_id}/referrers",
        summary="Referrers: customers holding a code",
        responses=json_or_csv(shapes.Page[shapes.Referrer]),
    )
    def referrers(campaign_id: str, runtime: RuntimeDep, params: PageDep, format: Format = "json"):
        read(runtime, live_campaign, campaign_id)
        if format == "csv":
            return referrers_csv(runtime, campaign_id, params.start_date, params.end_date)
        return page(runtime, lists.referrers(campaign_id), params)

    @api.get(
        "/{campaign_id}/referees", summary="Referees with their order totals", responses=returns(shapes.RefereePage)
    )
    def referees(campaign_id: str, runtime: RuntimeDep, params: PageDep) -> dict:
        currency = read(runtime, live_campaign, campaign_id).currency
        listing = lists.referees(campaign_id, currency)
        totals = read(runtime, lists.referee_totals, listing, currency, params.start_date, params.end_date)
        return page(runtime, listing, params) | totals

    @api.get(
        "/{campaign_id}/redemptions",
        summary="Redemptions of the campaign's codes",
        responses=json_or_csv(shapes.Page[shapes.Redemption]),
    )
    def redemptions(
        campaign_id: str,
        runtime: RuntimeDep,
        params: PageDep,
        status: RedemptionStatus | None = None,
        format: Format = "json",
    ):
        read(runtime, live_campaign, campaign_id)
        if format == "csv":
            listing = read(runtime, lambda session: lists.redemptions(session, campaign_id=campaign_id, status=status))
            return csv_response(
                listing_csv(runtime.session_factory, listing, REDEMPTION_COLUMNS, params.start_date, params.end_date),
                f"redemptions-{campaign_id}.csv",
            )
        return page(runtime, lambda session: lists.redemptions(session, campaign_id=campaign_id, status=status), params)

    @api.get("/{campaign_id}/rewards", summary="Reward redemptions", responses=returns(shapes.Page[shapes.Reward]))
    def rewards(
        campaign_id: str,
        runtime: RuntimeDep,
        params: PageDep,
        status: RewardStatus | None = None,
        customer_id: str | None = None,
        type: str | None = Query(None, description="credits|points|coupon|material"),
    ) -> dict:
        read(runtime, live_campaign, campaign_id)
        return page(
            runtime, lists.rewards(campaign_id, status=status, customer_id=customer_id, reward_type=type), params
        )

    @api.get(
        "/{campaign_id}/distributions",
        summary="Notifications sent for the campaign",
        responses=returns(shapes.Page[shapes.Distribution]),
    )
    def distributions(
        campaign_id: str,
        runtime: RuntimeDep,
        params: PageDep,
        trigger: str | None = None,
        status: str | None = None,
        channel: str | None = None,
    ) -> dict:
        read(runtime, live_campaign, campaign_id)
        return page(runtime, lists.distributions(campaign_id, trigger=trigger, status=status, channel=channel), params)

    @api.get(
        "/{campaign_id}/activity",
        summary="The campaign's activity, newest first",
        responses=returns(shapes.Page[shapes.Activity]),
    )
    def campaign_activity(
        campaign_id: str, runtime: RuntimeDep, params: PageDep, category: str | None = None, type: str | None = None
    ) -> dict:
        read(runtime, live_campaign, campaign_id)
        return page(runtime, lists.activity(campaign_id=campaign_id, category=category, activity_type=type), params)


def referrers_csv(runtime: Runtime, campaign_id: str, start: datetime | None, end: datetime | None) -> Response:
    """The campaign's referrers published in [start, end) as a CSV download (the API's and the dashboard's)."""
    rows = listing_csv(runtime.session_factory, lists.referrers(campaign_id), REFERRER_COLUMNS, start, end)
    return csv_response(rows, f"referrers-{campaign_id}.csv")
