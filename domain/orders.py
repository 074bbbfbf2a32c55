"""An order's life as facts that only ever accumulate, whatever order its webhooks arrive in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from domain.events import OrderData, ShopEvent
from domain.money import to_major_units, to_minor_units

UNDOING_STATUSES = ("refunded", "canceled", "refund_issued")


@dataclass(frozen=True)
class OrderFacts:
    """What is known of one order so far. A cancellation seen before the order is kept here."""

    amount: int | None = None
    seen: bool = False
    paid: bool = False
    canceled: bool = False
    refunded_in_full: bool = False
    refunds: dict[str, int] = field(default_factory=dict)
    refunded_total: int = 0
    amount_as_of: str | None = None  # when the shop stated `amount` (ISO 8601, UTC); None: not known
    currency: str | None = None  # the order's currency, once an event states it
    # refund id → major units, "100.00" (in the order's currency) or "100.00 JPY" (as the refund stated it)
    pending_refunds: dict[str, str] = field(default_factory=dict)

    @property
    def refunded_amount(self) -> int:
        return max(self.refunded_total, sum(self.refunds.values()) + self._refunds_in_order_currency)

    @property
    def _refunds_in_order_currency(self) -> int:
        """Refunds kept as stated, read once the order's currency is known: one that stated no currency is in the
        order's; one in another currency (Shopify's presentment currency) is left out."""
        total = 0
        for stated in self.pending_refunds.values():
            amount, _, currency = stated.partition(" ")
            if not (currency and self.currency and currency != self.currency):
                total += to_minor_units(Decimal(amount), currency or self.currency)
        return total

    @property
    def undone(self) -> bool:
        """Cancelled or fully refunded: its redemption, referral and pending rewards roll back."""
        if self.canceled or self.refunded_in_full:
            return True
        if not self.amount:
            return False
        return self.refunded_amount >= self.amount

    @property
    def counted_amount(self) -> int | None:
        """What the order adds to its customer's order totals (None: it does not count)."""
        if not self.paid or self.undone:
            return None
        return max((self.amount or 0) - self.refunded_amount, 0)

    @property
    def remaining_amount(self) -> int | None:
        return None if self.amount is None else max(self.amount - self.refunded_amount, 0)


def apply_event(facts: OrderFacts, event: ShopEvent) -> OrderFacts:
    """The order's facts once this event is known."""
    order = event.order
    if order is None:
        return facts
    facts = _with_amount(facts, order, event.occurred_at)
    if order.currency and facts.currency is None and not order.refund_id:  # a refund's currency may be another
        facts = replace(facts, currency=order.currency.upper())
    if order.status in ("created", "paid") or event.type in ("order.created", "order.paid"):
        facts = replace(facts, seen=True)
    if event.is_paid:
        facts = replace(facts, paid=True)
    if event.type == "order.canceled" or order.status == "canceled":
        facts = replace(facts, canceled=True)
    return _with_refund(facts, order)


def _in_another_currency(facts: OrderFacts, refund: OrderData) -> bool:
    return bool(refund.currency and facts.currency and refund.currency.upper() != facts.currency)


def _with_amount(facts: OrderFacts, order: OrderData, occurred_at: str | None) -> OrderFacts:
    """The order's amount as of its newest state: webhooks arrive out of order, and an older state of the order
    (a WooCommerce `order.updated` retried after a later edit's) must not undo a newer one. A refund or cancellation
    supplies the amount only until an order event does."""
    if order.amount is None:
        return facts
    if order.status in UNDOING_STATUSES:
        return facts if facts.amount is not None else replace(facts, amount=order.amount)
    if is_older(facts, occurred_at):
        return facts
    stated_at = _instant(occurred_at)
    return replace(facts, amount=order.amount, amount_as_of=stated_at.isoformat() if stated_at else facts.amount_as_of)


def is_older(facts: OrderFacts, occurred_at: str | None) -> bool:
    """Whether an event shows an older state of the order than the one its amount comes from (events without a
    time are taken as they come)."""
    stated_at, known_at = _instant(occurred_at), _instant(facts.amount_as_of)
    return stated_at is not None and known_at is not None and stated_at < known_at


def stamped_no_later_than(event: ShopEvent, received_at: datetime) -> ShopEvent:
    """The event with its time capped at when we received it: a shop's clock, or a wrong field, cannot date an
    event in the future and so make every later real update of the order look older."""
    stated_at, received = _instant(event.occurred_at), _utc(received_at)
    if stated_at is None or stated_at <= received:
        return event
    return replace(event, occurred_at=received.isoformat())


def _instant(text: str | None) -> datetime | None:
    """An ISO 8601 time as an aware UTC datetime (a time without an offset, such as WooCommerce's `_gmt`
    fields, is UTC); None when absent or unreadable."""
    if not text:
        return None
    try:
        return _utc(datetime.fromisoformat(text))
    except ValueError:
        return None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _with_refund(facts: OrderFacts, order: OrderData) -> OrderFacts:
    if order.refund_id and order.currency and (facts.currency is None or _in_another_currency(facts, order)):
        # read once the order's currency is known: a refund in another (Shopify's presentment currency) is not in
        # the order's minor units and undoes nothing by amount (a full refund still undoes the order by its status)
        stated = f"{to_major_units(order.refunded_amount, order.currency)} {order.currency.upper()}"
        return replace(facts, pending_refunds={**facts.pending_refunds, order.refund_id: stated})
    if order.refund_id and order.refunded_decimal is not None:
        return replace(facts, pending_refunds={**facts.pending_refunds, order.refund_id: order.refunded_decimal})
    if order.refund_id:
        return replace(facts, refunds={**facts.refunds, order.refund_id: order.refunded_amount})
    facts = replace(facts, refunded_total=max(facts.refunded_total, order.refunded_amount))
    if order.status == "refunded" and (
        order.refunded_amount == 0 or (order.amount is not None and order.refunded_amount >= order.amount)
    ):
        facts = replace(facts, refunded_in_full=True)
    return facts


def converts(conversion: str, event: ShopEvent, facts: OrderFacts) -> bool:
    """Whether this event converts a referral for a campaign with the given conversion."""
    if event.type == "redemption.requested":
        return True
    if conversion.startswith("custom_event:"):
        return event.type == "custom_event" and event.custom_event == conversion.split(":", 1)[1]
    if conversion == "order.created":
        return facts.seen or facts.paid
    return facts.paid


def status_label(facts: OrderFacts) -> str:
    """The order's status as operators read it."""
    if facts.canceled:
        return "canceled"
    if facts.undone:
        return "refunded"
    if facts.refunded_amount:
        return "partially_refunded"
    return "paid" if facts.paid else "created"


def facts_to_dict(facts: OrderFacts) -> dict[str, Any]:
    return {
        "amount": facts.amount,
        "seen": facts.seen,
        "paid": facts.paid,
        "canceled": facts.canceled,
        "refunded_in_full": facts.refunded_in_full,
        "refunds": facts.refunds,
        "refunded_total": facts.refunded_total,
        "amount_as_of": facts.amount_as_of,
        "currency": facts.currency,
        "pending_refunds": facts.pending_refunds,
    }


def facts_from_dict(data: Mapping[str, Any] | None) -> OrderFacts:
    """Facts as stored; keys this version does not know (written by a newer one) are left out, not an error."""
    return OrderFacts(**{key: value for key, value in (data or {}).items() if key in _FACT_NAMES})


_FACT_NAMES = frozenset(fact.name for fact in fields(OrderFacts))
