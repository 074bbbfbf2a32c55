"""Money through the pipeline on a real database: refunds in the order's currency, orders/updated, amount rules
converted at the operator's rates, and customer totals kept per currency."""

from __future__ import annotations

from datetime import date

from app.exchange_rates import set_rate
from app.pipeline.events import process_event
from db.models import Activity, Customer, Redemption, Referral
from tests.support.counts import all_rows, row_counts
from tests.support.pipeline import body_of, drain, shopify_headers, shopify_order
from tests.support.seed import seed_campaign

OVER_50 = {
    "name": "More than $50",
    "conditions": {"order.amount": {"$gt": 5000}},
    "error_message": "Orders must exceed $50",
}


def post_shopify(client, payload: dict, *, topic: str = "orders/paid", webhook_id: str):
    body = body_of(payload)
    response = client.post(
        "/webhooks/shopify", content=body, headers=shopify_headers(body, topic=topic, webhook_id=webhook_id)
    )
    assert response.status_code == 202, response.text
    return response.json()["event_id"]


def order_in(order_id: int, code: str, currency: str, total: str, *, email: str = "ken@example.jp", **fields) -> dict:
    return shopify_order(order_id, code=code, email=email, total=total) | {"currency": currency} | fields


def refund_without_currency(refund_id: int, order_id: int, amount: str) -> dict:
    """As Shopify's own refunds/create sample: the transaction's currency is null."""
    return {
        "id": refund_id,
        "order_id": order_id,
        "created_at": "2026-11-28T10:00:00Z",
        "refund_line_items": [{"id": 1, "quantity": 1, "line_item_id": 2, "subtotal": 1.0}],
        "transactions": [
            {
                "id": refund_id + 1,
                "order_id": order_id,
                "kind": "refund",
                "status": "success",
                "gateway": "bogus",
                "amount": amount,
                "currency": None,
            }
        ],
    }


def add_rate(runtime, base: str, quote: str, rate: str, day: date = date(2026, 1, 1)) -> None:
    with runtime.units() as uow:
        set_rate(uow, {"base": base, "quote": quote, "rate": rate, "date": day})


def redemption(runtime) -> Redemption:
    [row] = all_rows(runtime, Redemption)
    return row


def test_a_one_percent_jpy_refund_without_a_currency_keeps_the_referral(runtime, worker, client):
    seeded = seed_campaign(runtime, currency="JPY")
    post_shopify(client, order_in(1, seeded.code, "JPY", "10000"), webhook_id="paid-1")
    post_shopify(client, refund_without_currency(900, 1, "100"), topic="refunds/create", webhook_id="refund-1")
    drain(runtime)
    [referral] = all_rows(runtime, Referral)
    assert (redemption(runtime).status, referral.status) == ("succeeded", "active")
    [customer] = all_rows(runtime, Customer, Customer.email_normalized == "ken@example.jp")
    assert (customer.orders_count, customer.orders_amounts) == (1, {"JPY": 9900})


def test_a_jpy_refund_without_a_currency_before_its_order_keeps_the_referral_and_the_rest_rolls_it_back(
    runtime, worker, client
):
    seeded = seed_campaign(runtime, currency="JPY")
    post_shopify(client, refund_without_currency(900, 1, "100"), topic="refunds/create", webhook_id="refund-1")
    drain(runtime)
    post_shopify(client, order_in(1, seeded.code, "JPY", "10000"), webhook_id="paid-1")
    drain(runtime)
    assert [r.status for r in all_rows(runtime, Referral)] == ["active"]
    post_shopify(client, refund_without_currency(910, 1, "9900"), topic="refunds/create", webhook_id="refund-2")
    drain(runtime)
    assert (redemption(runtime).status, [r.status for r in all_rows(runtime, Referral)]) == (
        "rolled_back",
        ["rolled_back"],
    )


def test_an_hkd_order_is_compared_in_the_campaign_s_usd_at_the_operator_s_rate_and_the_logs_name_it(
    runtime, worker, client
):
    seeded = seed_campaign(runtime, currency="USD", rules=[OVER_50])
    add_rate(runtime, "HKD", "USD", "0.1282")
    post_shopify(client, order_in(1, seeded.code, "HKD", "186.90"), webhook_id="paid-1")
    drain(runtime)
    row = redemption(runtime)
    assert (row.status, row.failure_code, row.failure_message, row.amount) == (
        "failed",
        "order_rules_violated",
        "Orders must exceed $50",
        18690,
    )
    assert row.logs[0]["rule"] == "currency conversion"
    assert (
        "HKD 186.90 = USD 23.96" in row.logs[0]["detail"]
        and "HKD/USD 0.1282, rate dated 2026-01-01" in row.logs[0]["detail"]
    )


def test_an_eur_order_above_the_usd_threshold_converts_through_the_inverse_rate(runtime, worker, client):
    seeded = seed_campaign(runtime, currency="USD", rules=[OVER_50])
    add_rate(runtime, "USD", "EUR", "0.925")
    post_shopify(client, order_in(1, seeded.code, "EUR", "60.00"), webhook_id="paid-1")
    drain(runtime)
    row = redemption(runtime)
    assert row.status == "succeeded"
    assert "(the inverse pair)" in row.logs[0]["detail"]


def test_a_jpy_order_without_any_rate_fails_with_invalid_amount_naming_both_currencies(runtime, worker, client):
    seeded = seed_campaign(runtime, currency="USD", rules=[OVER_50])
    add_rate(runtime, "HKD", "USD", "0.1282")
    post_shopify(client, order_in(1, seeded.code, "JPY", "5001"), webhook_id="paid-1")
    drain(runtime)
    row = redemption(runtime)
    assert (row.status, row.failure_code) == ("failed", "invalid_amount")
    assert "JPY" in row.failure_message and "USD" in row.failure_message
    assert all_rows(runtime, Referral) == []


def test_a_kwd_order_is_read_in_fils_and_compared_in_a_kwd_campaign_without_a_rate(runtime, worker, client):
    seeded = seed_campaign(
        runtime, currency="KWD", rules=[{"name": "Over KWD 5", "conditions": {"order.amount": {"$gt": 5000}}}]
    )
    post_shopify(client, order_in(1, seeded.code, "KWD", "5.001"), webhook_id="paid-1")
    drain(runtime)
    row = redemption(runtime)
    assert (row.status, row.amount, [log["rule"] for log in row.logs]) == ("succeeded", 5001, ["Over KWD 5"])


def test_shopify_orders_updated_converts_once_with_orders_paid_and_a_cancellation_rolls_back(runtime, worker, client):
    seeded = seed_campaign(runtime)
    post_shopify(
        client,
        order_in(1, seeded.code, "USD", "129.00", financial_status="pending"),
        topic="orders/updated",
        webhook_id="upd-1",
    )
    drain(runtime)
    assert row_counts(runtime)["redemptions"] == 0
    post_shopify(client, order_in(1, seeded.code, "USD", "129.00"), topic="orders/updated", webhook_id="upd-2")
    post_shopify(client, order_in(1, seeded.code, "USD", "129.00"), topic="orders/paid", webhook_id="paid-1")
    unchanged = post_shopify(
        client,
        order_in(1, seeded.code, "USD", "129.00", updated_at="2026-11-27T10:01:00Z"),
        topic="orders/updated",
        webhook_id="upd-3",
    )
    drain(runtime)
    assert (row_counts(runtime)["redemptions"], [r.status for r in all_rows(runtime, Referral)]) == (1, ["active"])
    [customer] = all_rows(runtime, Customer, Customer.email_normalized == "ken@example.jp")
    assert (customer.orders_count, customer.orders_amounts) == (1, {"USD": 12900})
    assert [a for a in all_rows(runtime, Activity) if a.data.get("event_id") == unchanged] == []  # no news, no activity
    post_shopify(
        client,
        order_in(
            1, seeded.code, "USD", "129.00", cancelled_at="2026-11-28T10:00:00Z", updated_at="2026-11-28T10:00:00Z"
        ),
        topic="orders/updated",
        webhook_id="upd-4",
    )
    drain(runtime)
    assert (redemption(runtime).status, [r.status for r in all_rows(runtime, Referral)]) == (
        "rolled_back",
        ["rolled_back"],
    )


def test_a_shop_subscribed_only_to_orders_updated_earns_the_referral(runtime, worker, client):
    seeded = seed_campaign(runtime)
    post_shopify(client, order_in(1, seeded.code, "USD", "129.00"), topic="orders/updated", webhook_id="upd-1")
    drain(runtime)
    assert [r.status for r in all_rows(runtime, Referral)] == ["active"]


def test_an_orders_updated_step_run_twice_leaves_the_same_rows(runtime, client):
    seeded = seed_campaign(runtime)
    event_id = post_shopify(
        client, order_in(1, seeded.code, "USD", "129.00"), topic="orders/updated", webhook_id="upd-1"
    )
    for _ in range(2):
        with runtime.pipeline_units(send_after_commit=False) as uow:
            process_event(uow, event_id)
    counts = row_counts(runtime)
    assert (counts["redemptions"], counts["referrals"]) == (1, 1)
    [customer] = all_rows(runtime, Customer, Customer.email_normalized == "ken@example.jp")
    assert (customer.orders_count, customer.orders_amounts) == (1, {"USD": 12900})


def test_a_customer_s_order_totals_are_kept_per_currency(runtime, worker, client):
    seed_campaign(runtime)
    post_shopify(client, order_in(1, "PLAIN-1", "USD", "129.00"), webhook_id="paid-1")
    post_shopify(client, order_in(2, "PLAIN-2", "HKD", "186.90"), webhook_id="paid-2")
    post_shopify(client, order_in(3, "PLAIN-3", "JPY", "5001"), webhook_id="paid-3")
    drain(runtime)
    [customer] = all_rows(runtime, Customer, Customer.email_normalized == "ken@example.jp")
    assert (customer.orders_count, customer.orders_amounts) == (3, {"USD": 12900, "HKD": 18690, "JPY": 5001})


def test_without_an_amount_rule_an_order_in_another_currency_converts_with_no_rate_needed(runtime, worker, client):
    seeded = seed_campaign(runtime, currency="USD", rules=[])
    post_shopify(client, order_in(1, seeded.code, "EUR", "12.00"), webhook_id="paid-1")
    drain(runtime)
    row = redemption(runtime)
    assert (row.status, row.failure_code, row.logs) == ("succeeded", None, [])  # nothing compared, nothing converted
    assert [referral.status for referral in all_rows(runtime, Referral)] == ["active"]
