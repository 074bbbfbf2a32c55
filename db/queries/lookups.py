"""Loading one row by id (or code text) for an operator, NotFound when it is not there."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Base, Campaign, Code, Tier, ValidationRule
from db.queries.errors import NotFound
from domain.codes import code_key

ModelT = TypeVar("ModelT", bound=Base)


def get(session: Session, model: type[ModelT], row_id: str, what: str, *, for_update: bool = False) -> ModelT:
    """The row with this id, or NotFound naming `what`."""
    row = session.get(model, row_id, with_for_update=for_update, populate_existing=for_update)
    if row is None:
        raise NotFound(what, row_id)
    return row


def live_campaign(session: Session, campaign_id: str, *, for_update: bool = False) -> Campaign:
    """A campaign that has not been deleted; `for_update` takes FOR NO KEY UPDATE, which does not wait for
    the worker's inserts of rows that reference the campaign (they hold KEY SHARE)."""
    lock = {"key_share": True} if for_update else None
    campaign = session.get(Campaign, campaign_id, with_for_update=lock, populate_existing=for_update)
    if campaign is None or campaign.deleted_at is not None:
        raise NotFound("campaign", campaign_id)
    return campaign


def find_code(session: Session, text: str) -> Code | None:
    """The code matching `text` without regard to case."""
    return session.scalars(select(Code).where(Code.code_key == code_key(text))).one_or_none()


def code_by_text(session: Session, text: str, *, live: bool = False) -> Code:
    """The code matching `text`; with `live`, deleted codes count as missing."""
    code = find_code(session, text)
    if code is None or (live and code.deleted_at is not None):
        raise NotFound("code", text)
    return code


def campaign_tier(session: Session, campaign_id: str, tier_id: str) -> Tier:
    tier = session.get(Tier, tier_id)
    if tier is None or tier.campaign_id != campaign_id or tier.deleted_at is not None:
        raise NotFound("tier", tier_id)
    return tier


def campaign_rule(session: Session, campaign_id: str, rule_id: str) -> ValidationRule:
    rule = session.get(ValidationRule, rule_id)
    if rule is None or rule.campaign_id != campaign_id:
        raise NotFound("rule", rule_id)
    return rule
