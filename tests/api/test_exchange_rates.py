"""Exchange rates and campaign currencies through the JSON API; single-currency answers keep SPEC §9's shape."""

from __future__ import annotations

import pytest

from tests.api.helpers import create_campaign


def post_rate(client, **body):
    return client.post(
        "/api/v1/exchange-rates", json={"base": "HKD", "quote": "USD", "rate": "0.1282", "date": "2026-12-01"} | body
    )


def test_an_operator_sets_lists_filters_and_deletes_exchange_rates(client):
    created = post_rate(client)
    assert created.status_code == 201, created.text
    rate = created.json()
    assert {k: rate[k] for k in ("base", "quote", "rate", "date")} == {
        "base": "HKD",
        "quote": "USD",
        "rate": "0.1282",
        "date": "2026-12-01",
    }
    post_rate(client, base="eur", quote="usd", rate="1.08")

    assert [r["base"] for r in client.get("/api/v1/exchange-rates").json()["data"]] == ["EUR", "HKD"]
    assert [r["id"] for r in client.get("/api/v1/exchange-rates?currency=HKD").json()["data"]] == [rate["id"]]
    assert client.delete(f"/api/v1/exchange-rates/{rate['id']}").status_code == 204
    assert client.delete(f"/api/v1/exchange-rates/{rate['id']}").status_code == 404
    assert [r["base"] for r in client.get("/api/v1/exchange-rates").json()["data"]] == ["EUR"]


def test_setting_a_pair_again_for_the_same_date_replaces_its_rate(client):
    first = post_rate(client).json()
    second = post_rate(client, rate="0.1290").json()

    assert (second["id"], second["rate"]) == (first["id"], "0.1290")
    assert len(client.get("/api/v1/exchange-rates").json()["data"]) == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"rate": 0.1282}, "rate"),
        ({"rate": "-1"}, "rate"),
        ({"rate": "abc"}, "rate"),
        ({"base": "ZZZ"}, "base"),
        ({"quote": "US"}, "quote"),
        ({"quote": "HKD"}, "quote"),
        ({"date": "yesterday"}, "date"),
    ],
)
def test_a_bad_rate_is_refused_naming_the_field(client, body, field):
    response = post_rate(client, **body)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert response.json()["error"]["message"].startswith(field)


def test_a_campaign_takes_the_default_currency_and_accepts_an_iso_4217_one(client):
    assert create_campaign(client)["currency"] == "USD"
    campaign = create_campaign(client, currency="jpy")
    assert campaign["currency"] == "JPY"
    assert client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"currency": "KWD"}).json()["currency"] == "KWD"
    refused = client.post("/api/v1/campaigns", json={"name": "x", "currency": "XYZ"})
    assert refused.status_code == 422 and refused.json()["error"]["message"].startswith("currency")


def test_a_validation_converts_an_order_in_another_currency_or_says_no_rate_is_known(client):
    campaign = create_campaign(client)
    client.post(
        f"/api/v1/campaigns/{campaign['id']}/rules",
        json={"name": "Over $50", "conditions": {"order.amount": {"$gt": 5000}}},
    )
    code = client.post(
        f"/api/v1/campaigns/{campaign['id']}/referrers", json={"customer": {"email": "ann@example.com"}}
    ).json()["code"]
    check = {"code": code, "customer": {"email": "ken@example.jp"}, "order": {"amount": 18690, "currency": "HKD"}}

    unknown = client.post("/api/v1/validations", json=check).json()
    post_rate(client, date="2020-01-01")
    converted = client.post("/api/v1/validations", json=check).json()

    assert (unknown["valid"], unknown["failure_code"]) == (False, "invalid_amount")
    assert (converted["valid"], converted["failure_code"]) == (False, "order_rules_violated")
    assert converted["logs"][0]["rule"] == "currency conversion"
