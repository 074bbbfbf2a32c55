"""The native event format (SPEC §3) for any other shop and for explicit redemptions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.events import EVENT_TYPES, ORDER_STATUSES, CustomerData, OrderData, ParsedWebhook, ShopEvent, Unparseable
from domain.platforms.common import json_object, mapping, sequence, text, within_range

STATUS_BY_TYPE = {"order.paid": "paid", "order.canceled": "canceled", "order.refunded": "refunded"}


def parse(body: bytes, headers: Mapping[str, str]) -> ParsedWebhook:
    """Parse and check a native event; anything off is Unparseable with the field named."""
    data = json_object(body)
    event_id = text(data.get("id"))
    if event_id is None:
        raise Unparseable("id is required")
    event_type = data.get("type")
    if event_type not in EVENT_TYPES:
        raise Unparseable(f"type must be one of {', '.join(EVENT_TYPES)}; got {event_type!r}")
    return ParsedWebhook(event_id, event_type, _event(event_type, mapping(data.get("data"), "data"), data))


def _event(event_type: str, data: Mapping[str, Any], envelope: Mapping[str, Any]) -> ShopEvent:
    order = _order(event_type, data.get("order"))
    code = text(data.get("code"))
    custom_event = text(data.get("event"))
    _check_required(event_type, order, code, custom_event)
    return ShopEvent(
        type=event_type,
        order=order,
        customer=_customer(data.get("customer")),
        codes=(code,) if code else (),
        custom_event=custom_event,
        occurred_at=text(envelope.get("created_at")),
    )


def _check_required(event_type: str, order: OrderData | None, code: str | None, custom_event: str | None) -> None:
    if event_type.startswith("order.") and order is None:
        raise Unparseable(f"data.order is required for {event_type}")
    if event_type == "redemption.requested" and code is None:
        raise Unparseable("data.code is required for redemption.requested")
    if event_type == "custom_event" and custom_event is None:
        raise Unparseable("data.event is required for custom_event")


def _order(event_type: str, value: Any) -> OrderData | None:
    if value is None:
        return None
    order = mapping(value, "data.order")
    order_id = text(order.get("id"))
    if order_id is None:
        raise Unparseable("data.order.id is required")
    status = text(order.get("status")) or STATUS_BY_TYPE.get(event_type, "created")
    if status not in ORDER_STATUSES:
        raise Unparseable(f"data.order.status must be one of {', '.join(ORDER_STATUSES)}; got {status!r}")
    amount = _integer(
        order.get("amount"), "data.order.amount", optional=event_type in ("order.canceled", "order.refunded")
    )
    refunded = _integer(order.get("refunded_amount"), "data.order.refunded_amount", optional=True)
    return OrderData(
        id=order_id,
        amount=amount,
        currency=text(order.get("currency"), 8),
        status=STATUS_BY_TYPE.get(event_type, status),
        items=tuple(_item(item) for item in sequence(order.get("items"), "data.order.items")),
        metadata=dict(mapping(order.get("metadata"), "data.order.metadata")),
        refunded_amount=refunded if refunded is not None else (amount or 0) if event_type == "order.refunded" else 0,
    )


def _integer(value: Any, field_name: str, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Unparseable(f"{field_name} must be an integer in minor units, got {value!r}")
    if value < 0:
        raise Unparseable(f"{field_name} must not be negative, got {value}")
    return within_range(value, field_name)


def _item(value: Any) -> dict[str, Any]:
    item = mapping(value, "data.order.items[]")
    return {
        "sku": text(item.get("sku")),
        "product_id": text(item.get("product_id")),
        "quantity": _integer(item.get("quantity", 1), "data.order.items[].quantity"),
        "price": _integer(item.get("price", 0), "data.order.items[].price"),
    }


def _customer(value: Any) -> CustomerData | None:
    if value is None:
        return None
    customer = mapping(value, "data.customer")
    source_id, email = text(customer.get("source_id")), text(customer.get("email"))
    if not (source_id or email):
        raise Unparseable("data.customer needs a source_id or an email")
    metadata = mapping(customer.get("metadata"), "data.customer.metadata")
    return CustomerData(
        source_id=source_id,
        email=email,
        name=text(customer.get("name")),
        locale=text(customer.get("locale"), 35),
        metadata=dict(metadata),
    )
