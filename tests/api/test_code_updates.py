"""PATCH /api/v1/codes/{code}: a code's active flag, redemption limit, start and expiration, only the fields given."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.app import create_app
from db.models import Code
from tests.api.helpers import create_campaign, invite


@pytest.fixture
def held(client) -> dict:
    """A code published to a referrer."""
    campaign = create_campaign(client)
    return invite(client, campaign["id"], "ann@example.com") | {"campaign_id": campaign["id"]}


def patch(client, code: str, body: dict):
    return client.patch(f"/api/v1/codes/{code}", json=body)


def code_activity(client, campaign_id: str) -> list[dict]:
    rows = client.get(f"/api/v1/campaigns/{campaign_id}/activity", params={"type": "campaign.updated"}).json()["data"]
    return [row for row in rows if row["data"].get("changed") == ["code"]]


def test_only_the_given_fields_change_and_the_answer_is_the_code_as_get_shows_it(client, held):
    response = patch(client, held["code"].lower(), {"redemption_limit": 5, "expiration_date": "2030-01-01T00:00:00Z"})
    assert response.status_code == 200, response.text
    assert response.json() == client.get(f"/api/v1/codes/{held['code']}").json()
    body = response.json()
    assert (body["redemption_limit"], body["expiration_date"], body["active"]) == (5, "2030-01-01T00:00:00Z", True)
    again = patch(client, held["code"], {"active": False}).json()
    assert (again["active"], again["redemption_limit"], again["expiration_date"]) == (False, 5, "2030-01-01T00:00:00Z")


def test_null_clears_a_limit_or_a_date(client, held):
    patch(client, held["code"], {"redemption_limit": 3, "start_date": "2029-01-01T00:00:00Z"})
    body = patch(client, held["code"], {"redemption_limit": None, "start_date": None}).json()
    assert (body["redemption_limit"], body["start_date"]) == (None, None)


def test_times_with_an_offset_are_stored_in_utc(client, held):
    body = patch(client, held["code"], {"start_date": "2029-06-01T02:00:00+02:00"}).json()
    assert body["start_date"] == "2029-06-01T00:00:00Z"


def test_a_change_is_recorded_as_campaign_updated_with_old_and_new_values(client, held):
    patch(client, held["code"], {"active": False, "redemption_limit": 2})
    [row] = code_activity(client, held["campaign_id"])
    assert row["category"] == "campaign"
    assert row["customer_id"] == held["customer_id"]
    assert row["data"]["code"] == held["code"]
    assert row["data"]["fields"] == {
        "active": {"from": True, "to": False},
        "redemption_limit": {"from": None, "to": 2},
    }


def test_a_patch_that_changes_nothing_records_nothing(client, held):
    assert patch(client, held["code"], {}).status_code == 200
    assert patch(client, held["code"], {"active": True}).status_code == 200
    assert code_activity(client, held["campaign_id"]) == []


def test_an_inactive_code_fails_validation_and_works_again_once_active(client, held):
    check = {"code": held["code"], "customer": {"email": "ben@example.com"}}
    patch(client, held["code"], {"active": False})
    assert client.post("/api/v1/validations", json=check).json()["failure_code"] == "voucher_not_active"
    patch(client, held["code"], {"active": True})
    assert client.post("/api/v1/validations", json=check).json() == {"valid": True}


def test_an_expired_code_fails_validation_with_voucher_expired(client, held):
    patch(client, held["code"], {"expiration_date": "2020-01-01T00:00:00Z"})
    check = {"code": held["code"], "customer": {"email": "ben@example.com"}}
    assert client.post("/api/v1/validations", json=check).json()["failure_code"] == "voucher_expired"


def test_a_limit_below_the_redeemed_count_is_422_naming_the_field(client, runtime, held):
    with runtime.session_factory() as session, session.begin():
        session.execute(update(Code).where(Code.code == held["code"]).values(redeemed_count=3))
    response = patch(client, held["code"], {"redemption_limit": 2})
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("redemption_limit: the code was already redeemed 3 times")
    assert patch(client, held["code"], {"redemption_limit": 3}).json()["redemption_limit"] == 3


def test_reaching_the_limit_fails_validation_with_quantity_exceeded(client, runtime, held):
    with runtime.session_factory() as session, session.begin():
        session.execute(update(Code).where(Code.code == held["code"]).values(redeemed_count=1))
    patch(client, held["code"], {"redemption_limit": 1})
    check = {"code": held["code"], "customer": {"email": "ben@example.com"}}
    assert client.post("/api/v1/validations", json=check).json()["failure_code"] == "quantity_exceeded"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"redemption_limit": 0}, "redemption_limit"),
        ({"redemption_limit": 2**31}, "redemption_limit"),
        ({"redemption_limit": "5"}, "redemption_limit"),
        ({"active": "no"}, "active"),
        ({"active": None}, "active"),
        ({"expiration_date": "soon"}, "expiration_date"),
        ({"start_date": 1234}, "start_date"),
        ({"holder_id": "cust_x"}, "holder_id"),
    ],
)
def test_a_bad_value_is_422_naming_the_field(client, held, body, field):
    response = patch(client, held["code"], body)
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]["message"]


def test_the_start_must_come_before_the_expiration_including_the_stored_one(client, held):
    both = patch(
        client, held["code"], {"start_date": "2030-01-01T00:00:00Z", "expiration_date": "2029-01-01T00:00:00Z"}
    )
    assert both.status_code == 422
    assert both.json()["error"]["message"].startswith("expiration_date:")
    patch(client, held["code"], {"expiration_date": "2029-01-01T00:00:00Z"})
    late_start = patch(client, held["code"], {"start_date": "2029-01-01T00:00:00Z"})
    assert late_start.status_code == 422
    assert late_start.json()["error"]["message"].startswith("start_date:")
    assert client.get(f"/api/v1/codes/{held['code']}").json()["start_date"] is None


def test_an_unknown_code_is_404_and_a_deleted_one_too(client, held):
    assert patch(client, "NOPE-0000", {"active": False}).status_code == 404
    client.delete(f"/api/v1/codes/{held['code']}")
    response = patch(client, held["code"], {"active": False})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_updating_a_code_needs_a_token(runtime, held):
    with TestClient(create_app(runtime)) as anonymous:
        assert anonymous.patch(f"/api/v1/codes/{held['code']}", json={"active": False}).status_code == 401
