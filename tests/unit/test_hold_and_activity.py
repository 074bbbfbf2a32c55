from datetime import UTC, datetime, timedelta

import pytest

from domain import activity
from domain.activity import CATEGORIES, category_of
from domain.hold import completes_by_itself, hold_until
from domain.model import RewardStatus, RewardType

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)

# --- the hold period ----------------------------------------------------------------------------


def test_the_hold_ends_the_given_number_of_days_after_the_reward_was_created():
    assert hold_until(NOW, 14) == NOW + timedelta(days=14)


def test_a_hold_of_zero_days_ends_at_once():
    assert hold_until(NOW, 0) == NOW


@pytest.mark.parametrize("reward_type", [RewardType.CREDITS, RewardType.POINTS, RewardType.COUPON])
def test_a_pending_digital_reward_completes_once_its_hold_has_passed(reward_type):
    assert completes_by_itself(reward_type, RewardStatus.PENDING, NOW - timedelta(seconds=1), NOW)


def test_a_reward_completes_at_the_very_instant_its_hold_ends():
    assert completes_by_itself(RewardType.CREDITS, RewardStatus.PENDING, NOW, NOW)


def test_a_reward_still_on_hold_does_not_complete():
    assert not completes_by_itself(RewardType.CREDITS, RewardStatus.PENDING, NOW + timedelta(seconds=1), NOW)


def test_a_reward_without_a_hold_completes_at_once():
    assert completes_by_itself(RewardType.POINTS, RewardStatus.PENDING, None, NOW)


def test_a_material_reward_waits_for_an_operator_whatever_its_hold():
    assert not completes_by_itself(RewardType.MATERIAL, RewardStatus.PENDING, None, NOW)
    assert not completes_by_itself(RewardType.MATERIAL, RewardStatus.PENDING, NOW - timedelta(days=30), NOW)


@pytest.mark.parametrize("status", [RewardStatus.COMPLETED, RewardStatus.ROLLED_BACK])
def test_a_reward_that_is_no_longer_pending_does_not_complete_again(status):
    assert not completes_by_itself(RewardType.CREDITS, status, None, NOW)


def test_types_and_statuses_read_from_the_database_as_plain_strings_are_understood():
    assert completes_by_itself("coupon", "pending", NOW, NOW)
    assert not completes_by_itself("material", "pending", NOW, NOW)


# --- activity categories ------------------------------------------------------------------------

# Every activity type of SPEC §2 "Activity types", with the category an operator filters it by.
EXPECTED_CATEGORIES = {
    "customer.order.created": "order",
    "customer.order.paid": "order",
    "customer.order.canceled": "order",
    "customer.order.refunded": "order",
    "customer.redemption.succeeded": "redemption",
    "customer.redemption.failed": "redemption",
    "customer.redemption.rollback.succeeded": "redemption",
    "customer.redemption.rollback.failed": "redemption",
    "customer.referred": "referral",
    "customer.rewarded": "reward",
    "customer.reward_redemptions.created": "reward",
    "customer.reward_redemptions.completed": "reward",
    "customer.reward_redemptions.rolledback": "reward",
    "customer.publication.succeeded": "publication",
    "customer.publication.failed": "publication",
    "customer.email.sent": "notification",
    "customer.email.failed": "notification",
    "customer.webhook.sent": "notification",
    "customer.webhook.failed": "notification",
    "campaign.created": "campaign",
    "campaign.updated": "campaign",
    "campaign.enabled": "campaign",
    "campaign.disabled": "campaign",
    "campaign.deleted": "campaign",
    "campaign.vouchers.added": "campaign",
    "campaign.vouchers.imported": "campaign",
    "campaign.vouchers.deleted": "campaign",
    "campaign.validation_rules.updated": "campaign",
    "campaign.referral_tier.updated": "campaign",
}


@pytest.mark.parametrize("activity_type, category", sorted(EXPECTED_CATEGORIES.items()))
def test_every_activity_type_belongs_to_its_category(activity_type, category):
    assert category_of(activity_type) == category


def test_the_activity_module_names_exactly_the_spec_activity_types():
    named = {value for name, value in vars(activity).items() if name.isupper() and isinstance(value, str)}

    assert named == set(EXPECTED_CATEGORIES)


def test_the_categories_an_operator_filters_by_are_those_the_types_fall_into():
    assert list(CATEGORIES) == sorted(set(EXPECTED_CATEGORIES.values()))


def test_an_unknown_activity_type_falls_into_other():
    assert category_of("customer.loyalty.updated") == "other"
    assert category_of("") == "other"


def test_a_type_that_merely_starts_like_a_known_one_is_not_mistaken_for_it():
    assert category_of("campaigns.created") == "other"
