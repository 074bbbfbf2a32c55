"""Rows as the domain's value objects."""

from __future__ import annotations

from db.models import Campaign, Code, Customer
from domain.model import CampaignState, CodeState


def campaign_state(campaign: Campaign) -> CampaignState:
    return CampaignState(
        id=campaign.id,
        active=campaign.active,
        deleted=campaign.deleted_at is not None,
        start_date=campaign.start_date,
        expiration_date=campaign.expiration_date,
        days_of_week=tuple(campaign.days_of_week) if campaign.days_of_week is not None else None,
        conversion=campaign.conversion,
    )


def code_state(code: Code, holder: Customer | None) -> CodeState:
    return CodeState(
        id=code.id,
        code=code.code,
        active=code.active,
        deleted=code.deleted_at is not None,
        start_date=code.start_date,
        expiration_date=code.expiration_date,
        redemption_limit=code.redemption_limit,
        redeemed_count=code.redeemed_count,
        holder_id=code.holder_id,
        holder_email=holder.email if holder else None,
    )
