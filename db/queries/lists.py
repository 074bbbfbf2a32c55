"""The paginated lists: referrers, referees, redemptions, rewards, distributions, activity, customers, inbox, failed jobs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import BigInteger, cast, func, select
from sqlalchemy.orm import Session, aliased

from db.models import (
    Activity,
    Campaign,
    Code,
    Customer,
    Distribution,
    FailedJob,
    InboundEvent,
    LedgerEntry,
    Redemption,
    Referral,
    Reward,
)
from db.queries import Listing, serializers
from db.queries.errors import NotFound
from db.queries.lookups import find_code
from domain.emails import normalize_email
from domain.model import ReferralStatus


def _where(query, **equals: tuple[Any, Any]):
    """Add `column == value` for every filter that was given (value not None)."""
    for column, value in equals.values():
        if value is not None:
            query = query.where(column == value)
    return query


def referrers(campaign_id: str) -> Listing:
    """Published codes of a campaign with their holder and live referee count."""
    referees = (
        select(func.count(Referral.id))
        .where(
            Referral.campaign_id == campaign_id,
            Referral.referrer_id == Code.holder_id,
            Referral.code_id == Code.id,
            Referral.status == ReferralStatus.ACTIVE,
        )
        .scalar_subquery()
    )
    query = (
        select(Code, Customer, referees.label("referees"))
        .join(Customer, Customer.id == Code.holder_id)
        .where(Code.campaign_id == campaign_id, Code.deleted_at.is_(None))
    )
    return Listing(query, Code.id, Code.published_at, _referrer)


def _referrer(row: Any) -> dict[str, Any]:
    code, customer, referees = row
    return {
        "customer_id": customer.id,
        "name": customer.name,
        "email": customer.email,
        "code": code.code,
        "published_at": serializers.iso(code.published_at),
        "channel": code.publish_channel,
        "status": "active" if code.active else "inactive",
        "referees": referees,
    }


def referees(campaign_id: str, currency: str) -> Listing:
    """Customers a live referral links to a referrer in this campaign; amounts in the campaign's `currency`."""
    query = (
        select(Referral, Customer)
        .join(Customer, Customer.id == Referral.referee_id)
        .where(Referral.campaign_id == campaign_id, Referral.status == ReferralStatus.ACTIVE)
    )
    return Listing(query, Referral.id, Referral.created_at, lambda row: _referee(row, currency))


def _referee(row: Any, currency: str) -> dict[str, Any]:
    referral, customer = row
    return {
        "customer_id": customer.id,
        "name": customer.name,
        "email": customer.email,
        "referrer_id": referral.referrer_id,
        "orders_count": customer.orders_count,
        **serializers.order_totals(customer, currency),
        "referral_id": referral.id,
        "referred_at": serializers.iso(referral.created_at),
    }


def referee_totals(session: Session, listing: Listing, currency: str, start: Any, end: Any) -> dict[str, Any]:
    """Order count and amount in `currency` over every referee the listing covers (not only one page); amounts in
    other currencies are not added in (each referee's `orders_amounts` lists them)."""
    query = (
        listing.within(start, end)
        .order_by(None)
        .with_only_columns(
            func.sum(Customer.orders_count), func.sum(_amount_in(currency) + _amount_in("")), maintain_column_froms=True
        )
    )
    count, amount = session.execute(query).one()
    return {"total_orders_count": int(count or 0), "total_orders_amount": int(amount or 0), "currency": currency}


def _amount_in(currency: str) -> Any:
    """A customer's order total in one currency ("": orders that stated none), 0 when there is none."""
    return func.coalesce(cast(Customer.orders_amounts[currency].as_string(), BigInteger), 0)


def redemptions(
    session: Session,
    *,
    campaign_id: str | None = None,
    status: str | None = None,
    customer_id: str | None = None,
    code: str | None = None,
) -> Listing:
    query = _where(
        select(Redemption),
        campaign=(Redemption.campaign_id, campaign_id),
        status=(Redemption.status, status),
        customer=(Redemption.customer_id, customer_id),
    )
    if code is not None:
        known = find_code(session, code)
        query = query.where(Redemption.code_id == known.id if known else Redemption.code == code)
    return Listing(query, Redemption.id, Redemption.created_at, serializers.redemption)


def rewards(
    campaign_id: str, *, status: str | None = None, customer_id: str | None = None, reward_type: str | None = None
) -> Listing:
    """A campaign's reward redemptions, each with its referrer's name and email (joined, not one query per row)."""
    query = _where(
        _REWARDS.where(Reward.campaign_id == campaign_id),
        status=(Reward.status, status),
        customer=(Reward.customer_id, customer_id),
        type=(Reward.type, reward_type),
    )
    return Listing(query, Reward.id, Reward.created_at, _reward)


_REWARDS = select(Reward, Customer.name, Customer.email).join(Customer, Customer.id == Reward.customer_id)


def _reward(row: Any) -> dict[str, Any]:
    reward, name, email = row
    return serializers.reward(reward) | {"customer_name": name, "customer_email": email}


def reward(session: Session, reward_id: str) -> dict[str, Any]:
    """One reward redemption as the campaign's list shows it."""
    row = session.execute(_REWARDS.where(Reward.id == reward_id)).one_or_none()
    if row is None:
        raise NotFound("reward", reward_id)
    return _reward(row)


def distributions(
    campaign_id: str, *, trigger: str | None = None, status: str | None = None, channel: str | None = None
) -> Listing:
    query = _where(
        select(Distribution).where(Distribution.campaign_id == campaign_id),
        trigger=(Distribution.trigger, trigger),
        status=(Distribution.status, status),
        channel=(Distribution.channel, channel),
    )
    return Listing(query, Distribution.id, Distribution.created_at, serializers.distribution)


def activity(
    *,
    campaign_id: str | None = None,
    customer_id: str | None = None,
    category: str | None = None,
    activity_type: str | None = None,
) -> Listing:
    query = _where(
        select(Activity),
        campaign=(Activity.campaign_id, campaign_id),
        customer=(Activity.customer_id, customer_id),
        category=(Activity.category, category),
        type=(Activity.type, activity_type),
    )
    return Listing(query, Activity.id, Activity.created_at, serializers.activity)


def _balance(kind: str) -> Any:
    return (
        select(func.coalesce(func.sum(LedgerEntry.amount), 0))
        .where(LedgerEntry.customer_id == Customer.id, LedgerEntry.kind == kind)
        .scalar_subquery()
    )


def customers(
    *, currency: str, source_id: str | None = None, email: str | None = None, customer_id: str | None = None
) -> Listing:
    """Customers with their credits and points balances summed from the ledger; `orders_amount` in `currency`."""
    query = _where(
        select(Customer, _balance("credits").label("credits"), _balance("points").label("points")),
        id=(Customer.id, customer_id),
        source=(Customer.source_id, source_id),
    )
    if email is not None:
        query = query.where(Customer.email_normalized == (normalize_email(email) or email.strip().lower()))
    return Listing(query, Customer.id, Customer.created_at, lambda row: serializers.customer(*row, currency=currency))


def customer(session: Session, customer_id: str, currency: str) -> dict[str, Any]:
    listing = customers(customer_id=customer_id, currency=currency)
    row = session.execute(listing.query).one_or_none()
    if row is None:
        raise NotFound("customer", customer_id)
    return listing.serialize(row)


def events(*, status: str | None = None, source: str | None = None) -> Listing:
    query = _where(select(InboundEvent), status=(InboundEvent.status, status), source=(InboundEvent.source, source))
    return Listing(query, InboundEvent.id, InboundEvent.received_at, serializers.event)


def failed_jobs(*, actor: str | None = None) -> Listing:
    query = _where(select(FailedJob), actor=(FailedJob.actor, actor))
    return Listing(query, FailedJob.id, FailedJob.failed_at, serializers.failed_job)


def people(session: Session, customer_ids: Iterable[str | None]) -> dict[str, dict[str, Any]]:
    """Name and email of each customer id given (one query by primary key for a whole page of rows)."""
    wanted = {customer_id for customer_id in customer_ids if customer_id}
    if not wanted:
        return {}
    rows = session.execute(select(Customer.id, Customer.name, Customer.email).where(Customer.id.in_(wanted)))
    return {row.id: {"id": row.id, "name": row.name, "email": row.email} for row in rows}


SHOWN = 50  # rows of each list on a customer's page


def held_codes(session: Session, customer_id: str) -> list[dict[str, Any]]:
    """The live codes a customer holds, newest publication first, with each campaign's name. Joined from the
    campaigns so each campaign is one probe of ix_codes_campaign_holder (there is no index on holder alone)."""
    query = (
        select(Code, Campaign.name)
        .join(Campaign, Campaign.id == Code.campaign_id)
        .where(Code.holder_id == customer_id, Code.deleted_at.is_(None), Campaign.deleted_at.is_(None))
        .order_by(Code.published_at.desc(), Code.id.desc())
        .limit(SHOWN)
    )
    return [serializers.code(code) | {"campaign_name": name} for code, name in session.execute(query)]


def customer_referrals(session: Session, customer_id: str) -> dict[str, list[dict[str, Any]]]:
    """Who the customer referred (`referees`, through ix_referrals_referrer per campaign) and who referred them
    (`referrers`, through the referee index), newest first, each with the other person's name and email."""
    other = aliased(Customer)
    base = select(Referral, other.id, other.name, other.email, Campaign.name).join(
        Campaign, Campaign.id == Referral.campaign_id
    )
    as_referrer = base.join(other, other.id == Referral.referee_id).where(Referral.referrer_id == customer_id)
    as_referee = base.join(other, other.id == Referral.referrer_id).where(Referral.referee_id == customer_id)
    return {
        "referees": _referral_rows(session, as_referrer),
        "referrers": _referral_rows(session, as_referee),
    }


def _referral_rows(session: Session, query: Any) -> list[dict[str, Any]]:
    rows = session.execute(query.order_by(Referral.id.desc()).limit(SHOWN))
    return [
        {
            "referral_id": referral.id,
            "campaign_id": referral.campaign_id,
            "campaign_name": campaign_name,
            "status": referral.status,
            "customer": {"id": person_id, "name": name, "email": email},
            "created_at": serializers.iso(referral.created_at),
        }
        for referral, person_id, name, email, campaign_name in rows
    ]


def campaign_names(session: Session) -> dict[str, str]:
    """Live campaigns' ids → names, for a filter's select (campaigns are few)."""
    query = select(Campaign.id, Campaign.name).where(Campaign.deleted_at.is_(None)).order_by(Campaign.name)
    return dict(session.execute(query.limit(500)).all())
