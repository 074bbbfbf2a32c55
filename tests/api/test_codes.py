"""Codes through the API: generation, listing, one code's page, delete, publish, QR, code-level rules."""

from __future__ import annotations

import io
import re
import struct
from xml.etree import ElementTree

import pytest
import segno
from sqlalchemy import select

from db.models import Code
from tests.api.helpers import create_campaign, invite, walk


@pytest.fixture
def campaign(client) -> dict:
    return create_campaign(client)


def test_generating_codes_answers_how_many_were_created_and_they_are_distinct(client, runtime, campaign):
    response = client.post(f"/api/v1/campaigns/{campaign['id']}/codes", json={"count": 1000})
    assert response.status_code == 201
    assert response.json() == {"created": 1000}
    with runtime.session_factory() as session:
        texts = session.scalars(select(Code.code).where(Code.campaign_id == campaign["id"])).all()
    assert len(texts) == len(set(texts)) == 1000
    assert all(re.fullmatch(r"REF-\d{4}-[A-Z]{4}", text) for text in texts)


def test_generation_fills_a_small_pattern_to_its_last_code_despite_collisions(client, runtime):
    campaign = create_campaign(client, code_config={"pattern": "D#", "prefix": "X-"})
    assert client.post(f"/api/v1/campaigns/{campaign['id']}/codes", json={"count": 6}).json() == {"created": 6}
    assert client.post(f"/api/v1/campaigns/{campaign['id']}/codes", json={"count": 4}).json() == {"created": 4}
    with runtime.session_factory() as session:
        texts = sorted(session.scalars(select(Code.code)).all())
    assert texts == [f"X-D{digit}" for digit in range(10)]


def test_asking_for_more_codes_than_the_pattern_has_left_is_a_409_and_creates_none(client, runtime):
    campaign = create_campaign(client, code_config={"pattern": "#"})
    client.post(f"/api/v1/campaigns/{campaign['id']}/codes", json={"count": 8})
    response = client.post(f"/api/v1/campaigns/{campaign['id']}/codes", json={"count": 3})
    assert response.status_code == 409
    assert "code_config" in response.json()["error"]["message"]
    assert len(walk(client, f"/api/v1/campaigns/{campaign['id']}/codes")) == 8


@pytest.mark.parametrize("count", [0, -1, 100_001, "many"])
def test_a_bad_count_is_refused_with_422(client, campaign, count):
    assert client.post(f"/api/v1/campaigns/{campaign['id']}/codes", json={"count": count}).status_code == 422


def test_generating_codes_for_an_unknown_campaign_is_404(client):
    assert client.post("/api/v1/campaigns/cmp_nope/codes", json={"count": 1}).status_code == 404


def test_generation_records_the_vouchers_added_activity(client, campaign):
    client.post(f"/api/v1/campaigns/{campaign['id']}/codes", json={"count": 3})
    [row] = client.get(
        f"/api/v1/campaigns/{campaign['id']}/activity", params={"type": "campaign.vouchers.added"}
    ).json()["data"]
    assert row["data"] == {"count": 3}


def test_the_code_list_filters_by_publication(client, campaign):
    client.post(f"/api/v1/campaigns/{campaign['id']}/codes", json={"count": 3})
    held = invite(client, campaign["id"], "ann@example.com")
    published = client.get(f"/api/v1/campaigns/{campaign['id']}/codes", params={"published": True}).json()["data"]
    assert [row["code"] for row in published] == [held["code"]]
    assert len(client.get(f"/api/v1/campaigns/{campaign['id']}/codes", params={"published": False}).json()["data"]) == 2


def test_a_code_is_found_without_regard_to_case(client, campaign):
    held = invite(client, campaign["id"], "ann@example.com")
    response = client.get(f"/api/v1/codes/{held['code'].lower()}")
    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["holder_id"], body["channel"]) == (held["code"], held["customer_id"], "api")
    assert client.get("/api/v1/codes/NOPE-0000").status_code == 404


def test_a_deleted_code_fails_validation_and_cannot_be_deleted_twice(client, campaign):
    held = invite(client, campaign["id"], "ann@example.com")
    assert client.delete(f"/api/v1/codes/{held['code']}").status_code == 204
    assert client.get(f"/api/v1/codes/{held['code']}").json()["deleted_at"] is not None
    assert client.delete(f"/api/v1/codes/{held['code']}").status_code == 404
    check = client.post(
        "/api/v1/validations", json={"code": held["code"], "customer": {"email": "ben@example.com"}}
    ).json()
    assert check["failure_code"] == "voucher_disabled"
    types = [row["type"] for row in client.get(f"/api/v1/campaigns/{campaign['id']}/activity").json()["data"]]
    assert "campaign.vouchers.deleted" in types


def test_publishing_a_code_gives_it_to_the_customer_with_the_channel(client, campaign):
    client.post(f"/api/v1/campaigns/{campaign['id']}/codes", json={"count": 1})
    [code] = client.get(f"/api/v1/campaigns/{campaign['id']}/codes").json()["data"]
    response = client.post(
        f"/api/v1/codes/{code['code']}/publish", json={"customer": {"email": "ann@example.com"}, "channel": "dashboard"}
    )
    assert response.status_code == 201
    assert response.json()["channel"] == "dashboard"
    again = client.post(f"/api/v1/codes/{code['code']}/publish", json={"customer": {"email": "ann@example.com"}})
    assert again.status_code == 200
    other = client.post(f"/api/v1/codes/{code['code']}/publish", json={"customer": {"email": "ben@example.com"}})
    assert other.status_code == 409


def test_publishing_needs_a_customer_with_an_email_or_a_source_id(client, campaign):
    client.post(f"/api/v1/campaigns/{campaign['id']}/codes", json={"count": 1})
    [code] = client.get(f"/api/v1/campaigns/{campaign['id']}/codes").json()["data"]
    response = client.post(f"/api/v1/codes/{code['code']}/publish", json={"customer": {"name": "Nobody"}})
    assert response.status_code == 422
    assert "customer" in response.json()["error"]["message"]


def test_the_svg_qr_code_is_an_svg_document(client, campaign):
    held = invite(client, campaign["id"], "ann@example.com")
    response = client.get(f"/api/v1/codes/{held['code']}/qr.svg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert ElementTree.fromstring(response.content).tag == "{http://www.w3.org/2000/svg}svg"


def test_the_png_qr_code_is_a_png_image(client, campaign):
    held = invite(client, campaign["id"], "ann@example.com")
    response = client.get(f"/api/v1/codes/{held['code'].lower()}/qr.png")
    assert response.headers["content-type"] == "image/png"
    assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", response.content[16:24])
    assert width == height > 100
    assert client.get("/api/v1/codes/NOPE/qr.png").status_code == 404


def test_the_qr_code_encodes_the_public_share_link(client, runtime, campaign):
    held = invite(client, campaign["id"], "ann@example.com")
    expected = io.BytesIO()
    segno.make(f"{runtime.settings.public_url}/r/{held['code']}", error="m").save(
        expected, kind="png", scale=6, border=2
    )
    assert client.get(f"/api/v1/codes/{held['code']}/qr.png").content == expected.getvalue()


def test_a_code_level_rule_is_added_and_listed_for_that_code_only(client, campaign):
    held = invite(client, campaign["id"], "ann@example.com")
    rule = {"name": "Order over $80", "conditions": {"order.amount": {"$gt": 100}}}
    response = client.post(f"/api/v1/codes/{held['code']}/rules", json=rule)
    assert response.status_code == 201
    assert response.json()["code_id"] is not None
    assert [row["name"] for row in client.get(f"/api/v1/codes/{held['code']}/rules").json()["data"]] == [
        "Order over $80"
    ]
    assert client.get(f"/api/v1/campaigns/{campaign['id']}/rules").json()["data"] == []
    assert client.post("/api/v1/codes/NOPE/rules", json=rule).status_code == 404


def test_a_code_rule_overrides_the_campaign_rule_of_the_same_name(client, campaign):
    held = invite(client, campaign["id"], "ann@example.com")
    client.post(
        f"/api/v1/campaigns/{campaign['id']}/rules",
        json={"name": "Minimum", "conditions": {"order.amount": {"$gt": 8000}}},
    )
    client.post(
        f"/api/v1/codes/{held['code']}/rules", json={"name": "Minimum", "conditions": {"order.amount": {"$gt": 1000}}}
    )
    check = client.post(
        "/api/v1/validations",
        json={"code": held["code"], "customer": {"email": "ben@example.com"}, "order": {"amount": 2000}},
    )
    assert check.json() == {"valid": True}
