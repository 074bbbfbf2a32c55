"""Input the API used to accept silently is refused with a 422 naming it; the docs pages need no other host."""

from __future__ import annotations

import re
from pathlib import Path

from tests.api.helpers import create_campaign


def test_a_cursor_that_no_page_gave_is_422_naming_the_parameter(client):
    for cursor in ("garbage", "red_01hx", "cmp_" + "0" * 26 + "' OR 1=1"):
        response = client.get("/api/v1/campaigns", params={"cursor": cursor})
        assert response.status_code == 422, cursor
        assert response.json()["error"]["code"] == "invalid_request"
        assert response.json()["error"]["message"].startswith("cursor: ")


def test_a_cursor_of_the_right_shape_and_an_empty_one_are_accepted(client):
    create_campaign(client)
    assert client.get("/api/v1/campaigns", params={"cursor": "cmp_" + "0" * 26}).json()["data"] == []
    assert len(client.get("/api/v1/campaigns", params={"cursor": ""}).json()["data"]) == 1


def test_malformed_json_is_422_saying_where_and_what(client):
    body = '{"name": "Friends",\n "code_config": {"pattern": REF}}'
    response = client.post("/api/v1/campaigns", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json() == {
        "error": {
            "code": "invalid_request",
            "message": "body: not valid JSON, Expecting value at line 2, column 29 (character 48)",
        }
    }


def test_a_webhook_url_that_does_not_parse_is_422_naming_it(client):
    campaign = create_campaign(client)
    for response in (
        client.post("/api/v1/campaigns", json={"name": "Hooks", "webhook_url": "http://["}),
        client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"webhook_url": "http://["}),
    ):
        assert response.status_code == 422
        assert response.json()["error"]["message"] == "webhook_url: must be an http(s) URL"


def test_unknown_query_parameters_are_ignored_as_documented(client):
    create_campaign(client)
    assert client.get("/api/v1/campaigns", params={"colour": "blue"}).status_code == 200
    assert "Unknown query parameters are ignored" in (Path(__file__).parents[2] / "docs" / "api.md").read_text()


def test_the_docs_pages_load_their_assets_from_this_server(client):
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        urls = re.findall(r"""(?:src|href)=["']([^"']+)""", html) + re.findall(r"""url: ?["']([^"']+)""", html)
        assert urls and all(url.startswith("/") for url in urls), urls
        for url in urls:
            assert client.get(url).status_code == 200, url
