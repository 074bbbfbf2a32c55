"""The JSON API answers only requests that carry a valid bearer token."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from app.access import create_token

PATHS = ["/api/v1/campaigns", "/api/v1/redemptions", "/api/v1/customers", "/api/v1/events", "/api/v1/jobs/failed"]


@pytest.fixture
def anonymous(runtime):
    with TestClient(create_app(runtime)) as client:
        yield client


@pytest.mark.parametrize("path", PATHS)
def test_a_request_without_a_token_is_refused_with_401(anonymous, path):
    response = anonymous.get(path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_a_wrong_token_is_refused_with_401(anonymous):
    response = anonymous.get("/api/v1/campaigns", headers={"Authorization": "Bearer not-the-token"})
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "the bearer token is not valid"


def test_a_token_made_by_tokens_create_is_accepted(anonymous, runtime):
    token = runtime.units.run(create_token, "ci")
    assert anonymous.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_writes_need_a_token_too(anonymous):
    assert anonymous.post("/api/v1/campaigns", json={"name": "x"}).status_code == 401
