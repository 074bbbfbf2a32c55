"""Webhooks delivered twice, out of order and concurrently (threads through a real uvicorn server): effects exactly once."""

from __future__ import annotations

import random

import pytest

from api.app import create_app
from tests.faults.workload import EMAIL_TRIGGERS, expected_for, referral_order, refund_of, seed_program
from tests.support.faults import deliver_all, delivered_keys, outcome, post_groups_together, serving, wait_until_quiet
from tests.support.processes import wait_until

pytestmark = pytest.mark.slow
REWARD_MAILS = {"customer_rewarded": ["email"]}


def test_the_same_webhooks_posted_at_once_by_three_threads_and_again_later_take_effect_once(
    fault_runtime, intake, worker_pool, smtp
):
    program = seed_program(fault_runtime, referrers=10)
    orders = [referral_order(program, n, prefix="dup") for n in range(100)]  # Shopify, WooCommerce and native in turn
    worker_pool(processes=2, threads=4)
    with serving(create_app(fault_runtime)) as url:
        answers = post_groups_together(url, [[order] * 3 for order in orders])
    for responses in answers:
        assert sorted((r.status_code, r.json()["status"]) for r in responses) == [
            (200, "duplicate"),
            (200, "duplicate"),
            (202, "accepted"),
        ]
        assert len({r.json()["event_id"] for r in responses}) == 1, "the duplicates name the accepted event"
    assert deliver_all(intake, reversed(orders)) == {(200, "duplicate"): 100}
    wait_until_quiet(fault_runtime, timeout_s=120)
    assert deliver_all(intake, random.Random(3).sample(orders, len(orders))) == {(200, "duplicate"): 100}

    expected = expected_for(program, 100, 0, 0, EMAIL_TRIGGERS)
    assert outcome(fault_runtime) == expected.summary()
    delivered = delivered_keys(smtp.handler)
    assert sum(delivered.values()) == expected.distributions["sent"] == len(delivered), "each mail exactly once"


def test_refunds_delivered_before_their_orders_roll_the_referrals_back_and_give_no_reward(
    fault_runtime, intake, worker_pool, smtp
):
    program = seed_program(fault_runtime, referrers=10, notifications=REWARD_MAILS)
    refunds = [refund_of(n, prefix="early") for n in range(100)]
    orders = [referral_order(program, n, prefix="early") for n in range(100)]
    worker_pool(processes=2, threads=4)
    assert deliver_all(intake, refunds) == {(202, "accepted"): 100}
    wait_until(
        lambda: outcome(fault_runtime)["events"] == {"processed": 100},
        timeout_s=120,
        message="the refunds processed first",
    )
    assert deliver_all(intake, orders) == {(202, "accepted"): 100}
    wait_until_quiet(fault_runtime, timeout_s=120)
    assert deliver_all(intake, random.Random(5).sample(refunds + orders, 200)) == {(200, "duplicate"): 200}
    wait_until_quiet(fault_runtime, timeout_s=60)

    assert outcome(fault_runtime) == {
        "events": {"processed": 200},
        "redemptions": {"rolled_back": 100},
        "referrals": {"rolled_back": 100},
        "rewards": {},
        "ledger": 0,
        "distributions": {},
        "orders_counted": 0,
        "activities": {
            "customer.order.refunded": 100,
            "customer.order.paid": 100,
            "customer.redemption.succeeded": 100,
            "customer.referred": 100,
            "customer.redemption.rollback.succeeded": 100,
        },
    }
    assert smtp.handler.delivered == []


def test_orders_racing_their_refunds_end_with_every_referral_rolled_back_and_no_live_reward(
    fault_runtime, intake, worker_pool, smtp
):
    program = seed_program(fault_runtime, referrers=10, hold_days=30, notifications=REWARD_MAILS)
    pairs = [[referral_order(program, n, prefix="race"), refund_of(n, prefix="race")] for n in range(100)]
    for pair in pairs[::2]:
        pair.reverse()
    worker_pool(processes=2, threads=4)
    with serving(create_app(fault_runtime)) as url:
        answers = post_groups_together(url, pairs)
    assert {(r.status_code, r.json()["status"]) for responses in answers for r in responses} == {(202, "accepted")}
    wait_until_quiet(fault_runtime, timeout_s=120)

    actual = outcome(fault_runtime)
    rewards = actual["activities"].get("customer.reward_redemptions.created", 0)  # 0 or more per referral, by timing
    sent = actual["distributions"].get("sent", 0)  # mailed before its refund rolled it back; the rest are skipped
    assert actual == {
        "events": {"processed": 200},
        "redemptions": {"rolled_back": 100},
        "referrals": {"rolled_back": 100},
        "rewards": {"rolled_back": rewards} if rewards else {},
        "ledger": 0,
        "distributions": {
            status: count for status, count in {"sent": sent, "skipped": rewards - sent}.items() if count
        },
        "orders_counted": 0,
        "activities": {
            key: value
            for key, value in {
                "customer.order.refunded": 100,
                "customer.order.paid": 100,
                "customer.redemption.succeeded": 100,
                "customer.referred": 100,
                "customer.redemption.rollback.succeeded": 100,
                "customer.reward_redemptions.created": rewards,
                "customer.rewarded": rewards,
                "customer.reward_redemptions.rolledback": rewards,
                "customer.email.sent": sent,
            }.items()
            if value
        },
    }
    delivered = delivered_keys(smtp.handler)
    assert sum(delivered.values()) == sent == len(delivered), (
        "each reward mailed before its rollback mailed once, the others not at all"
    )
