"""Campaign reads: the campaign list, the overview, tiers, rules, templates and the campaign's codes."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Activity, Campaign, Code, Customer, Referral, Reward, Tier, ValidationRule
from db.queries import Listing, serializers
from db.queries.errors import Invalid, NotFound
from db.queries.lookups import code_by_text, live_campaign
from domain.model import LIVE_REWARD_STATUSES, ReferralStatus
from notifications.context import TRIGGERS, sample_context
from notifications.render import Renderer, TemplateError

TOP_REFERRERS = 5
RECENT_ACTIVITY = 10


def campaigns(*, active: bool | None = None) -> Listing:
    query = select(Campaign).where(Campaign.deleted_at.is_(None))
    if active is not None:
        query = query.where(Campaign.active.is_(active))
    return Listing(query, Campaign.id, Campaign.created_at, serializers.campaign)


def codes(campaign_id: str, *, active: bool | None = None, published: bool | None = None,
          category: str | None = None) -> Listing:
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
    """The campaign overview of SPEC §9 (every count comes from an index-only scan)."""
    campaign = live_campaign(session, campaign_id)
    top, referees = _referrer_counts(session, campaign_id, TOP_REFERRERS)
    holders = _count(session, Code, Code.campaign_id == campaign_id, Code.holder_id.is_not(None), distinct=Code.holder_id)
    return {
        "available_codes": _count(session, Code, Code.campaign_id == campaign_id, Code.holder_id.is_(None),
                                  Code.active.is_(True), Code.deleted_at.is_(None)),
        "customers_joined": holders + referees - _referred_holders(session, campaign_id),
        "customers_with_codes": holders,
        "referees": referees,
        "rewards_assigned": _count(session, Reward, Reward.campaign_id == campaign_id,
                                   Reward.status.in_(list(LIVE_REWARD_STATUSES))),
        "top_referrers": _with_customers(session, top),
        "recent_activity": [serializers.activity(row) for row in session.scalars(
            select(Activity).where(Activity.campaign_id == campaign_id).order_by(Activity.id.desc()).limit(RECENT_ACTIVITY))],
        "validity": {"start_date": serializers.iso(campaign.start_date),
                     "expiration_date": serializers.iso(campaign.expiration_date)},
    }


def _live_referrals(campaign_id: str) -> tuple:
    return Referral.campaign_id == campaign_id, Referral.status == ReferralStatus.ACTIVE


def _count(session: Session, model: Any, *conditions: Any, distinct: Any = None) -> int:
    """count(*), or count(DISTINCT `distinct`), of the rows of `model` meeting `conditions`."""
    aggregate = func.count() if distinct is None else func.count(distinct.distinct())
    return session.scalar(select(aggregate).select_from(model).where(*conditions)) or 0


def _referrer_counts(session: Session, campaign_id: str, limit: int) -> tuple[list[tuple[str, int]], int]:
    """The `limit` referrers with the most live referrals, and the number of live referrals, in one index scan."""
    per_referrer = (select(Referral.referrer_id, func.count().label("referees")).where(*_live_referrals(campaign_id))
                    .group_by(Referral.referrer_id).subquery())
    query = (select(per_referrer.c.referrer_id, per_referrer.c.referees, func.sum(per_referrer.c.referees).over())
             .order_by(per_referrer.c.referees.desc(), per_referrer.c.referrer_id).limit(limit))
    rows = session.execute(query).all()
    return [(referrer_id, referees) for referrer_id, referees, _total in rows], int(rows[0][2]) if rows else 0


def _referred_holders(session: Session, campaign_id: str) -> int:
    """Code holders who are also live referees of the campaign (counted once in customers_joined)."""
    referred = select(Referral.id).where(*_live_referrals(campaign_id), Referral.referee_id == Code.holder_id).exists()
    return session.scalar(select(func.count(Code.holder_id.distinct())).where(
        Code.campaign_id == campaign_id, Code.holder_id.is_not(None), referred)) or 0


def _with_customers(session: Session, counts: list[tuple[str, int]]) -> list[dict[str, Any]]:
    customers = {row.id: row for row in session.scalars(select(Customer).where(Customer.id.in_([id_ for id_, _ in counts])))}
    return [{"customer_id": customer_id, "name": customers[customer_id].name, "email": customers[customer_id].email,
             "referees": referees} for customer_id, referees in counts if customer_id in customers]


def top_referrers(session: Session, campaign_id: str, limit: int = TOP_REFERRERS) -> list[dict[str, Any]]:
    """The referrers with the most live referrals, most first."""
    return _with_customers(session, _referrer_counts(session, campaign_id, limit)[0])


def tiers(session: Session, campaign_id: str) -> list[dict[str, Any]]:
    live_campaign(session, campaign_id)
    query = select(Tier).where(Tier.campaign_id == campaign_id, Tier.deleted_at.is_(None)).order_by(Tier.threshold, Tier.id)
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


def preview(session: Session, campaign_id: str, trigger: str, locale: str | None = None) -> dict[str, str]:
    """A trigger's message rendered with the campaign's overrides and a sample context (with the campaign's own name)."""
    campaign = live_campaign(session, campaign_id)
    if trigger not in TRIGGERS:
        raise NotFound("trigger", trigger)
    context = sample_context(trigger)
    context["campaign"] = {**context["campaign"], "id": campaign.id, "name": campaign.name,
                           "referee_reward": campaign.referee_reward or context["campaign"]["referee_reward"],
                           "reward_hold_days": campaign.reward_hold_days}
    try:
        rendered = Renderer(overrides=campaign.templates).render(trigger, context, locale=locale)
    except TemplateError as error:
        raise Invalid(f"template {error}") from None
    return {"subject": rendered.subject, "text": rendered.text, "html": rendered.html}


def code_rules(session: Session, text: str) -> dict[str, Any]:
    """A code's own rules (they override campaign rules of the same name)."""
    code = code_by_text(session, text, live=True)
    return {"data": rules(session, code.campaign_id, code.id), "next_cursor": None}
