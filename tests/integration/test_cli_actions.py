"""The campaign quick actions and `codes update` from the terminal: the same app/ commands the API runs."""

from __future__ import annotations

import pytest

from tests.api.helpers import add_tier, create_campaign, invite, paid_order


@pytest.fixture
def campaign(client) -> dict:
    return create_campaign(client)


def activity_types(client, campaign_id: str) -> list[str]:
    return [row["type"] for row in client.get(f"/api/v1/campaigns/{campaign_id}/activity").json()["data"]]


# --- campaigns enable | disable | delete | invite -----------------------------------------------


def test_disable_pauses_and_enable_activates_a_campaign(cli, client, campaign):
    paused = cli("campaigns", "disable", campaign["id"])
    assert paused.exit_code == 0, paused.output
    assert f"campaign {campaign['id']} is paused" in paused.stdout
    assert client.get(f"/api/v1/campaigns/{campaign['id']}").json()["active"] is False
    assert cli("campaigns", "enable", campaign["id"]).exit_code == 0
    assert client.get(f"/api/v1/campaigns/{campaign['id']}").json()["active"] is True
    assert {"campaign.disabled", "campaign.enabled"} <= set(activity_types(client, campaign["id"]))


@pytest.mark.parametrize("action", ["enable", "disable", "delete"])
def test_an_unknown_campaign_is_a_clear_error_with_exit_1(cli, action):
    result = cli("campaigns", action, "cmp_nope", *(["--yes"] if action == "delete" else []))
    assert result.exit_code == 1
    assert "campaign 'cmp_nope' not found" in result.output


def test_delete_asks_first_and_keeps_the_campaign_when_the_answer_is_no(cli, client, campaign):
    refused = cli("campaigns", "delete", campaign["id"], input="n\n")
    assert refused.exit_code == 1
    assert "Friends get 10%" in refused.output and "not deleted" in refused.output
    assert client.get(f"/api/v1/campaigns/{campaign['id']}").status_code == 200
    confirmed = cli("campaigns", "delete", campaign["id"], input="y\n")
    assert confirmed.exit_code == 0, confirmed.output
    assert client.get(f"/api/v1/campaigns/{campaign['id']}").status_code == 404
    assert cli("campaigns", "delete", campaign["id"], "--yes").exit_code == 1


def test_delete_with_yes_does_not_ask(cli, client, campaign):
    result = cli("campaigns", "delete", campaign["id"], "--yes")
    assert result.exit_code == 0, result.output
    assert f"campaign {campaign['id']} deleted" in result.stdout
    assert client.get(f"/api/v1/campaigns/{campaign['id']}").status_code == 404


def test_invite_prints_the_code_and_whether_it_was_published_now(cli, client, campaign):
    first = cli(
        "campaigns", "invite", campaign["id"], "--email", "ann@example.com", "--name", "Ann Lee", "--source-id", "c-1"
    )
    assert first.exit_code == 0, first.output
    code = first.stdout.split()[0]
    assert "published to ann@example.com" in first.stdout
    shown = client.get(f"/api/v1/codes/{code}").json()
    assert shown["channel"] == "cli" and shown["holder_id"]
    [customer] = client.get("/api/v1/customers", params={"source_id": "c-1"}).json()["data"]
    assert (customer["id"], customer["name"]) == (shown["holder_id"], "Ann Lee")
    again = cli("campaigns", "invite", campaign["id"], "--email", "ann@example.com")
    assert again.exit_code == 0
    assert again.stdout.split()[0] == code and "already held" in again.stdout


def test_invite_needs_an_email_and_refuses_one_that_is_not_an_address(cli, campaign):
    assert cli("campaigns", "invite", campaign["id"]).exit_code == 2
    bad = cli("campaigns", "invite", campaign["id"], "--email", "not-an-address")
    assert bad.exit_code == 1
    assert "customer" in bad.output
    assert cli("campaigns", "invite", "cmp_nope", "--email", "ann@example.com").exit_code == 1


# --- codes update ---------------------------------------------------------------------------


@pytest.fixture
def held(client, campaign) -> dict:
    return invite(client, campaign["id"], "ann@example.com")


def test_codes_update_changes_only_what_is_given(cli, client, held):
    result = cli("codes", "update", held["code"].lower(), "--inactive", "--limit", 5, "--expires", "2030-01-31")
    assert result.exit_code == 0, result.output
    assert f"{held['code']}: inactive, limit 5 (redeemed 0)" in result.stdout
    code = client.get(f"/api/v1/codes/{held['code']}").json()
    assert (code["active"], code["redemption_limit"]) == (False, 5)
    assert code["expiration_date"] == "2030-02-01T00:00:00Z"  # valid through the day given
    assert cli("codes", "update", held["code"], "--active", "--starts", "2029-12-01T10:00:00+01:00").exit_code == 0
    code = client.get(f"/api/v1/codes/{held['code']}").json()
    assert (code["active"], code["redemption_limit"], code["start_date"]) == (True, 5, "2029-12-01T09:00:00Z")


def test_codes_update_clears_a_limit_or_a_date_with_none(cli, client, held):
    cli("codes", "update", held["code"], "--limit", 3, "--expires", "2030-01-01")
    result = cli("codes", "update", held["code"], "--limit", "none", "--expires", "none")
    assert result.exit_code == 0, result.output
    assert "limit none" in result.stdout and "expires never" in result.stdout
    code = client.get(f"/api/v1/codes/{held['code']}").json()
    assert (code["redemption_limit"], code["expiration_date"]) == (None, None)


@pytest.mark.parametrize(
    "args, exit_code, message",
    [
        ((), 2, "nothing to change"),
        (("--limit", "many"), 2, "--limit"),
        (("--expires", "next week"), 2, "--expires"),
        (("--starts", "2031-13-01"), 2, "--starts"),
        (("--limit", "0"), 1, "redemption_limit"),
        (("--starts", "2030-02-01", "--expires", "2030-01-01"), 1, "expiration_date"),
    ],
)
def test_codes_update_refuses_bad_input_with_a_clear_message(cli, held, args, exit_code, message):
    result = cli("codes", "update", held["code"], *args)
    assert result.exit_code == exit_code, result.output
    assert message in result.output


def test_codes_update_of_an_unknown_or_deleted_code_exits_1(cli, client, held):
    assert "code 'NOPE-0000' not found" in cli("codes", "update", "NOPE-0000", "--inactive").output
    client.delete(f"/api/v1/codes/{held['code']}")
    result = cli("codes", "update", held["code"], "--inactive")
    assert result.exit_code == 1 and "not found" in result.output


# --- codes delete | publish, rewards, redemptions -------------------------------------------------


def test_codes_delete_asks_first_unless_yes(cli, client, held):
    assert cli("codes", "delete", held["code"], input="n\n").exit_code == 1
    assert client.get(f"/api/v1/codes/{held['code']}").json()["deleted_at"] is None
    result = cli("codes", "delete", held["code"], "--yes")
    assert result.exit_code == 0, result.output
    assert client.get(f"/api/v1/codes/{held['code']}").json()["deleted_at"] is not None
    assert cli("codes", "delete", held["code"], "--yes").exit_code == 1


def test_codes_publish_gives_this_code_and_refuses_one_held_by_someone_else(cli, client, campaign):
    client.post(f"/api/v1/campaigns/{campaign['id']}/codes", json={"count": 1})
    [code] = client.get(f"/api/v1/campaigns/{campaign['id']}/codes").json()["data"]
    result = cli("codes", "publish", code["code"], "--email", "ann@example.com")
    assert result.exit_code == 0, result.output
    assert f"{code['code']}  published to ann@example.com" in result.stdout
    taken = cli("codes", "publish", code["code"], "--email", "ben@example.com")
    assert taken.exit_code == 1 and "already published" in taken.output


def test_rewards_and_redemptions_are_completed_and_rolled_back(cli, client, runtime, worker):
    campaign = create_campaign(client, reward_hold_days=14)
    add_tier(client, campaign["id"])
    referrer = invite(client, campaign["id"], "ann@example.com")
    paid_order(client, runtime, referrer["code"], order_id="o-1", email="ben@example.com")
    [reward] = client.get(f"/api/v1/campaigns/{campaign['id']}/rewards").json()["data"]
    assert f"reward {reward['id']} is completed" in cli("rewards", "complete", reward["id"]).stdout
    assert cli("rewards", "complete", reward["id"]).exit_code == 1
    assert f"reward {reward['id']} is rolled_back" in cli("rewards", "rollback", reward["id"]).stdout
    [redemption] = client.get(f"/api/v1/campaigns/{campaign['id']}/redemptions").json()["data"]
    result = cli("redemptions", "rollback", redemption["id"])
    assert result.exit_code == 0, result.output
    assert f"redemption {redemption['id']} is rolled_back" in result.stdout
    again = cli("redemptions", "rollback", redemption["id"])
    assert again.exit_code == 1 and "only a succeeded redemption" in again.output
    assert "not found" in cli("rewards", "rollback", "rwd_nope").output
