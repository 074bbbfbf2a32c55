"""Shopify order and refund webhooks (the body is Shopify's own order or refund JSON)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from domain.events import CustomerData, OrderData, ParsedWebhook, ShopEvent, Unparseable
from domain.platforms.common import (
    decimal_amount,
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

ORDER_TOPICS = {"orders/create": "order.created", "orders/paid": "order.paid", "orders/cancelled": "order.canceled"}
STATUS_BY_FINANCIAL_STATUS = {
    "paid": "paid",
    "partially_refunded": "paid",
    "refunded": "refunded",
    "voided": "canceled",
}
EVENT_BY_STATUS = {"paid": "order.paid", "canceled": "order.canceled", "refunded": "order.refunded"}


def parse(body: bytes, headers: Mapping[str, str]) -> ParsedWebhook:
    """Parse a Shopify webhook; topics other than orders and refunds are accepted and ignored."""
    topic = (headers.get("x-shopify-topic") or "").strip()
    data = json_object(body)
    external_id = text(headers.get("x-shopify-webhook-id")) or _fallback_key(topic, data)
    if topic in ORDER_TOPICS:
        return ParsedWebhook(external_id, topic, _order_event(ORDER_TOPICS[topic], data))
    if topic == "orders/updated":
        return ParsedWebhook(external_id, topic, _update_event(data))
    if topic == "refunds/create":
        return ParsedWebhook(external_id, topic, _refund_event(data))
    if not topic:
        raise Unparseable("X-Shopify-Topic header is missing")
    return ParsedWebhook(external_id, topic, None)


def _fallback_key(topic: str, data: Mapping[str, Any]) -> str:
    return f"{topic}:{text(data.get('id'))}:{text(data.get('updated_at')) or text(data.get('created_at'))}"


def _order_event(event_type: str, data: Mapping[str, Any]) -> ShopEvent:
    return ShopEvent(
        type=event_type,
        order=_order(event_type, data),
        customer=_customer(data),
        codes=tuple(code for code in (text(d.get("code")) for d in _discounts(data)) if code),
        occurred_at=text(data.get("updated_at")) or text(data.get("created_at")),
    )


def _update_event(data: Mapping[str, Any]) -> ShopEvent:
    """`orders/updated` carries the whole order: it means what its state says (paid converts, cancelled rolls
    back), and only when that is news; an `orders/paid` for the same order is the same redemption."""
    event_type = EVENT_BY_STATUS.get(_status("order.created", data), "order.created")
    return replace(_order_event(event_type, data), snapshot=True)


def _order(event_type: str, data: Mapping[str, Any]) -> OrderData:
    currency = text(data.get("currency"), 8)
    amount = minor_units(data.get("total_price", "0"), currency, "total_price")
    status = _status(event_type, data)
    return OrderData(
        id=required(data, "id", "order id"),
        amount=amount,
        currency=currency,
        status=status,
        items=tuple(_item(item, currency) for item in sequence(data.get("line_items"), "line_items")),
        metadata=named_values(sequence(data.get("note_attributes"), "note_attributes"), "name"),
        refunded_amount=amount if status == "refunded" else 0,
    )


def _status(event_type: str, data: Mapping[str, Any]) -> str:
    if event_type == "order.canceled" or data.get("cancelled_at"):
        return "canceled"
    if event_type == "order.paid":
        return "paid"
    return STATUS_BY_FINANCIAL_STATUS.get(text(data.get("financial_status")) or "", "created")


def _item(item: Any, currency: str | None) -> dict[str, Any]:
    item = mapping(item, "line_items[]")
    return {
        "sku": text(item.get("sku")),
        "product_id": text(item.get("product_id")),
        "quantity": whole_number(item.get("quantity"), "line_items[].quantity"),
        "price": minor_units(item.get("price", "0"), currency, "line_items[].price"),
    }


def _discounts(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [mapping(d, "discount_codes[]") for d in sequence(data.get("discount_codes"), "discount_codes")]


def _customer(data: Mapping[str, Any]) -> CustomerData | None:
    customer = mapping(data.get("customer"), "customer")
    email = text(customer.get("email")) or text(data.get("email")) or text(data.get("contact_email"))
    source_id = text(customer.get("id"))
    if not (email or source_id):
        return None
    return CustomerData(
        source_id=source_id,
        email=email,
        name=full_name(customer.get("first_name"), customer.get("last_name")),
        locale=text(data.get("customer_locale"), 35),
    )


def _refund_event(data: Mapping[str, Any]) -> ShopEvent:
    """A refund's amount is the sum of its successful refund transactions, in their currency when the refund states
    one; Shopify's own sample has `"currency": null`: the amount is then read in the order's currency."""
    transactions = [mapping(t, "transactions[]") for t in sequence(data.get("transactions"), "transactions")]
    refunds = [t for t in transactions if t.get("kind") == "refund" and t.get("status", "success") == "success"]
    amount = sum((decimal_amount(t.get("amount", "0"), "transactions[].amount") for t in refunds), Decimal(0))
    currency = _refund_currency(refunds, data)
    order = OrderData(
        id=required(data, "order_id", "order_id"),
        status="refund_issued",
        currency=currency,
        refunded_amount=minor_units(amount, currency, "transactions[].amount") if currency else 0,
        refunded_decimal=None if currency else str(amount),
        refund_id=text(data.get("id")) or "refund",
    )
    return ShopEvent(type="order.refunded", order=order, occurred_at=text(data.get("created_at")))


def _refund_currency(transactions: list[Mapping[str, Any]], data: Mapping[str, Any]) -> str | None:
    """The currency the refund states: its transactions', else its line items' shop money; None when it says none."""
    stated = [text(t.get("currency"), 8) for t in transactions]
    for item in sequence(data.get("refund_line_items"), "refund_line_items"):
        shop_money = mapping(
            mapping(mapping(item, "refund_line_items[]").get("subtotal_set"), "subtotal_set").get("shop_money"),
            "shop_money",
        )
        stated.append(text(shop_money.get("currency_code"), 8))
    return next((currency.upper() for currency in stated if currency), None)
