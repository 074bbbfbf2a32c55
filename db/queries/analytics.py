"""Program figures (SPEC §5 "Program figures"): what a campaign brought over a window of UTC days, per day or week.

Every figure is counted from the rows that hold it, over [first day 00:00, day after the last 00:00) in UTC, each
with one GROUP BY over an index range of the campaign (migration 0007 lists which index serves which query):
referees from referrals, redemptions from redemptions, rewards from reward_redemptions (created, completed and
rolled back each on the day that happened), revenue from orders (paid_at, counted_amount: net of refunds, nothing
for a cancelled or fully refunded order), activation and the K-factor from codes (published_at, holder_id).
Share-link visits and conversion (visitors → referees) come with share links (SPEC §5.1) and are not returned yet:
`not_counted` says so, so that a client never reads a zero as "no visits".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import Date, cast, exists, func, or_, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from db.models import Code, Order, Redemption, Referral, Reward
from db.queries.errors import Invalid
from db.queries.exchange_rates import in_campaign_currency
from db.queries.lookups import live_campaign
from domain.money import Converted

Interval = Literal["day", "week"]
INTERVALS: tuple[Interval, ...] = ("day", "week")
DEFAULT_DAYS = 30
MAX_DAYS = 366
COUNTS = (
    "referees",
    "redemptions_succeeded",
    "redemptions_failed",
    "rewards_created",
    "rewards_completed",
    "rewards_rolled_back",
)
MONEY = ("referral_revenue", "attributed_revenue")

DEFINITIONS = {
    "referees": "Referrals created on the day that are still live: a referral rolled back later is taken off the "
    "day it was created.",
    "redemptions_succeeded": "Redemptions made on the day whose status is succeeded (rolled-back ones are in neither "
    "count).",
    "redemptions_failed": "Redemptions refused on the day (status failed).",
    "rewards_created": "Rewards given on the day, whatever became of them.",
    "rewards_completed": "Rewards completed on the day (after any hold).",
    "rewards_rolled_back": "Rewards rolled back on the day.",
    "referral_revenue": "Orders paid on the day by customers who are live referees of the campaign, with or without a "
    "code, net of refunds (a cancelled or fully refunded order counts 0), in the campaign's currency (minor units; "
    "other currencies converted at the operator's rate of the day).",
    "attributed_revenue": "The part of referral revenue from converting orders only: the orders whose redemption "
    "made the referral (status succeeded).",
    "activation": "Referrers given a code in the window who have at least one live referee by the window's end, "
    "divided by the referrers given a code in the window.",
    "k_factor": "Referees gained in the window divided by the referrers holding a code at the window's start: how "
    "many new customers each referrer brings; above 1 the program grows by itself. Null when no referrer held a "
    "code then.",
}
NOT_COUNTED = {
    "visits": "Share-link visits are not counted yet (share links, SPEC §5.1, are not built).",
    "conversion": "Conversion (unique visitors → referees) needs share-link visits, which are not counted yet.",
}


@dataclass(frozen=True)
class Window:
    """UTC days `first`..`last` (both included), reported per day or per calendar week (Monday first)."""

    first: date
    last: date
    interval: Interval = "day"

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), UTC)

    @property
    def end(self) -> datetime:
        """The exclusive end: midnight after the last day."""
        return datetime.combine(self.last + timedelta(days=1), time(), UTC)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def points(self, today: date) -> list[date]:
        """The first day of each point, up to today (no future points): days, or the Monday of each week."""
        last = min(self.last, today)
        if self.interval == "day":
            return [self.first + timedelta(days=n) for n in range((last - self.first).days + 1)]
        monday = self.first - timedelta(days=self.first.weekday())
        return [monday + timedelta(weeks=n) for n in range((last - monday).days // 7 + 1)] if last >= self.first else []

    def point_of(self, day: date) -> date:
        return day if self.interval == "day" else day - timedelta(days=day.weekday())


def window(
    first: date | None = None, last: date | None = None, interval: str = "day", *, today: date | None = None
) -> Window:
    """The window the API, the CLI and the dashboard ask for: default the last 30 days up to today; Invalid for an
    unknown interval, an end before the start, or more than MAX_DAYS days (one request must stay cheap)."""
    today = today or datetime.now(UTC).date()
    if interval not in INTERVALS:
        raise Invalid(f"interval must be one of {', '.join(INTERVALS)}, not {str(interval)[:20]!r}")
    last = last or (today if first is None else min(first + timedelta(days=DEFAULT_DAYS - 1), today))
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise Invalid(f"end_date {last.isoformat()} is before start_date {first.isoformat()}")
    if (last - first).days + 1 > MAX_DAYS:
        raise Invalid(f"a window is at most {MAX_DAYS} days; this one has {(last - first).days + 1}")
    return Window(first, last, interval)  # type: ignore[arg-type]


def figures(session: Session, campaign_id: str, span: Window, *, today: date | None = None) -> dict[str, Any]:
    """Totals and the zero-filled series of every figure over `span`, with each figure's definition."""
    campaign = live_campaign(session, campaign_id)
    today = today or datetime.now(UTC).date()
    _without_jit(session)
    daily: dict[str, dict[date, int]] = {
        "referees": _per_day(session, Referral.created_at, _live_referrals(campaign_id), span),
        **_redemptions_per_day(session, campaign_id, span),
        "rewards_created": _per_day(session, Reward.created_at, [Reward.campaign_id == campaign_id], span),
        "rewards_completed": _per_day(session, Reward.completed_at, [Reward.campaign_id == campaign_id], span),
        "rewards_rolled_back": _per_day(session, Reward.rolled_back_at, [Reward.campaign_id == campaign_id], span),
    }
    unconverted: dict[str, int] = defaultdict(int)
    daily |= _revenue_per_day(session, campaign_id, campaign.currency, span, unconverted)
    series = _series(daily, span, today)
    totals = {name: sum(daily[name].values()) for name in (*COUNTS, *MONEY)}
    return {
        "campaign_id": campaign.id,
        "window": {"start_date": span.first.isoformat(), "end_date": span.last.isoformat(), "interval": span.interval},
        "currency": campaign.currency,
        "totals": totals
        | {
            "activation": _activation(session, campaign_id, span),
            "k_factor": _k_factor(session, campaign_id, span, totals["referees"]),
        },
        "unconverted_revenue": dict(sorted(unconverted.items())),
        "series": series,
        "definitions": DEFINITIONS,
        "not_counted": NOT_COUNTED,
    }


def _without_jit(session: Session) -> None:
    """PostgreSQL compiles the revenue query (its cost estimate is high) for ~80 ms, more than it then saves; off for
    this read's transaction only."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def _series(daily: dict[str, dict[date, int]], span: Window, today: date) -> list[dict[str, Any]]:
    """One point per day or week up to today, every figure zero-filled."""
    points = {point: dict.fromkeys(daily, 0) for point in span.points(today)}
    for name, per_day in daily.items():
        for day, value in per_day.items():
            point = points.get(span.point_of(day))
            if point is not None:
                point[name] += value
    return [{"date": point.isoformat(), **values} for point, values in points.items()]


def _per_day(session: Session, column: Any, conditions: list, span: Window) -> dict[date, int]:
    day = _day_expression(session, column)
    query = select(day, func.count()).where(*conditions, column >= span.start, column < span.end).group_by(day)
    return {_as_date(found): count for found, count in session.execute(query)}


def _day_expression(session: Session, column: Any) -> ColumnElement:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _live_referrals(campaign_id: str) -> list:
    return [Referral.campaign_id == campaign_id, Referral.status == "active"]


def _redemptions_per_day(session: Session, campaign_id: str, span: Window) -> dict[str, dict[date, int]]:
    """Succeeded and failed redemptions per day, in one scan of the campaign's (campaign_id, created_at, status)."""
    day = _day_expression(session, Redemption.created_at)
    query = (
        select(day, Redemption.status, func.count())
        .where(
            Redemption.campaign_id == campaign_id,
            Redemption.created_at >= span.start,
            Redemption.created_at < span.end,
            Redemption.status.in_(("succeeded", "failed")),
        )
        .group_by(day, Redemption.status)
    )
    found: dict[str, dict[date, int]] = {"redemptions_succeeded": {}, "redemptions_failed": {}}
    for day_found, status, count in session.execute(query):
        found[f"redemptions_{status}"][_as_date(day_found)] = count
    return found


def _revenue_per_day(
    session: Session, campaign_id: str, currency: str, span: Window, unconverted: dict[str, int]
) -> dict[str, dict[date, int]]:
    """Referral and attributed revenue per day in the campaign's currency, in one pass over the orders paid in the
    window: those of a live referee, and among them the converting ones (a converting order is its referee's, so
    the second is a part of the first). An amount with no rate to convert it goes to `unconverted` (by currency)
    instead of being guessed."""
    referee = exists().where(
        Referral.campaign_id == campaign_id, Referral.status == "active", Referral.referee_id == Order.customer_id
    )
    converting = exists().where(
        Redemption.order_id == Order.id, Redemption.campaign_id == campaign_id, Redemption.status == "succeeded"
    )
    day = _day_expression(session, Order.paid_at)
    query = (
        select(
            day,
            Order.currency,
            func.sum(Order.counted_amount),
            func.coalesce(func.sum(Order.counted_amount).filter(converting), 0),
        )
        .where(Order.paid_at >= span.start, Order.paid_at < span.end, Order.counted_amount.is_not(None), referee)
        .group_by(day, Order.currency)
    )
    found: dict[str, dict[date, int]] = {name: defaultdict(int) for name in MONEY}
    for day_found, order_currency, *amounts in session.execute(query):
        on = _as_date(day_found)
        for name, amount in zip(MONEY, amounts, strict=True):
            conversion = in_campaign_currency(session, int(amount or 0), order_currency, currency, on)
            if isinstance(conversion, Converted):
                found[name][on] += conversion.amount or 0
            elif name == "referral_revenue":  # the attributed part is inside it
                unconverted[conversion.source] += int(amount or 0)
    return {name: dict(per_day) for name, per_day in found.items()}


def _holders(campaign_id: str, *conditions: Any) -> Any:
    """Distinct customers holding a live code of the campaign that meets `conditions`."""
    return (
        select(Code.holder_id)
        .where(Code.campaign_id == campaign_id, Code.holder_id.is_not(None), *conditions)
        .distinct()
    )


def _activation(session: Session, campaign_id: str, span: Window) -> dict[str, Any]:
    invited = _holders(campaign_id, Code.published_at >= span.start, Code.published_at < span.end).subquery()
    has_referee = exists().where(
        Referral.campaign_id == campaign_id,
        Referral.referrer_id == invited.c.holder_id,
        Referral.status == "active",
        Referral.created_at < span.end,
    )
    count, activated = session.execute(
        select(func.count(), func.count().filter(has_referee)).select_from(invited)
    ).one()
    return {
        "value": round(activated / count, 4) if count else None,
        "activated": activated,
        "invited": count,
        "reason": None if count else "no referrer was given a code in the window",
    }


def _k_factor(session: Session, campaign_id: str, span: Window, referees: int) -> dict[str, Any]:
    still_held = or_(Code.deleted_at.is_(None), Code.deleted_at >= span.start)
    holders = _holders(campaign_id, Code.published_at < span.start, still_held).subquery()
    referrers = session.scalar(select(func.count()).select_from(holders)) or 0
    return {
        "value": round(referees / referrers, 4) if referrers else None,
        "referees": referees,
        "referrers": referrers,
        "reason": None if referrers else "no referrer held a code at the window's start",
    }
