"""A delivery with a valid signature and a body that cannot be parsed is kept as `rejected` under the platform's own id
for it, so an operator finds it in the inbox by that id and replays it; a corrected delivery takes its place."""

from __future__ import annotations

from db.models import InboundEvent, Redemption
from tests.support.counts import all_rows
from tests.support.pipeline import body_of, drain, native_event, native_headers, shopify_headers, woocommerce_headers
from tests.support.seed import seed_campaign

BROKEN = b"{not json"


def rejected_events(client) -> list[dict]:
    response = client.get("/api/v1/events", params={"status": "rejected"})
    assert response.status_code == 200
    return response.json()["data"]


def post_shopify(client, body: bytes, webhook_id: str | None):
    return client.post("/webhooks/shopify", content=body, headers=shopify_headers(body, webhook_id=webhook_id))


def post_native(client, body: bytes):
    return client.post("/webhooks/events", content=body, headers=native_headers(body))


def test_a_broken_shopify_delivery_is_found_in_the_inbox_by_its_webhook_id(runtime, client):
    response = post_shopify(client, BROKEN, "b7d5c1e2-shopify-delivery")
    assert response.status_code == 422
    [event] = rejected_events(client)
    assert (event["id"], event["external_id"], event["source"]) == (
        response.json()["event_id"],
        "b7d5c1e2-shopify-delivery",
        "shopify",
    )


def test_a_broken_woocommerce_delivery_is_stored_under_its_delivery_id(runtime, client):
    headers = woocommerce_headers(BROKEN) | {"X-WC-Webhook-Delivery-ID": "4711"}
    assert client.post("/webhooks/woocommerce", content=BROKEN, headers=headers).status_code == 422
    [event] = rejected_events(client)
    assert event["external_id"].startswith("4711:")


def test_two_broken_woocommerce_bodies_sent_in_the_same_second_share_a_delivery_id_and_are_two_rows(runtime, client):
    for body in (BROKEN, b"{also not json"):  # WooCommerce's delivery id hashes the webhook id and the second
        headers = woocommerce_headers(body) | {"X-WC-Webhook-Delivery-ID": "same-second"}
        assert client.post("/webhooks/woocommerce", content=body, headers=headers).status_code == 422
    assert len(rejected_events(client)) == 2


def test_a_native_event_that_cannot_be_parsed_is_stored_under_its_id_when_the_body_has_one(runtime, client):
    assert post_native(client, body_of({"id": "evt_broken_1", "type": "order.teleported"})).status_code == 422
    assert [event["external_id"] for event in rejected_events(client)] == ["evt_broken_1"]


def test_two_different_deliveries_of_the_same_broken_body_are_two_rows(runtime, client):
    post_shopify(client, BROKEN, "delivery-1")
    post_shopify(client, BROKEN, "delivery-2")
    post_native(client, BROKEN)
    post_native(client, BROKEN)  # no id to read: each delivery is a row of its own
    rows = rejected_events(client)
    assert len(rows) == 4
    assert {"delivery-1", "delivery-2"} <= {row["external_id"] for row in rows}


def test_the_platform_retrying_one_broken_delivery_is_a_duplicate_of_its_row(runtime, client):
    first = post_shopify(client, BROKEN, "delivery-1")
    again = post_shopify(client, BROKEN, "delivery-1")
    assert (again.status_code, again.json()) == (200, {"status": "duplicate", "event_id": first.json()["event_id"]})
    assert len(all_rows(runtime, InboundEvent)) == 1


def test_a_corrected_event_sent_again_under_the_same_id_takes_the_rejected_rows_place(runtime, worker, client):
    seeded = seed_campaign(runtime)
    broken = post_native(client, body_of({"id": "evt_fixed", "type": "order.paid", "data": {"order": {"id": "o-1"}}}))
    assert broken.status_code == 422
    fixed = native_event(
        "evt_fixed",
        "order.paid",
        order_id="o-1",
        code=seeded.code,
        email="friend@example.com",
        source_id="c-1",
        status="paid",
    )
    accepted = post_native(client, body_of(fixed))
    assert (accepted.status_code, accepted.json()["event_id"]) == (202, broken.json()["event_id"])
    drain(runtime)
    [event] = all_rows(runtime, InboundEvent)
    assert (event.status, event.error) == ("processed", None)
    assert [r.status for r in all_rows(runtime, Redemption)] == ["succeeded"]
    assert post_native(client, body_of(fixed)).json()["status"] == "duplicate"  # and once taken, it dedupes as usual
