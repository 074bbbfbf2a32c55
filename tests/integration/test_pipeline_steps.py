"""The worker steps on a real database: outcomes, rollbacks, and safety when run twice or concurrently."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, update

from app.pipeline.events import process_event
from app.pipeline.rewards import settle_rewards
from db.models import Activity, Code, Customer, InboundEvent, Order, Redemption, Referral, Reward
from domain.model import EventStatus
from tests.support.counts import all_rows, row_counts
from tests.support.pipeline import (
    body_of,
    drain,
    drain_with_threads,
    native_event,
    native_headers,
    shopify_headers,
    shopify_order,
)
from tests.support.seed import EACH_CREDITS, FIVE_POINTS, seed_campaign


def post_native(client, payload: dict):
    body = body_of(payload)
    return client.post("/webhooks/events", content=body, headers=native_headers(body))


def post_shopify(client, payload: dict, *, topic: str = "orders/paid", webhook_id: str | None = None):
    body = body_of(payload)
    return client.post(
        "/webhooks/shopify", content=body, headers=shopify_headers(body, topic=topic, webhook_id=webhook_id)
    )


def paid(n: int, code: str, **extra) -> dict:
    return native_event(
        f"evt-paid-{n}",
        "order.paid",
        order_id=f"o-{n}",
        code=code,
        email=f"friend{n}@example.com",
        source_id=f"c-{n}",
        status="paid",
        **extra,
    )


def redemption_of(runtime, order_external_id: str) -> Redemption:
    [row] = all_rows(runtime, Redemption, Redemption.order_external_id == order_external_id)
    return row


def test_a_referral_order_creates_redemption_referral_reward_and_email_with_activity_in_order(runtime, worker, client):
    seeded = seed_campaign(runtime)
    post_native(client, paid(1, seeded.code.lower()))
    drain(runtime)
    redemption = redemption_of(runtime, "o-1")
    assert (redemption.result, redemption.status, redemption.amount) == ("SUCCESS", "succeeded", 12900)
    [referral] = all_rows(runtime, Referral)
    assert (referral.referrer_id, referral.status, referral.ordinal) == (seeded.referrer_id, "active", 1)
    [reward] = all_rows(runtime, Reward)
    assert (reward.type, reward.amount, reward.status, reward.customer_id) == (
        "credits",
        1000,
        "completed",
        seeded.referrer_id,
    )
    assert len(list((runtime.settings.outbox_dir).glob("*.eml"))) == 1
    types = [row.type for row in all_rows(runtime, Activity)]
    assert (
        types.index("customer.order.paid")
        < types.index("customer.redemption.succeeded")
        < types.index("customer.referred")
    )
    assert (
        types.index("customer.referred")
        < types.index("customer.reward_redemptions.created")
        < types.index("customer.reward_redemptions.completed")
    )
    assert types[-1] == "customer.email.sent"


def test_an_order_with_a_plain_discount_code_counts_toward_totals_but_redeems_nothing(runtime, worker, client):
    seed_campaign(runtime)
    post_shopify(client, shopify_order(1, code="SUMMER10", email="x@example.com"), webhook_id="plain-1")
    drain(runtime)
    assert row_counts(runtime)["redemptions"] == 0
    [customer] = all_rows(runtime, Customer, Customer.email_normalized == "x@example.com")
    assert (customer.orders_count, customer.orders_amounts.get("USD", 0)) == (1, 12900)


def test_an_explicit_redemption_of_an_unknown_code_fails_with_resource_not_found(runtime, worker, client):
    seed_campaign(runtime)
    post_native(
        client, native_event("evt-x", "redemption.requested", order_id="o-9", code="NOPE-0000", email="z@example.com")
    )
    drain(runtime)
    redemption = redemption_of(runtime, "o-9")
    assert (redemption.status, redemption.failure_code, redemption.campaign_id) == (
        "failed",
        "resource_not_found",
        None,
    )


def test_a_referrer_redeeming_their_own_code_through_a_gmail_alias_is_refused(runtime, worker, client):
    seeded = seed_campaign(runtime, referrer_email="ann.lee@gmail.com")
    payload = native_event(
        "evt-self",
        "order.paid",
        order_id="o-self",
        code=seeded.code,
        email="annlee+promo@googlemail.com",
        source_id="someone-else",
        status="paid",
    )
    post_native(client, payload)
    drain(runtime)
    assert redemption_of(runtime, "o-self").failure_code == "referrer_not_permitted_to_redeem"
    assert row_counts(runtime)["referrals"] == 0


def test_a_referee_is_referred_at_most_once_per_campaign(runtime, worker, client):
    seeded = seed_campaign(runtime)
    post_native(client, paid(1, seeded.code))
    second = native_event(
        "evt-again",
        "order.paid",
        order_id="o-again",
        code=seeded.code,
        email="friend1@example.com",
        source_id="c-1",
        status="paid",
    )
    post_native(client, second)
    drain(runtime)
    assert redemption_of(runtime, "o-again").failure_code == "customer_already_referred"
    assert row_counts(runtime)["referrals"] == 1


def test_an_order_below_the_campaign_amount_rule_fails_with_the_rule_message_and_logs(runtime, worker, client):
    rule = {
        "name": "Order over $80",
        "conditions": {"order.amount": {"$gt": 8000}},
        "error_message": "Orders must exceed $80",
    }
    seeded = seed_campaign(runtime, rules=[rule])
    post_native(client, paid(1, seeded.code, amount=5000))
    drain(runtime)
    redemption = redemption_of(runtime, "o-1")
    assert (redemption.failure_code, redemption.failure_message) == ("order_rules_violated", "Orders must exceed $80")
    assert redemption.logs[0]["rule"] == "Order over $80" and redemption.logs[0]["passed"] is False


def test_a_paused_campaign_refuses_redemptions(runtime, worker, client):
    seeded = seed_campaign(runtime, active=False)
    post_native(client, paid(1, seeded.code))
    drain(runtime)
    assert redemption_of(runtime, "o-1").failure_code == "campaign_not_active"


def test_a_campaign_converting_on_order_created_redeems_at_creation(runtime, worker, client):
    seeded = seed_campaign(runtime, conversion="order.created")
    post_native(
        client,
        native_event("evt-c", "order.created", order_id="o-c", code=seeded.code, email="n@example.com", source_id="n"),
    )
    drain(runtime)
    assert redemption_of(runtime, "o-c").status == "succeeded"


def test_a_paid_only_campaign_waits_for_payment(runtime, worker, client):
    seeded = seed_campaign(runtime)
    post_native(
        client,
        native_event("evt-c", "order.created", order_id="o-c", code=seeded.code, email="n@example.com", source_id="n"),
    )
    drain(runtime)
    assert row_counts(runtime)["redemptions"] == 0
    post_native(
        client,
        native_event("evt-p", "order.paid", order_id="o-c", code=seeded.code, email="n@example.com", source_id="n"),
    )
    drain(runtime)
    assert redemption_of(runtime, "o-c").status == "succeeded"


def test_a_custom_event_converts_a_campaign_that_waits_for_it(runtime, worker, client):
    seeded = seed_campaign(runtime, conversion="custom_event:signed_up")
    event = native_event("evt-su", "custom_event", code=seeded.code, email="new@example.com", source_id="new")
    event["data"]["event"] = "signed_up"
    post_native(client, event)
    drain(runtime)
    [redemption] = all_rows(runtime, Redemption)
    assert (redemption.status, redemption.order_id) == ("succeeded", None)
    assert row_counts(runtime)["referrals"] == 1


def test_a_refund_after_the_order_rolls_back_redemption_referral_and_pending_reward(runtime, worker, client):
    seeded = seed_campaign(runtime, reward_hold_days=14)
    post_native(client, paid(1, seeded.code))
    drain(runtime)
    assert [r.status for r in all_rows(runtime, Reward)] == ["pending"]
    post_native(
        client,
        native_event("evt-refund-1", "order.refunded", order_id="o-1", email="friend1@example.com", source_id="c-1"),
    )
    drain(runtime)
    assert redemption_of(runtime, "o-1").status == "rolled_back"
    assert [r.status for r in all_rows(runtime, Referral)] == ["rolled_back"]
    assert [r.status for r in all_rows(runtime, Reward)] == ["rolled_back"]
    [customer] = all_rows(runtime, Customer, Customer.source_id == "c-1")
    assert (customer.orders_count, customer.orders_amounts.get("USD", 0)) == (0, 0)


def test_a_refund_that_arrives_before_its_order_leaves_no_live_reward(runtime, worker, client):
    seeded = seed_campaign(runtime)
    post_native(
        client,
        native_event(
            "evt-refund-early",
            "order.canceled",
            order_id="o-1",
            email="friend1@example.com",
            source_id="c-1",
            status="canceled",
        ),
    )
    drain(runtime)
    post_native(client, paid(1, seeded.code))
    drain(runtime)
    assert redemption_of(runtime, "o-1").status == "rolled_back"
    assert all(r.status == "rolled_back" for r in all_rows(runtime, Reward))
    assert not any(r.status == "active" for r in all_rows(runtime, Referral))
    sent = [d for d in all_rows(runtime, Activity) if d.type == "customer.email.sent"]
    assert sent == [] or all(a.data["trigger"] != "customer_rewarded" for a in sent)


def test_an_older_state_of_an_order_delivered_late_does_not_take_back_its_newer_amount_items_or_metadata(
    runtime, worker, client
):
    def state(event_id: str, at: str, amount: int, sku: str, metadata: dict) -> dict:
        payload = native_event(
            event_id,
            "order.paid",
            order_id="o-1",
            amount=amount,
            email="friend1@example.com",
            source_id="c-1",
            status="paid",
            items=[{"sku": sku, "quantity": 1, "price": amount}],
            metadata=metadata,
        )
        return payload | {"created_at": at}

    post_native(client, state("evt-edited", "2026-11-27T12:00:00Z", 15000, "SKU-EDITED", {"channel": "web"}))
    drain(runtime)
    post_native(
        client,
        state("evt-first-retried", "2026-11-27T10:00:00Z", 12900, "SKU-FIRST", {"channel": "pos", "gift": "yes"}),
    )
    drain(runtime)
    [order] = all_rows(runtime, Order)
    assert (order.amount, [item["sku"] for item in order.items]) == (15000, ["SKU-EDITED"])
    assert order.meta == {"channel": "web", "gift": "yes"}  # the older state fills in only what the newer one lacks
    [customer] = all_rows(runtime, Customer, Customer.source_id == "c-1")
    assert (customer.orders_count, customer.orders_amounts.get("USD", 0)) == (1, 15000)


def test_a_partial_refund_keeps_the_redemption_and_the_order_counts_the_remainder(runtime, worker, client):
    seeded = seed_campaign(runtime)
    post_native(client, paid(1, seeded.code))
    post_native(
        client,
        native_event(
            "evt-part",
            "order.refunded",
            order_id="o-1",
            email="friend1@example.com",
            source_id="c-1",
            refunded_amount=2900,
            amount=12900,
        ),
    )
    drain(runtime)
    assert redemption_of(runtime, "o-1").status == "succeeded"
    [customer] = all_rows(runtime, Customer, Customer.source_id == "c-1")
    assert (customer.orders_count, customer.orders_amounts.get("USD", 0)) == (1, 10000)


def test_tiers_are_cumulative_and_the_milestone_fires_once(runtime, worker, client):
    seeded = seed_campaign(runtime, tiers=[EACH_CREDITS, FIVE_POINTS])
    for n in range(6):
        post_native(client, paid(n, seeded.code))
    drain(runtime)
    rewards = all_rows(runtime, Reward)
    assert sorted(r.type for r in rewards) == ["credits"] * 6 + ["points"]


def test_a_milestone_refires_after_dropping_below_and_reaching_it_again(runtime, worker, client):
    seeded = seed_campaign(runtime, tiers=[FIVE_POINTS], reward_hold_days=30)
    for n in range(5):
        post_native(client, paid(n, seeded.code))
    drain(runtime)
    post_native(
        client,
        native_event("evt-cancel-0", "order.canceled", order_id="o-0", email="friend0@example.com", source_id="c-0"),
    )
    drain(runtime)
    assert [r.status for r in all_rows(runtime, Reward)] == ["rolled_back"]
    post_native(client, paid(99, seeded.code))
    drain(runtime)
    assert sorted(r.status for r in all_rows(runtime, Reward)) == ["pending", "rolled_back"]


def test_every_step_run_twice_leaves_the_same_rows(runtime, client):
    seeded = seed_campaign(runtime)
    response = post_native(client, paid(1, seeded.code))
    event_id = response.json()["event_id"]
    run_step_twice(runtime, process_event, event_id)
    once = row_counts(runtime)
    run_step_twice(runtime, settle_rewards, seeded.campaign_id, seeded.referrer_id)
    settled = row_counts(runtime)
    run_step_twice(runtime, settle_rewards, seeded.campaign_id, seeded.referrer_id)
    assert row_counts(runtime) == settled
    assert (once["redemptions"], once["referrals"], settled["rewards"]) == (1, 1, 1)


def run_step_twice(runtime, step, *args) -> None:
    for _ in range(2):
        with runtime.pipeline_units(send_after_commit=False) as uow:
            step(uow, *args)


def test_the_same_event_processed_by_two_workers_at_once_has_one_set_of_effects(runtime, client):
    seeded = seed_campaign(runtime)
    event_id = post_native(client, paid(1, seeded.code)).json()["event_id"]
    errors: list[BaseException] = []
    run_concurrently(runtime, [(process_event, (event_id,))] * 4, errors)
    run_concurrently(runtime, [(settle_rewards, (seeded.campaign_id, seeded.referrer_id))] * 4, errors)
    assert errors == []
    counts = row_counts(runtime)
    assert (counts["redemptions"], counts["referrals"], counts["rewards"]) == (1, 1, 1)


def run_concurrently(runtime, calls, errors: list) -> None:
    barrier = threading.Barrier(len(calls))

    def call(step, args):
        barrier.wait()
        try:
            with runtime.pipeline_units(send_after_commit=False) as uow:
                step(uow, *args)
        except Exception as error:  # noqa: BLE001 - collected and asserted
            errors.append(error)

    threads = [threading.Thread(target=call, args=entry) for entry in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_a_processed_event_rerun_asks_again_for_a_settlement_that_never_ran(runtime, client):
    seeded = seed_campaign(runtime)
    event_id = post_native(client, paid(1, seeded.code)).json()["event_id"]
    with runtime.units(send_after_commit=False) as uow:
        process_event(uow, event_id)
        uow.session.execute(update(Referral).values(settled_at=None))
    with runtime.units(send_after_commit=False) as again:
        process_event(again, event_id)
    assert [(f.actor, f.args) for f in again.followups] == [
        ("settle_rewards", (seeded.campaign_id, seeded.referrer_id))
    ]


@pytest.mark.slow
def test_two_hundred_referees_of_one_referrer_processed_concurrently_give_exact_referrals_and_rewards(runtime, client):
    seeded = seed_campaign(
        runtime,
        tiers=[
            EACH_CREDITS,
            FIVE_POINTS,
            {"name": "Fifty", "kind": "milestone", "threshold": 50, "reward": {"type": "credits", "amount": 5000}},
        ],
    )
    event_ids = [post_native(client, paid(n, seeded.code)).json()["event_id"] for n in range(200)]
    drain_with_threads(runtime, 8)
    with runtime.session_factory() as session:
        statuses = set(session.scalars(select(InboundEvent.status).where(InboundEvent.id.in_(event_ids))))
    assert statuses == {EventStatus.PROCESSED}
    assert len([r for r in all_rows(runtime, Referral) if r.status == "active"]) == 200
    assert sorted(r.ordinal for r in all_rows(runtime, Referral)) == list(range(1, 201))
    assert [code.redeemed_count for code in all_rows(runtime, Code)] == [200]
    rewards = all_rows(runtime, Reward)
    assert (len(rewards), sum(r.type == "points" for r in rewards), sum(r.amount == 5000 for r in rewards)) == (
        202,
        1,
        1,
    )


@pytest.mark.slow
def test_a_code_limit_holds_when_its_redemptions_are_processed_concurrently(runtime, client):
    seeded = seed_campaign(runtime, tiers=[EACH_CREDITS])
    with runtime.session_factory() as session, session.begin():
        session.execute(update(Code).values(redemption_limit=25))
    for n in range(60):
        post_native(client, paid(n, seeded.code))
    drain_with_threads(runtime, 8)
    results = [r.failure_code for r in all_rows(runtime, Redemption)]
    assert (results.count(None), results.count("quantity_exceeded"), len(results)) == (25, 35, 60)
    assert [code.redeemed_count for code in all_rows(runtime, Code)] == [25]


def test_a_partial_refund_below_the_amount_rule_rolls_back_the_referral_but_keeps_the_order(runtime, worker, client):
    rule = {
        "name": "Order over $80",
        "conditions": {"order.amount": {"$gt": 8000}},
        "error_message": "Orders must exceed $80",
    }
    seeded = seed_campaign(runtime, rules=[rule], reward_hold_days=14)
    post_native(client, paid(1, seeded.code))
    drain(runtime)
    post_native(
        client,
        native_event(
            "evt-part",
            "order.refunded",
            order_id="o-1",
            email="friend1@example.com",
            source_id="c-1",
            refunded_amount=6000,
            amount=12900,
        ),
    )
    drain(runtime)
    assert redemption_of(runtime, "o-1").status == "succeeded"
    assert [r.status for r in all_rows(runtime, Referral)] == ["rolled_back"]
    assert [r.status for r in all_rows(runtime, Reward)] == ["rolled_back"]
    [customer] = all_rows(runtime, Customer, Customer.source_id == "c-1")
    assert (customer.orders_count, customer.orders_amounts.get("USD", 0)) == (1, 6900)
