"""Referral tiers: which rewards a referrer's live referrals entitle them to, as a plan of changes.

The plan is convergent: given the tiers, the referrer's referrals and the rewards already given, it
names the rewards to grant and the pending ones to revoke. Running it again after applying it plans
nothing, which is what makes the tier step safe to run twice.

- `each` tier: one reward per live referral whose ordinal (its position among the referrer's live
  referrals when it was created) is at least the tier's threshold; threshold 1 rewards every referee.
- `milestone` tier: one reward once the referrer has `threshold` live referrals. Tiers are cumulative.
A referral that rolls back takes back its still-pending `each` rewards; a still-pending milestone reward
rolls back when the live count falls below the threshold, and fires again when it is reached again.
Completed rewards are never taken back here (an operator may roll them back by hand). A reward an
operator rolled back is "withdrawn": it still counts as given, so the tier does not fire it again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain.model import LIVE_REWARD_STATUSES, RewardStatus


class TierKind(StrEnum):
    EACH = "each"
    MILESTONE = "milestone"


@dataclass(frozen=True)
class TierSpec:
    id: str
    kind: TierKind
    threshold: int
    reward: Mapping[str, Any]


@dataclass(frozen=True)
class ReferralFact:
    id: str
    ordinal: int
    live: bool


@dataclass(frozen=True)
class RewardFact:
    id: str
    tier_id: str
    referral_id: str | None
    status: RewardStatus
    withdrawn: bool = False

    @property
    def given(self) -> bool:
        """Counts against the tier: live, or withdrawn by an operator."""
        return self.status in LIVE_REWARD_STATUSES or self.withdrawn


@dataclass(frozen=True)
class Grant:
    """A tier fired: give its reward (for `each` tiers, on behalf of one referral)."""

    tier: TierSpec
    referral_id: str | None


@dataclass(frozen=True)
class RewardPlan:
    grants: tuple[Grant, ...]
    revokes: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.grants and not self.revokes


def plan_rewards(
    tiers: Iterable[TierSpec],
    referrals: Iterable[ReferralFact],
    rewards: Iterable[RewardFact],
    *,
    live_count: int | None = None,
) -> RewardPlan:
    """The grants and revocations that bring a referrer's rewards in line with their live referrals.

    `referrals` may be only the referrals that changed since the last settlement (with `rewards` holding
    their `each` rewards and the referrer's milestone rewards) when `live_count` gives the referrer's
    total number of live referrals; `each` tiers then plan for those referrals, milestones for the total.
    """
    live = [referral for referral in referrals if referral.live]
    count = len(live) if live_count is None else live_count
    rewards = list(rewards)
    grants: list[Grant] = []
    revokes: list[str] = []
    for tier in tiers:
        tier_rewards = [reward for reward in rewards if reward.tier_id == tier.id]
        if tier.kind == TierKind.EACH:
            tier_grants, tier_revokes = _plan_each(tier, live, tier_rewards)
        else:
            tier_grants, tier_revokes = _plan_milestone(tier, count, tier_rewards)
        grants += tier_grants
        revokes += tier_revokes
    return RewardPlan(tuple(grants), tuple(revokes))


def _plan_each(tier: TierSpec, live: list[ReferralFact], rewards: list[RewardFact]) -> tuple[list[Grant], list[str]]:
    entitled = {referral.id for referral in live if referral.ordinal >= tier.threshold}
    given = {reward.referral_id for reward in rewards if reward.given}
    grants = [Grant(tier, referral.id) for referral in live if referral.id in entitled - given]
    revokes = [r.id for r in rewards if r.status == RewardStatus.PENDING and r.referral_id not in entitled]
    return grants, revokes


def _plan_milestone(tier: TierSpec, live_count: int, rewards: list[RewardFact]) -> tuple[list[Grant], list[str]]:
    reached = live_count >= tier.threshold
    given = [reward for reward in rewards if reward.given]
    if reached:
        return ([] if given else [Grant(tier, None)]), []
    return [], [reward.id for reward in given if reward.status == RewardStatus.PENDING]


def entitled_reward_count(tiers: Iterable[TierSpec], referrals: Iterable[ReferralFact]) -> int:
    """How many live rewards the referrer's live referrals entitle them to (for checks and tests)."""
    plan = plan_rewards(tiers, referrals, ())
    return len(plan.grants)
