"""Redemptions, reward redemptions and customers: what the pipeline produced, and the operator's actions on it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from api.app import create_app
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


SPEC_REWARD_FIELDS = {"id", "customer_id", "tier_id", "type", "amount", "status", "event_id", "created_at"}


def test_reward_rows_carry_the_referrers_name_and_email_beside_the_spec_fields(client, referred):
    [row] = client.get(f"/api/v1/campaigns/{referred['campaign']['id']}/rewards").json()["data"]
    assert set(row) >= SPEC_REWARD_FIELDS | {"customer_name", "customer_email"}
    assert row["customer_id"] == referred["referrer"]["customer_id"]
    assert (row["customer_name"], row["customer_email"]) == ("Ann Lee", "ann@example.com")
    assert client.get(f"/api/v1/rewards/{row['id']}").json() == row


def test_completing_or_rolling_back_a_reward_answers_it_with_the_referrer(client, referred):
    reward_id = referred["reward"]["id"]
    completed = client.post(f"/api/v1/rewards/{reward_id}/complete").json()
    assert (completed["status"], completed["customer_email"]) == ("completed", "ann@example.com")
    rolled_back = client.post(f"/api/v1/rewards/{reward_id}/rollback").json()
    assert (rolled_back["status"], rolled_back["customer_name"]) == ("rolled_back", "Ann Lee")


def test_reward_rows_are_paginated_and_filtered_with_each_referrers_name(client, runtime, referred):
    campaign_id = referred["campaign"]["id"]
    ben = client.post(
        f"/api/v1/campaigns/{campaign_id}/referrers",
        json={"customer": {"email": "ben.referrer@example.com", "name": "Ben Park"}},
    ).json()
    paid_order(client, runtime, ben["code"], order_id="o-2", email="cid@example.com")
    url = f"/api/v1/campaigns/{campaign_id}/rewards"
    first = client.get(url, params={"limit": 1}).json()
    assert first["data"][0]["customer_email"] == "ben.referrer@example.com" and first["next_cursor"]
    second = client.get(url, params={"limit": 1, "cursor": first["next_cursor"]}).json()
    assert (second["data"][0]["customer_email"], second["next_cursor"]) == ("ann@example.com", None)
    by_referrer = client.get(url, params={"customer_id": ben["customer_id"]}).json()["data"]
    assert [(row["customer_name"], row["customer_email"]) for row in by_referrer] == [
        ("Ben Park", "ben.referrer@example.com")
    ]
    assert client.get(url, params={"status": "completed"}).json()["data"] == []
    assert client.get(url, params={"type": "points"}).json()["data"] == []
    assert client.get(url, params={"status": "weird"}).status_code == 422


def test_a_page_of_rewards_costs_the_same_queries_whatever_its_length(client, runtime, referred):
    campaign_id = referred["campaign"]["id"]
    for number in range(2, 5):
        friend = invite(client, campaign_id, f"referrer{number}@example.com")
        paid_order(client, runtime, friend["code"], order_id=f"o-{number}", email=f"friend{number}@example.com")
    url = f"/api/v1/campaigns/{campaign_id}/rewards"
    with statements(runtime) as one:
        assert len(client.get(url, params={"limit": 1}).json()["data"]) == 1
    with statements(runtime) as four:
        assert len(client.get(url).json()["data"]) == 4
    assert len(four) == len(one)


def test_an_unknown_campaigns_rewards_are_404_and_need_a_token(client, runtime):
    assert client.get("/api/v1/campaigns/cmp_nope/rewards").status_code == 404
    with TestClient(create_app(runtime)) as anonymous:
        assert anonymous.get("/api/v1/campaigns/cmp_nope/rewards").status_code == 401
        assert anonymous.get("/api/v1/rewards/rwd_nope").status_code == 401


@contextmanager
def statements(runtime) -> Iterator[list[str]]:
    """The SQL statements run while the block is open."""
    seen: list[str] = []

    def record(_connection, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(runtime.engine, "before_cursor_execute", record)
