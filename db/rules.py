"""Loading the validation rules in force for a code, and the counts that rules may ask about."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.campaign_config import campaign_config
from db.models import Campaign, Code, Customer, Redemption, Referral
from domain.model import RedemptionStatus, RuleSet
from domain.rules import Rule


def rules_for(session: Session, campaign: Campaign, code: Code) -> list[Rule]:
    """Campaign rules, overridden by the code's own rules of the same name."""
    return campaign_config(session, campaign).rules_for(code.id)


def rule_set(
    session: Session, campaign: Campaign, code: Code, customer: Customer | None, order: dict | None, now: datetime
) -> RuleSet:
    """The rules for this redemption with the facts they read (counts are queried only when asked for)."""
    rules = rules_for(session, campaign, code)
    if not rules:
        return RuleSet()
    keys = {key for rule in rules for key in rule.conditions}
    facts = _order_facts(order) | _customer_facts(customer) | _count_facts(session, keys, campaign, code, customer, now)
    return RuleSet(tuple(rules), campaign.rules_logic, facts)


def _order_facts(order: dict | None) -> dict[str, Any]:
    if order is None:
        return {}
    return {
        "order.amount": order.get("amount"),
        "order.items": list(order.get("items") or ()),
        "order.metadata": order.get("metadata") or {},
    }


def _customer_facts(customer: Customer | None) -> dict[str, Any]:
    if customer is None:
        return {}
    metadata = customer.meta or {}
    segments = metadata.get("segments") or []
    return {
        "customer.metadata": metadata,
        "customer.orders_count": customer.orders_count,
        "customer.segments": segments if isinstance(segments, list) else [segments],
    }


def _count_facts(
    session: Session, keys: set[str], campaign: Campaign, code: Code, customer: Customer | None, now: datetime
) -> dict[str, int]:
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    counters = {
        "redemptions.per_customer": lambda: _succeeded(
            session,
            Redemption.campaign_id == campaign.id,
            Redemption.customer_id == (customer.id if customer else None),
        ),
        "redemptions.per_code.daily": lambda: _succeeded(
            session, Redemption.code_id == code.id, Redemption.created_at >= day_start
        ),
        "referrals.per_referrer_per_day": lambda: _referrals_today(session, campaign.id, code.holder_id, day_start),
    }
    return {key: counter() + 1 for key, counter in counters.items() if key in keys}


def _succeeded(session: Session, *conditions: Any) -> int:
    query = (
        select(func.count()).select_from(Redemption).where(Redemption.status == RedemptionStatus.SUCCEEDED, *conditions)
    )
    return session.scalar(query) or 0


def _referrals_today(session: Session, campaign_id: str, referrer_id: str | None, day_start: datetime) -> int:
    query = (
        select(func.count())
        .select_from(Referral)
        .where(
            Referral.campaign_id == campaign_id, Referral.referrer_id == referrer_id, Referral.created_at >= day_start
        )
    )
    return session.scalar(query) or 0
