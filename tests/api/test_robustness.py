"""No endpoint answers 500 to a syntactically valid request: odd ids, NUL bytes, long strings, huge numbers."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.api.helpers import create_campaign, invite

ODD_TEXT = ["\x00", "é" * 300, "' OR 1=1 --", "9" * 40, "%"]
ODD_BODIES = [
    {},
    {"name": "\x00", "code_config": {"pattern": "\x00#"}, "metadata": {"k": "\x00"}},
    {"name": "x", "metadata": {"big": 10**40, "nested": {"a": [1, None, "\u0000"]}}},
    {"count": 10**12, "threshold": 10**12, "amount": 10**30, "reward_hold_days": 10**12},
    {"customer": {"email": "\x00@x.y", "source_id": "\x00", "metadata": {"\x00": 1}}, "channel": "\x00"},
    {"customer": {"email": "no-at-sign", "name": "", "locale": ""}, "channel": "api"},
    {"code": "\x00", "customer": {"email": "a@b.c"}, "order": {"amount": 10**40, "items": [{"sku": "\x00"}]}},
    {"logic": "1 AND (", "source": "{% if %}", "locale": "\x00", "conditions": {"order.amount": {"$gt": 10**40}}},
    {"start_date": "0001-01-01T00:00:00+14:00", "expiration_date": "9999-12-31T23:59:59-14:00", "name": "dates"},
    {"days_of_week": [0, 0, 0, 0, 0, 0, 0], "notifications": {"code_published": ["email", "email"]}, "name": "n"},
]


def operations(client) -> list[tuple[str, str, list[dict]]]:
    spec = client.get("/openapi.json").json()
    return [
        (method, path, op.get("parameters", []))
        for path, item in spec["paths"].items()
        if path.startswith("/api/v1")
        for method, op in item.items()
    ]


def fill(path: str, value: str, known: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda match: quote(known.get(match[1], value), safe=""), path)


@pytest.fixture
def known(client) -> dict[str, str]:
    campaign = create_campaign(client)
    referrer = invite(client, campaign["id"], "ann@example.com")
    return {"campaign_id": campaign["id"], "code": referrer["code"], "trigger": "code_published", "part": "subject.txt"}


def test_odd_path_and_query_values_never_answer_500(client, known):
    for method, path, parameters in operations(client):
        for value in ODD_TEXT:
            params = {param["name"]: value for param in parameters if param["in"] == "query"}
            for url in (fill(path, value, {}), fill(path, value, known)):
                response = client.request(method.upper(), url, params=params)
                assert response.status_code < 500, (method, url, params, response.text)


def test_odd_bodies_never_answer_500(client, known):
    for method, path, _parameters in operations(client):
        if method not in ("post", "put", "patch"):
            continue
        for body in ODD_BODIES:
            response = client.request(method.upper(), fill(path, "x", known), json=body)
            assert response.status_code < 500, (method, path, body, response.text)
