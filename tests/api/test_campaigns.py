"""Campaigns through the API: create, read, edit, pause, delete, overview."""

from __future__ import annotations

import pytest

from tests.api.helpers import CAMPAIGN, add_tier, create_campaign, invite, paid_order


def test_creating_a_campaign_answers_201_with_every_field_of_the_request(client):
    created = create_campaign(client)
    assert created["id"].startswith("cmp_")
    assert created["active"] is True
    assert created["created_at"].endswith("Z")
    assert {key: created[key] for key in CAMPAIGN} == CAMPAIGN


def test_a_campaign_is_created_with_spec_defaults_when_only_a_name_is_given(client):
    created = client.post("/api/v1/campaigns", json={"name": "Minimal"}).json()
    assert created["conversion"] == "order.paid"
    assert created["reward_hold_days"] == 0
    assert created["join_once"] is True
    assert created["code_config"] == {"pattern": "REF-####-????"}


@pytest.mark.parametrize(
    "field, value, words",
    [
        ("code_config", {"pattern": "NOPLACEHOLDERS"}, "code_config"),
        ("code_config", {"pattern": "A-#", "colour": "red"}, "code_config"),
        ("conversion", "order.shipped", "conversion"),
        ("conversion", "custom_event:", "conversion"),
        ("reward_hold_days", -1, "reward_hold_days"),
        ("name", "", "name"),
        ("days_of_week", [7], "days_of_week"),
        ("notifications", {"code_published": ["sms"]}, "notifications"),
        ("webhook_url", "ftp://example.com", "webhook_url"),
    ],
)
def test_bad_campaign_input_is_refused_with_422_naming_the_field(client, field, value, words):
    response = client.post("/api/v1/campaigns", json=CAMPAIGN | {field: value})
    assert response.status_code == 422
    assert words in response.json()["error"]["message"]


def test_an_expiration_before_the_start_is_refused(client):
    response = client.post(
        "/api/v1/campaigns",
        json=CAMPAIGN | {"start_date": "2027-01-02T00:00:00Z", "expiration_date": "2027-01-01T00:00:00Z"},
    )
    assert response.status_code == 422
    assert "expiration_date" in response.json()["error"]["message"]


def test_a_custom_event_conversion_is_accepted(client):
    assert create_campaign(client, conversion="custom_event:signed_up")["conversion"] == "custom_event:signed_up"


def test_a_campaign_can_be_read_back_and_listed(client):
    created = create_campaign(client)
    assert client.get(f"/api/v1/campaigns/{created['id']}").json() == created
    assert [row["id"] for row in client.get("/api/v1/campaigns").json()["data"]] == [created["id"]]


def test_an_unknown_campaign_is_404_in_the_json_error_shape(client):
    response = client.get("/api/v1/campaigns/cmp_missing")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "campaign 'cmp_missing' not found"}}


def test_editing_changes_only_the_given_fields_and_records_the_update(client):
    created = create_campaign(client, description="before")
    edited = client.patch(
        f"/api/v1/campaigns/{created['id']}",
        json={
            "name": "Renamed",
            "reward_hold_days": 14,
            "notifications": {"code_published": ["email", "webhook"]},
            "webhook_url": "https://hooks.example.com/referrals",
        },
    )
    assert edited.status_code == 200
    body = edited.json()
    assert (body["name"], body["reward_hold_days"], body["description"]) == ("Renamed", 14, "before")
    assert body["notifications"] == {"code_published": ["email", "webhook"]}
    activity = client.get(f"/api/v1/campaigns/{created['id']}/activity", params={"type": "campaign.updated"}).json()[
        "data"
    ]
    assert activity[0]["data"]["changed"] == ["name", "notifications", "reward_hold_days", "webhook_url"]


def test_put_edits_like_patch(client):
    created = create_campaign(client)
    assert client.put(f"/api/v1/campaigns/{created['id']}", json={"days_of_week": [4, 0, 4]}).json()[
        "days_of_week"
    ] == [0, 4]


def test_changing_the_conversion_before_any_redemption_is_allowed(client):
    created = create_campaign(client)
    assert (
        client.patch(f"/api/v1/campaigns/{created['id']}", json={"conversion": "order.created"}).json()["conversion"]
        == "order.created"
    )


def test_changing_the_conversion_once_a_code_was_redeemed_is_a_409(client, runtime, worker):
    campaign = create_campaign(client)
    referrer = invite(client, campaign["id"], "ann@example.com")
    paid_order(client, runtime, referrer["code"], order_id="o-1", email="ben@example.com")
    response = client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"conversion": "order.created"})
    assert response.status_code == 409
    assert "conversion cannot change" in response.json()["error"]["message"]


def test_changing_the_currency_once_a_code_was_redeemed_is_a_409_and_before_it_is_allowed(client, runtime, worker):
    campaign = create_campaign(client)
    assert client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"currency": "EUR"}).json()["currency"] == "EUR"
    referrer = invite(client, campaign["id"], "ann@example.com")
    paid_order(client, runtime, referrer["code"], order_id="o-1", email="ben@example.com")
    response = client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"currency": "JPY"})
    assert response.status_code == 409
    assert "currency cannot change" in response.json()["error"]["message"]


def test_disable_and_enable_answer_the_id_and_the_active_flag(client):
    campaign = create_campaign(client)
    assert client.post(f"/api/v1/campaigns/{campaign['id']}/disable").json() == {"id": campaign["id"], "active": False}
    assert client.post(f"/api/v1/campaigns/{campaign['id']}/enable").json() == {"id": campaign["id"], "active": True}
    types = [row["type"] for row in client.get(f"/api/v1/campaigns/{campaign['id']}/activity").json()["data"]]
    assert types == ["campaign.enabled", "campaign.disabled", "campaign.created"]


def test_a_deleted_campaign_is_gone_from_the_api_and_its_codes_fail_validation(client):
    campaign = create_campaign(client)
    referrer = invite(client, campaign["id"], "ann@example.com")
    assert client.delete(f"/api/v1/campaigns/{campaign['id']}").status_code == 204
    assert client.get(f"/api/v1/campaigns/{campaign['id']}").status_code == 404
    assert client.get("/api/v1/campaigns").json()["data"] == []
    check = client.post(
        "/api/v1/validations",
        json={"code": referrer["code"], "customer": {"email": "ben@example.com"}, "order": {"amount": 5000}},
    ).json()
    assert check["failure_code"] == "campaign_not_active"
    assert client.delete(f"/api/v1/campaigns/{campaign['id']}").status_code == 404


def test_the_summary_counts_codes_referrers_referees_and_rewards(client, runtime, worker):
    campaign = create_campaign(client, start_date="2026-01-01T00:00:00Z")
    client.post(f"/api/v1/campaigns/{campaign['id']}/codes", json={"count": 5})
    add_tier(client, campaign["id"])
    ann = invite(client, campaign["id"], "ann@example.com")
    invite(client, campaign["id"], "cid@example.com")
    paid_order(client, runtime, ann["code"], order_id="o-1", email="ben@example.com")
    paid_order(client, runtime, ann["code"], order_id="o-2", email="dee@example.com")
    summary = client.get(f"/api/v1/campaigns/{campaign['id']}/summary").json()
    assert summary["available_codes"] == 3
    assert summary["customers_with_codes"] == 2
    assert summary["customers_joined"] == 4
    assert summary["referees"] == 2
    assert summary["rewards_assigned"] == 2
    assert summary["top_referrers"] == [
        {"customer_id": ann["customer_id"], "name": "Ann Lee", "email": "ann@example.com", "referees": 2}
    ]
    assert summary["validity"] == {"start_date": "2026-01-01T00:00:00Z", "expiration_date": None}
    assert summary["recent_activity"][0]["id"] > summary["recent_activity"][-1]["id"]


def test_top_referrers_are_at_most_five_most_referrals_first(client, runtime, worker):
    campaign = create_campaign(client)
    referrers = [invite(client, campaign["id"], f"ref{index}@example.com") for index in range(6)]
    for index, referrer in enumerate(referrers):
        for order in range(index % 3 + 1):
            paid_order(
                client,
                runtime,
                referrer["code"],
                order_id=f"o-{index}-{order}",
                email=f"friend{index}-{order}@example.com",
            )
    top = client.get(f"/api/v1/campaigns/{campaign['id']}/summary").json()["top_referrers"]
    assert len(top) == 5
    assert [row["referees"] for row in top] == sorted((row["referees"] for row in top), reverse=True)
    assert top[0]["referees"] == 3


def test_a_new_campaign_summary_is_all_zeros(client):
    campaign = create_campaign(client)
    summary = client.get(f"/api/v1/campaigns/{campaign['id']}/summary").json()
    assert {
        key: summary[key]
        for key in (
            "available_codes",
            "customers_joined",
            "customers_with_codes",
            "referees",
            "rewards_assigned",
            "top_referrers",
        )
    } == {
        "available_codes": 0,
        "customers_joined": 0,
        "customers_with_codes": 0,
        "referees": 0,
        "rewards_assigned": 0,
        "top_referrers": [],
    }
    assert client.get("/api/v1/campaigns/cmp_nope/summary").status_code == 404


def test_a_referee_who_becomes_a_referrer_joined_once(client, runtime, worker):
    campaign = create_campaign(client)
    ann = invite(client, campaign["id"], "ann@example.com")
    paid_order(client, runtime, ann["code"], order_id="o-1", email="ben@example.com")
    invite(client, campaign["id"], "ben@example.com", source_id="src-ben@example.com")
    summary = client.get(f"/api/v1/campaigns/{campaign['id']}/summary").json()
    assert (summary["customers_with_codes"], summary["referees"], summary["customers_joined"]) == (2, 1, 2)
