"""Recording an order event: the order's accumulated facts and its customer's order totals."""

from __future__ import annotations

import functools

from sqlalchemy import text
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from db.ids import new_id
from db.models import Customer, Order
from db.types import utcnow
from db.writes import upsert_dialect
from domain.events import ShopEvent
from domain.orders import OrderFacts, apply_event, facts_from_dict, facts_to_dict, is_older, status_label


def record_order(
    session: Session, source: str, event: ShopEvent, customer: Customer | None
) -> tuple[Order, OrderFacts, OrderFacts]:
    """Upsert the order, fold the event into its facts and adjust order totals; returns (order, before, after).

    One upsert carries the row this event would make of a new order. A new order is then complete; an order seen
    before comes back locked (ON CONFLICT DO UPDATE locks the row it finds) and is updated from its own facts."""
    values, before, after = _new_order(source, event, customer)
    statement = _upsert_statement(session.get_bind().dialect.name)
    order = session.scalars(statement, [values], execution_options={"populate_existing": True}).one()
    if order.id != values["id"]:
        before = facts_from_dict(order.facts)
        after = apply_event(before, event)
        _update_row(order, event, customer, after, newest=not is_older(before, event.occurred_at))
    _adjust_totals(session, order.customer_id, _totals_key(order.currency), before, after)
    return order, before, after


def _new_order(source: str, event: ShopEvent, customer: Customer | None) -> tuple[dict, OrderFacts, OrderFacts]:
    """The row this event makes of an order never seen before (built by the same `_update_row` as an update)."""
    before = facts_from_dict({})
    after = apply_event(before, event)
    now = utcnow()
    draft = Order(
        id=new_id("ord"),
        source=source,
        external_id=event.order.id,
        customer_id=None,
        amount=None,
        currency=None,
        items=[],
        meta={},
        codes=[],
        facts={},
        status="created",
        refunded_amount=0,
        counted_amount=None,
        paid_at=None,
        canceled_at=None,
        created_at=now,
        updated_at=now,
    )
    _update_row(draft, event, customer, after, newest=True)
    return {column.key: getattr(draft, column.key) for column in Order.__mapper__.column_attrs}, before, after


@functools.cache
def _upsert_statement(dialect_name: str):
    statement = upsert_dialect(dialect_name).insert(Order)
    statement = statement.on_conflict_do_update(
        index_elements=["source", "external_id"], set_={"updated_at": statement.excluded.updated_at}
    )
    return statement.returning(Order)


def _update_row(order: Order, event: ShopEvent, customer: Customer | None, facts: OrderFacts, *, newest: bool) -> None:
    """Fold the event into the row; an event older than the order's state (`newest` False) adds its facts,
    codes and refunds, and fills in items or metadata the row lacks, but does not take back newer ones."""
    data = event.order
    now = utcnow()
    if customer is not None and order.customer_id is None:
        order.customer_id = customer.id
    if data.amount is not None and facts.amount == data.amount:
        order.amount, order.currency = data.amount, data.currency or order.currency
    if data.items and (newest or not order.items):
        order.items = list(data.items)
    if data.metadata:  # an older state fills in what the newer one lacks, and changes nothing it has
        order.meta = {**order.meta, **data.metadata} if newest else {**data.metadata, **order.meta}
    if event.codes:
        order.codes = sorted(set(order.codes) | set(event.codes))
    order.facts = facts_to_dict(facts)
    order.status = status_label(facts)
    order.refunded_amount = facts.refunded_amount
    order.counted_amount = facts.counted_amount
    order.paid_at = order.paid_at or (now if facts.paid else None)
    order.canceled_at = order.canceled_at or (now if facts.canceled else None)


def _adjust_totals(
    session: Session, customer_id: str | None, currency: str, before: OrderFacts, after: OrderFacts
) -> None:
    """Every distinct paid order counts once, its amount under its own currency ("" when it states none);
    cancelled or fully refunded orders are taken off."""
    count_delta = (after.counted_amount is not None) - (before.counted_amount is not None)
    amount_delta = (after.counted_amount or 0) - (before.counted_amount or 0)
    if customer_id is None or (count_delta == 0 and amount_delta == 0):
        return
    # on the session's connection: no autoflush of an order just changed (its UPDATE goes out with the next flush);
    # one statement that adds to the stored values, so concurrent orders of one customer never lose an update
    session.connection().execute(
        _ADD_TO_TOTALS[session.get_bind().dialect.name == "postgresql"],
        {
            "customer_id": customer_id,
            "count": count_delta,
            "amount": amount_delta,
            "currency": currency,
            "path": f'$."{currency}"',
        },
    )
    customer = session.identity_map.get(identity_key(Customer, customer_id))
    if customer is not None:  # keep the loaded row in step (rules read customer.orders_count) without a reload
        amounts = dict(customer.orders_amounts or {})
        amounts[currency] = amounts.get(currency, 0) + amount_delta
        set_committed_value(customer, "orders_count", customer.orders_count + count_delta)
        set_committed_value(customer, "orders_amounts", amounts)


_ADD_TO_TOTALS = {  # by "is PostgreSQL": JSONB there, SQLite's JSON1 functions elsewhere
    True: text(
        "UPDATE customers SET orders_count = orders_count + :count, orders_amounts = jsonb_set(orders_amounts,"
        " ARRAY[CAST(:currency AS text)], to_jsonb(COALESCE(CAST(orders_amounts ->> CAST(:currency AS text) AS bigint), 0)"
        " + CAST(:amount AS bigint))) WHERE id = :customer_id"
    ),
    False: text(
        "UPDATE customers SET orders_count = orders_count + :count, orders_amounts = json_set(orders_amounts, :path,"
        " COALESCE(json_extract(orders_amounts, :path), 0) + :amount) WHERE id = :customer_id"
    ),
}


def _totals_key(currency: str | None) -> str:
    """The key an order's amount is totalled under: its currency code, "" when it states none or something that is
    not a code (it is also a JSON path on SQLite, where a stray quote would silently skip the update)."""
    code = (currency or "").strip().upper()
    return code if len(code) == 3 and code.isalpha() else ""
