"""What a notification template sees, read fresh from the database when the distribution is sent."""
from __future__ import annotations

import hashlib
import hmac
import io
from typing import Any

import segno
from sqlalchemy import select, true
from sqlalchemy.orm import Session

from config.settings import Settings
from db.models import Campaign, Code, Customer, Reward, Tier


def render_context(session: Session, settings: Settings, distribution: Any) -> dict[str, Any]:
    """The template context of SPEC's triggers for one distribution (a row of the distributions table)."""
    refs = distribution.context
    both = select(Campaign, Customer).join_from(Campaign, Customer, true())  # two primary-key lookups, one round trip
    campaign, customer = session.execute(both.where(Campaign.id == distribution.campaign_id,
                                                    Customer.id == distribution.customer_id)).one()
    code = refs.get("code") or _holder_code(session, campaign.id, customer.id)
    share_url = f"{settings.public_url.rstrip('/')}/r/{code}" if code else None
    return {
        "trigger": distribution.trigger,
        "campaign": {"id": campaign.id, "name": campaign.name, "referee_reward": campaign.referee_reward,
                     "reward_hold_days": campaign.reward_hold_days},
        "customer": {"id": customer.id, "name": customer.name, "email": customer.email, "locale": customer.locale,
                     "metadata": customer.meta},
        "code": code,
        "share_url": share_url,
        "qr_png": qr_png(share_url) if distribution.trigger == "code_published" and share_url else None,
        "reward": _reward(session, refs.get("reward_id")),
        "referee": _referee(session, refs.get("referee_id")),
        "unsubscribe_url": unsubscribe_url(settings, customer.id),
        "brand": {"name": settings.brand_name},
    }


def qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=6, border=2)
    return buffer.getvalue()


def _holder_code(session: Session, campaign_id: str, customer_id: str) -> str | None:
    query = select(Code.code).where(Code.campaign_id == campaign_id, Code.holder_id == customer_id).order_by(Code.published_at)
    return session.scalars(query.limit(1)).first()


def _reward(session: Session, reward_id: str | None) -> dict | None:
    found = session.execute(select(Reward, Tier).outerjoin(Tier, Tier.id == Reward.tier_id)
                            .where(Reward.id == reward_id)).first() if reward_id else None
    if found is None:
        return None
    reward, tier = found
    return {"id": reward.id, "type": reward.type, "amount": reward.amount, "status": reward.status,
            "tier_name": tier.name if tier else None, "description": reward.details.get("description"),
            "code": reward.details.get("code"),
            "hold_until": reward.hold_until.isoformat() if reward.hold_until and reward.status == "pending" else None}


def _referee(session: Session, referee_id: str | None) -> dict | None:
    referee = session.get(Customer, referee_id) if referee_id else None
    return {"name": referee.name, "email": referee.email} if referee else None


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
