"""Workers keep each campaign's tiers and rules in memory by `config_version`: every change to them raises the
version (database triggers, whoever writes), so the next order after a change uses what the database holds."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from db.ids import new_id
from db.models import Campaign, Redemption, Reward, Tier, ValidationRule
from tests.support.counts import all_rows
from tests.support.pipeline import body_of, drain, native_event, native_headers
from tests.support.seed import EACH_CREDITS, seed_campaign

OVER_80 = {
    "name": "Order over $80",
    "conditions": {"order.amount": {"$gt": 8000}},
    "error_message": "Orders must exceed $80",
}


def post_paid(client, n: int, code: str, *, amount: int = 12900) -> None:
    body = body_of(
        native_event(
            f"evt-{n}",
            "order.paid",
            order_id=f"o-{n}",
            code=code,
            email=f"friend{n}@example.com",
            source_id=f"c-{n}",
            amount=amount,
            status="paid",
        )
    )
    assert client.post("/webhooks/events", content=body, headers=native_headers(body)).status_code == 202


def config_version(runtime, campaign_id: str) -> int:
    with runtime.session_factory() as session:
        return session.scalar(select(Campaign.config_version).where(Campaign.id == campaign_id))


def run_sql(runtime, statement) -> None:
    with runtime.session_factory() as session, session.begin():
        session.execute(statement)


def test_every_write_to_a_campaigns_tiers_or_rules_raises_its_config_version(runtime):
    seeded = seed_campaign(runtime, tiers=[EACH_CREDITS])
    other = seed_campaign(runtime, code="OTHER-CODE-0001", referrer_email="zed@example.com")
    rule_id, tier_id = new_id("rule"), seeded.tier_ids[0]
    writes = [
        ValidationRule.__table__.insert().values(
            id=rule_id, campaign_id=seeded.campaign_id, name="r", conditions={}, position=0
        ),
        update(ValidationRule).where(ValidationRule.id == rule_id).values(conditions={"order.amount": {"$gt": 1}}),
        delete(ValidationRule).where(ValidationRule.id == rule_id),
        update(Tier).where(Tier.id == tier_id).values(reward={"type": "credits", "amount": 5}),
        update(Tier).where(Tier.id == tier_id).values(deleted_at=Tier.created_at),
    ]
    before, other_before = config_version(runtime, seeded.campaign_id), config_version(runtime, other.campaign_id)
    versions = []
    for statement in writes:
        run_sql(runtime, statement)
        versions.append(config_version(runtime, seeded.campaign_id))
    assert versions == [before + n for n in range(1, len(writes) + 1)]
    assert config_version(runtime, other.campaign_id) == other_before


def test_a_rule_added_after_the_config_was_cached_applies_to_the_next_order(runtime, worker, client):
    seeded = seed_campaign(runtime)
    post_paid(client, 1, seeded.code, amount=5000)
    drain(runtime)
    run_sql(
        runtime,
        ValidationRule.__table__.insert().values(
            id=new_id("rule"), campaign_id=seeded.campaign_id, position=0, **OVER_80
        ),
    )
    post_paid(client, 2, seeded.code, amount=5000)
    drain(runtime)
    outcomes = {row.order_external_id: (row.status, row.failure_code) for row in all_rows(runtime, Redemption)}
    assert outcomes == {"o-1": ("succeeded", None), "o-2": ("failed", "order_rules_violated")}


def test_a_tier_reward_changed_by_plain_sql_is_what_the_next_order_earns(runtime, worker, client):
    seeded = seed_campaign(runtime, tiers=[EACH_CREDITS])
    post_paid(client, 1, seeded.code)
    drain(runtime)
    run_sql(
        runtime, update(Tier).where(Tier.id == seeded.tier_ids[0]).values(reward={"type": "points", "amount": 2500})
    )
    post_paid(client, 2, seeded.code)
    drain(runtime)
    assert sorted((reward.type, reward.amount) for reward in all_rows(runtime, Reward)) == [
        ("credits", 1000),
        ("points", 2500),
    ]
