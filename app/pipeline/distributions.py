"""Queueing notifications: one distribution row per trigger, channel and subject, sent after commit."""

from __future__ import annotations

from typing import Any

from app import followups
from app.unit_of_work import UnitOfWork
from db.ids import new_id
from db.models import Campaign, Customer, Distribution
from db.types import utcnow
from db.writes import insert_ignore
from domain.model import DistributionStatus
from domain.notify import channels_for, skip_reason


def queue_notifications(
    uow: UnitOfWork, campaign: Campaign, customer: Customer, trigger: str, subject_id: str, refs: dict[str, Any]
) -> None:
    """Queue `trigger` for `customer` on each channel the campaign chose; each is sent after commit."""
    for channel in channels_for(campaign.notifications, trigger):
        recipient = customer.email if channel == "email" else campaign.webhook_url
        reason = skip_reason(trigger, channel, recipient, customer.meta)
        distribution_id = _insert(
            uow.session, campaign, customer, trigger, channel, recipient, subject_id, refs, reason
        )
        if distribution_id and reason is None:
            uow.then(followups.send(distribution_id))


def _insert(session, campaign, customer, trigger, channel, recipient, subject_id, refs, reason) -> str | None:
    distribution_id = new_id("dist")
    inserted = insert_ignore(
        session,
        Distribution,
        {
            "id": distribution_id,
            "dedupe_key": f"{trigger}:{channel}:{subject_id}",
            "campaign_id": campaign.id,
            "customer_id": customer.id,
            "trigger": trigger,
            "channel": channel,
            "recipient": recipient,
            "template": trigger,
            "status": DistributionStatus.SKIPPED if reason else DistributionStatus.QUEUED,
            "attempts": 0,
            "last_error": reason,
            "context": {**refs, "campaign_id": campaign.id, "customer_id": customer.id},
            "created_at": utcnow(),
        },
    )
    return distribution_id if inserted else None
