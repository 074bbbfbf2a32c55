"""Referrer rewards: settle tiers against live referrals, complete after the hold, roll back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app import followups
from app.pipeline.distributions import queue_notifications
from app.pipeline.redeem import live_referral_count
from app.unit_of_work import UnitOfWork
from db.campaign_config import campaign_config
from db.ids import new_id
from db.models import Campaign, Code, Customer, LedgerEntry, Referral, Reward
from db.types import utcnow
from db.writes import get_for_update, insert_ignore
from domain import activity
from domain.hold import completes_by_itself, hold_until
from domain.model import BALANCE_REWARD_TYPES, LIVE_REWARD_STATUSES, ReferralStatus, RewardStatus, RewardType
from domain.tiers import Grant, ReferralFact, RewardFact, TierKind, plan_rewards

PIPELINE, OPERATOR = "pipeline", "operator"


def settle_rewards(uow: UnitOfWork, campaign_id: str, referrer_id: str) -> None:
    """Bring one referrer's rewards in line with their live referrals (safe to run any number of times).

    Only referrals not yet settled are examined (new ones, and rolled-back ones whose settlement was
    reset), with the referrer's live-referral count for milestones: constant work per order.
    """
    session = uow.session
    referrer = uow.lock_customer(referrer_id)
    campaign = session.get(Campaign, campaign_id)
    if referrer is None or campaign is None:
        return
    now = utcnow()
    referrals = _unsettled_referrals(session, campaign_id, referrer_id)
    _mark_settled(referrals, now)  # before anything flushes them: a referral settled inline is written once
    rewards = _rewards(uow, campaign_id, referrer_id, [referral.id for referral in referrals])
    plan = plan_rewards(
        campaign_config(session, campaign).tiers,
        [_referral_fact(r) for r in referrals],
        [_reward_fact(r) for r in rewards],
        live_count=live_referral_count(uow, campaign_id, referrer_id),
    )
    event_ids = {referral.id: referral.event_id for referral in referrals}
    latest_event = referrals[-1].event_id if referrals else None
    for grant in plan.grants:
        _grant(uow, campaign, referrer, grant, event_ids.get(grant.referral_id, latest_event), now)
    for reward in (r for r in rewards if r.id in set(plan.revokes)):
        roll_back_reward(uow, reward, now, reason="referral rolled back")


# Built once (every referral order runs these): SQLAlchemy skips building them and walking them for a cache key.
_UNSETTLED_REFERRALS = (
    select(Referral)
    .where(
        Referral.campaign_id == bindparam("campaign_id"),
        Referral.referrer_id == bindparam("referrer_id"),
        Referral.settled_at.is_(None),
    )
    .order_by(Referral.id)
)
_GIVEN_REWARDS = select(Reward).where(
    Reward.campaign_id == bindparam("campaign_id"),
    Reward.customer_id == bindparam("referrer_id"),
    Reward.status.in_(sorted(LIVE_REWARD_STATUSES)) | (Reward.rolled_back_by == OPERATOR),
    Reward.referral_id.is_(None) | Reward.referral_id.in_(bindparam("referral_ids", expanding=True)),
)


def _unsettled_referrals(session: Session, campaign_id: str, referrer_id: str) -> list[Referral]:
    """The referrer's referrals not settled yet, by id: the stored ones, and the ones this transaction created or
    changed and has not flushed (read without flushing them, so that settling marks them before they are written)."""
    with session.no_autoflush:
        stored = list(session.scalars(_UNSETTLED_REFERRALS, {"campaign_id": campaign_id, "referrer_id": referrer_id}))
    unflushed = [
        row
        for row in (*session.new, *session.dirty)
        if isinstance(row, Referral) and (row.campaign_id, row.referrer_id) == (campaign_id, referrer_id)
    ]
    unsettled = {referral.id: referral for referral in (*stored, *unflushed) if referral.settled_at is None}
    return [unsettled[referral_id] for referral_id in sorted(unsettled)]


def _rewards(uow: UnitOfWork, campaign_id: str, referrer_id: str, referral_ids: list[str]) -> list[Reward]:
    """The given rewards (live, or withdrawn by an operator) of these referrals, and the referrer's milestone rewards."""
    with uow.flush_only_if_pending(Reward):
        return list(
            uow.session.scalars(
                _GIVEN_REWARDS, {"campaign_id": campaign_id, "referrer_id": referrer_id, "referral_ids": referral_ids}
            )
        )


def _referral_fact(referral: Referral) -> ReferralFact:
    return ReferralFact(referral.id, referral.ordinal, referral.status == ReferralStatus.ACTIVE)


def _reward_fact(reward: Reward) -> RewardFact:
    return RewardFact(
        reward.id, reward.tier_id, reward.referral_id, RewardStatus(reward.status), reward.rolled_back_by == OPERATOR
    )


def _mark_settled(referrals: list[Referral], now: datetime) -> None:
    for referral in referrals:
        if referral.settled_at is None:
            referral.settled_at = now


def _grant(
    uow: UnitOfWork, campaign: Campaign, referrer: Customer, grant: Grant, event_id: str | None, now: datetime
) -> None:
    """Create the pending reward a tier firing gives; complete it at once when there is no hold."""
    spec = grant.tier.reward
    subject = grant.referral_id if grant.tier.kind == TierKind.EACH else referrer.id
    reward = Reward(
        id=new_id("rwd"),
        campaign_id=campaign.id,
        tier_id=grant.tier.id,
        customer_id=referrer.id,
        referral_id=grant.referral_id,
        type=spec["type"],
        amount=spec.get("amount"),
        status=RewardStatus.PENDING,
        live_key=f"{grant.tier.kind}:{grant.tier.id}:{subject}",
        event_id=event_id,
        hold_until=hold_until(now, campaign.reward_hold_days),
        details=_details(spec),
        created_at=now,
    )
    uow.session.add(reward)
    data = _reward_data(reward)
    uow.record(activity.REWARD_CREATED, campaign_id=campaign.id, customer_id=referrer.id, data=data, key=reward.id)
    uow.record(activity.REWARDED, campaign_id=campaign.id, customer_id=referrer.id, data=data, key=reward.id)
    at_once = completes_by_itself(reward.type, reward.status, reward.hold_until, now)
    # completed before anything flushes it, a reward without a hold is written once, already `completed`
    before_completion = len(uow.followups)
    if at_once:
        complete(uow, reward, now)
    completion = uow.followups[before_completion:]  # "reward completed" is announced after "rewarded"
    del uow.followups[before_completion:]
    queue_notifications(
        uow, campaign, referrer, "customer_rewarded", reward.id, {"reward_id": reward.id, "event_id": event_id}
    )
    if not at_once and reward.type != RewardType.MATERIAL:
        uow.then(followups.complete(reward.id, delay_ms=_ms_until(reward.hold_until, now)))
    uow.then(*completion)


def _ms_until(moment: datetime, now: datetime) -> int:
    return int((moment - now).total_seconds() * 1000)


def _details(spec: dict) -> dict:
    return {key: value for key, value in spec.items() if key not in ("type", "amount")}


def _reward_data(reward: Reward) -> dict:
    return {
        "reward_id": reward.id,
        "tier_id": reward.tier_id,
        "referral_id": reward.referral_id,
        "type": reward.type,
        "amount": reward.amount,
        "status": reward.status,
        "event_id": reward.event_id,
    }


def complete_reward(uow: UnitOfWork, reward_id: str) -> None:
    """Complete a held reward once its hold has passed (delayed message or the periodic sweep)."""
    reward = get_for_update(uow.session, Reward, reward_id)
    now = utcnow()
    if reward is None or reward.status != RewardStatus.PENDING or reward.type == RewardType.MATERIAL:
        return
    if not completes_by_itself(reward.type, reward.status, reward.hold_until, now):
        uow.then(followups.complete(reward.id, delay_ms=_ms_until(reward.hold_until, now)))
        return
    uow.lock_customer(reward.customer_id)
    complete(uow, reward, now)


def complete(uow: UnitOfWork, reward: Reward, now: datetime) -> None:
    """Give what the reward promises (ledger entry or coupon) and mark it completed."""
    session = uow.session
    if reward.type == RewardType.COUPON and not _issue_coupon(uow, reward, now):
        return
    reward.status, reward.completed_at = RewardStatus.COMPLETED, now
    if reward.type in BALANCE_REWARD_TYPES:
        _ledger(session, reward, "grant", reward.amount or 0)
    uow.record(
        activity.REWARD_COMPLETED,
        campaign_id=reward.campaign_id,
        customer_id=reward.customer_id,
        data=_reward_data(reward),
        key=reward.id,
    )
    campaign, customer = session.get(Campaign, reward.campaign_id), session.get(Customer, reward.customer_id)
    queue_notifications(
        uow, campaign, customer, "reward_completed", reward.id, {"reward_id": reward.id, "event_id": reward.event_id}
    )


def _ledger(session: Session, reward: Reward, entry: str, amount: int) -> None:
    insert_ignore(
        session,
        LedgerEntry,
        {
            "id": new_id("led"),
            "entry_key": f"{reward.id}:{entry}",
            "customer_id": reward.customer_id,
            "kind": reward.type,
            "amount": amount,
            "reward_id": reward.id,
            "created_at": utcnow(),
        },
    )


def _issue_coupon(uow: UnitOfWork, reward: Reward, now: datetime) -> bool:
    """Publish an unused code of the reward's coupon campaign to the referrer; say so when none is left."""
    query = (
        select(Code)
        .where(
            Code.campaign_id == reward.details.get("campaign_id"),
            Code.holder_id.is_(None),
            Code.active.is_(True),
            Code.deleted_at.is_(None),
        )
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    code = uow.session.scalars(query).first()
    if code is None:
        if "pending_reason" not in reward.details:  # say it once, not at every sweep
            reward.details = {**reward.details, "pending_reason": "coupon campaign has no unpublished codes left"}
            uow.record(
                activity.PUBLICATION_FAILED,
                campaign_id=reward.campaign_id,
                customer_id=reward.customer_id,
                data={**_reward_data(reward), "reason": reward.details["pending_reason"]},
            )
        return False
    code.holder_id, code.published_at, code.publish_channel = reward.customer_id, now, "reward"
    reward.details = {
        **{k: v for k, v in reward.details.items() if k != "pending_reason"},
        "code": code.code,
        "code_id": code.id,
    }
    uow.record(
        activity.PUBLICATION_SUCCEEDED,
        campaign_id=code.campaign_id,
        customer_id=reward.customer_id,
        data={"code": code.code, "channel": "reward", "reward_id": reward.id},
        key=f"{code.id}:{reward.customer_id}",
    )
    return True


def roll_back_reward(uow: UnitOfWork, reward: Reward, now: datetime, *, reason: str, by: str = PIPELINE) -> None:
    """Roll a reward back; a completed one gets reversing ledger entries or its coupon withdrawn.

    `by=OPERATOR` withdraws it for good: the tier will not grant it again for the same referral or crossing.
    """
    was_completed = reward.status == RewardStatus.COMPLETED
    reward.status, reward.live_key, reward.rolled_back_at, reward.rolled_back_by = (
        RewardStatus.ROLLED_BACK,
        None,
        now,
        by,
    )
    data = {**_reward_data(reward), "reason": reward.details.get("rollback_reason") or reason}
    if was_completed:
        data |= _claw_back(uow.session, reward)
    uow.record(
        activity.REWARD_ROLLEDBACK,
        campaign_id=reward.campaign_id,
        customer_id=reward.customer_id,
        data=data,
        key=reward.id,
    )


def _claw_back(session: Session, reward: Reward) -> dict:
    if reward.type in BALANCE_REWARD_TYPES:
        _ledger(session, reward, "reversal", -(reward.amount or 0))
        return {"reversed": reward.amount}
    if reward.type == RewardType.COUPON and reward.details.get("code_id"):
        code = session.get(Code, reward.details["code_id"])
        if code.redeemed_count > 0:
            return {"clawback_failed": True, "reason": f"coupon {code.code} was already used"}
        code.active = False
        return {"coupon_deactivated": code.code}
    return {}
