"""Webhook intake for every source: signatures, dedupe, limits, rejects — and nothing stored when refused."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from bootstrap.runtime import build_runtime
from db.models import InboundEvent, Redemption
from tests.conftest import make_settings
from tests.support.counts import all_rows, row_counts
from tests.support.pipeline import (
    body_of,
    drain,
    native_event,
    native_headers,
    shopify_headers,
    shopify_order,
    woocommerce_headers,
)
from tests.support.seed import seed_campaign


def woo_order(order_id: int, *, code: str, email: str, status: str = "processing") -> dict:
    return {
        "id": order_id,
        "status": status,
        "currency": "USD",
        "total": "129.00",
        "customer_id": 0,
        "date_modified_gmt": "2026-11-27T10:00:00",
        "billing": {"email": email, "first_name": "Wu", "last_name": "Commerce"},
        "coupon_lines": [{"code": code.lower()}],
        "line_items": [{"sku": "SKU-1", "product_id": 7, "quantity": 1, "total": "129.00"}],
    }


def signed_request(source: str, payload: dict, **kwargs) -> tuple[str, bytes, dict]:
    body = body_of(payload)
    if source == "shopify":
        return (
            "/webhooks/shopify",
            body,
            shopify_headers(body, webhook_id=kwargs.get("webhook_id", f"w-{payload['id']}")),
        )
    if source == "woocommerce":
        return "/webhooks/woocommerce", body, woocommerce_headers(body)
    return "/webhooks/events", body, native_headers(body)


def valid_payload(source: str, code: str, n: int = 1) -> dict:
    email = f"friend{n}@example.com"
    if source == "shopify":
        return shopify_order(1000 + n, code=code, email=email)
    if source == "woocommerce":
        return woo_order(2000 + n, code=code, email=email)
    return native_event(
        f"evt_{n}", "order.paid", order_id=f"o-{n}", code=code, email=email, source_id=f"c-{n}", status="paid"
    )


SOURCES = ["shopify", "woocommerce", "events"]


@pytest.mark.parametrize("source", SOURCES)
def test_a_signed_webhook_is_accepted_and_processed_into_a_redemption(source, runtime, worker, client):
    seeded = seed_campaign(runtime)
    path, body, headers = signed_request(source, valid_payload(source, seeded.code))
    response = client.post(path, content=body, headers=headers)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "accepted"
    drain(runtime)
    event = all_rows(runtime, InboundEvent)[0]
    assert (event.id, event.status) == (response.json()["event_id"], "processed")
    [redemption] = all_rows(runtime, Redemption)
    assert (redemption.status, redemption.code, redemption.event_id) == ("succeeded", seeded.code, event.id)


@pytest.mark.parametrize("source", SOURCES)
def test_a_forged_signature_is_refused_and_nothing_is_stored(source, runtime, client):
    path, body, headers = signed_request(source, valid_payload(source, "REF-1"))
    tampered = body.replace(b"129", b"999") if b"129" in body else body + b" "
    response = client.post(path, content=tampered, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_signature"
    assert row_counts(runtime)["events"] == 0


@pytest.mark.parametrize("source", SOURCES)
def test_a_missing_signature_is_refused_and_nothing_is_stored(source, runtime, client):
    path, body, headers = signed_request(source, valid_payload(source, "REF-1"))
    unsigned = {k: v for k, v in headers.items() if "signature" not in k.lower() and "hmac" not in k.lower()}
    assert client.post(path, content=body, headers=unsigned).status_code == 401
    assert row_counts(runtime)["events"] == 0


def test_a_native_event_signed_more_than_five_minutes_ago_is_refused(runtime, client):
    body = body_of(valid_payload("events", "REF-1"))
    response = client.post(
        "/webhooks/events", content=body, headers=native_headers(body, timestamp=int(time.time()) - 301)
    )
    assert response.status_code == 401
    assert row_counts(runtime)["events"] == 0


def test_a_native_event_signed_with_the_wrong_secret_is_refused(runtime, client):
    body = body_of(valid_payload("events", "REF-1"))
    assert client.post("/webhooks/events", content=body, headers=native_headers(body, secret="nope")).status_code == 401


def test_shopify_uses_the_shop_specific_secret_when_one_is_configured(database_url, tmp_path):
    settings = make_settings(database_url, tmp_path, shopify_secrets="test-shop.myshopify.com=shop-secret")
    runtime = build_runtime(settings)
    try:
        with TestClient(create_app(runtime)) as client:
            body = body_of(shopify_order(1, code=None, email="a@example.com"))
            assert (
                client.post(
                    "/webhooks/shopify", content=body, headers=shopify_headers(body, webhook_id="s1")
                ).status_code
                == 401
            )
            ok = client.post(
                "/webhooks/shopify", content=body, headers=shopify_headers(body, webhook_id="s1", secret="shop-secret")
            )
            assert ok.status_code == 202
    finally:
        runtime.close()


@pytest.mark.parametrize("source", SOURCES)
def test_a_duplicate_delivery_is_answered_as_duplicate_and_acts_once(source, runtime, worker, client):
    seeded = seed_campaign(runtime)
    path, body, headers = signed_request(source, valid_payload(source, seeded.code))
    first = client.post(path, content=body, headers=headers)
    drain(runtime)
    second = client.post(path, content=body, headers=headers)
    drain(runtime)
    assert second.status_code == 200
    assert second.json() == {"status": "duplicate", "event_id": first.json()["event_id"]}
    counts = row_counts(runtime)
    assert (counts["events"], counts["redemptions"], counts["referrals"]) == (1, 1, 1)


@pytest.mark.parametrize("source", SOURCES)
def test_an_oversized_body_is_refused_with_413(source, runtime, client):
    path, _body, headers = signed_request(source, valid_payload(source, "REF-1"))
    big = b"{" + b" " * (1024 * 1024 + 1) + b"}"
    assert client.post(path, content=big, headers=headers).status_code == 413
    assert row_counts(runtime)["events"] == 0


@pytest.mark.parametrize("source", SOURCES)
def test_a_signed_but_malformed_body_is_kept_as_rejected_and_answered_422(source, runtime, client):
    body = b'{"id": "x", "type": "order.teleported"' if source == "events" else b"not json at all"
    path, _ignored, _ = signed_request(source, valid_payload(source, "REF-1"))
    headers = {"shopify": shopify_headers, "woocommerce": woocommerce_headers, "events": native_headers}[source](body)
    response = client.post(path, content=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["message"]
    [event] = all_rows(runtime, InboundEvent)
    assert (event.status, event.body) == ("rejected", body.decode())
    assert event.error == response.json()["error"]["message"]


def test_a_native_event_with_a_bad_amount_is_rejected_with_the_field_named(runtime, client):
    payload = native_event("evt_bad", "order.paid", order_id="o-1", amount="12.90", email="a@example.com")
    body = body_of(payload)
    response = client.post("/webhooks/events", content=body, headers=native_headers(body))
    assert response.status_code == 422
    assert "data.order.amount" in response.json()["error"]["message"]


def test_the_woocommerce_creation_ping_gets_200_and_stores_nothing(runtime, client):
    response = client.post(
        "/webhooks/woocommerce", content=b"webhook_id=17", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 200
    assert row_counts(runtime)["events"] == 0


def test_a_shopify_topic_we_do_not_use_is_accepted_and_marked_processed(runtime, client):
    body = body_of({"id": 5, "title": "A product"})
    response = client.post(
        "/webhooks/shopify", content=body, headers=shopify_headers(body, topic="products/update", webhook_id="p5")
    )
    assert response.status_code == 202
    [event] = all_rows(runtime, InboundEvent)
    assert event.status == "processed" and "not used" in event.error


def test_an_unreachable_database_gets_503_so_the_platform_retries(tmp_path):
    settings = make_settings("postgresql+psycopg://postgres@127.0.0.1:1/nowhere", tmp_path)
    runtime = build_runtime(settings)
    try:
        with TestClient(create_app(runtime)) as client:
            body = body_of(shopify_order(1, code=None, email="a@example.com"))
            response = client.post("/webhooks/shopify", content=body, headers=shopify_headers(body, webhook_id="x"))
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "unavailable"
    finally:
        runtime.close()


def test_an_event_accepted_while_the_broker_is_down_stays_received_for_the_reconciler(runtime, client, monkeypatch):
    def broker_down(*_args, **_kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(runtime, "enqueue", broker_down)
    body = body_of(shopify_order(1, code=None, email="a@example.com"))
    response = client.post("/webhooks/shopify", content=body, headers=shopify_headers(body, webhook_id="down-1"))
    assert response.status_code == 202
    with runtime.session_factory() as session:
        assert session.scalar(select(InboundEvent.status)) == "received"


def test_the_inbox_keeps_the_raw_body_and_topic(runtime, client):
    payload = shopify_order(77, code="whatever", email="b@example.com")
    body = body_of(payload)
    client.post("/webhooks/shopify", content=body, headers=shopify_headers(body, webhook_id="keep-1"))
    [event] = all_rows(runtime, InboundEvent)
    assert json.loads(event.body) == payload
    assert (event.topic, event.external_id, event.source) == ("orders/paid", "keep-1", "shopify")


def test_metrics_count_webhooks_by_source_and_outcome_and_show_the_inbox(runtime, client):
    body = body_of(shopify_order(1, code=None, email="a@example.com"))
    client.post("/webhooks/shopify", content=body, headers=shopify_headers(body, webhook_id="m-1"))
    client.post("/webhooks/shopify", content=body, headers=shopify_headers(body, webhook_id="m-1"))
    client.post("/webhooks/shopify", content=body, headers={"X-Shopify-Topic": "orders/paid"})
    text = client.get("/metrics").text
    assert 'referrals_webhooks_received_total{outcome="accepted",source="shopify"} 1.0' in text
    assert 'referrals_webhooks_received_total{outcome="duplicate",source="shopify"} 1.0' in text
    assert 'referrals_webhooks_received_total{outcome="unauthorized",source="shopify"} 1.0' in text
    assert 'referrals_inbox_events{status="enqueued"} 1.0' in text
    assert "referrals_intake_latency_seconds_bucket" in text


def _received(payload: dict, webhook_id: str | None = None):
    """What a request hands to the inbox writer: a Shopify order (with `webhook_id`) or a native event."""
    from api.intake import SOURCES, Received, _inbox_row

    body = body_of(payload)
    source = "shopify" if webhook_id else "events"
    signed = shopify_headers(body, webhook_id=webhook_id) if webhook_id else native_headers(body)
    headers = {key.lower(): value for key, value in signed.items()}
    return Received(_inbox_row(SOURCES[source], headers, body), body)


def test_a_batch_stores_each_webhook_once_and_answers_duplicates_with_the_stored_id(runtime):
    from api.intake import store_batch

    seeded = seed_campaign(runtime)
    first = store_batch(runtime, [_received(shopify_order(1, code=seeded.code, email="a@example.com"), "w-1")])
    batch = [
        _received(shopify_order(2, code=seeded.code, email="b@example.com"), "w-2"),
        _received(shopify_order(2, code=seeded.code, email="b@example.com"), "w-2"),  # same delivery twice in one batch
        _received(shopify_order(1, code=seeded.code, email="a@example.com"), "w-1"),  # stored by an earlier batch
        _received(shopify_order(3, code=seeded.code, email="c@example.com"), "w-3"),
    ]
    stored = store_batch(runtime, batch)
    assert [(s.inserted, s.status) for s in stored.results] == [
        (True, "enqueued"),
        (False, "duplicate"),
        (False, "duplicate"),
        (True, "enqueued"),
    ]
    assert (
        stored.results[1].event_id == stored.results[0].event_id
        and stored.results[2].event_id == first.results[0].event_id
    )
    assert len(all_rows(runtime, InboundEvent)) == 3


@pytest.mark.postgres_only
def test_a_webhook_the_database_cannot_store_is_rejected_alone_and_its_batch_is_stored(runtime):
    from api.intake import store_batch

    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite stores NUL characters in JSON")
    seeded = seed_campaign(runtime)
    unstorable = native_event(
        "evt-nul",
        "order.paid",
        order_id="o-5",
        code=seeded.code,
        email="e@example.com",
        metadata={"note": "nul \u0000 inside"},
    )
    batch = [_received(shopify_order(4, code=seeded.code, email="d@example.com"), "w-4"), _received(unstorable)]
    stored = store_batch(runtime, batch)
    assert [(s.inserted, s.status) for s in stored.results] == [(True, "enqueued"), (True, "rejected")]
    assert "cannot be stored" in stored.results[1].error
    assert sorted(row.status for row in all_rows(runtime, InboundEvent)) == ["enqueued", "rejected"]
