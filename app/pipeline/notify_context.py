"""What a notification template sees, read fresh from the database when the distribution is sent."""

from __future__ import annotations

import hashlib
import hmac
import io
from dataclasses import dataclass
from typing import Any

import segno
from sqlalchemy import String, bindparam, select, true
from sqlalchemy.orm import Session, aliased

from config.settings import Settings
from db.models import Campaign, Code, Customer, Referral, Reward, Tier
from domain.notify import stale_reason


@dataclass(frozen=True)
class Loaded:
    """What one send reads: the template context, and why the notification must not go out after all (or None)."""

    context: dict[str, Any]
    stale_reason: str | None


def load_context(session: Session, settings: Settings, distribution: Any) -> Loaded:
    """The template context of SPEC's triggers for one distribution (a row of the distributions table), and
    whether what it announces (its reward or referral) was rolled back while it waited."""
    refs = distribution.context
    campaign, customer, held_code, reward, tier, referee, referral_status = session.execute(
        _CONTEXT,
        {
            "campaign_id": distribution.campaign_id,
            "customer_id": distribution.customer_id,
            "reward_id": refs.get("reward_id"),
            "referee_id": refs.get("referee_id"),
            "referral_id": refs.get("referral_id"),
        },
    ).one()
    reason = stale_reason(distribution.trigger, reward.status if reward else None, referral_status)
    context = _template_context(
        settings,
        distribution.trigger,
        campaign=campaign,
        customer=customer,
        code=refs.get("code") or held_code,
        reward=reward,
        tier=tier,
        referee=referee,
    )
    return Loaded(context, reason)


def _template_context(
    settings: Settings,
    trigger: str,
    *,
    campaign: Campaign,
    customer: Customer,
    code: str | None,
    reward: Reward | None,
    tier: Tier | None,
    referee: Customer | None,
) -> dict[str, Any]:
    share_url = f"{settings.public_url.rstrip('/')}/r/{code}" if code else None
    return {
        "trigger": trigger,
        "campaign": {
            "id": campaign.id,
            "name": campaign.name,
            "referee_reward": campaign.referee_reward,
            "reward_hold_days": campaign.reward_hold_days,
        },
        "customer": {
            "id": customer.id,
            "name": customer.name,
            "email": customer.email,
            "locale": customer.locale,
            "metadata": customer.meta,
        },
        "code": code,
        "share_url": share_url,
        "qr_png": qr_png(share_url) if trigger == "code_published" and share_url else None,
        "reward": _reward(reward, tier),
        "referee": {"name": referee.name, "email": referee.email} if referee else None,
        "unsubscribe_url": unsubscribe_url(settings, customer.id),
        "brand": {"name": settings.brand_name},
    }


# Everything a template shows, in one round trip, built once (every send runs it): the campaign and the
# customer by primary key, the code the customer holds (their share link), and the reward with its tier and
# the referee when the distribution names them, and the status of the referral it announces.
_Referee = aliased(Customer)
_HELD_CODE = (
    select(Code.code)
    .where(Code.campaign_id == Campaign.id, Code.holder_id == Customer.id)
    .order_by(Code.published_at)
    .limit(1)
    .scalar_subquery()
)
_REFERRAL_STATUS = (
    select(Referral.status).where(Referral.id == bindparam("referral_id", type_=String)).scalar_subquery()
)
_CONTEXT = (
    select(Campaign, Customer, _HELD_CODE, Reward, Tier, _Referee, _REFERRAL_STATUS)
    .join_from(Campaign, Customer, true())
    .outerjoin(Reward, Reward.id == bindparam("reward_id", type_=String))
    .outerjoin(Tier, Tier.id == Reward.tier_id)
    .outerjoin(_Referee, _Referee.id == bindparam("referee_id", type_=String))
    .where(Campaign.id == bindparam("campaign_id"), Customer.id == bindparam("customer_id"))
)


def qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=6, border=2)
    return buffer.getvalue()


def _reward(reward: Reward | None, tier: Tier | None) -> dict | None:
    if reward is None:
        return None
    return {
        "id": reward.id,
        "type": reward.type,
        "amount": reward.amount,
        "status": reward.status,
        "tier_name": tier.name if tier else None,
        "description": reward.details.get("description"),
        "code": reward.details.get("code"),
        "hold_until": reward.hold_until.isoformat() if reward.hold_until and reward.status == "pending" else None,
    }


def unsubscribe_token(settings: Settings, customer_id: str) -> str:
    """A token that proves an unsubscribe link was made by us for this customer."""
    digest = hmac.new(settings.signing_key.encode(), customer_id.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{customer_id}.{digest}"


def unsubscribe_url(settings: Settings, customer_id: str) -> str:
    return f"{settings.public_url.rstrip('/')}/unsubscribe/{unsubscribe_token(settings, customer_id)}"


def customer_of_token(settings: Settings, token: str) -> str | None:
    customer_id, _, _digest = token.rpartition(".")
    if customer_id and hmac.compare_digest(unsubscribe_token(settings, customer_id), token):
        return customer_id
    return None
