"""A side-effect-free check of a code for a customer and an order, for checkouts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.pipeline.redeem import decide_for
from db.customers import find_customer
from db.models import Campaign, Customer
from db.queries.lookups import find_code
from db.types import utcnow
from domain.emails import normalize_email
from domain.redemption import Redeemed
from domain.rules import log_to_dict


@dataclass(frozen=True)
class Check:
    """What a checkout asks about: a code, who redeems it (optional) and the order (optional)."""

    code: str
    customer: dict[str, Any] | None
    order: dict[str, Any] | None


def validate(session: Session, check: Check) -> dict[str, Any]:
    """The decision the worker would take right now, without writing anything."""
    code = find_code(session, check.code)
    campaign = session.get(Campaign, code.campaign_id) if code else None
    decision = decide_for(
        session,
        campaign,
        code,
        _customer(session, check.customer),
        _order(check.order),
        amount=(check.order or {}).get("amount"),
        now=utcnow(),
    )
    session.rollback()
    if isinstance(decision, Redeemed):
        return {"valid": True}
    return {
        "valid": False,
        "failure_code": decision.failure_code.value,
        "failure_message": decision.message,
        "logs": [log_to_dict(log) for log in decision.logs],
    }


def _customer(session: Session, data: dict[str, Any] | None) -> Customer | None:
    """The stored customer, or a transient one (never added to the session) for someone new."""
    email = (data or {}).get("email")
    if not data or not (email or data.get("source_id")):
        return None
    found = find_customer(session, data.get("source_id"), normalize_email(email))
    if found is not None:
        return found
    return Customer(
        id="new",
        source_id=data.get("source_id"),
        email=email,
        name=data.get("name"),
        meta=dict(data.get("metadata") or {}),
        orders_count=0,
        orders_amounts={},
    )


def _order(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    return {
        "amount": data.get("amount"),
        "items": list(data.get("items") or []),
        "metadata": data.get("metadata") or {},
        "currency": data.get("currency"),
    }
