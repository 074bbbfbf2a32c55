from collections import Counter
from dataclasses import replace
from itertools import count

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.model import LIVE_REWARD_STATUSES, RewardStatus
from domain.tiers import (
    Grant,
    ReferralFact,
    RewardFact,
    RewardPlan,
    TierKind,
    TierSpec,
    entitled_reward_count,
    plan_rewards,
)

CREDITS = {"type": "credits", "amount": 500}
PENDING, COMPLETED, ROLLED_BACK = RewardStatus.PENDING, RewardStatus.COMPLETED, RewardStatus.ROLLED_BACK


def each(threshold: int = 1, tier_id: str = "each") -> TierSpec:
    return TierSpec(tier_id, TierKind.EACH, threshold, CREDITS)


def milestone(threshold: int, tier_id: str | None = None) -> TierSpec:
    return TierSpec(tier_id or f"milestone-{threshold}", TierKind.MILESTONE, threshold, CREDITS)


def live_referrals(n: int) -> list[ReferralFact]:
    return [ReferralFact(f"rfl-{i}", i, True) for i in range(1, n + 1)]


def rolled_back(referral: ReferralFact) -> ReferralFact:
    return replace(referral, live=False)


_reward_ids = count(1)


def apply(plan: RewardPlan, rewards: list[RewardFact]) -> list[RewardFact]:
    """What the rewards step does with a plan: revoke, then grant pending rewards."""
    kept = [replace(r, status=ROLLED_BACK) if r.id in plan.revokes else r for r in rewards]
    granted = [RewardFact(f"rwd-{next(_reward_ids)}", g.tier.id, g.referral_id, PENDING) for g in plan.grants]
    return kept + granted


def settle(tiers, referrals, rewards=()) -> list[RewardFact]:
    return apply(plan_rewards(tiers, referrals, rewards), list(rewards))


def complete_all(rewards: list[RewardFact]) -> list[RewardFact]:
    return [replace(r, status=COMPLETED) if r.status == PENDING else r for r in rewards]


def live(rewards, tier_id: str) -> list[RewardFact]:
    return [r for r in rewards if r.tier_id == tier_id and r.status in LIVE_REWARD_STATUSES]


# --- each tiers ---------------------------------------------------------------------------------


def test_an_each_tier_at_one_rewards_every_live_referral():
    plan = plan_rewards([each(1)], live_referrals(3), [])

    assert plan.grants == tuple(Grant(each(1), f"rfl-{i}") for i in (1, 2, 3))
    assert plan.revokes == ()


def test_an_each_tier_rewards_only_referrals_whose_ordinal_reaches_its_threshold():
    plan = plan_rewards([each(3)], live_referrals(5), [])

    assert [grant.referral_id for grant in plan.grants] == ["rfl-3", "rfl-4", "rfl-5"]


def test_an_each_tier_does_not_reward_a_referral_twice():
    rewards = [RewardFact("rwd-a", "each", "rfl-1", PENDING), RewardFact("rwd-b", "each", "rfl-2", COMPLETED)]

    plan = plan_rewards([each(1)], live_referrals(3), rewards)

    assert [grant.referral_id for grant in plan.grants] == ["rfl-3"]


def test_a_rolled_back_referral_takes_back_its_pending_each_reward():
    referrals = live_referrals(2)
    rewards = [RewardFact("rwd-a", "each", "rfl-1", PENDING), RewardFact("rwd-b", "each", "rfl-2", PENDING)]

    plan = plan_rewards([each(1)], [rolled_back(referrals[0]), referrals[1]], rewards)

    assert plan == RewardPlan(grants=(), revokes=("rwd-a",))


def test_a_rolled_back_referral_keeps_its_completed_each_reward():
    referrals = live_referrals(1)
    rewards = [RewardFact("rwd-a", "each", "rfl-1", COMPLETED)]

    assert plan_rewards([each(1)], [rolled_back(referrals[0])], rewards).empty


def test_an_each_referral_keeps_its_ordinal_when_an_earlier_referral_rolls_back():
    first, second, third = live_referrals(3)
    rewards = [RewardFact("rwd-3", "each", "rfl-3", PENDING)]

    plan = plan_rewards([each(3)], [rolled_back(first), second, third], rewards)

    assert plan.empty


def test_raising_an_each_threshold_revokes_the_pending_rewards_below_it_but_not_the_completed_ones():
    rewards = [
        RewardFact("rwd-1", "each", "rfl-1", COMPLETED),
        RewardFact("rwd-2", "each", "rfl-2", PENDING),
        RewardFact("rwd-3", "each", "rfl-3", PENDING),
    ]

    plan = plan_rewards([each(3)], live_referrals(3), rewards)

    assert plan == RewardPlan(grants=(), revokes=("rwd-2",))


# --- milestone tiers ----------------------------------------------------------------------------


def test_a_milestone_fires_once_when_reached():
    plan = plan_rewards([milestone(3)], live_referrals(3), [])

    assert plan.grants == (Grant(milestone(3), None),)


def test_a_milestone_fires_once_even_well_past_its_threshold():
    assert len(plan_rewards([milestone(3)], live_referrals(10), []).grants) == 1


def test_a_milestone_does_not_fire_below_its_threshold():
    assert plan_rewards([milestone(3)], live_referrals(2), []).empty


def test_a_milestone_with_a_live_reward_does_not_fire_again():
    for status in (PENDING, COMPLETED):
        rewards = [RewardFact("rwd-m", "milestone-3", None, status)]
        assert plan_rewards([milestone(3)], live_referrals(4), rewards).empty


def test_rolled_back_referrals_do_not_count_toward_a_milestone():
    referrals = live_referrals(3)

    assert plan_rewards([milestone(3)], [rolled_back(referrals[0]), *referrals[1:]], []).empty


def test_a_pending_milestone_reward_rolls_back_when_the_count_falls_below_its_threshold():
    referrals = live_referrals(3)
    rewards = [RewardFact("rwd-m", "milestone-3", None, PENDING)]

    plan = plan_rewards([milestone(3)], [*referrals[:2], rolled_back(referrals[2])], rewards)

    assert plan == RewardPlan(grants=(), revokes=("rwd-m",))


def test_a_completed_milestone_reward_stays_when_the_count_falls_below_its_threshold():
    referrals = live_referrals(3)
    rewards = [RewardFact("rwd-m", "milestone-3", None, COMPLETED)]

    assert plan_rewards([milestone(3)], [*referrals[:2], rolled_back(referrals[2])], rewards).empty


def test_a_milestone_fires_again_when_reached_again_after_its_pending_reward_rolled_back():
    rewards = [RewardFact("rwd-m", "milestone-3", None, ROLLED_BACK)]

    plan = plan_rewards([milestone(3)], live_referrals(3), rewards)

    assert plan.grants == (Grant(milestone(3), None),)


def test_a_milestone_never_has_two_live_rewards_when_reached_again_after_its_reward_completed():
    first, second, third = live_referrals(3)
    rewards = complete_all(settle([milestone(3)], [first, second, third]))
    rewards = settle([milestone(3)], [first, second, rolled_back(third)], rewards)
    fourth = ReferralFact("rfl-4", 3, True)

    rewards = settle([milestone(3)], [first, second, rolled_back(third), fourth], rewards)

    assert [r.status for r in live(rewards, "milestone-3")] == [COMPLETED]


def test_lowering_a_milestone_threshold_fires_it_for_referrers_already_past_it():
    assert plan_rewards([milestone(2, "m")], live_referrals(2), []).grants == (Grant(milestone(2, "m"), None),)


# --- several tiers ------------------------------------------------------------------------------


def test_tiers_are_cumulative_reaching_five_fires_the_milestones_at_one_and_at_five():
    plan = plan_rewards([milestone(1), milestone(5), milestone(10)], live_referrals(5), [])

    assert [grant.tier.id for grant in plan.grants] == ["milestone-1", "milestone-5"]


def test_each_and_milestone_tiers_fire_together():
    plan = plan_rewards([each(1), milestone(2)], live_referrals(2), [])

    assert [(g.tier.id, g.referral_id) for g in plan.grants] == [
        ("each", "rfl-1"),
        ("each", "rfl-2"),
        ("milestone-2", None),
    ]


def test_a_reward_only_counts_for_its_own_tier():
    rewards = [RewardFact("rwd-m", "milestone-1", None, PENDING)]

    plan = plan_rewards([milestone(1), milestone(1, "other")], live_referrals(1), rewards)

    assert plan.grants == (Grant(milestone(1, "other"), None),)


def test_rewards_of_a_tier_that_no_longer_exists_are_left_alone():
    rewards = [RewardFact("rwd-old", "deleted-tier", "rfl-1", PENDING)]

    assert plan_rewards([each(1)], [], rewards).empty


def test_no_tiers_plan_nothing():
    assert plan_rewards([], live_referrals(4), []).empty


def test_plan_rewards_accepts_one_shot_iterables():
    plan = plan_rewards(iter([each(1), milestone(2)]), iter(live_referrals(2)), iter([]))

    assert len(plan.grants) == 3


def test_applying_a_plan_then_planning_again_yields_an_empty_plan():
    tiers = [each(1), each(3, "each-3"), milestone(2), milestone(4)]
    referrals = live_referrals(4)
    rewards = complete_all(settle(tiers, referrals))
    referrals = [rolled_back(referrals[0]), rolled_back(referrals[1]), *referrals[2:], ReferralFact("rfl-5", 3, True)]

    rewards = settle(tiers, referrals, rewards)

    assert plan_rewards(tiers, referrals, rewards).empty


def test_entitled_reward_count_counts_each_rewards_and_reached_milestones():
    tiers = [each(1), each(2, "each-2"), milestone(3), milestone(4)]

    assert entitled_reward_count(tiers, live_referrals(3)) == 3 + 2 + 1


# --- properties ---------------------------------------------------------------------------------

tier_sets = st.lists(st.tuples(st.sampled_from(TierKind), st.integers(1, 6)), min_size=1, max_size=4).map(
    lambda specs: [TierSpec(f"tier-{i}", kind, threshold, CREDITS) for i, (kind, threshold) in enumerate(specs)]
)

steps = st.lists(
    st.one_of(
        st.just(("refer", 0)),
        st.tuples(st.just("roll_back"), st.integers(0, 30)),
        st.tuples(st.just("complete"), st.integers(0, 60)),
        st.tuples(st.just("retier"), st.integers(1, 6)),
    ),
    max_size=30,
)


class Referrer:
    """One referrer's referrals and rewards, changed the way the pipeline changes them."""

    def __init__(self, tiers: list[TierSpec]):
        self.tiers, self.referrals, self.rewards = tiers, [], []

    def step(self, action: str, n: int) -> None:
        live_now = [r for r in self.referrals if r.live]
        pending = [r for r in self.rewards if r.status == PENDING]
        if action == "refer":
            self.referrals.append(ReferralFact(f"rfl-{len(self.referrals)}", len(live_now) + 1, True))
        elif action == "roll_back" and live_now:
            target = live_now[n % len(live_now)]
            self.referrals = [rolled_back(r) if r == target else r for r in self.referrals]
        elif action == "complete" and pending:
            target = pending[n % len(pending)]
            self.rewards = [replace(r, status=COMPLETED) if r == target else r for r in self.rewards]
        elif action == "retier":
            tier = self.tiers[n % len(self.tiers)]
            self.tiers = [replace(t, threshold=n) if t == tier else t for t in self.tiers]

    def settle(self) -> RewardPlan:
        plan = plan_rewards(self.tiers, self.referrals, self.rewards)
        self.rewards = apply(plan, self.rewards)
        return plan


def assert_rewards_match_entitlement(tiers, referrals, rewards) -> None:
    live_now = [r for r in referrals if r.live]
    for tier in tiers:
        tier_live = live(rewards, tier.id)
        completed = [r for r in tier_live if r.status == COMPLETED]
        if tier.kind == TierKind.EACH:
            entitled = {r.id for r in live_now if r.ordinal >= tier.threshold}
            per_referral = Counter(r.referral_id for r in tier_live)
            assert set(per_referral) == entitled | {r.referral_id for r in completed}
            assert all(n == 1 for n in per_referral.values()), "two live rewards for one referral"
        elif len(live_now) >= tier.threshold:
            assert len(tier_live) == 1, "a reached milestone has exactly one live reward"
        else:
            assert tier_live == completed and len(completed) <= 1, "below its threshold only a completed reward stays"


@settings(max_examples=300)
@given(tier_sets, steps)
def test_after_every_settlement_the_live_rewards_are_what_the_live_referrals_entitle(tiers, actions):
    referrer = Referrer(tiers)
    for action, n in actions:
        referrer.step(action, n)
        before = {r.id: r.status for r in referrer.rewards}
        plan = referrer.settle()

        assert all(before[reward_id] == PENDING for reward_id in plan.revokes), "only pending rewards are revoked"
        assert_rewards_match_entitlement(referrer.tiers, referrer.referrals, referrer.rewards)
        assert plan_rewards(referrer.tiers, referrer.referrals, referrer.rewards).empty


@given(tier_sets, st.integers(0, 12))
def test_the_entitled_count_is_what_settling_from_nothing_grants(tiers, n):
    rewards = settle(tiers, live_referrals(n))

    assert entitled_reward_count(tiers, live_referrals(n)) == len(rewards)
    assert_rewards_match_entitlement(tiers, live_referrals(n), rewards)
