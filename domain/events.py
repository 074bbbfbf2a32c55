"""The normalised inbound event every platform's webhook is parsed into."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

ORDER_TYPES = ("order.created", "order.paid", "order.canceled", "order.refunded")
EVENT_TYPES = ORDER_TYPES + ("redemption.requested", "custom_event")
ORDER_STATUSES = ("created", "paid", "canceled", "refunded")


class Unparseable(ValueError):
    """A signed webhook whose body cannot be understood; the message says why."""


@dataclass(frozen=True)
class OrderData:
    id: str
    amount: int | None = None
    currency: str | None = None
    status: str = "created"
    items: tuple[dict[str, Any], ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    refunded_amount: int = 0
    refund_id: str | None = None  # set when refunded_amount is one refund's amount, not the order's total
    refunded_decimal: str | None = None  # a refund in major units ("100.00") the webhook gives no currency for:
    # read in the order's currency once it is known (then refunded_amount is 0)


@dataclass(frozen=True)
class CustomerData:
    source_id: str | None = None
    email: str | None = None
    name: str | None = None
    locale: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ShopEvent:
    """What a webhook means: a type, an order, a customer and the referral codes it carries."""

    type: str
    order: OrderData | None = None
    customer: CustomerData | None = None
    codes: tuple[str, ...] = ()
    custom_event: str | None = None
    occurred_at: str | None = None
    snapshot: bool = (
        False  # the order's whole state (Shopify orders/updated), not one change: news only if it changes it
    )

    @property
    def is_paid(self) -> bool:
        return self.type == "order.paid" or (self.order is not None and self.order.status == "paid")

    @property
    def is_explicit(self) -> bool:
        """A redemption the shop asked for by name, as opposed to codes found on an order."""
        return self.type in ("redemption.requested", "custom_event")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ShopEvent:
        order = data.get("order")
        customer = data.get("customer")
        return cls(
            type=data["type"],
            order=OrderData(**{**order, "items": tuple(order.get("items") or ())}) if order else None,
            customer=CustomerData(**customer) if customer else None,
            codes=tuple(data.get("codes") or ()),
            custom_event=data.get("custom_event"),
            occurred_at=data.get("occurred_at"),
            snapshot=bool(data.get("snapshot")),
        )


@dataclass(frozen=True)
class ParsedWebhook:
    """A parsed webhook: its dedup key, its topic and what it means (None: nothing to do, e.g. a ping)."""

    external_id: str
    topic: str
    event: ShopEvent | None
