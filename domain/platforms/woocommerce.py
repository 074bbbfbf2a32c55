"""WooCommerce order webhooks: `order.created` / `order.updated`, the status says what happened."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.events import CustomerData, OrderData, ParsedWebhook, ShopEvent, Unparseable
from domain.platforms.common import (
    full_name,
    json_object,
    mapping,
    minor_units,
    named_values,
    required,
    sequence,
    text,
    whole_number,
)

EVENT_BY_STATUS = {
    "processing": ("order.paid", "paid"),
    "completed": ("order.paid", "paid"),
    "refunded": ("order.refunded", "refunded"),
    "cancelled": ("order.canceled", "canceled"),
}
ORDER_TOPICS = ("order.created", "order.updated")


def parse(body: bytes, headers: Mapping[str, str]) -> ParsedWebhook:
    """Parse a WooCommerce order webhook; the dedup key is order id + status + date_modified_gmt."""
    topic = (headers.get("x-wc-webhook-topic") or "").strip()
    data = json_object(body)
    order_id = required(data, "id", "order id")
    status = text(data.get("status")) or "pending"
    external_id = f"{order_id}:{status}:{text(data.get('date_modified_gmt')) or text(data.get('date_created_gmt'))}"
    if topic not in ORDER_TOPICS:
        if not topic:
            raise Unparseable("X-WC-Webhook-Topic header is missing")
        return ParsedWebhook(external_id, topic, None)
    return ParsedWebhook(external_id, topic, _event(data, order_id, status))


def _event(data: Mapping[str, Any], order_id: str, status: str) -> ShopEvent:
    event_type, order_status = EVENT_BY_STATUS.get(status, ("order.created", "created"))
    currency = text(data.get("currency"), 8)
    amount = minor_units(data.get("total", "0"), currency, "total")
    refunded = sum(abs(minor_units(r.get("total", "0"), currency, "refunds[].total")) for r in _list(data, "refunds"))
    order = OrderData(
        id=order_id,
        amount=amount,
        currency=currency,
        status=order_status,
        items=tuple(_item(item, currency) for item in _list(data, "line_items")),
        metadata={
            key: value
            for key, value in named_values(_list(data, "meta_data"), "key").items()
            if not key.startswith("_")
        },
        refunded_amount=amount if order_status == "refunded" else refunded,
    )
    codes = tuple(code for code in (text(c.get("code")) for c in _list(data, "coupon_lines")) if code)
    return ShopEvent(
        type=event_type,
        order=order,
        customer=_customer(data),
        codes=codes,
        occurred_at=text(data.get("date_modified_gmt")),
    )


def _list(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    return [mapping(entry, f"{key}[]") for entry in sequence(data.get(key), key)]


def _item(item: Mapping[str, Any], currency: str | None) -> dict[str, Any]:
    return {
        "sku": text(item.get("sku")),
        "product_id": text(item.get("product_id")),
        "quantity": whole_number(item.get("quantity"), "line_items[].quantity"),
        "price": minor_units(item.get("total", "0"), currency, "line_items[].total"),
    }


def _customer(data: Mapping[str, Any]) -> CustomerData | None:
    billing = mapping(data.get("billing"), "billing")
    customer_id = text(data.get("customer_id"))
    source_id = None if customer_id in (None, "0") else customer_id
    email = text(billing.get("email"))
    if not (email or source_id):
        return None
    return CustomerData(
        source_id=source_id, email=email, name=full_name(billing.get("first_name"), billing.get("last_name"))
    )


def is_ping(body: bytes, content_type: str) -> bool:
    """WooCommerce's unsigned form-encoded ping sent when a webhook is created (`webhook_id=N`)."""
    return content_type.lower().startswith("application/x-www-form-urlencoded") and body.startswith(b"webhook_id=")
