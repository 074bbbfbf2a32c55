"""The demo campaign `referrals up` and `referrals demo` seed: tiers, a rule, codes and one invited referrer."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.unit_of_work import UnitOfWork
from db.ids import new_id
from db.models import Campaign, Code, Customer, Tier, ValidationRule
from db.types import utcnow
from domain import activity
from domain.codes import code_key, generate_codes, parse_code_config
from domain.emails import normalize_email

DEMO_NAME = "Demo: Friends get 10%"
DEMO_PATTERN = {"pattern": "REF-####-????"}
REFERRER = {"source_id": "demo-ann", "email": "ann@example.com", "name": "Ann Lee"}


@dataclass(frozen=True)
class Demo:
    campaign_id: str
    referrer_code: str
    referrer_email: str


def seed_demo(uow: UnitOfWork) -> Demo:
    """Create the demo campaign once; later calls return the existing one."""
    session = uow.session
    campaign = session.scalars(
        select(Campaign).where(Campaign.name == DEMO_NAME, Campaign.deleted_at.is_(None))
    ).first()
    if campaign is None:
        campaign = _create_campaign(uow)
    code = session.scalars(select(Code).where(Code.campaign_id == campaign.id, Code.holder_id.is_not(None))).first()
    return Demo(campaign.id, code.code, REFERRER["email"])


def _create_campaign(uow: UnitOfWork) -> Campaign:
    session = uow.session
    campaign = Campaign(
        id=new_id("cmp"),
        name=DEMO_NAME,
        description="Referrers earn 10.00 credits per friend and 500 points at five.",
        code_config=DEMO_PATTERN,
        conversion="order.paid",
        referee_reward="10% off the first order",
        reward_hold_days=0,
        join_once=True,
        meta={"demo": True},
        notifications={},
        templates={},
    )
    session.add(campaign)
    session.flush()
    session.add_all(
        [
            Tier(
                id=new_id("tier"),
                campaign_id=campaign.id,
                name="Each friend",
                kind="each",
                threshold=1,
                reward={"type": "credits", "amount": 1000},
            ),
            Tier(
                id=new_id("tier"),
                campaign_id=campaign.id,
                name="Five friends",
                kind="milestone",
                threshold=5,
                reward={"type": "points", "amount": 500},
            ),
            ValidationRule(
                id=new_id("rule"),
                campaign_id=campaign.id,
                name="Order over $50",
                position=1,
                conditions={"order.amount": {"$gt": 5000}},
                error_message="Orders must exceed $50",
            ),
        ]
    )
    codes = [_code(campaign.id, text) for text in generate_codes(parse_code_config(DEMO_PATTERN), 20)]
    session.add_all(codes)
    session.flush()
    _publish(uow, campaign, codes[0])
    uow.record(
        activity.CAMPAIGN_CREATED, campaign_id=campaign.id, customer_id=None, data={"name": campaign.name, "demo": True}
    )
    return campaign


def _code(campaign_id: str, text: str) -> Code:
    return Code(id=new_id("code"), code=text, code_key=code_key(text), campaign_id=campaign_id, meta={})


def _publish(uow: UnitOfWork, campaign: Campaign, code: Code) -> None:
    session = uow.session
    referrer = Customer(
        id=new_id("cust"),
        source_id=REFERRER["source_id"],
        email=REFERRER["email"],
        email_normalized=normalize_email(REFERRER["email"]),
        name=REFERRER["name"],
        meta={},
    )
    session.add(referrer)
    session.flush()
    code.holder_id, code.published_at, code.publish_channel = referrer.id, utcnow(), "dashboard"
    uow.record(
        activity.PUBLICATION_SUCCEEDED,
        campaign_id=campaign.id,
        customer_id=referrer.id,
        data={"code": code.code, "channel": "dashboard"},
    )
