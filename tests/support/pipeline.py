"""Driving the pipeline in tests: signed webhooks, waiting for the in-process broker to drain."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from notifications.signing import sign_payload

SHOPIFY_SECRET = "shopify-test-secret"
WOOCOMMERCE_SECRET = "woocommerce-test-secret"
EVENTS_SECRET = "events-test-secret"
API_TOKEN = "test-api-token"


def shopify_headers(
    body: bytes, *, topic: str = "orders/paid", webhook_id: str | None = None, secret: str = SHOPIFY_SECRET
) -> dict:
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    headers = {
        "X-Shopify-Hmac-Sha256": signature,
        "X-Shopify-Topic": topic,
        "Content-Type": "application/json",
        "X-Shopify-Shop-Domain": "test-shop.myshopify.com",
    }
    if webhook_id:
        headers["X-Shopify-Webhook-Id"] = webhook_id
    return headers


def woocommerce_headers(body: bytes, *, topic: str = "order.updated", secret: str = WOOCOMMERCE_SECRET) -> dict:
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {"X-WC-Webhook-Signature": signature, "X-WC-Webhook-Topic": topic, "Content-Type": "application/json"}


def native_headers(body: bytes, *, secret: str = EVENTS_SECRET, timestamp: int | None = None) -> dict:
    return {
        "X-Referrals-Signature": sign_payload(secret, body, int(timestamp or time.time())),
        "Content-Type": "application/json",
    }


def shopify_order(
    order_id: int,
    *,
    code: str | None,
    email: str,
    customer_id: int | None = None,
    total: str = "129.00",
    financial_status: str = "paid",
) -> dict[str, Any]:
    return {
        "id": order_id,
        "total_price": total,
        "currency": "USD",
        "financial_status": financial_status,
        "discount_codes": [{"code": code, "amount": "10.00", "type": "percentage"}] if code else [],
        "customer": {
            "id": customer_id or order_id + 10_000,
            "email": email,
            "first_name": "Test",
            "last_name": f"Customer{order_id}",
        },
        "line_items": [{"sku": "SKU-1", "product_id": 42, "quantity": 1, "price": total}],
        "updated_at": "2026-11-27T10:00:00Z",
    }


def native_event(
    event_id: str,
    event_type: str,
    *,
    order_id: str | None = None,
    amount: int = 12900,
    code: str | None = None,
    email: str | None = None,
    source_id: str | None = None,
    **order_extra: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if order_id is not None:
        data["order"] = {"id": order_id, "amount": amount, "currency": "USD", **order_extra}
    if email or source_id:
        data["customer"] = {"source_id": source_id, "email": email, "name": "Native Customer"}
    if code:
        data["code"] = code
    return {"id": event_id, "type": event_type, "created_at": "2026-11-27T10:00:00Z", "data": data}


def body_of(payload: dict) -> bytes:
    return json.dumps(payload).encode()


def drain(runtime, *, timeout_s: float = 30.0, include_delayed: bool = False) -> None:
    """Wait until the in-process broker has no message queued or in flight (retries too, when asked)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _busy_queues(runtime, include_delayed):
            return
        time.sleep(0.01)
    raise TimeoutError(f"the pipeline did not drain in time: {_busy_queues(runtime, include_delayed)}")


def drain_with_threads(runtime, threads: int, *, timeout_s: float = 120.0) -> None:
    """Run a dramatiq worker with `threads` threads on the in-process broker until the pipeline drains."""
    from dramatiq import Worker

    worker = Worker(runtime.broker, worker_threads=threads)
    worker.start()
    try:
        drain(runtime, timeout_s=timeout_s)
    finally:
        worker.stop()


def _busy_queues(runtime, include_delayed: bool) -> list[str]:
    return [
        name
        for name, queue in runtime.broker.queues.items()
        if queue.unfinished_tasks and (include_delayed or not name.endswith(".DQ")) and not name.endswith(".XQ")
    ]
