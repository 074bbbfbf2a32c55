"""Campaign reads: the campaign list, the overview, tiers, rules, templates and the campaign's codes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from db.models import Activity, Campaign, CampaignReferrer, Code, Customer, Redemption, Tier, ValidationRule
from db.queries import Listing, serializers
from db.queries.lookups import code_by_text, live_campaign

TOP_REFERRERS = 5
RECENT_ACTIVITY = 10


def campaigns(*, active: bool | None = None) -> Listing:
    query = select(Campaign).where(Campaign.deleted_at.is_(None))
    if active is not None:
        query = query.where(Campaign.active.is_(active))
    return Listing(query, Campaign.id, Campaign.created_at, serializers.campaign)


def campaigns_with_totals(*, active: bool | None = None) -> Listing:
    """The campaign list of the dashboard: each campaign with its referrers (code holders), live referees and
    live rewards, summed from the trigger-maintained campaign_referrers rows (one GROUP BY over a few rows each)."""
    totals = (
        select(
            CampaignReferrer.campaign_id,
            func.count().filter(CampaignReferrer.codes_held > 0).label("referrers"),
            func.sum(CampaignReferrer.live_referrals).label("referees"),
            func.sum(CampaignReferrer.live_rewards).label("rewards"),
        )
        .group_by(CampaignReferrer.campaign_id)
        .subquery()
    )
    query = (
        select(Campaign, totals.c.referrers, totals.c.referees, totals.c.rewards)
        .outerjoin(totals, totals.c.campaign_id == Campaign.id)
        .where(Campaign.deleted_at.is_(None))
    )
    if active is not None:
        query = query.where(Campaign.active.is_(active))
    return Listing(query, Campaign.id, Campaign.created_at, _with_totals)


def _with_totals(row: Any) -> dict[str, Any]:
    campaign, referrers, referees, rewards = row
    return serializers.campaign(campaign) | {
        "referrers": referrers or 0,
        "referees": referees or 0,
        "rewards": rewards or 0,
    }


def codes(
    campaign_id: str, *, active: bool | None = None, published: bool | None = None, category: str | None = None
) -> Listing:
    """A campaign's codes that are not deleted, optionally by active flag, publication and category."""
    query = select(Code).where(Code.campaign_id == campaign_id, Code.deleted_at.is_(None))
    if active is not None:
        query = query.where(Code.active.is_(active))
    if published is not None:
        query = query.where(Code.holder_id.is_not(None) if published else Code.holder_id.is_(None))
    if category is not None:
        query = query.where(Code.category == category)
    return Listing(query, Code.id, Code.created_at, serializers.code)


def summary(session: Session, campaign_id: str) -> dict[str, Any]:
    """The campaign overview of SPEC §9, from the trigger-maintained campaign_referrers rows (see migration 0002)."""
    campaign = live_campaign(session, campaign_id)
    totals = _referrer_totals(session, campaign_id)
    return {
        "available_codes": _available_codes(session, campaign_id),
        "customers_joined": totals.holders + totals.referees - totals.referred_holders,
        "customers_with_codes": totals.holders,
        "referees": totals.referees,
        "rewards_assigned": totals.rewards,
        "top_referrers": top_referrers(session, campaign_id),
        "recent_activity": [
            serializers.activity(row)
            for row in session.scalars(
                select(Activity)
                .where(Activity.campaign_id == campaign_id)
                .order_by(Activity.id.desc())
                .limit(RECENT_ACTIVITY)
            )
        ],
        "validity": {
            "start_date": serializers.iso(campaign.start_date),
            "expiration_date": serializers.iso(campaign.expiration_date),
        },
    }


def _referrer_totals(session: Session, campaign_id: str) -> Row:
    """Code holders, live referees, holders who are live referees, and live rewards, summed over the referrer rows."""
    holder = CampaignReferrer.codes_held > 0
    query = select(
        func.count().filter(holder).label("holders"),
        func.coalesce(func.sum(CampaignReferrer.live_referrals), 0).label("referees"),
        func.count().filter(holder, CampaignReferrer.referred > 0).label("referred_holders"),
        func.coalesce(func.sum(CampaignReferrer.live_rewards), 0).label("rewards"),
    )
    return session.execute(query.where(CampaignReferrer.campaign_id == campaign_id)).one()


def _available_codes(session: Session, campaign_id: str) -> int:
    query = (
        select(func.count())
        .select_from(Code)
        .where(
            Code.campaign_id == campaign_id, Code.holder_id.is_(None), Code.active.is_(True), Code.deleted_at.is_(None)
        )
    )
    return session.scalar(query) or 0


def top_referrers(session: Session, campaign_id: str, limit: int = TOP_REFERRERS) -> list[dict[str, Any]]:
    """The referrers with the most live referrals, most first (ties by customer id)."""
    query = (
        select(Customer, CampaignReferrer.live_referrals)
        .join(Customer, Customer.id == CampaignReferrer.customer_id)
        .where(CampaignReferrer.campaign_id == campaign_id, CampaignReferrer.live_referrals > 0)
        .order_by(CampaignReferrer.live_referrals.desc(), CampaignReferrer.customer_id)
        .limit(limit)
    )
    return [
        {"customer_id": customer.id, "name": customer.name, "email": customer.email, "referees": referees}
        for customer, referees in session.execute(query)
    ]


def tiers(session: Session, campaign_id: str) -> list[dict[str, Any]]:
    live_campaign(session, campaign_id)
    query = (
        select(Tier).where(Tier.campaign_id == campaign_id, Tier.deleted_at.is_(None)).order_by(Tier.threshold, Tier.id)
    )
    return [serializers.tier(row) for row in session.scalars(query)]


def rules(session: Session, campaign_id: str, code_id: str | None = None) -> list[dict[str, Any]]:
    """Campaign-level rules (or one code's overrides), numbered in the order the logic refers to them."""
    scope = ValidationRule.code_id.is_(None) if code_id is None else ValidationRule.code_id == code_id
    query = select(ValidationRule).where(ValidationRule.campaign_id == campaign_id, scope)
    rows = session.scalars(query.order_by(ValidationRule.position, ValidationRule.id))
    return [serializers.rule(row) | {"number": number} for number, row in enumerate(rows, start=1)]


def rules_page(session: Session, campaign_id: str) -> dict[str, Any]:
    campaign = live_campaign(session, campaign_id)
    return {"data": rules(session, campaign_id), "logic": campaign.rules_logic, "next_cursor": None}


def templates(session: Session, campaign_id: str) -> dict[str, Any]:
    campaign = live_campaign(session, campaign_id)
    overrides = sorted((campaign.templates or {}).items())
    return {"data": [{"name": name, "source": source} for name, source in overrides], "next_cursor": None}


def has_redemptions(session: Session, campaign_id: str) -> bool:
    """Whether any redemption (succeeded or failed) was recorded: from then on the conversion and the currency
    are fixed. One index probe (ix_redemptions_campaign_id)."""
    query = select(Redemption.id).where(Redemption.campaign_id == campaign_id).limit(1)
    return session.scalar(query) is not None


def code_overrides(session: Session, campaign_id: str) -> list[dict[str, Any]]:
    """The campaign's code-level rules with the text of their code, by code then position (a handful per code)."""
    query = (
        select(ValidationRule, Code.code)
        .join(Code, Code.id == ValidationRule.code_id)
        .where(ValidationRule.campaign_id == campaign_id, Code.deleted_at.is_(None))
        .order_by(Code.code, ValidationRule.position, ValidationRule.id)
    )
    return [serializers.rule(rule) | {"code": text} for rule, text in session.execute(query)]


def deletion_impact(session: Session, campaign_id: str) -> dict[str, Any]:
    """What deleting a campaign touches: its live codes (counted on ix_codes_campaign_holder) and its referrers
    holding a code (from the campaign_referrers rows)."""
    live_campaign(session, campaign_id)
    codes_query = (
        select(func.count()).select_from(Code).where(Code.campaign_id == campaign_id, Code.deleted_at.is_(None))
    )
    return {"codes": session.scalar(codes_query) or 0, "referrers": _referrer_totals(session, campaign_id).holders}


def published_code(session: Session, campaign_id: str) -> str | None:
    """The text of any one live code a referrer holds, to show what a share link looks like (the first that
    ix_codes_campaign_holder finds: no sort over a million codes)."""
    query = (
        select(Code.code)
        .where(Code.campaign_id == campaign_id, Code.holder_id.is_not(None), Code.deleted_at.is_(None))
        .limit(1)
    )
    return session.scalar(query)


def code_rules(session: Session, text: str) -> dict[str, Any]:
    """A code's own rules (they override campaign rules of the same name)."""
    code = code_by_text(session, text, live=True)
    return {"data": rules(session, code.campaign_id, code.id), "next_cursor": None}
