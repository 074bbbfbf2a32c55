"""Inviting referrers and the referrers and referees tabs."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from db.models import Distribution
from tests.api.helpers import create_campaign, invite, paid_order, walk
from tests.support.pipeline import drain


@pytest.fixture
def campaign(client) -> dict:
    return create_campaign(client)


def test_inviting_a_referrer_publishes_a_code_and_answers_201(client, campaign):
    client.post(f"/api/v1/campaigns/{campaign['id']}/codes", json={"count": 2})
    response = client.post(
        f"/api/v1/campaigns/{campaign['id']}/referrers",
        json={"customer": {"source_id": "c-1", "email": "ann@example.com", "name": "Ann Lee"}, "channel": "api"},
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"code", "customer_id", "published_at", "channel"}
    assert body["channel"] == "api"
    assert client.get(f"/api/v1/codes/{body['code']}").json()["holder_id"] == body["customer_id"]
    assert len(client.get(f"/api/v1/campaigns/{campaign['id']}/codes", params={"published": False}).json()["data"]) == 1


def test_with_join_once_the_same_customer_gets_the_same_code_back_with_200(client, campaign):
    first = invite(client, campaign["id"], "ann@example.com", source_id="c-1")
    again = client.post(
        f"/api/v1/campaigns/{campaign['id']}/referrers", json={"customer": {"email": "ANN@example.com"}}
    )
    assert again.status_code == 200
    assert again.json() == first


def test_without_join_once_each_invitation_publishes_another_code(client):
    campaign = create_campaign(client, join_once=False)
    first = invite(client, campaign["id"], "ann@example.com")
    second = client.post(
        f"/api/v1/campaigns/{campaign['id']}/referrers", json={"customer": {"email": "ann@example.com"}}
    )
    assert second.status_code == 201
    assert second.json()["code"] != first["code"]
    assert second.json()["customer_id"] == first["customer_id"]


def test_a_code_is_generated_when_none_is_left(client, campaign):
    referrer = invite(client, campaign["id"], "ann@example.com")
    assert referrer["code"].startswith("REF-")
    added = client.get(
        f"/api/v1/campaigns/{campaign['id']}/activity", params={"type": "campaign.vouchers.added"}
    ).json()["data"]
    assert [row["data"] for row in added] == [{"count": 1}]


def test_an_invitation_records_the_publication_and_queues_the_code_published_email(client, runtime, worker, campaign):
    referrer = invite(client, campaign["id"], "ann@example.com")
    drain(runtime)
    [publication] = client.get(
        f"/api/v1/customers/{referrer['customer_id']}/activity", params={"type": "customer.publication.succeeded"}
    ).json()["data"]
    assert publication["data"]["code"] == referrer["code"]
    with runtime.session_factory() as session:
        distribution = session.scalars(select(Distribution)).one()
    assert (distribution.trigger, distribution.status, distribution.recipient) == (
        "code_published",
        "sent",
        "ann@example.com",
    )
    assert list((runtime.settings.outbox_dir).glob("*.eml"))


@pytest.mark.parametrize(
    "customer", [{"name": "Nobody"}, {"email": "not-an-address"}, {"email": "", "source_id": None}]
)
def test_an_invitation_needs_a_valid_email_or_a_source_id(client, campaign, customer):
    response = client.post(f"/api/v1/campaigns/{campaign['id']}/referrers", json={"customer": customer})
    assert response.status_code == 422
    assert "customer" in response.json()["error"]["message"]
    assert client.post("/api/v1/campaigns/cmp_nope/referrers", json={"customer": {"email": "a@b.c"}}).status_code == 404


def test_the_referrers_list_shows_code_channel_status_and_referees(client, runtime, worker, campaign):
    ann = invite(client, campaign["id"], "ann@example.com")
    invite(client, campaign["id"], "cid@example.com")
    paid_order(client, runtime, ann["code"], order_id="o-1", email="ben@example.com")
    rows = client.get(f"/api/v1/campaigns/{campaign['id']}/referrers").json()["data"]
    assert [row["email"] for row in rows] == ["cid@example.com", "ann@example.com"]
    assert rows[1] == {
        "customer_id": ann["customer_id"],
        "name": "Ann Lee",
        "email": "ann@example.com",
        "code": ann["code"],
        "published_at": ann["published_at"],
        "channel": "api",
        "status": "active",
        "referees": 1,
    }


def test_the_referrers_list_exports_as_csv(client, campaign):
    ann = invite(client, campaign["id"], "ann@example.com")
    response = client.get(f"/api/v1/campaigns/{campaign['id']}/referrers", params={"format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    [row] = list(csv.DictReader(io.StringIO(response.text)))
    assert (row["code"], row["email"], row["referees"]) == (ann["code"], "ann@example.com", "0")


def test_the_referees_list_has_each_referee_and_the_order_totals(client, runtime, worker, campaign):
    ann = invite(client, campaign["id"], "ann@example.com")
    paid_order(client, runtime, ann["code"], order_id="o-1", email="ben@example.com", amount=12900)
    paid_order(client, runtime, ann["code"], order_id="o-2", email="dee@example.com", amount=5000)
    page = client.get(f"/api/v1/campaigns/{campaign['id']}/referees", params={"limit": 1}).json()
    assert (page["total_orders_count"], page["total_orders_amount"]) == (2, 17900)
    assert page["data"][0]["email"] == "dee@example.com"
    assert page["data"][0]["referrer_id"] == ann["customer_id"]
    assert (page["data"][0]["orders_count"], page["data"][0]["orders_amount"]) == (1, 5000)
    assert [row["email"] for row in walk(client, f"/api/v1/campaigns/{campaign['id']}/referees", limit=1)] == [
        "dee@example.com",
        "ben@example.com",
    ]
