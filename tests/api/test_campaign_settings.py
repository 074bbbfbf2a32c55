"""A campaign's tiers, validation rules and notification templates through the API."""

from __future__ import annotations

import pytest

from tests.api.helpers import add_tier, create_campaign, invite, paid_order
from tests.support.pipeline import drain

RULE = {
    "name": "Order over $80",
    "conditions": {"order.amount": {"$gt": 8000}},
    "error_message": "Orders must exceed $80",
}


@pytest.fixture
def campaign(client) -> dict:
    return create_campaign(client)


def url(campaign: dict, tail: str) -> str:
    return f"/api/v1/campaigns/{campaign['id']}/{tail}"


# --- tiers ---


def test_a_tier_is_created_with_201_and_listed_by_threshold(client, campaign):
    five = add_tier(
        client,
        campaign["id"],
        name="Five friends",
        kind="milestone",
        threshold=5,
        reward={"type": "points", "amount": 500},
    )
    each = add_tier(client, campaign["id"])
    assert five["id"].startswith("tier_")
    assert five["reward"] == {"type": "points", "amount": 500}
    assert [tier["id"] for tier in client.get(url(campaign, "tiers")).json()["data"]] == [each["id"], five["id"]]


@pytest.mark.parametrize(
    "reward, message",
    [
        ({"type": "credits"}, "amount: Field required"),
        ({"type": "points", "amount": 0}, "amount: Input should be greater than or equal to 1"),
        ({"type": "credits", "amount": "1000"}, "amount: Value error, must be a JSON integer"),
        ({"type": "coupon"}, "campaign_id: Field required"),
        ({"type": "coupon", "campaign_id": "cmp_nope"}, "reward.campaign_id: campaign 'cmp_nope' not found"),
        ({"type": "material"}, "description: Field required"),
        ({"type": "cash", "amount": 5}, "does not match any of the expected tags"),
    ],
)
def test_a_tier_with_a_bad_reward_is_refused_with_422(client, campaign, reward, message):
    response = client.post(
        url(campaign, "tiers"), json={"name": "Bad", "kind": "each", "threshold": 1, "reward": reward}
    )
    assert response.status_code == 422
    assert message in response.json()["error"]["message"]


def test_a_tier_threshold_below_one_is_refused(client, campaign):
    response = client.post(
        url(campaign, "tiers"),
        json={"name": "Zero", "kind": "each", "threshold": 0, "reward": {"type": "credits", "amount": 1}},
    )
    assert response.status_code == 422


def test_a_coupon_reward_names_another_existing_campaign(client, campaign):
    pool = create_campaign(client, name="Coupon pool")
    tier = add_tier(client, campaign["id"], reward={"type": "coupon", "campaign_id": pool["id"]})
    assert tier["reward"] == {"type": "coupon", "campaign_id": pool["id"]}
    own = client.post(
        url(campaign, "tiers"),
        json={
            "name": "Self",
            "kind": "each",
            "threshold": 1,
            "reward": {"type": "coupon", "campaign_id": campaign["id"]},
        },
    )
    assert own.status_code == 422


def test_a_material_reward_keeps_its_description(client, campaign):
    tier = add_tier(client, campaign["id"], reward={"type": "material", "description": "A tote bag"})
    assert tier["reward"] == {"type": "material", "description": "A tote bag"}


def test_editing_a_tier_settles_referrers_again(client, runtime, worker, campaign):
    tier = add_tier(client, campaign["id"], kind="milestone", threshold=3)
    referrer = invite(client, campaign["id"], "ann@example.com")
    for index in range(2):
        paid_order(client, runtime, referrer["code"], order_id=f"o-{index}", email=f"friend{index}@example.com")
    assert client.get(url(campaign, "rewards")).json()["data"] == []
    edited = client.patch(url(campaign, f"tiers/{tier['id']}"), json={"threshold": 2})
    assert edited.status_code == 200 and edited.json()["threshold"] == 2
    drain(runtime)
    assert [reward["tier_id"] for reward in client.get(url(campaign, "rewards")).json()["data"]] == [tier["id"]]
    types = [
        row["data"]["action"]
        for row in client.get(url(campaign, "activity"), params={"type": "campaign.referral_tier.updated"}).json()[
            "data"
        ]
    ]
    assert types == ["updated", "created"]


def test_a_deleted_tier_is_no_longer_listed_and_a_second_delete_is_404(client, campaign):
    tier = add_tier(client, campaign["id"])
    assert client.delete(url(campaign, f"tiers/{tier['id']}")).status_code == 204
    assert client.get(url(campaign, "tiers")).json()["data"] == []
    assert client.delete(url(campaign, f"tiers/{tier['id']}")).status_code == 404
    assert client.patch(url(campaign, "tiers/tier_nope"), json={"name": "x"}).status_code == 404


# --- rules ---


def test_a_rule_is_created_with_201_and_listed_with_its_number(client, campaign):
    response = client.post(url(campaign, "rules"), json=RULE)
    assert response.status_code == 201
    rule = response.json()
    assert {key: rule[key] for key in RULE} == RULE
    listed = client.get(url(campaign, "rules")).json()
    assert listed["logic"] is None
    assert [(row["id"], row["number"]) for row in listed["data"]] == [(rule["id"], 1)]


@pytest.mark.parametrize(
    "conditions, message",
    [
        ({"order.amont": {"$gt": 1}}, "did you mean 'order.amount'"),
        ({"order.amount": {"$gt": "lots"}}, "needs a number"),
        ({}, "empty conditions"),
    ],
)
def test_a_bad_rule_is_refused_with_422_and_the_rule_engines_message(client, campaign, conditions, message):
    response = client.post(url(campaign, "rules"), json={"name": "Bad", "conditions": conditions})
    assert response.status_code == 422
    assert message in response.json()["error"]["message"]


def test_a_rule_can_be_edited_and_a_bad_edit_is_refused(client, campaign):
    rule = client.post(url(campaign, "rules"), json=RULE).json()
    edited = client.patch(url(campaign, f"rules/{rule['id']}"), json={"conditions": {"order.amount": {"$gte": 5000}}})
    assert edited.json()["conditions"] == {"order.amount": {"$gte": 5000}}
    assert (
        client.patch(url(campaign, f"rules/{rule['id']}"), json={"conditions": {"nope": {"$eq": 1}}}).status_code == 422
    )


def test_rule_logic_is_checked_against_the_number_of_rules(client, campaign):
    for index in range(3):
        client.post(url(campaign, "rules"), json=RULE | {"name": f"Rule {index}"})
    assert client.put(url(campaign, "rules/logic"), json={"logic": "1 AND (2 OR 3)"}).json() == {
        "logic": "1 AND (2 OR 3)"
    }
    response = client.put(url(campaign, "rules/logic"), json={"logic": "1 AND 4"})
    assert response.status_code == 422
    assert "refers to rule 4 but there are 3 rules" in response.json()["error"]["message"]
    assert client.get(url(campaign, "rules")).json()["logic"] == "1 AND (2 OR 3)"


def test_a_rule_cannot_be_removed_while_the_logic_numbers_rules(client, campaign):
    first = client.post(url(campaign, "rules"), json=RULE).json()
    client.put(url(campaign, "rules/logic"), json={"logic": "1"})
    assert client.delete(url(campaign, f"rules/{first['id']}")).status_code == 409
    client.put(url(campaign, "rules/logic"), json={"logic": None})
    assert client.delete(url(campaign, f"rules/{first['id']}")).status_code == 204
    assert client.get(url(campaign, "rules")).json()["data"] == []
    kinds = [
        row["data"]["action"]
        for row in client.get(url(campaign, "activity"), params={"category": "campaign"}).json()["data"]
        if row["type"] == "campaign.validation_rules.updated"
    ]
    assert kinds == ["deleted", "logic", "logic", "created"]


def test_a_campaign_rule_rejects_a_small_order_with_its_message(client, runtime, worker, campaign):
    client.post(url(campaign, "rules"), json=RULE)
    referrer = invite(client, campaign["id"], "ann@example.com")
    paid_order(client, runtime, referrer["code"], order_id="o-small", email="ben@example.com", amount=5000)
    [redemption] = client.get(url(campaign, "redemptions")).json()["data"]
    assert (redemption["status"], redemption["failure_code"]) == ("failed", "order_rules_violated")
    assert redemption["failure_message"] == "Orders must exceed $80"


# --- templates ---


def test_a_template_override_is_validated_saved_listed_and_previewed(client, campaign):
    saved = client.put(
        url(campaign, "templates/code_published/subject.txt"), json={"source": "Hi {{ customer.name }}: {{ code }}"}
    )
    assert saved.status_code == 200
    assert client.get(url(campaign, "templates")).json()["data"] == [
        {"name": "code_published/subject.txt", "source": "Hi {{ customer.name }}: {{ code }}"}
    ]
    preview = client.post(url(campaign, "templates/code_published/preview"), json={})
    assert preview.status_code == 200
    assert preview.json()["subject"] == "Hi Ann Lee: REF-4821-KQZP"
    assert "REF-4821-KQZP" in preview.json()["html"]


def test_a_broken_template_is_refused_with_422_naming_the_line(client, campaign):
    response = client.put(url(campaign, "templates/code_published/body.html"), json={"source": "ok\n{{ nope }}"})
    assert response.status_code == 422
    assert "line 2" in response.json()["error"]["message"]
    unknown = client.put(url(campaign, "templates/code_published/body.pdf"), json={"source": "x"})
    assert unknown.status_code == 422


def test_the_preview_follows_the_locale_and_the_campaign_name(client, campaign):
    client.put(
        url(campaign, "templates/code_published/subject.de.txt"), json={"source": "Hallo von {{ campaign.name }}"}
    )
    assert (
        client.post(url(campaign, "templates/code_published/preview"), json={"locale": "de"}).json()["subject"]
        == "Hallo von Friends get 10%"
    )
    assert client.post(url(campaign, "templates/nope/preview")).status_code == 404


def test_deleting_an_override_goes_back_to_the_shipped_template(client, campaign):
    client.put(url(campaign, "templates/code_published/subject.txt"), json={"source": "Custom"})
    assert client.delete(url(campaign, "templates/code_published/subject.txt")).status_code == 204
    assert client.get(url(campaign, "templates")).json()["data"] == []
    assert client.delete(url(campaign, "templates/code_published/subject.txt")).status_code == 404
    assert client.post(url(campaign, "templates/code_published/preview")).json()["subject"] != "Custom"
