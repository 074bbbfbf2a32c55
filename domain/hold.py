"""The reward hold period: when a pending reward may complete by itself."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.model import RewardStatus, RewardType

AUTO_COMPLETING_TYPES = frozenset({RewardType.CREDITS, RewardType.POINTS, RewardType.COUPON})


def hold_until(created: datetime, hold_days: int) -> datetime:
    """When the hold on a reward created at `created` ends."""
    return created + timedelta(days=hold_days)


def completes_by_itself(reward_type: str, status: str, held_until: datetime | None, now: datetime) -> bool:
    """Digital rewards complete once their hold has passed; material rewards wait for an operator."""
    if status != RewardStatus.PENDING or reward_type not in AUTO_COMPLETING_TYPES:
        return False
    return held_until is None or held_until <= now
