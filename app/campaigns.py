"""Operator writes on campaigns: create, edit, pause, delete, and their tiers, validation rules and templates.

Every write records its activity row (SPEC §2 `campaign.*` types). Values come in as plain dicts of the
API's field names, already type-checked; the checks here are the ones that need the domain or the database.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import followups
from app.unit_of_work import UnitOfWork
from db.ids import new_id
from db.models import Campaign, Code, Referral, Tier, ValidationRule
from db.queries.campaigns import has_redemptions
from db.queries.errors import Conflict, Invalid, NotFound
from db.queries.lookups import campaign_rule, campaign_tier, code_by_text, live_campaign
from db.types import utcnow
from domain import activity
from domain.codes import CodeError, parse_code_config
from domain.model import ReferralStatus, RewardType
from domain.money import InvalidMoney, currency_code
from domain.notify import CHANNELS, TRIGGERS
from domain.rules import InvalidRule, parse_logic, parse_rule
from notifications.context import sample_context
from notifications.render import Renderer, TemplateError, validate_template

CONVERSION = re.compile(r"order\.paid|order\.created|custom_event:[A-Za-z0-9_.:-]{1,100}\Z")
COLUMNS = {"metadata": "meta"}  # API field → model attribute, where they differ
DEFAULTS = {
    "code_config": {"pattern": "REF-####-????"},
    "conversion": "order.paid",
    "reward_hold_days": 0,
    "join_once": True,
    "metadata": {},
    "notifications": {},
    "active": True,
}


# --- campaigns --------------------------------------------------------------------------------


def create(uow: UnitOfWork, values: dict[str, Any]) -> Campaign:
    """A new campaign from the API's fields (missing ones take SPEC's defaults)."""
    session = uow.session
    values = _checked({**DEFAULTS, **values})
    now = utcnow()
    campaign = Campaign(
        id=new_id("cmp"),
        templates={},
        created_at=now,
        updated_at=now,
        **{COLUMNS.get(name, name): value for name, value in values.items()},
    )
    session.add(campaign)
    uow.record(
        activity.CAMPAIGN_CREATED,
        campaign_id=campaign.id,
        customer_id=None,
        data={"name": campaign.name, "conversion": campaign.conversion, "currency": campaign.currency},
    )
    return campaign


def update(uow: UnitOfWork, campaign_id: str, values: dict[str, Any]) -> Campaign:
    """Change the given fields; the conversion and the currency are fixed once the campaign has a redemption (its
    amount rules and rewards are in that currency's minor units)."""
    session = uow.session
    campaign = live_campaign(session, campaign_id, for_update=True)
    changed = {
        name: value
        for name, value in _checked(values, campaign).items()
        if getattr(campaign, COLUMNS.get(name, name)) != value
    }
    fixed = sorted({"conversion", "currency"} & set(changed))
    if fixed and has_redemptions(session, campaign_id):
        raise Conflict(f"{fixed[0]} cannot change once the campaign has redemptions")
    for name, value in changed.items():
        setattr(campaign, COLUMNS.get(name, name), value)
    if changed:
        uow.record(
            activity.CAMPAIGN_UPDATED, campaign_id=campaign.id, customer_id=None, data={"changed": sorted(changed)}
        )
    return campaign


def delete(uow: UnitOfWork, campaign_id: str) -> None:
    """Soft delete: the campaign disappears from lists and its codes fail validation."""
    session = uow.session
    campaign = live_campaign(session, campaign_id, for_update=True)
    campaign.deleted_at, campaign.active = utcnow(), False
    uow.record(activity.CAMPAIGN_DELETED, campaign_id=campaign.id, customer_id=None, data={"name": campaign.name})


def set_active(uow: UnitOfWork, campaign_id: str, active: bool) -> Campaign:
    """Pause or activate; recorded only when it changes something."""
    session = uow.session
    campaign = live_campaign(session, campaign_id, for_update=True)
    if campaign.active != active:
        campaign.active = active
        uow.record(
            activity.CAMPAIGN_ENABLED if active else activity.CAMPAIGN_DISABLED,
            campaign_id=campaign.id,
            customer_id=None,
            data={"active": active},
        )
    return campaign


def _http_url(text: str) -> bool:
    try:
        return urlsplit(text).scheme in ("http", "https")
    except ValueError:  # "http://[": an unclosed IPv6 bracket
        return False


def _landing_url(text: str) -> bool:
    """An http(s) URL with a host, once `{code}` (where the share link puts the code) is filled in."""
    try:
        return _http_url(text) and bool(urlsplit(text.replace("{code}", "CODE")).netloc)
    except ValueError:
        return False


def _checked(values: dict[str, Any], current: Campaign | None = None) -> dict[str, Any]:
    """The values, with each one that needs more than a type check verified (Invalid names the field)."""
    if "code_config" in values:
        _check_code_config(values["code_config"])
    if "conversion" in values and not CONVERSION.fullmatch(values["conversion"] or ""):
        raise Invalid("conversion: must be order.paid, order.created or custom_event:<name>")
    if values.get("notifications"):
        _check_notifications(values["notifications"])
    if values.get("webhook_url") and not _http_url(values["webhook_url"]):
        raise Invalid("webhook_url: must be an http(s) URL")
    if values.get("landing_url") and not _landing_url(values["landing_url"]):
        raise Invalid("landing_url: must be an http(s) URL with a host; it may contain {code}")
    if values.get("days_of_week") is not None:
        values = {**values, "days_of_week": sorted(set(values["days_of_week"]))}
    if "currency" in values:
        values = {**values, "currency": _currency(values["currency"])}
    _check_dates(
        values.get("start_date", current and current.start_date),
        values.get("expiration_date", current and current.expiration_date),
    )
    return values


def _currency(value: Any) -> str:
    try:
        return currency_code(value)
    except InvalidMoney as error:
        raise Invalid(f"currency: {error}") from None


def _check_code_config(config: Any) -> None:
    try:
        parse_code_config(config)
    except (CodeError, TypeError) as error:
        raise Invalid(f"code_config: {error}") from None


def _check_notifications(settings: dict[str, list[str]]) -> None:
    for trigger, channels in settings.items():
        if trigger not in TRIGGERS:
            raise Invalid(f"notifications: unknown trigger {trigger!r}; expected one of {', '.join(TRIGGERS)}")
        unknown = [channel for channel in channels if channel not in CHANNELS]
        if unknown:
            raise Invalid(f"notifications.{trigger}: unknown channel {unknown[0]!r}; expected {' or '.join(CHANNELS)}")


def _check_dates(start: Any, end: Any) -> None:
    if start is not None and end is not None and start >= end:
        raise Invalid("expiration_date: must be after start_date")


# --- tiers ------------------------------------------------------------------------------------


def add_tier(uow: UnitOfWork, campaign_id: str, values: dict[str, Any]) -> Tier:
    """A new referral tier; referrers are settled again so it applies to the referrals they have."""
    session = uow.session
    campaign = live_campaign(session, campaign_id)
    tier = Tier(
        id=new_id("tier"),
        campaign_id=campaign.id,
        name=values["name"],
        kind=values["kind"],
        threshold=values["threshold"],
        reward=_reward(session, campaign.id, values["reward"]),
        created_at=utcnow(),
    )
    session.add(tier)
    _tier_changed(uow, tier, "created")
    return tier


def update_tier(uow: UnitOfWork, campaign_id: str, tier_id: str, values: dict[str, Any]) -> Tier:
    session = uow.session
    live_campaign(session, campaign_id)
    tier = campaign_tier(session, campaign_id, tier_id)
    if "reward" in values:
        values = {**values, "reward": _reward(session, campaign_id, values["reward"])}
    for name, value in values.items():
        setattr(tier, name, value)
    _tier_changed(uow, tier, "updated")
    return tier


def delete_tier(uow: UnitOfWork, campaign_id: str, tier_id: str) -> None:
    """Soft delete: rewards it already gave stay as they are."""
    session = uow.session
    live_campaign(session, campaign_id)
    tier = campaign_tier(session, campaign_id, tier_id)
    tier.deleted_at = utcnow()
    _tier_changed(uow, tier, "deleted")


def _tier_changed(uow: UnitOfWork, tier: Tier, action: str) -> None:
    uow.record(
        activity.TIERS_UPDATED,
        campaign_id=tier.campaign_id,
        customer_id=None,
        data={
            "tier_id": tier.id,
            "action": action,
            "name": tier.name,
            "kind": tier.kind,
            "threshold": tier.threshold,
            "reward": tier.reward,
        },
    )
    if action != "deleted":
        query = (
            select(Referral.referrer_id)
            .where(Referral.campaign_id == tier.campaign_id, Referral.status == ReferralStatus.ACTIVE)
            .distinct()
        )
        uow.then(*(followups.settle(tier.campaign_id, referrer_id) for referrer_id in uow.session.scalars(query)))


def _reward(session: Session, campaign_id: str, spec: dict[str, Any]) -> dict[str, Any]:
    """The reward a tier gives, with only the keys its type uses."""
    kind = spec["type"]
    if kind in (RewardType.CREDITS, RewardType.POINTS):
        if not spec.get("amount"):
            raise Invalid(f"reward.amount: a {kind} reward needs an amount of at least 1")
        return {"type": kind, "amount": spec["amount"]}
    if kind == RewardType.COUPON:
        return {"type": kind, "campaign_id": _coupon_campaign(session, campaign_id, spec.get("campaign_id"))}
    if not (spec.get("description") or "").strip():
        raise Invalid("reward.description: a material reward needs a description")
    return {"type": kind, "description": spec["description"].strip()}


def _coupon_campaign(session: Session, campaign_id: str, coupon_campaign_id: str | None) -> str:
    if not coupon_campaign_id:
        raise Invalid("reward.campaign_id: a coupon reward names the campaign whose codes it gives")
    if coupon_campaign_id == campaign_id:
        raise Invalid("reward.campaign_id: a coupon reward must come from another campaign")
    campaign = session.get(Campaign, coupon_campaign_id)
    if campaign is None or campaign.deleted_at is not None:
        raise Invalid(f"reward.campaign_id: campaign {coupon_campaign_id!r} not found")
    return coupon_campaign_id


# --- validation rules -------------------------------------------------------------------------


def add_rule(uow: UnitOfWork, campaign_id: str, values: dict[str, Any], code: Code | None = None) -> ValidationRule:
    """A campaign rule, or a code-level override when `code` is given; numbered after the existing ones."""
    session = uow.session
    live_campaign(session, campaign_id)
    _parse_rule(values)
    code_id = code.id if code else None
    last = session.scalar(
        select(func.max(ValidationRule.position)).where(ValidationRule.campaign_id == campaign_id, _scope(code_id))
    )
    rule = ValidationRule(
        id=new_id("rule"),
        campaign_id=campaign_id,
        code_id=code_id,
        name=values["name"],
        conditions=values["conditions"],
        error_message=values.get("error_message"),
        position=(last or 0) + 1,
        created_at=utcnow(),
    )
    session.add(rule)
    _rules_changed(uow, campaign_id, {"rule_id": rule.id, "action": "created", "name": rule.name, "code_id": code_id})
    return rule


def update_rule(uow: UnitOfWork, campaign_id: str, rule_id: str, values: dict[str, Any]) -> ValidationRule:
    session = uow.session
    live_campaign(session, campaign_id)
    rule = campaign_rule(session, campaign_id, rule_id)
    merged = {"name": rule.name, "conditions": rule.conditions, "error_message": rule.error_message, **values}
    _parse_rule(merged)
    for name, value in values.items():
        setattr(rule, name, value)
    _rules_changed(uow, campaign_id, {"rule_id": rule.id, "action": "updated", "name": rule.name})
    return rule


def delete_rule(uow: UnitOfWork, campaign_id: str, rule_id: str) -> None:
    """Remove a rule; refused while the campaign's logic refers to rules by number."""
    session = uow.session
    campaign = live_campaign(session, campaign_id)
    rule = campaign_rule(session, campaign_id, rule_id)
    if rule.code_id is None and campaign.rules_logic:
        raise Conflict(
            f"the rules logic {campaign.rules_logic!r} refers to rules by number; "
            "change or clear it (PUT .../rules/logic) before removing a rule"
        )
    session.delete(rule)
    _rules_changed(uow, campaign_id, {"rule_id": rule.id, "action": "deleted", "name": rule.name})


def set_logic(uow: UnitOfWork, campaign_id: str, logic: str | None) -> Campaign:
    """How campaign rules combine, e.g. "1 AND (2 OR 3)"; None or blank means all must pass."""
    session = uow.session
    campaign = live_campaign(session, campaign_id, for_update=True)
    logic = (logic or "").strip() or None
    count = (
        session.scalar(
            select(func.count(ValidationRule.id)).where(
                ValidationRule.campaign_id == campaign_id, ValidationRule.code_id.is_(None)
            )
        )
        or 0
    )
    if logic is not None:
        try:
            parse_logic(logic, count)
        except InvalidRule as error:
            raise Invalid(f"logic: {error}") from None
    campaign.rules_logic = logic
    _rules_changed(uow, campaign_id, {"action": "logic", "logic": logic})
    return campaign


def _scope(code_id: str | None) -> Any:
    return ValidationRule.code_id.is_(None) if code_id is None else ValidationRule.code_id == code_id


def _parse_rule(values: dict[str, Any]) -> None:
    try:
        parse_rule(values.get("name"), values.get("conditions"), values.get("error_message"))
    except InvalidRule as error:
        raise Invalid(str(error)) from None


def _rules_changed(uow: UnitOfWork, campaign_id: str, data: dict[str, Any]) -> None:
    uow.record(activity.RULES_UPDATED, campaign_id=campaign_id, customer_id=None, data=data)


# --- notification templates -------------------------------------------------------------------


def save_template(uow: UnitOfWork, campaign_id: str, name: str, source: str) -> dict[str, str]:
    """Store a campaign's override of one template part once it renders with a sample context."""
    session = uow.session
    campaign = live_campaign(session, campaign_id, for_update=True)
    try:
        validate_template(name, source)
    except TemplateError as error:
        raise Invalid(f"template {error}") from None
    campaign.templates = {**(campaign.templates or {}), name: source}
    _template_changed(uow, campaign, name, "saved")
    return {"name": name, "source": source}


def delete_template(uow: UnitOfWork, campaign_id: str, name: str) -> None:
    session = uow.session
    campaign = live_campaign(session, campaign_id, for_update=True)
    if name not in (campaign.templates or {}):
        raise NotFound("template override", name)
    campaign.templates = {key: value for key, value in campaign.templates.items() if key != name}
    _template_changed(uow, campaign, name, "deleted")


def _template_changed(uow: UnitOfWork, campaign: Campaign, name: str, action: str) -> None:
    uow.record(
        activity.CAMPAIGN_UPDATED,
        campaign_id=campaign.id,
        customer_id=None,
        data={"changed": ["templates"], "template": name, "action": action},
    )


def add_code_rule(uow: UnitOfWork, text: str, values: dict[str, Any]) -> ValidationRule:
    """A code-level rule: it replaces the campaign rule of the same name for this code."""
    session = uow.session
    code = code_by_text(session, text, live=True)
    return add_rule(uow, code.campaign_id, values, code)


def preview(session: Session, campaign_id: str, trigger: str, locale: str | None = None) -> dict[str, str]:
    """A trigger's message rendered with the campaign's overrides and a sample context (with the campaign's own name)."""
    campaign = live_campaign(session, campaign_id)
    if trigger not in TRIGGERS:
        raise NotFound("trigger", trigger)
    context = sample_context(trigger)
    context["campaign"] = {
        **context["campaign"],
        "id": campaign.id,
        "name": campaign.name,
        "referee_reward": campaign.referee_reward or context["campaign"]["referee_reward"],
        "reward_hold_days": campaign.reward_hold_days,
    }
    try:
        rendered = Renderer(overrides=campaign.templates).render(trigger, context, locale=locale)
    except TemplateError as error:
        raise Invalid(f"template {error}") from None
    return {"subject": rendered.subject, "text": rendered.text, "html": rendered.html}
