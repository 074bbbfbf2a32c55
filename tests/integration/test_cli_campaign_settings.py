"""`referrals campaigns update`, `campaigns tiers …` and `campaigns rules …`: the same app/ commands and API
schemas as the JSON API and the dashboard."""

from __future__ import annotations

import json

import pytest

from tests.api.helpers import create_campaign, invite, paid_order


@pytest.fixture
def campaign(client) -> dict:
    return create_campaign(client, metadata={"team": "growth", "old": 1})


def test_update_changes_only_the_options_given(cli, client, campaign):
    result = cli(
        "campaigns", "update", campaign["id"],
        "--name", "Spring", "--description", "For spring", "--referee-reward", "15% off",
        "--start", "2027-01-01", "--expires", "2027-06-30T00:00:00Z", "--hold-days", "7",
        "--webhook-url", "https://hooks.example.com/in", "--landing-url", "https://shop.example.com/i/{code}",
        "--currency", "usd", "--conversion", "order.created",
        "--metadata", "budget=500", "--metadata", "old=", "--metadata", "note=hello",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    shown = client.get(f"/api/v1/campaigns/{campaign['id']}").json()
    assert json.loads(result.stdout)["name"] == "Spring"
    assert (shown["name"], shown["description"], shown["referee_reward"]) == ("Spring", "For spring", "15% off")
    assert shown["start_date"].startswith("2027-01-01") and shown["expiration_date"].startswith("2027-06-30")
    assert (shown["reward_hold_days"], shown["currency"], shown["conversion"]) == (7, "USD", "order.created")
    assert shown["landing_url"] == "https://shop.example.com/i/{code}"
    assert shown["metadata"] == {"team": "growth", "budget": 500, "note": "hello"}
    assert cli("campaigns", "update", campaign["id"], "--landing-url", "none").exit_code == 0
    after = client.get(f"/api/v1/campaigns/{campaign['id']}").json()
    assert after["landing_url"] is None and after["name"] == "Spring"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--landing-url", "ftp://x"], "landing_url"),
        (["--webhook-url", "nope"], "webhook_url"),
        (["--conversion", "order.shipped"], "conversion"),
        (["--metadata", "novalue"], "KEY=VALUE"),
        ([], "nothing to change"),
    ],
)
def test_update_refuses_bad_values_and_changes_nothing(cli, client, campaign, args, words):
    result = cli("campaigns", "update", campaign["id"], *args)
    assert result.exit_code != 0 and words in result.output
    assert client.get(f"/api/v1/campaigns/{campaign['id']}").json() == campaign | {
        "updated_at": client.get(f"/api/v1/campaigns/{campaign['id']}").json()["updated_at"]
    }


def test_update_cannot_change_the_currency_once_redeemed(cli, client, runtime, worker, campaign):
    referrer = invite(client, campaign["id"], "ann@example.com")
    paid_order(client, runtime, referrer["code"], order_id="o-1", email="ben@example.com")
    result = cli("campaigns", "update", campaign["id"], "--currency", "JPY")
    assert result.exit_code == 1 and "cannot change once the campaign has redemptions" in result.output


def test_tiers_are_added_listed_updated_and_deleted(cli, client, campaign):
    added = cli("campaigns", "tiers", "add", campaign["id"], "--name", "Each", "--reward", "credits", "--amount", 500)
    assert added.exit_code == 0, added.output
    tier_id = added.stdout.strip()
    assert tier_id in cli("campaigns", "tiers", "list", campaign["id"]).stdout
    updated = cli(
        "campaigns", "tiers", "update", campaign["id"], tier_id,
        "--kind", "milestone", "--threshold", 5, "--reward", "material", "--description", "A T-shirt",
    )  # fmt: skip
    assert updated.exit_code == 0, updated.output
    [tier] = client.get(f"/api/v1/campaigns/{campaign['id']}/tiers").json()["data"]
    assert (tier["name"], tier["kind"], tier["threshold"]) == ("Each", "milestone", 5)
    assert tier["reward"] == {"type": "material", "description": "A T-shirt"}
    assert cli("campaigns", "tiers", "delete", campaign["id"], tier_id).exit_code == 0
    assert client.get(f"/api/v1/campaigns/{campaign['id']}/tiers").json()["data"] == []


def test_a_bad_tier_is_refused_naming_the_field(cli, client, campaign):
    result = cli("campaigns", "tiers", "add", campaign["id"], "--name", "X", "--reward", "credits", "--amount", 0)
    assert result.exit_code == 2 and "reward.credits.amount" in result.output
    assert client.get(f"/api/v1/campaigns/{campaign['id']}/tiers").json()["data"] == []


def test_rules_are_added_updated_combined_and_deleted(cli, client, campaign):
    conditions = json.dumps({"order.amount": {"$gte": 5000}})
    ids = [
        cli("campaigns", "rules", "add", campaign["id"], "--name", name, "--conditions", conditions).stdout.strip()
        for name in ("One", "Two")
    ]
    assert all(rule_id.startswith("rule_") for rule_id in ids)
    updated = cli("campaigns", "rules", "update", campaign["id"], ids[0], "--error-message", "Spend 50")
    assert updated.exit_code == 0 and json.loads(updated.stdout)["error_message"] == "Spend 50"
    assert cli("campaigns", "rules", "logic", campaign["id"], "1 OR 2").stdout.strip() == "logic: 1 OR 2"
    refused = cli("campaigns", "rules", "delete", campaign["id"], ids[1])
    assert refused.exit_code == 1 and "refers to rules by number" in refused.output
    assert "logic: 1 OR 2" in cli("campaigns", "rules", "list", campaign["id"]).stdout
    assert cli("campaigns", "rules", "logic", campaign["id"], "none").exit_code == 0
    assert cli("campaigns", "rules", "delete", campaign["id"], ids[1]).exit_code == 0
    page = client.get(f"/api/v1/campaigns/{campaign['id']}/rules").json()
    assert [rule["name"] for rule in page["data"]] == ["One"] and page["logic"] is None


def test_a_rule_is_added_to_one_code_of_the_campaign_only(cli, client, campaign):
    code = invite(client, campaign["id"], "ann@example.com")["code"]
    conditions = json.dumps({"customer.orders_count": {"$eq": 0}})
    added = cli(
        "campaigns", "rules", "add", campaign["id"], "--name", "New", "--conditions", conditions, "--code", code
    )
    assert added.exit_code == 0, added.output
    assert client.get(f"/api/v1/codes/{code}/rules").json()["data"][0]["name"] == "New"
    other = create_campaign(client, name="Other")
    refused = cli("campaigns", "rules", "add", other["id"], "--name", "X", "--conditions", conditions, "--code", code)
    assert refused.exit_code == 1 and "belongs to campaign" in refused.output
    bad = cli("campaigns", "rules", "add", campaign["id"], "--name", "X", "--conditions", "{nope")
    assert bad.exit_code == 2 and "is not JSON" in bad.output
