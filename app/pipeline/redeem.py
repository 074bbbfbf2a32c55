"""Redeeming the referral codes an event carries, and rolling back what an undone order earned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, case, exists, select
from sqlalchemy.orm import Session

from app import followups
from app.pipeline.distributions import queue_notifications
from app.unit_of_work import UnitOfWork
from db.ids import new_id
from db.models import Campaign, CampaignReferrer, Code, Customer, Order, Redemption, Referral
from db.queries.exchange_rates import in_campaign_currency
from db.rules import rule_set, rules_for
from db.snapshots import campaign_state, code_state
from domain import activity
from domain.codes import code_key
from domain.events import ShopEvent
from domain.model import Redeemer, RedemptionStatus, ReferralStatus, Result, RuleSet
from domain.money import Conversion, Converted
from domain.orders import OrderFacts, converts
from domain.redemption import Decision, Redeemed, decide_redemption
from domain.rules import evaluate_rules


@dataclass(frozen=True)
class Attempt:
    """One code on one event, with everything needed to decide and record its redemption."""

    event_id: str
    event: ShopEvent
    code_text: str
    code: Code | None
    customer: Customer | None
    order: Order | None
    facts: OrderFacts | None
    now: datetime

    @property
    def dedupe_key(self) -> str:
        subject = f"order:{self.order.id}" if self.order is not None else f"event:{self.event_id}"
        return f"{subject}:{code_key(self.code_text)}"


# Hot-path statements are built once: SQLAlchemy then skips building them and walking them for a cache key.
_CODES_AND_CAMPAIGNS = (
    select(Code, Campaign)
    .outerjoin(Campaign, Campaign.id == Code.campaign_id)
    .where(Code.code_key.in_(bindparam("keys", expanding=True)))
    .order_by(Code.code_key)
    .with_for_update(of=Code)
    .execution_options(populate_existing=True)  # a row read before the lock is read again
)
_HAS_LIVE_REFERRAL = exists().where(Referral.live_key == bindparam("live_key"))
_REFERRED = select(_HAS_LIVE_REFERRAL)
_RECORDED_AND_REFERRED = select(
    exists().where(Redemption.dedupe_key == bindparam("dedupe_key")),  # one round trip
    _HAS_LIVE_REFERRAL,
)
_LIVE_REFERRALS = select(CampaignReferrer.live_referrals).where(
    CampaignReferrer.campaign_id == bindparam("campaign_id"), CampaignReferrer.customer_id == bindparam("referrer_id")
)


def find_codes(session: Session, texts: tuple[str, ...]) -> dict[str, Code]:
    """The referral codes among an event's codes, by case-insensitive key (others are plain discounts),
    locked: their redemption counts are read and written by this transaction. Their campaigns come in the
    same round trip (not locked: every order of a campaign reads it)."""
    keys = {code_key(text) for text in texts}
    if not keys:
        return {}
    return {code.code_key: code for code, _campaign in session.execute(_CODES_AND_CAMPAIGNS, {"keys": sorted(keys)})}


def lock_referrers(uow: UnitOfWork, codes: dict[str, Code]) -> None:
    """Lock every referrer this event may reward. Events lock their codes first, then the referrers; a
    deadlock with another path (PostgreSQL detects it) fails one transaction, which is retried."""
    uow.lock_customers([code.holder_id for code in codes.values() if code.holder_id])


def redeem(uow: UnitOfWork, attempt: Attempt) -> None:
    """Validate and record one redemption if this event converts it and it is not recorded yet."""
    session = uow.session
    campaign = session.get(Campaign, attempt.code.campaign_id) if attempt.code else None
    if attempt.code is None and not attempt.event.is_explicit:
        return
    if campaign is not None and not converts(campaign.conversion, attempt.event, attempt.facts or OrderFacts()):
        return
    with uow.flush_only_if_pending(Redemption, Referral):  # the order and code changes can wait
        recorded, referred = session.execute(
            _RECORDED_AND_REFERRED,
            {"dedupe_key": attempt.dedupe_key, "live_key": _live_key(campaign, attempt.customer)},
        ).one()
    if recorded:
        return
    decision = _decide(session, attempt, campaign, referred)
    redemption = _record(uow, attempt, campaign, decision)
    if isinstance(decision, Redeemed):
        _refer(uow, attempt, campaign, redemption)


def _decide(session: Session, attempt: Attempt, campaign: Campaign | None, referred: bool) -> Decision:
    order = attempt.event.order
    return decide_for(
        session,
        campaign,
        attempt.code,
        attempt.customer,
        _order_dict(attempt),
        amount=order.amount if order else None,
        now=attempt.now,
        already_referred=referred,
    )


def decide_for(
    session: Session,
    campaign: Campaign | None,
    code: Code | None,
    customer: Customer | None,
    order: dict | None,
    *,
    amount: int | None,
    now: datetime,
    already_referred: bool | None = None,
) -> Decision:
    """The redemption decision for this code, customer and order, reading what it needs (no writes);
    `already_referred` when the caller has read it already. Amounts are compared in the campaign's currency:
    an order in another (its dict's "currency") is converted at the rate of its "date"."""
    if code is None or campaign is None:
        return decide_redemption(None, None, Redeemer(None), RuleSet(), amount=None, now=now)
    conversion = _amount_in_campaign_currency(session, campaign, code, order, amount, now)
    if isinstance(conversion, Converted) and conversion.detail and order is not None:
        amount, order = conversion.amount, {**order, "amount": conversion.amount}
    holder = session.get(Customer, code.holder_id) if code.holder_id else None
    if already_referred is None:
        already_referred = session.scalar(_REFERRED, {"live_key": _live_key(campaign, customer)})
    redeemer = Redeemer(customer.id if customer else None, customer.email if customer else None, already_referred)
    rules = rule_set(session, campaign, code, customer, order, now)
    return decide_redemption(
        campaign_state(campaign),
        code_state(code, holder),
        redeemer,
        rules,
        amount=amount,
        now=now,
        conversion=conversion,
    )


def _amount_in_campaign_currency(
    session: Session, campaign: Campaign, code: Code, order: dict | None, amount: int | None, now: datetime
) -> Conversion | None:
    """The order amount in the campaign's currency, when a rule compares it (none: nothing is converted, and a
    missing exchange rate cannot cost the referral); `Unconvertible` when no rate is known."""
    if not any("order.amount" in rule.conditions for rule in rules_for(session, campaign, code)):
        return None
    return in_campaign_currency(
        session, amount, (order or {}).get("currency"), campaign.currency, (order or {}).get("date") or now.date()
    )


def _order_dict(attempt: Attempt) -> dict | None:
    if attempt.order is None:
        return None
    return {
        "amount": attempt.order.amount,
        "items": attempt.order.items,
        "metadata": attempt.order.meta,
        "currency": attempt.order.currency,
        "date": attempt.order.created_at.date(),
    }


def _live_key(campaign: Campaign | None, referee: Customer | None) -> str | None:
    """The key a live referral of this referee in this campaign holds (one live referral each)."""
    return f"{campaign.id}:{referee.id}" if campaign is not None and referee is not None else None


def _record(uow: UnitOfWork, attempt: Attempt, campaign: Campaign | None, decision: Decision) -> Redemption:
    succeeded = isinstance(decision, Redeemed)
    redemption = Redemption(
        id=new_id("red"),
        dedupe_key=attempt.dedupe_key,
        campaign_id=campaign.id if campaign else None,
        code_id=attempt.code.id if attempt.code else None,
        code=attempt.code.code if attempt.code else attempt.code_text,
        customer_id=attempt.customer.id if attempt.customer else None,
        order_id=attempt.order.id if attempt.order else None,
        order_external_id=attempt.order.external_id if attempt.order else None,
        amount=attempt.order.amount if attempt.order else None,
        result=Result.SUCCESS if succeeded else Result.FAILURE,
        status=RedemptionStatus.SUCCEEDED if succeeded else RedemptionStatus.FAILED,
        failure_code=None if succeeded else decision.failure_code.value,
        failure_message=None if succeeded else decision.message,
        logs=[{"rule": log.rule, "passed": log.passed, "detail": log.detail} for log in decision.logs],
        event_id=attempt.event_id,
        created_at=attempt.now,
    )
    uow.session.add(redemption)
    uow.record(
        activity.REDEMPTION_SUCCEEDED if succeeded else activity.REDEMPTION_FAILED,
        campaign_id=redemption.campaign_id,
        customer_id=redemption.customer_id,
        data=_redemption_data(redemption),
        key=redemption.id,
    )
    return redemption


def _redemption_data(redemption: Redemption) -> dict:
    return {
        "redemption_id": redemption.id,
        "code": redemption.code,
        "order_id": redemption.order_external_id,
        "event_id": redemption.event_id,
        "result": redemption.result,
        "failure_code": redemption.failure_code,
        "amount": redemption.amount,
    }


def _refer(uow: UnitOfWork, attempt: Attempt, campaign: Campaign, redemption: Redemption) -> None:
    """Link referee to referrer, count the code's use, and ask for the referrer's rewards to be settled."""
    code, referee = attempt.code, attempt.customer
    code.redeemed_count += 1
    referral = Referral(
        id=new_id("rfl"),
        campaign_id=campaign.id,
        referrer_id=code.holder_id,
        referee_id=referee.id,
        code_id=code.id,
        redemption_id=redemption.id,
        ordinal=live_referral_count(uow, campaign.id, code.holder_id) + 1,
        status=ReferralStatus.ACTIVE,
        live_key=_live_key(campaign, referee),
        event_id=attempt.event_id,
        created_at=attempt.now,
    )
    uow.session.add(referral)
    _count_live_referral(uow, referral, +1)
    uow.record(
        activity.REFERRED,
        campaign_id=campaign.id,
        customer_id=referee.id,
        key=referral.id,
        data={
            "referral_id": referral.id,
            "referrer_id": referral.referrer_id,
            "redemption_id": redemption.id,
            "code": code.code,
            "event_id": attempt.event_id,
        },
    )
    referrer = uow.session.get(Customer, code.holder_id)
    refs = {"referral_id": referral.id, "code": code.code, "referee_id": referee.id, "event_id": attempt.event_id}
    uow.then(followups.settle(campaign.id, code.holder_id))
    queue_notifications(uow, campaign, referee, "referee_welcome", referral.id, refs)
    queue_notifications(uow, campaign, referrer, "customer_referred", referral.id, refs)


def live_referral_count(uow: UnitOfWork, campaign_id: str, referrer_id: str) -> int:
    """A referrer's live referrals in a campaign: read once per transaction from the trigger-maintained
    `campaign_referrers` row (one primary-key lookup, however many referrals there are), then kept up to
    date by the two places that change it (`_refer`, `roll_back_referral`)."""
    counts = uow.memo("live_referrals")
    if (campaign_id, referrer_id) not in counts:
        with uow.flush_only_if_pending(Referral):  # the counters follow referrals (triggers), nothing else
            counts[campaign_id, referrer_id] = (
                uow.session.scalar(_LIVE_REFERRALS, {"campaign_id": campaign_id, "referrer_id": referrer_id}) or 0
            )
    return counts[campaign_id, referrer_id]


def _count_live_referral(uow: UnitOfWork, referral: Referral, change: int) -> None:
    counts = uow.memo("live_referrals")
    if (referral.campaign_id, referral.referrer_id) in counts:
        counts[referral.campaign_id, referral.referrer_id] += change


def roll_back_order(uow: UnitOfWork, order: Order, event_id: str, now: datetime) -> None:
    """Roll back every live redemption of an undone order, and the referral each created."""
    for redemption in _live_redemptions(uow.session, order):
        roll_back(uow, redemption, event_id, now)


def roll_back(uow: UnitOfWork, redemption: Redemption, event_id: str | None, now: datetime) -> None:
    """Mark one redemption and its referral rolled back; the referrer's rewards are settled next."""
    redemption.status, redemption.rolled_back_at = RedemptionStatus.ROLLED_BACK, now
    code = uow.session.get(Code, redemption.code_id)
    code.redeemed_count = case(
        (Code.redeemed_count > 0, Code.redeemed_count - 1), else_=0
    )  # in SQL: the row may not be locked
    uow.record(
        activity.ROLLBACK_SUCCEEDED,
        campaign_id=redemption.campaign_id,
        customer_id=redemption.customer_id,
        key=redemption.id,
        data={**_redemption_data(redemption), "rollback_event_id": event_id},
    )
    roll_back_referral(uow, redemption, now)


def roll_back_referral(uow: UnitOfWork, redemption: Redemption, now: datetime) -> None:
    """Take back the referral a redemption created; the referrer's rewards are settled next."""
    referral = uow.session.scalars(select(Referral).where(Referral.redemption_id == redemption.id)).one_or_none()
    if referral is None or referral.status != ReferralStatus.ACTIVE:
        return
    referral.status, referral.live_key, referral.rolled_back_at, referral.settled_at = (
        ReferralStatus.ROLLED_BACK,
        None,
        now,
        None,
    )
    _count_live_referral(uow, referral, -1)
    uow.then(followups.settle(referral.campaign_id, referral.referrer_id))


def recheck_after_partial_refund(
    uow: UnitOfWork, order: Order, facts: OrderFacts, event_id: str, now: datetime
) -> None:
    """After a partial refund the redemption stays; its referral rolls back if the remaining amount fails the amount rules."""
    session = uow.session
    for redemption in _live_redemptions(session, order):
        campaign, code = session.get(Campaign, redemption.campaign_id), session.get(Code, redemption.code_id)
        amount_rules = [rule for rule in rules_for(session, campaign, code) if set(rule.conditions) == {"order.amount"}]
        remaining = in_campaign_currency(
            session, facts.remaining_amount, order.currency, campaign.currency, order.created_at.date()
        )
        if (
            amount_rules
            and isinstance(remaining, Converted)
            and not evaluate_rules(amount_rules, {"order.amount": remaining.amount}).passed
        ):
            roll_back_referral(uow, redemption, now)


def _live_redemptions(session: Session, order: Order) -> list[Redemption]:
    query = select(Redemption).where(Redemption.order_id == order.id, Redemption.status == RedemptionStatus.SUCCEEDED)
    return list(session.scalars(query))
