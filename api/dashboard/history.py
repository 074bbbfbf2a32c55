"""What a campaign's pipeline produced, as tabs: redemptions (with a CSV export and a page per redemption that
shows the rule logs of a failure), reward redemptions, distributions and activity; and the operator's corrections
on them (roll back a redemption, complete or roll back a reward, resend a notification), each the same
app.operations command the API and the CLI run."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.dashboard.pages import (
    activity_label,
    back,
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
from api.v1.campaigns import REDEMPTION_COLUMNS
from api.v1.common import csv_response
from app import operations
from db.models import Activity, Campaign, Code, Customer, Order, Redemption, Referral, Reward, Tier
from db.queries import Listing, lists, serializers
from db.queries.export import listing_csv
from db.queries.lookups import get, live_campaign
from domain import activity as activity_types
from domain.model import DistributionStatus, RedemptionStatus, RewardStatus, RewardType
from domain.notify import CHANNELS, TRIGGERS

REDEMPTION_STATUSES = tuple(RedemptionStatus)
REWARD_STATUSES = tuple(RewardStatus)
REWARD_TYPES = tuple(RewardType)
DISTRIBUTION_STATUSES = tuple(DistributionStatus)
# the data fields an activity row is summed up by, in this order (ids that get their own link are left out)
# (not the amount: the row does not say in what currency, or whether it counts points)
SUMMARY_FIELDS = ("order_id", "result", "failure_code", "type", "channel", "trigger", "status", "reason")
RELATED_ACTIVITY = 50


def history_router() -> APIRouter:
    pages = router()
    _redemptions(pages)
    _rewards(pages)
    _distributions(pages)
    _activity(pages)
    return pages


def chosen(value: str | None, allowed: Iterable[str]) -> str | None:
    """A filter's value when it is one of `allowed`, else None (no filter): a typo in a URL shows everything."""
    return value if value in tuple(allowed) else None


def here(request: Request) -> str:
    """This page with its filters and cursor: where a row's form comes back to."""
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


@dataclass
class Window:
    """The query parameters every list tab shares: the date inputs (days in UTC, both inclusive) and the cursor."""

    start: str | None = None
    end: str | None = None
    cursor: str | None = None


WindowDep = Annotated[Window, Depends()]


def list_tab(
    request: Request,
    campaign_id: str,
    tab: str,
    listing: Listing | Callable[[Session], Listing],
    window: Window,
    filters: dict[str, str | None],
    shown: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] = lambda rows: rows,
    **context: Any,
) -> Response:
    """A campaign tab listing `listing` newest first within `window`: its template is campaign_<tab>.html
    (extending _history_tab.html), its rows one page as `shown` makes them, its filters kept by the pager and
    by every row's form (`here`)."""
    page = newest_first(request, listing, window.cursor, window=day_window(window.start, window.end))
    filters = filters | {"start": window.start, "end": window.end}
    return campaign_page(
        request,
        campaign_id,
        tab,
        f"campaign_{tab}.html",
        rows=shown(page["data"]),
        next_cursor=page["next_cursor"],
        params=filters | {"cursor": window.cursor},
        filters=filters,
        here=here(request),
        **context,
    )


def people(session: Session, ids: Iterable[str | None]) -> dict[str, dict[str, Any]]:
    """Name and email of each customer in `ids`, in one query (a page's rows, not one query per row)."""
    wanted = {customer_id for customer_id in ids if customer_id}
    if not wanted:
        return {}
    rows = session.execute(select(Customer.id, Customer.name, Customer.email).where(Customer.id.in_(wanted)))
    return {row.id: {"id": row.id, "name": row.name, "email": row.email} for row in rows}


def with_people(request: Request, rows: list[dict[str, Any]], key: str = "customer_id") -> list[dict[str, Any]]:
    """`rows` each with `person`: the name and email of the customer its `key` names (None when it names none)."""
    found = read(request, people, [row.get(key) for row in rows])
    return [row | {"person": found.get(row.get(key) or "")} for row in rows]


# --- redemptions -------------------------------------------------------------------------------------------------


def _redemptions(pages: APIRouter) -> None:
    @pages.get("/campaigns/{campaign_id}/redemptions")
    def redemptions(request: Request, campaign_id: str, window: WindowDep, status: str | None = None) -> Response:
        status = chosen(status, REDEMPTION_STATUSES)
        return list_tab(
            request,
            campaign_id,
            "redemptions",
            lambda session: lists.redemptions(session, campaign_id=campaign_id, status=status),
            window,
            {"status": status},
            lambda rows: with_amounts(request, with_people(request, rows)),
            statuses=REDEMPTION_STATUSES,
        )

    @pages.get("/campaigns/{campaign_id}/redemptions.csv")
    def redemptions_csv(
        request: Request, campaign_id: str, status: str | None = None, start: str | None = None, end: str | None = None
    ) -> Response:
        """The tab's rows with its filters, as the API's `format=csv` export streams them."""
        status = chosen(status, REDEMPTION_STATUSES)
        read(request, live_campaign, campaign_id)
        listing = read(request, lambda session: lists.redemptions(session, campaign_id=campaign_id, status=status))
        factory = request.app.state.dashboard.runtime.session_factory
        chunks = listing_csv(factory, listing, REDEMPTION_COLUMNS, *day_window(start, end))
        return csv_response(chunks, f"redemptions-{campaign_id}.csv")

    @pages.get("/redemptions/{redemption_id}")
    def redemption(request: Request, redemption_id: str) -> Response:
        view = read(request, redemption_view, redemption_id)
        return render(request, "redemption.html", title=f"Redemption {redemption_id}", **view)

    @pages.post("/redemptions/{redemption_id}/rollback")
    async def rollback_redemption(request: Request, redemption_id: str) -> Response:
        await run_async(request, operations.rollback_redemption, redemption_id)
        flash(request, f"Redemption {redemption_id} is rolled back; its referral and pending rewards follow.")
        return redirect(await back(request, f"/redemptions/{redemption_id}"))


def with_amounts(request: Request, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each redemption with its amount as text in its order's currency (a redemption keeps the order's amount as
    the order stated it), the currencies of a page read in one query."""
    ids = [row["id"] for row in rows if row["amount"] is not None]
    currencies = dict(read(request, lambda session: session.execute(_order_currencies(ids)).all())) if ids else {}
    return [row | {"amount_text": money(row["amount"], currencies.get(row["id"]))} for row in rows]


def _order_currencies(redemption_ids: list[str]) -> Any:
    return (
        select(Redemption.id, Order.currency)
        .join(Order, Order.id == Redemption.order_id)
        .where(Redemption.id.in_(redemption_ids))
    )


def redemption_view(session: Session, redemption_id: str) -> dict[str, Any]:
    """Everything the redemption page shows: the redemption with its rule logs, its campaign, code, customer,
    referrer and order, the rewards its referral created and the activity that names it."""
    row = get(session, Redemption, redemption_id, "redemption")
    code = session.get(Code, row.code_id) if row.code_id else None
    referrer_id = code.holder_id if code else None
    found = people(session, [row.customer_id, referrer_id])
    order = session.get(Order, row.order_id) if row.order_id else None
    campaign = session.get(Campaign, row.campaign_id) if row.campaign_id else None
    return {
        "redemption": serializers.redemption_detail(row),
        "campaign": {"id": campaign.id, "name": campaign.name} if campaign and not campaign.deleted_at else None,
        "customer": found.get(row.customer_id or ""),
        "referrer": found.get(referrer_id or ""),
        "order": {"id": row.order_external_id, "amount": money(order.amount, order.currency)} if order else None,
        "amount": money(row.amount, order.currency if order else None),  # the order's amount, in its currency
        "rewards": _rewards_of(session, redemption_id),
        "activity": _activity_of(session, row),
    }


def _rewards_of(session: Session, redemption_id: str) -> list[dict[str, Any]]:
    query = (
        select(Reward)
        .join(Referral, Referral.id == Reward.referral_id)
        .where(Referral.redemption_id == redemption_id)
        .order_by(Reward.id)
    )
    return [serializers.reward(reward) for reward in session.scalars(query)]


def _activity_of(session: Session, row: Redemption) -> list[dict[str, Any]]:
    """The activity rows of the redemption's customer that name it (the customer's rows are indexed; the referrer's
    rows name the referral, not the redemption)."""
    if not row.customer_id:
        return []
    query = (
        select(Activity)
        .where(Activity.customer_id == row.customer_id, Activity.data["redemption_id"].as_string() == row.id)
        .order_by(Activity.id.desc())
        .limit(RELATED_ACTIVITY)
    )
    return [serializers.activity(item) for item in session.scalars(query)]


# --- rewards -----------------------------------------------------------------------------------------------------


def _rewards(pages: APIRouter) -> None:
    @pages.get("/campaigns/{campaign_id}/rewards")
    def rewards(
        request: Request, campaign_id: str, window: WindowDep, status: str | None = None, type: str | None = None
    ) -> Response:
        status, reward_type = chosen(status, REWARD_STATUSES), chosen(type, REWARD_TYPES)
        currency = read(request, live_campaign, campaign_id).currency
        return list_tab(
            request,
            campaign_id,
            "rewards",
            lists.rewards(campaign_id, status=status, reward_type=reward_type),
            window,
            {"status": status, "type": reward_type},
            lambda rows: [row | {"value": reward_value(row, currency)} for row in rows],
            tiers=read(request, tier_names, campaign_id),
            statuses=REWARD_STATUSES,
            types=REWARD_TYPES,
        )

    @pages.post("/rewards/{reward_id}/complete")
    async def complete_reward(request: Request, reward_id: str) -> Response:
        reward = await run_async(request, operations.complete_reward, reward_id)
        flash(request, f"Reward {reward.id} is completed.")
        return redirect(await back(request, f"/campaigns/{reward.campaign_id}/rewards"))

    @pages.post("/rewards/{reward_id}/rollback")
    async def rollback_reward(request: Request, reward_id: str) -> Response:
        reward = await run_async(request, operations.rollback_reward, reward_id)
        flash(request, f"Reward {reward.id} is rolled back; a completed balance was reversed.")
        return redirect(await back(request, f"/campaigns/{reward.campaign_id}/rewards"))


def reward_value(reward: dict[str, Any], currency: str) -> str:
    """What the referrer gets: credits in the campaign's currency, points as a count, else the type's details."""
    if reward["type"] == RewardType.CREDITS:
        return money(reward["amount"], currency)
    if reward["type"] == RewardType.POINTS:
        return f"{reward['amount'] or 0} points"
    details = reward["details"] or {}
    return str(details.get("code") or details.get("name") or details.get("description") or reward["amount"] or "—")


def tier_names(session: Session, campaign_id: str) -> dict[str, str]:
    """Each tier of the campaign by id → name (a campaign has a handful)."""
    rows = session.execute(select(Tier.id, Tier.name).where(Tier.campaign_id == campaign_id))
    return {tier_id: name for tier_id, name in rows}


# --- distributions -----------------------------------------------------------------------------------------------


def _distributions(pages: APIRouter) -> None:
    @pages.get("/campaigns/{campaign_id}/distributions")
    def distributions(
        request: Request,
        campaign_id: str,
        window: WindowDep,
        trigger: str | None = None,
        status: str | None = None,
        channel: str | None = None,
    ) -> Response:
        filters = {
            "trigger": chosen(trigger, TRIGGERS),
            "status": chosen(status, DISTRIBUTION_STATUSES),
            "channel": chosen(channel, CHANNELS),
        }
        return list_tab(
            request,
            campaign_id,
            "distributions",
            lists.distributions(campaign_id, **filters),
            window,
            filters,
            lambda rows: with_people(request, rows),
            triggers=TRIGGERS,
            statuses=DISTRIBUTION_STATUSES,
            channels=CHANNELS,
        )

    @pages.post("/distributions/{distribution_id}/resend")
    async def resend(request: Request, distribution_id: str) -> Response:
        distribution = await run_async(request, operations.resend_distribution, distribution_id)
        flash(request, f"Notification {distribution.id} is queued to be sent again.")
        return redirect(await back(request, f"/campaigns/{distribution.campaign_id}/distributions"))


# --- activity ----------------------------------------------------------------------------------------------------

ACTIVITY_TYPES = tuple(
    sorted(value for name, value in vars(activity_types).items() if name.isupper() and isinstance(value, str))
)


def _activity(pages: APIRouter) -> None:
    @pages.get("/campaigns/{campaign_id}/activity")
    def campaign_activity(
        request: Request, campaign_id: str, window: WindowDep, category: str | None = None, type: str | None = None
    ) -> Response:
        category, activity_type = chosen(category, activity_types.CATEGORIES), chosen(type, ACTIVITY_TYPES)
        return list_tab(
            request,
            campaign_id,
            "activity",
            lists.activity(campaign_id=campaign_id, category=category, activity_type=activity_type),
            window,
            {"category": category, "type": activity_type},
            lambda rows: [row | {"summary": summary(row["data"])} for row in with_people(request, rows)],
            categories=activity_types.CATEGORIES,
            types={value: activity_label(value) for value in ACTIVITY_TYPES},
        )


def summary(data: dict[str, Any] | None) -> str:
    """A few words on an activity row: `order id: o-1 · result: success`."""
    data = data or {}
    return " · ".join(
        f"{name.replace('_', ' ')}: {data[name]}" for name in SUMMARY_FIELDS if data.get(name) not in (None, "")
    )
