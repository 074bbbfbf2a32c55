"""POST /validations: the decision the worker would take, with no side effects."""

from __future__ import annotations

import pytest

from tests.api.helpers import create_campaign, invite, paid_order, row_counts

RULE = {
    "name": "Order over $80",
    "conditions": {"order.amount": {"$gt": 8000}},
    "error_message": "Orders must exceed $80",
}


@pytest.fixture
def referrer(client) -> dict:
    campaign = create_campaign(client)
    client.post(f"/api/v1/campaigns/{campaign['id']}/rules", json=RULE)
    return invite(client, campaign["id"], "ann.lee@gmail.com", source_id="c-1") | {"campaign_id": campaign["id"]}


def validate(client, **body) -> dict:
    response = client.post("/api/v1/validations", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_new_customer_with_a_big_enough_order_is_valid(client, referrer):
    assert validate(
        client,
        code=referrer["code"].lower(),
        customer={"email": "ben@example.com", "source_id": "c-2"},
        order={"id": "o-1", "amount": 12900, "items": [{"sku": "SKU-1", "quantity": 1}]},
    ) == {"valid": True}


def test_a_failing_rule_gives_its_failure_code_message_and_logs(client, referrer):
    result = validate(client, code=referrer["code"], customer={"email": "ben@example.com"}, order={"amount": 5000})
    assert result == {
        "valid": False,
        "failure_code": "order_rules_violated",
        "failure_message": "Orders must exceed $80",
        "logs": [{"rule": "Order over $80", "passed": False, "detail": "order.amount 5000 $gt 8000: failed"}],
    }


def test_the_referrer_using_an_alias_of_their_email_is_not_permitted(client, referrer):
    result = validate(
        client, code=referrer["code"], customer={"email": "Ann.Lee+shop@googlemail.com"}, order={"amount": 9000}
    )
    assert result["failure_code"] == "referrer_not_permitted_to_redeem"


def test_an_unknown_code_is_resource_not_found(client):
    assert validate(client, code="NOPE-1234")["failure_code"] == "resource_not_found"


def test_without_a_customer_the_redemption_misses_one(client, referrer):
    assert validate(client, code=referrer["code"], order={"amount": 9000})["failure_code"] == "missing_customer"


def test_an_existing_customer_already_referred_is_refused(client, runtime, worker, referrer):
    paid_order(client, runtime, referrer["code"], order_id="o-1", email="ben@example.com")
    result = validate(client, code=referrer["code"], customer={"email": "ben@example.com"}, order={"amount": 9000})
    assert result["failure_code"] == "customer_already_referred"


def test_a_paused_campaign_is_not_active(client, referrer):
    client.post(f"/api/v1/campaigns/{referrer['campaign_id']}/disable")
    assert (
        validate(client, code=referrer["code"], customer={"email": "ben@example.com"})["failure_code"]
        == "campaign_not_active"
    )


def test_validating_writes_nothing(client, runtime, referrer):
    before = row_counts(runtime)
    validate(
        client,
        code=referrer["code"],
        customer={"email": "new@example.com", "source_id": "c-new", "metadata": {"vip": True}},
        order={"amount": 9000},
    )
    validate(client, code=referrer["code"], customer={"email": "ann.lee@gmail.com"}, order={"amount": 5000})
    validate(client, code="NOPE")
    assert row_counts(runtime) == before


def test_a_validation_needs_a_code(client):
    assert client.post("/api/v1/validations", json={"customer": {"email": "a@b.c"}}).status_code == 422
