"""Statuses and the small value objects the referral rules work on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Rule only annotates RuleSet; a runtime import would stop domain.rules importing this module
    from domain.rules import Rule


class Result(StrEnum):
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"


class RedemptionStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"


class ReferralStatus(StrEnum):
    ACTIVE = "active"
    ROLLED_BACK = "rolled_back"


class RewardStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    ROLLED_BACK = "rolled_back"


LIVE_REWARD_STATUSES = frozenset({RewardStatus.PENDING, RewardStatus.COMPLETED})


class EventStatus(StrEnum):
    RECEIVED = "received"
    ENQUEUED = "enqueued"
    PROCESSED = "processed"
    REJECTED = "rejected"
    FAILED = "failed"


class DistributionStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class RewardType(StrEnum):
    CREDITS = "credits"
    POINTS = "points"
    COUPON = "coupon"
    MATERIAL = "material"


BALANCE_REWARD_TYPES = frozenset({RewardType.CREDITS, RewardType.POINTS})


class FailureCode(StrEnum):
    RESOURCE_NOT_FOUND = "resource_not_found"
    VOUCHER_NOT_ACTIVE = "voucher_not_active"
    VOUCHER_EXPIRED = "voucher_expired"
    VOUCHER_DISABLED = "voucher_disabled"
    CAMPAIGN_NOT_ACTIVE = "campaign_not_active"
    QUANTITY_EXCEEDED = "quantity_exceeded"
    REFERRER_NOT_PERMITTED = "referrer_not_permitted_to_redeem"
    CUSTOMER_ALREADY_REFERRED = "customer_already_referred"
    CUSTOMER_RULES_VIOLATED = "customer_rules_violated"
    ORDER_RULES_VIOLATED = "order_rules_violated"
    REDEMPTION_RULES_VIOLATED = "redemption_rules_violated"
    MISSING_CUSTOMER = "missing_customer"
    INVALID_AMOUNT = "invalid_amount"


@dataclass(frozen=True)
class CampaignState:
    """What redemption validation needs to know of a campaign."""

    id: str
    active: bool
    deleted: bool = False
    start_date: datetime | None = None
    expiration_date: datetime | None = None
    days_of_week: tuple[int, ...] | None = None
    conversion: str = "order.paid"


@dataclass(frozen=True)
class CodeState:
    """What redemption validation needs to know of a referral code."""

    id: str
    code: str
    active: bool = True
    deleted: bool = False
    start_date: datetime | None = None
    expiration_date: datetime | None = None
    redemption_limit: int | None = None
    redeemed_count: int = 0
    holder_id: str | None = None
    holder_email: str | None = None


@dataclass(frozen=True)
class Redeemer:
    """The customer redeeming a code, with the facts about them that rules can read."""

    customer_id: str | None
    email: str | None = None
    already_referred: bool = False


@dataclass(frozen=True)
class RuleSet:
    """The rules in force for one code (campaign rules with code overrides) and their logic."""

    rules: tuple[Rule, ...] = ()
    logic: str | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)
