"""Which notifications a campaign sends, on which channels, and when one is skipped."""
from __future__ import annotations

from typing import Mapping

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


def channels_for(settings: Mapping[str, list[str]] | None, trigger: str) -> tuple[str, ...]:
    """The channels a campaign sends this trigger on (its own choice, else the defaults)."""
    if settings and trigger in settings:
        return tuple(channel for channel in settings[trigger] if channel in CHANNELS)
    return DEFAULT_CHANNELS.get(trigger, ())


def skip_reason(trigger: str, channel: str, recipient: str | None, customer_metadata: Mapping | None) -> str | None:
    """Why this notification must not be sent, or None to send it."""
    if recipient is None:
        return "customer has no email address" if channel == "email" else "campaign has no webhook URL"
    if trigger in MARKETING_TRIGGERS and opted_out(customer_metadata or {}):
        return "customer opted out of marketing messages"
    return None


def opted_out(customer_metadata: Mapping) -> bool:
    return any(_truthy(customer_metadata.get(key)) for key in OPT_OUT_KEYS)


def _truthy(value: object) -> bool:
    return value is True or str(value).lower() in ("true", "1", "yes")
