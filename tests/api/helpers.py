"""Small drivers for the API tests: campaigns, referrers and orders through the real HTTP surface."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from db.models import Base
from tests.support.pipeline import body_of, drain, native_event, native_headers

CAMPAIGN = {
    "name": "Friends get 10%",
    "code_config": {"pattern": "REF-####-????"},
    "conversion": "order.paid",
    "reward_hold_days": 0,
    "join_once": True,
    "start_date": None,
    "expiration_date": None,
    "referee_reward": "10% off the first order",
    "metadata": {},
}


def create_campaign(client, **overrides: Any) -> dict:
    response = client.post("/api/v1/campaigns", json=CAMPAIGN | overrides)
    assert response.status_code == 201, response.text
    return response.json()


def invite(client, campaign_id: str, email: str, source_id: str | None = None, **extra: Any) -> dict:
    customer = {"email": email, "name": "Ann Lee", **({"source_id": source_id} if source_id else {})}
    response = client.post(
        f"/api/v1/campaigns/{campaign_id}/referrers", json={"customer": customer, "channel": "api", **extra}
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def add_tier(client, campaign_id: str, **overrides: Any) -> dict:
    tier = {
        "name": "Each friend",
        "kind": "each",
        "threshold": 1,
        "reward": {"type": "credits", "amount": 1000},
    } | overrides
    response = client.post(f"/api/v1/campaigns/{campaign_id}/tiers", json=tier)
    assert response.status_code == 201, response.text
    return response.json()


def send_event(client, payload: dict) -> Any:
    body = body_of(payload)
    return client.post("/webhooks/events", content=body, headers=native_headers(body))


def paid_order(client, runtime, code: str, *, order_id: str, email: str, amount: int = 12900) -> None:
    """A referee pays an order with `code`; waits for the pipeline to finish."""
    event = native_event(
        f"evt-{order_id}",
        "order.paid",
        order_id=order_id,
        amount=amount,
        code=code,
        email=email,
        source_id=f"src-{email}",
        status="paid",
    )
    response = send_event(client, event)
    assert response.status_code == 202, response.text
    drain(runtime)


def row_counts(runtime) -> dict[str, int]:
    with runtime.session_factory() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) for table in Base.metadata.sorted_tables
        }


def walk(client, url: str, **params: Any) -> list[dict]:
    """Every row of a paginated list, following next_cursor."""
    rows, cursor = [], None
    while True:
        response = client.get(url, params=params | ({"cursor": cursor} if cursor else {}))
        assert response.status_code == 200, response.text
        rows += response.json()["data"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return rows
