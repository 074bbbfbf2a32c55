"""Redemptions, reward redemptions and customers: what the pipeline produced, and the operator's actions on it."""

from __future__ import annotations

import csv
import io

import pytest

from tests.api.helpers import add_tier, create_campaign, invite, paid_order
from tests.support.pipeline import drain

RULE = {
    "name": "Order over $80",
    "conditions": {"order.amount": {"$gt": 8000}},
    "error_message": "Orders must exceed $80",
}


@pytest.fixture
def referred(client, runtime, worker) -> dict:
    """A campaign with a 14-day hold, a credits tier, one referrer and one referee who paid."""
    campaign = create_campaign(client, reward_hold_days=14)
    tier = add_tier(client, campaign["id"])
    client.post(f"/api/v1/campaigns/{campaign['id']}/rules", json=RULE)
    referrer = invite(client, campaign["id"], "ann@example.com")
    paid_order(client, runtime, referrer["code"], order_id="o-1", email="ben@example.com")
    [redemption] = client.get(f"/api/v1/campaigns/{campaign['id']}/redemptions").json()["data"]
    [reward] = client.get(f"/api/v1/campaigns/{campaign['id']}/rewards").json()["data"]
    return {"campaign": campaign, "tier": tier, "referrer": referrer, "redemption": redemption, "reward": reward}


def test_a_redemption_has_the_spec_fields(referred):
    redemption = referred["redemption"]
    assert {key: redemption[key] for key in ("code", "order_id", "result", "status", "failure_code", "amount")} == {
        "code": referred["referrer"]["code"],
        "order_id": "o-1",
        "result": "SUCCESS",
        "status": "succeeded",
        "failure_code": None,
        "amount": 12900,
    }


def test_one_redemption_adds_the_logs_of_every_rule(client, referred):
    body = client.get(f"/api/v1/redemptions/{referred['redemption']['id']}").json()
    assert body["logs"] == [{"rule": "Order over $80", "passed": True, "detail": "order.amount 12900 $gt 8000: passed"}]
    assert client.get("/api/v1/redemptions/red_nope").status_code == 404


def test_redemptions_are_listed_across_campaigns_with_filters(client, runtime, referred):
    other = create_campaign(client, name="Other")
    stranger = invite(client, other["id"], "cid@example.com")
    paid_order(client, runtime, stranger["code"], order_id="o-2", email="dee@example.com", amount=100)
    assert len(client.get("/api/v1/redemptions").json()["data"]) == 2
    by_code = client.get("/api/v1/redemptions", params={"code": referred["referrer"]["code"].lower()}).json()["data"]
    assert [row["id"] for row in by_code] == [referred["redemption"]["id"]]
    by_customer = client.get(
        "/api/v1/redemptions", params={"customer_id": referred["redemption"]["customer_id"]}
    ).json()["data"]
    assert [row["id"] for row in by_customer] == [referred["redemption"]["id"]]
    assert client.get("/api/v1/redemptions", params={"status": "failed"}).json()["data"] == []
    assert client.get("/api/v1/redemptions", params={"status": "weird"}).status_code == 422


def test_the_campaign_redemptions_export_as_csv(client, referred):
    response = client.get(f"/api/v1/campaigns/{referred['campaign']['id']}/redemptions", params={"format": "csv"})
    [row] = list(csv.DictReader(io.StringIO(response.text)))
    assert (row["id"], row["status"], row["amount"]) == (referred["redemption"]["id"], "succeeded", "12900")


def test_rolling_back_a_redemption_rolls_back_its_referral_and_pending_reward(client, runtime, referred):
    response = client.post(f"/api/v1/redemptions/{referred['redemption']['id']}/rollback")
    assert response.status_code == 200
    assert response.json()["status"] == "rolled_back"
    drain(runtime)
    assert client.get(f"/api/v1/rewards/{referred['reward']['id']}").json()["status"] == "rolled_back"
    assert client.get(f"/api/v1/campaigns/{referred['campaign']['id']}/referees").json()["data"] == []
    again = client.post(f"/api/v1/redemptions/{referred['redemption']['id']}/rollback")
    assert again.status_code == 409
    assert client.post("/api/v1/redemptions/red_nope/rollback").status_code == 404


def test_a_held_reward_is_pending_and_completing_it_credits_the_balance(client, referred):
    reward = referred["reward"]
    assert (reward["status"], reward["type"], reward["amount"]) == ("pending", "credits", 1000)
    completed = client.post(f"/api/v1/rewards/{reward['id']}/complete")
    assert completed.status_code == 200
    assert completed.json()["status"] == "completed"
    [customer] = client.get("/api/v1/customers", params={"email": "ann@example.com"}).json()["data"]
    assert customer["balances"] == {"credits": 1000, "points": 0}
    assert client.post(f"/api/v1/rewards/{reward['id']}/complete").status_code == 409


def test_rolling_back_a_completed_reward_reverses_its_credits(client, referred):
    reward = referred["reward"]
    client.post(f"/api/v1/rewards/{reward['id']}/complete")
    response = client.post(f"/api/v1/rewards/{reward['id']}/rollback")
    assert response.json()["status"] == "rolled_back"
    assert client.get(f"/api/v1/customers/{reward['customer_id']}").json()["balances"] == {"credits": 0, "points": 0}
    assert client.post(f"/api/v1/rewards/{reward['id']}/rollback").status_code == 409
    assert client.post(f"/api/v1/rewards/{reward['id']}/complete").status_code == 409


def test_a_material_reward_waits_for_the_operator(client, runtime, worker):
    campaign = create_campaign(client)
    add_tier(client, campaign["id"], reward={"type": "material", "description": "A tote bag"})
    referrer = invite(client, campaign["id"], "ann@example.com")
    paid_order(client, runtime, referrer["code"], order_id="o-1", email="ben@example.com")
    [reward] = client.get(f"/api/v1/campaigns/{campaign['id']}/rewards", params={"status": "pending"}).json()["data"]
    assert reward["details"] == {"description": "A tote bag"}
    assert client.post(f"/api/v1/rewards/{reward['id']}/complete").json()["status"] == "completed"
    assert client.get(f"/api/v1/campaigns/{campaign['id']}/rewards", params={"status": "pending"}).json()["data"] == []
    assert client.get("/api/v1/rewards/rwd_nope").status_code == 404


def test_customers_are_found_by_source_id_and_by_any_alias_of_their_email(client, runtime, worker):
    campaign = create_campaign(client)
    ann = invite(client, campaign["id"], "ann.lee@gmail.com", source_id="c-77")
    assert [row["id"] for row in client.get("/api/v1/customers", params={"source_id": "c-77"}).json()["data"]] == [
        ann["customer_id"]
    ]
    by_alias = client.get("/api/v1/customers", params={"email": "Ann.Lee+shop@googlemail.com"}).json()["data"]
    assert [row["id"] for row in by_alias] == [ann["customer_id"]]
    assert client.get("/api/v1/customers", params={"email": "nobody@example.com"}).json()["data"] == []


def test_one_customer_has_orders_and_balances(client, referred):
    referee = client.get(f"/api/v1/customers/{referred['redemption']['customer_id']}").json()
    assert (referee["email"], referee["orders_count"], referee["orders_amount"]) == ("ben@example.com", 1, 12900)
    assert client.get("/api/v1/customers/cust_nope").status_code == 404


def test_a_customer_activity_is_filtered_by_campaign_and_type(client, runtime, referred):
    customer_id = referred["referrer"]["customer_id"]
    rows = client.get(f"/api/v1/customers/{customer_id}/activity").json()["data"]
    assert {row["type"] for row in rows} >= {"customer.publication.succeeded", "customer.rewarded"}
    assert all(
        set(row) == {"id", "type", "category", "campaign_id", "customer_id", "created_at", "data"} for row in rows
    )
    only = client.get(f"/api/v1/customers/{customer_id}/activity", params={"type": "customer.rewarded"}).json()["data"]
    assert [row["type"] for row in only] == ["customer.rewarded"]
    assert (
        client.get(f"/api/v1/customers/{customer_id}/activity", params={"campaign_id": "cmp_other"}).json()["data"]
        == []
    )
    assert client.get("/api/v1/customers/cust_nope/activity").status_code == 404
