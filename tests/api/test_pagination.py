"""Lists are newest first and a cursor walks every row exactly once; dates filter; limit is bounded."""

from __future__ import annotations

import pytest

from tests.api.helpers import create_campaign, walk


@pytest.fixture
def campaign(client) -> dict:
    created = create_campaign(client)
    client.post(f"/api/v1/campaigns/{created['id']}/codes", json={"count": 23})
    return created


def test_a_cursor_walks_every_code_once_newest_first(client, campaign):
    url = f"/api/v1/campaigns/{campaign['id']}/codes"
    rows = walk(client, url, limit=5)
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)) == 23
    assert ids == sorted(ids, reverse=True)


def test_the_last_page_has_no_next_cursor(client, campaign):
    page = client.get(f"/api/v1/campaigns/{campaign['id']}/codes", params={"limit": 23}).json()
    assert len(page["data"]) == 23 and page["next_cursor"] is None
    first = client.get(f"/api/v1/campaigns/{campaign['id']}/codes", params={"limit": 22}).json()
    assert first["next_cursor"] == first["data"][-1]["id"]


def test_the_default_page_is_50_and_the_maximum_100(client):
    for index in range(55):
        client.post("/api/v1/campaigns", json={"name": f"Campaign {index}"})
    assert len(client.get("/api/v1/campaigns").json()["data"]) == 50
    assert client.get("/api/v1/campaigns", params={"limit": 101}).status_code == 422
    assert client.get("/api/v1/campaigns", params={"limit": 0}).status_code == 422
    assert len(walk(client, "/api/v1/campaigns", limit=100)) == 55


def test_start_and_end_dates_filter_the_list(client, campaign):
    rows = client.get("/api/v1/campaigns").json()["data"]
    created = rows[0]["created_at"]
    assert client.get("/api/v1/campaigns", params={"start_date": created}).json()["data"] == rows
    assert client.get("/api/v1/campaigns", params={"end_date": created}).json()["data"] == []
    assert client.get("/api/v1/campaigns", params={"start_date": "2026-01-01T00:00:00"}).status_code == 422


def test_activity_pages_walk_every_row_once(client, campaign):
    for state in ("disable", "enable", "disable", "enable"):
        client.post(f"/api/v1/campaigns/{campaign['id']}/{state}")
    rows = walk(client, f"/api/v1/campaigns/{campaign['id']}/activity", limit=2)
    assert [row["type"] for row in rows] == ["campaign.enabled", "campaign.disabled"] * 2 + [
        "campaign.vouchers.added",
        "campaign.created",
    ]
