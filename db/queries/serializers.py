"""Rows as the JSON the API (and the dashboard) shows: one function per concept, SPEC §9 field names."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from db.models import (
    Activity,
    Campaign,
    Code,
    Customer,
    Distribution,
    FailedJob,
    InboundEvent,
    Redemption,
    Reward,
    Tier,
    ValidationRule,
)
from domain.money import totals_in


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, or None."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def campaign(row: Campaign) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "active": row.active,
        "start_date": iso(row.start_date),
        "expiration_date": iso(row.expiration_date),
        "days_of_week": row.days_of_week,
        "join_once": row.join_once,
        "code_config": row.code_config,
        "conversion": row.conversion,
        "referee_reward": row.referee_reward,
        "reward_hold_days": row.reward_hold_days,
        "metadata": row.meta,
        "rules_logic": row.rules_logic,
        "notifications": row.notifications,
        "webhook_url": row.webhook_url,
        "landing_url": row.landing_url,
        "currency": row.currency,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


def code(row: Code) -> dict[str, Any]:
    return {
        "id": row.id,
        "code": row.code,
        "campaign_id": row.campaign_id,
        "active": row.active,
        "holder_id": row.holder_id,
        "published_at": iso(row.published_at),
        "channel": row.publish_channel,
        "redemption_limit": row.redemption_limit,
        "redeemed_count": row.redeemed_count,
        "start_date": iso(row.start_date),
        "expiration_date": iso(row.expiration_date),
        "category": row.category,
        "metadata": row.meta,
        "deleted_at": iso(row.deleted_at),
        "created_at": iso(row.created_at),
    }


def publication(row: Code) -> dict[str, Any]:
    """The answer to inviting a referrer or publishing a code."""
    return {
        "code": row.code,
        "customer_id": row.holder_id,
        "published_at": iso(row.published_at),
        "channel": row.publish_channel,
    }


def tier(row: Tier) -> dict[str, Any]:
    return {
        "id": row.id,
        "campaign_id": row.campaign_id,
        "name": row.name,
        "kind": row.kind,
        "threshold": row.threshold,
        "reward": row.reward,
        "created_at": iso(row.created_at),
    }


def rule(row: ValidationRule) -> dict[str, Any]:
    return {
        "id": row.id,
        "campaign_id": row.campaign_id,
        "code_id": row.code_id,
        "name": row.name,
        "conditions": row.conditions,
        "error_message": row.error_message,
        "position": row.position,
        "created_at": iso(row.created_at),
    }


def redemption(row: Redemption) -> dict[str, Any]:
    return {
        "id": row.id,
        "code": row.code,
        "customer_id": row.customer_id,
        "order_id": row.order_external_id,
        "result": row.result,
        "status": row.status,
        "failure_code": row.failure_code,
        "failure_message": row.failure_message,
        "amount": row.amount,
        "created_at": iso(row.created_at),
        "campaign_id": row.campaign_id,
        "event_id": row.event_id,
        "rolled_back_at": iso(row.rolled_back_at),
    }


def redemption_detail(row: Redemption) -> dict[str, Any]:
    return redemption(row) | {"logs": list(row.logs or [])}


def reward(row: Reward) -> dict[str, Any]:
    return {
        "id": row.id,
        "customer_id": row.customer_id,
        "tier_id": row.tier_id,
        "type": row.type,
        "amount": row.amount,
        "status": row.status,
        "event_id": row.event_id,
        "created_at": iso(row.created_at),
        "campaign_id": row.campaign_id,
        "referral_id": row.referral_id,
        "hold_until": iso(row.hold_until),
        "details": row.details,
        "completed_at": iso(row.completed_at),
        "rolled_back_at": iso(row.rolled_back_at),
    }


def customer(row: Customer, credits: int | None = 0, points: int | None = 0, *, currency: str) -> dict[str, Any]:
    """`orders_amount` is in `currency` (the default currency); `orders_amounts` has every currency's total."""
    return {
        "id": row.id,
        "source_id": row.source_id,
        "email": row.email,
        "name": row.name,
        "locale": row.locale,
        "metadata": row.meta,
        "orders_count": row.orders_count,
        **order_totals(row, currency),
        "balances": {"credits": int(credits or 0), "points": int(points or 0)},
        "created_at": iso(row.created_at),
    }


def order_totals(row: Customer, currency: str) -> dict[str, Any]:
    """A customer's order amount in `currency`, which currency that is, and the totals of every currency."""
    amount, amounts = totals_in(row.orders_amounts, currency)
    return {"orders_amount": amount, "orders_currency": currency, "orders_amounts": amounts}


def activity(row: Activity) -> dict[str, Any]:
    return {
        "id": row.id,
        "type": row.type,
        "category": row.category,
        "campaign_id": row.campaign_id,
        "customer_id": row.customer_id,
        "created_at": iso(row.created_at),
        "data": row.data,
    }


def distribution(row: Distribution) -> dict[str, Any]:
    return {
        "id": row.id,
        "campaign_id": row.campaign_id,
        "customer_id": row.customer_id,
        "trigger": row.trigger,
        "channel": row.channel,
        "recipient": row.recipient,
        "template": row.template,
        "status": row.status,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "sent_at": iso(row.sent_at),
        "created_at": iso(row.created_at),
    }


def event(row: InboundEvent) -> dict[str, Any]:
    return {
        "id": row.id,
        "source": row.source,
        "external_id": row.external_id,
        "topic": row.topic,
        "status": row.status,
        "error": row.error,
        "received_at": iso(row.received_at),
        "processed_at": iso(row.processed_at),
    }


def event_detail(row: InboundEvent) -> dict[str, Any]:
    return event(row) | {
        "attempts": row.attempts,
        "enqueued_at": iso(row.enqueued_at),
        "headers": row.headers,
        "normalized": row.normalized,
        "body": row.body,
    }


def failed_job(row: FailedJob) -> dict[str, Any]:
    return {
        "id": row.id,
        "message_id": row.message_id,
        "queue": row.queue,
        "actor": row.actor,
        "args": row.args,
        "kwargs": row.kwargs,
        "error": row.error,
        "failed_at": iso(row.failed_at),
        "retried_at": iso(row.retried_at),
        "retry_message_id": row.retry_message_id,
    }


def failed_job_detail(row: FailedJob) -> dict[str, Any]:
    return failed_job(row) | {"options": row.options, "traceback": row.traceback}
