"""Seeding campaigns straight into the database, for tests of the pipeline itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from db.ids import new_id
from db.models import Campaign, Code, Customer, Tier, ValidationRule
from db.types import utcnow
from domain.codes import code_key
from domain.emails import normalize_email

EACH_CREDITS = {"name": "Each friend", "kind": "each", "threshold": 1, "reward": {"type": "credits", "amount": 1000}}
FIVE_POINTS = {"name": "Five friends", "kind": "milestone", "threshold": 5, "reward": {"type": "points", "amount": 500}}


@dataclass(frozen=True)
class Seeded:
    campaign_id: str
    code: str
    referrer_id: str
    tier_ids: list[str] = field(default_factory=list)


def seed_campaign(
    runtime,
    *,
    code: str = "REF-1234-ABCD",
    referrer_email: str = "ann@example.com",
    tiers: list[dict] | None = None,
    rules: list[dict] | None = None,
    **campaign: Any,
) -> Seeded:
    """A running campaign with tiers, rules and one code published to a referrer."""
    with runtime.session_factory() as session, session.begin():
        row = Campaign(
            id=new_id("camp"),
            name=campaign.pop("name", "Friends get 10%"),
            code_config={"pattern": "REF-####-????"},
            meta={},
            notifications=campaign.pop("notifications", {}),
            templates={},
            **campaign,
        )
        referrer = Customer(
            id=new_id("cust"),
            source_id=f"ref-{row.id}",
            email=referrer_email,
            email_normalized=normalize_email(referrer_email),
            name="Ann Lee",
            meta={},
        )
        session.add_all([row, referrer])
        session.flush()
        session.add(
            Code(
                id=new_id("code"),
                code=code,
                code_key=code_key(code),
                campaign_id=row.id,
                holder_id=referrer.id,
                published_at=utcnow(),
                publish_channel="api",
                meta={},
            )
        )
        tier_rows = [
            Tier(id=new_id("tier"), campaign_id=row.id, **spec)
            for spec in (tiers if tiers is not None else [EACH_CREDITS, FIVE_POINTS])
        ]
        session.add_all(tier_rows)
        session.add_all(
            [
                ValidationRule(id=new_id("rule"), campaign_id=row.id, position=i, **rule)
                for i, rule in enumerate(rules or [])
            ]
        )
    return Seeded(row.id, code, referrer.id, [t.id for t in tier_rows])
