"""Which notifications a campaign sends, on which channels, and when one is skipped."""

from __future__ import annotations

from collections.abc import Mapping

from domain.model import ReferralStatus, RewardStatus

TRIGGERS = ("code_published", "referee_welcome", "customer_referred", "customer_rewarded", "reward_completed")
CHANNELS = ("email", "webhook")
MARKETING_TRIGGERS = frozenset({"code_published", "referee_welcome", "customer_referred"})
DEFAULT_CHANNELS: Mapping[str, tuple[str, ...]] = {
    "code_published": ("email",),
    "referee_welcome": (),
    "customer_referred": (),
    "customer_rewarded": ("email",),
    "reward_completed": (),
}
OPT_OUT_KEYS = ("unsubscribed", "marketing_opt_out")
REFERRAL_TRIGGERS = frozenset({"referee_welcome", "customer_referred"})  # they announce a referral
REWARD_TRIGGERS = frozenset({"customer_rewarded", "reward_completed"})  # they announce a reward


def channels_for(settings: Mapping[str, list[str]] | None, trigger: str) -> tuple[str, ...]:
    """The channels a campaign sends this trigger on (its own choice, else the defaults)."""
    if settings and trigger in settings:
        return tuple(channel for channel in settings[trigger] if channel in CHANNELS)
    return DEFAULT_CHANNELS.get(trigger, ())


def skip_reason(
    trigger: str, channel: str, recipient: str | None, customer_metadata: Mapping[str, object] | None
) -> str | None:
    """Why this notification must not be sent, or None to send it."""
    if recipient is None:
        return "customer has no email address" if channel == "email" else "campaign has no webhook URL"
    if trigger in MARKETING_TRIGGERS and opted_out(customer_metadata or {}):
        return "customer opted out of marketing messages"
    return None


def stale_reason(trigger: str, reward_status: str | None, referral_status: str | None) -> str | None:
    """Why a queued notification must not go out after all: what it announces was rolled back before it was
    sent (an order refunded or cancelled while the email waited its turn). None to send it."""
    if trigger in REWARD_TRIGGERS and reward_status == RewardStatus.ROLLED_BACK:
        return "the reward was rolled back before this notification was sent"
    if trigger in REFERRAL_TRIGGERS and referral_status == ReferralStatus.ROLLED_BACK:
        return "the referral was rolled back before this notification was sent"
    return None


def opted_out(customer_metadata: Mapping[str, object]) -> bool:
    return any(_truthy(customer_metadata.get(key)) for key in OPT_OUT_KEYS)


def _truthy(value: object) -> bool:
    return value is True or str(value).lower() in ("true", "1", "yes")
