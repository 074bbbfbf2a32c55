"""Reward types, hold periods, coupons from another campaign's pool, and clawbacks."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from app.pipeline.reconcile import find_stuck_work
from app.pipeline.rewards import complete_reward, roll_back_reward
from db.ids import new_id
from db.models import Activity, Code, LedgerEntry, Reward
from db.types import utcnow
from domain.codes import code_key
from tests.support.counts import all_rows
from tests.support.pipeline import body_of, drain, native_event, native_headers
from tests.support.seed import seed_campaign


def referral_order(client, code: str, n: int = 1) -> None:
    payload = native_event(
        f"evt-{n}",
        "order.paid",
        order_id=f"o-{n}",
        code=code,
        email=f"f{n}@example.com",
        source_id=f"c-{n}",
        status="paid",
    )
    body = body_of(payload)
    assert client.post("/webhooks/events", content=body, headers=native_headers(body)).status_code == 202


def tier(reward: dict) -> list[dict]:
    return [{"name": "Each friend", "kind": "each", "threshold": 1, "reward": reward}]


def run(runtime, step, *args) -> list:
    """Run a pipeline step in its own unit of work; the follow-ups it asked for (not sent)."""
    with runtime.pipeline_units(send_after_commit=False) as uow:
        step(uow, *args)
    return uow.followups


def balance(runtime, customer_id: str, kind: str) -> int:
    with runtime.session_factory() as session:
        return session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                LedgerEntry.customer_id == customer_id, LedgerEntry.kind == kind
            )
        )


def test_a_held_reward_stays_pending_until_its_hold_passes_then_completes(runtime, worker, client):
    seeded = seed_campaign(runtime, reward_hold_days=14, tiers=tier({"type": "credits", "amount": 1000}))
    referral_order(client, seeded.code)
    drain(runtime)
    [reward] = all_rows(runtime, Reward)
    assert reward.status == "pending" and reward.hold_until > utcnow() + timedelta(days=13)
    [reschedule] = run(runtime, complete_reward, reward.id)
    assert reschedule.actor == "complete_reward" and reschedule.delay_ms > 0
    assert all_rows(runtime, Reward)[0].status == "pending"
    with runtime.session_factory() as session, session.begin():
        session.execute(
            update(Reward).values(hold_until=utcnow() - timedelta(seconds=1), created_at=utcnow() - timedelta(hours=1))
        )
    with runtime.session_factory() as session:
        assert find_stuck_work(session, older_than=timedelta(seconds=60), now=utcnow()).rewards == [reward.id]
    run(runtime, complete_reward, reward.id)
    run(runtime, complete_reward, reward.id)
    assert all_rows(runtime, Reward)[0].status == "completed"
    assert balance(runtime, seeded.referrer_id, "credits") == 1000


def test_a_material_reward_waits_for_an_operator_even_without_a_hold(runtime, worker, client):
    seeded = seed_campaign(runtime, tiers=tier({"type": "material", "description": "A tote bag"}))
    referral_order(client, seeded.code)
    drain(runtime)
    [reward] = all_rows(runtime, Reward)
    assert (reward.type, reward.status, reward.details["description"]) == ("material", "pending", "A tote bag")


def add_pool(runtime, campaign_id: str, codes: list[str]) -> None:
    with runtime.session_factory() as session, session.begin():
        session.add_all(
            [Code(id=new_id("code"), code=c, code_key=code_key(c), campaign_id=campaign_id, meta={}) for c in codes]
        )


def coupon_referral(runtime, client, *, pool_codes: list[str]):
    """A campaign whose tier gives coupons from another campaign's pool, and one referral order."""
    pool = seed_campaign(runtime, name="Coupons", code="POOL-OWNER", tiers=[])
    add_pool(runtime, pool.campaign_id, pool_codes)
    seeded = seed_campaign(
        runtime,
        code="REF-2",
        referrer_email="bob@example.com",
        tiers=tier({"type": "coupon", "campaign_id": pool.campaign_id}),
    )
    referral_order(client, seeded.code)
    drain(runtime)
    return seeded


def test_a_coupon_reward_publishes_a_code_from_the_coupon_campaign_to_the_referrer(runtime, worker, client):
    seeded = coupon_referral(runtime, client, pool_codes=["GIFT-1"])
    [reward] = all_rows(runtime, Reward)
    assert (reward.status, reward.details["code"]) == ("completed", "GIFT-1")
    [gift] = all_rows(runtime, Code, Code.code == "GIFT-1")
    assert (gift.holder_id, gift.publish_channel) == (seeded.referrer_id, "reward")


def test_a_coupon_reward_with_an_empty_pool_stays_pending_and_says_why(runtime, worker, client):
    coupon_referral(runtime, client, pool_codes=[])
    [reward] = all_rows(runtime, Reward)
    assert reward.status == "pending" and "no unpublished codes" in reward.details["pending_reason"]
    assert any(a.type == "customer.publication.failed" for a in all_rows(runtime, Activity))


def test_rolling_back_a_completed_credit_reward_writes_a_reversing_ledger_entry(runtime, worker, client):
    seeded = seed_campaign(runtime, tiers=tier({"type": "credits", "amount": 1000}))
    referral_order(client, seeded.code)
    drain(runtime)
    [reward] = all_rows(runtime, Reward)
    with runtime.units() as uow:
        roll_back_reward(uow, uow.session.get(Reward, reward.id), utcnow(), reason="operator")
    assert balance(runtime, seeded.referrer_id, "credits") == 0
    assert [e.amount for e in all_rows(runtime, LedgerEntry)] == [1000, -1000]


def test_rolling_back_a_coupon_that_was_already_used_is_recorded_as_clawback_failed(runtime, worker, client):
    coupon_referral(runtime, client, pool_codes=["GIFT-1"])
    with runtime.units() as uow:
        uow.session.execute(update(Code).where(Code.code == "GIFT-1").values(redeemed_count=1))
        roll_back_reward(uow, uow.session.scalars(select(Reward)).one(), utcnow(), reason="operator")
    [rolled] = [a for a in all_rows(runtime, Activity) if a.type == "customer.reward_redemptions.rolledback"]
    assert rolled.data["clawback_failed"] is True


def test_a_reward_an_operator_withdrew_is_not_granted_again_by_the_next_settlement(runtime, worker, client):
    from app.pipeline.rewards import OPERATOR

    seeded = seed_campaign(runtime, tiers=tier({"type": "credits", "amount": 1000}))
    referral_order(client, seeded.code, 1)
    drain(runtime)
    with runtime.units() as uow:
        roll_back_reward(uow, uow.session.scalars(select(Reward)).one(), utcnow(), reason="fraud", by=OPERATOR)
    referral_order(client, seeded.code, 2)
    drain(runtime)
    statuses = sorted((r.referral_id is not None, r.status) for r in all_rows(runtime, Reward))
    assert statuses == [(True, "completed"), (True, "rolled_back")]
