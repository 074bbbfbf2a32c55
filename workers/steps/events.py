"""The first step for every accepted webhook: customer, order, redemptions, rollbacks — one transaction."""
from __future__ import annotations

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.orm import Session

from db.customers import upsert_customer
from db.models import InboundEvent, Order, Redemption, Referral
from db.orders import record_order
from db.types import utcnow
from db.writes import record_activity
from domain import activity
from domain.codes import code_key
from domain.events import ShopEvent
from domain.model import EventStatus
from domain.orders import OrderFacts, stamped_no_later_than, status_label
from workers import followups
from workers.followups import FollowUp
from workers.steps.rewards import settle_rewards
from workers.steps.redeem import Attempt, find_codes, lock_referrers, recheck_after_partial_refund, redeem, roll_back_order

OPEN_STATUSES = (EventStatus.RECEIVED, EventStatus.ENQUEUED)
ORDER_ACTIVITY = {"order.created": activity.ORDER_CREATED, "order.paid": activity.ORDER_PAID,
                  "order.canceled": activity.ORDER_CANCELED, "order.refunded": activity.ORDER_REFUNDED}


def process_event(session: Session, event_id: str) -> list[FollowUp]:
    """Apply one inbox event; a re-run after it committed only re-asks for its unfinished follow-ups."""
    now = utcnow()
    row = session.connection().execute(_MARK_PROCESSED, {"event_id": event_id, "now": now}).one_or_none()
    if row is None:
        return _unfinished_followups(session, session.get(InboundEvent, event_id))
    event = stamped_no_later_than(ShopEvent.from_dict(row.normalized), row.received_at)
    customer = upsert_customer(session, event.customer) if event.customer else None
    codes = find_codes(session, event.codes)
    lock_referrers(session, codes)
    order, before, facts = _record_order(session, row, event, customer)
    sends: list[FollowUp] = []
    for text in dict.fromkeys(event.codes):
        attempt = Attempt(row.id, event, text, codes.get(code_key(text)), customer, order, facts, now)
        sends += redeem(session, attempt)
    if order is not None and facts.undone:
        sends += roll_back_order(session, order, row.id, now)
    elif order is not None and facts.refunded_amount > before.refunded_amount:
        sends += recheck_after_partial_refund(session, order, facts, row.id, now)
    return settle_inline(session, sends)


# The event is marked processed first, in the one statement that locks it: the rest of the transaction
# commits with it or not at all. Built once; the body (which may be large) is not read back.
_MARK_PROCESSED = (update(InboundEvent).where(InboundEvent.id == bindparam("event_id"), InboundEvent.status.in_(OPEN_STATUSES))
                   .values(status=EventStatus.PROCESSED, processed_at=bindparam("now", type_=InboundEvent.processed_at.type), error=None)
                   .returning(InboundEvent.id, InboundEvent.source, InboundEvent.normalized, InboundEvent.received_at))


def settle_inline(session: Session, sends: list[FollowUp]) -> list[FollowUp]:
    """Settle the referrers this event touched in the same transaction (their rows are already locked),
    instead of sending a settle_rewards message: one message, lock and commit less per order."""
    referrers = sorted({followup.args for followup in sends if followup.actor == "settle_rewards"})
    rest = [followup for followup in sends if followup.actor != "settle_rewards"]
    for campaign_id, referrer_id in referrers:
        rest += settle_rewards(session, campaign_id, referrer_id)
    return rest


def _record_order(session: Session, row: Row, event: ShopEvent, customer):
    if event.order is None:
        return None, None, None
    order, before, after = record_order(session, row.source, event, customer)
    if event.type in ORDER_ACTIVITY and (not event.snapshot or _state(before) != _state(after)):
        # a snapshot (Shopify orders/updated, sent beside orders/paid and on every edit) is news only if it changes the state
        record_activity(session, ORDER_ACTIVITY[event.type], campaign_id=None, customer_id=order.customer_id, key=f"{row.id}",
                        data={"order_id": order.external_id, "source": row.source, "event_id": row.id,
                              "amount": order.amount, "status": order.status})
    return order, before, after


def _state(facts: OrderFacts) -> tuple[bool, str]:
    return facts.seen, status_label(facts)


def _unfinished_followups(session: Session, row: InboundEvent | None) -> list[FollowUp]:
    """Settlements this event caused that have not run yet (the first run may have died before enqueueing)."""
    if row is None or row.status != EventStatus.PROCESSED:
        return []
    query = select(Referral.campaign_id, Referral.referrer_id).where(Referral.settled_at.is_(None)).join(
        Redemption, Redemption.id == Referral.redemption_id
    ).where((Redemption.event_id == row.id) | (Redemption.order_id.in_(_orders_of(row))))
    return [followups.settle(campaign_id, referrer_id) for campaign_id, referrer_id in set(session.execute(query).all())]


def _orders_of(row: InboundEvent):
    order = (row.normalized or {}).get("order") or {}
    return select(Order.id).where(Order.source == row.source, Order.external_id == str(order.get("id")))
