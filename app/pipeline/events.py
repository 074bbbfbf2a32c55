"""The first step for every accepted webhook: customer, order, redemptions, rollbacks — one transaction."""

from __future__ import annotations

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.orm import Session

from app import followups
from app.followups import FollowUp
from app.pipeline.redeem import (
    Attempt,
    find_codes,
    lock_referrers,
    recheck_after_partial_refund,
    redeem,
    roll_back_order,
)
from app.pipeline.rewards import settle_rewards
from app.unit_of_work import UnitOfWork
from db.customers import upsert_customer
from db.models import InboundEvent, Order, Redemption, Referral
from db.orders import record_order
from db.types import utcnow
from domain import activity
from domain.codes import code_key
from domain.events import ShopEvent
from domain.model import EventStatus
from domain.orders import OrderFacts, stamped_no_later_than, status_label

OPEN_STATUSES = (EventStatus.RECEIVED, EventStatus.ENQUEUED)
ORDER_ACTIVITY = {
    "order.created": activity.ORDER_CREATED,
    "order.paid": activity.ORDER_PAID,
    "order.canceled": activity.ORDER_CANCELED,
    "order.refunded": activity.ORDER_REFUNDED,
}


def process_event(uow: UnitOfWork, event_id: str) -> None:
    """Apply one inbox event; a re-run after it committed only re-asks for its unfinished follow-ups."""
    session, now = uow.session, utcnow()
    row = session.connection().execute(_MARK_PROCESSED, {"event_id": event_id, "now": now}).one_or_none()
    if row is None:
        uow.then(*_unfinished_followups(session, session.get(InboundEvent, event_id)))
        return
    event = stamped_no_later_than(ShopEvent.from_dict(row.normalized), row.received_at)
    customer = upsert_customer(session, event.customer) if event.customer else None
    codes = find_codes(session, event.codes)
    lock_referrers(uow, codes)
    order, before, facts = _record_order(uow, row, event, customer)
    for text in dict.fromkeys(event.codes):
        redeem(uow, Attempt(row.id, event, text, codes.get(code_key(text)), customer, order, facts, now))
    if order is not None and facts.undone:
        roll_back_order(uow, order, row.id, now)
    elif order is not None and facts.refunded_amount > before.refunded_amount:
        recheck_after_partial_refund(uow, order, facts, row.id, now)
    settle_inline(uow)


# The event is marked processed first, in the one statement that locks it: the rest of the transaction
# commits with it or not at all. Built once; the body (which may be large) is not read back.
_MARK_PROCESSED = (
    update(InboundEvent)
    .where(InboundEvent.id == bindparam("event_id"), InboundEvent.status.in_(OPEN_STATUSES))
    .values(
        status=EventStatus.PROCESSED, processed_at=bindparam("now", type_=InboundEvent.processed_at.type), error=None
    )
    .returning(InboundEvent.id, InboundEvent.source, InboundEvent.normalized, InboundEvent.received_at)
)


def settle_inline(uow: UnitOfWork) -> None:
    """Settle the referrers this event touched in the same transaction (their rows are already locked),
    instead of sending a settle_rewards message: one message, lock and commit less per order."""
    referrers = sorted({followup.args for followup in uow.followups if followup.actor == "settle_rewards"})
    uow.followups[:] = [followup for followup in uow.followups if followup.actor != "settle_rewards"]
    for campaign_id, referrer_id in referrers:
        settle_rewards(uow, campaign_id, referrer_id)


def _record_order(uow: UnitOfWork, row: Row, event: ShopEvent, customer):
    if event.order is None:
        return None, None, None
    order, before, after = record_order(uow.session, row.source, event, customer)
    if event.type in ORDER_ACTIVITY and (not event.snapshot or _state(before) != _state(after)):
        # a snapshot (Shopify orders/updated, sent beside orders/paid and on every edit) is news only if it changes the state
        uow.record(
            ORDER_ACTIVITY[event.type],
            campaign_id=None,
            customer_id=order.customer_id,
            key=f"{row.id}",
            data={
                "order_id": order.external_id,
                "source": row.source,
                "event_id": row.id,
                "amount": order.amount,
                "status": order.status,
            },
        )
    return order, before, after


def _state(facts: OrderFacts) -> tuple[bool, str]:
    return facts.seen, status_label(facts)


def _unfinished_followups(session: Session, row: InboundEvent | None) -> list[FollowUp]:
    """Settlements this event caused that have not run yet (the first run may have died before enqueueing)."""
    if row is None or row.status != EventStatus.PROCESSED:
        return []
    query = (
        select(Referral.campaign_id, Referral.referrer_id)
        .where(Referral.settled_at.is_(None))
        .join(Redemption, Redemption.id == Referral.redemption_id)
        .where((Redemption.event_id == row.id) | (Redemption.order_id.in_(_orders_of(row))))
    )
    return [
        followups.settle(campaign_id, referrer_id) for campaign_id, referrer_id in set(session.execute(query).all())
    ]


def _orders_of(row: InboundEvent):
    order = (row.normalized or {}).get("order") or {}
    return select(Order.id).where(Order.source == row.source, Order.external_id == str(order.get("id")))
