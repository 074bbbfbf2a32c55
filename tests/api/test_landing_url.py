"""A campaign's landing_url (SPEC §5.1): where a share link sends a visitor; set, shown, changed and cleared
through the API, refused unless it is an http(s) URL with a host (it may contain {code})."""

from __future__ import annotations

import pytest

from tests.api.helpers import create_campaign


def test_a_landing_url_is_set_shown_changed_and_cleared(client):
    campaign = create_campaign(client, landing_url="https://shop.example.com/friends")
    assert campaign["landing_url"] == "https://shop.example.com/friends"
    path = f"/api/v1/campaigns/{campaign['id']}"
    changed = client.patch(path, json={"landing_url": "https://shop.example.com/invite/{code}?src=ref"})
    assert (
        changed.status_code == 200 and changed.json()["landing_url"] == "https://shop.example.com/invite/{code}?src=ref"
    )
    assert client.get(path).json()["landing_url"] == "https://shop.example.com/invite/{code}?src=ref"
    assert client.patch(path, json={"landing_url": None}).json()["landing_url"] is None


def test_a_campaign_without_one_uses_the_built_in_page(client):
    assert create_campaign(client)["landing_url"] is None


@pytest.mark.parametrize("url", ["ftp://shop.example.com", "shop.example.com", "https://", "http://[", "https://a b"])
def test_a_landing_url_that_is_not_an_http_url_with_a_host_is_422_naming_it(client, url):
    campaign = create_campaign(client)
    for response in (
        client.post("/api/v1/campaigns", json={"name": "Bad", "landing_url": url}),
        client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"landing_url": url}),
    ):
        assert response.status_code == 422, response.text
        assert "landing_url" in response.json()["error"]["message"]
    assert client.get(f"/api/v1/campaigns/{campaign['id']}").json()["landing_url"] is None


def test_setting_a_landing_url_needs_the_token(client):
    campaign = create_campaign(client)
    response = client.patch(
        f"/api/v1/campaigns/{campaign['id']}", json={"landing_url": "https://x.example"}, headers={"Authorization": ""}
    )
    assert response.status_code == 401
