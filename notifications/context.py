"""The render context: the five triggers, what a template sees, and realistic samples."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

TRIGGERS = (
    "code_published",
    "referee_welcome",
    "customer_referred",
    "customer_rewarded",
    "reward_completed",
)

# Content-ID of the inline QR image: templates reference it as cid:{{ qr_cid }}, build_email attaches it.
QR_CID = "referral-qr@referral-pipeline"

_SAMPLE_CODE = "REF-4821-KQZP"
_REWARD_STATUS = {"customer_rewarded": "pending", "reward_completed": "completed"}


def check_trigger(trigger: str) -> None:
    """Refuse a trigger that has no templates."""
    if trigger not in TRIGGERS:
        raise ValueError(f"unknown trigger {trigger!r}; expected one of {', '.join(TRIGGERS)}")


def template_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """The variables a template sees: the worker's context without the QR bytes, plus qr_cid."""
    values = {key: value for key, value in context.items() if key != "qr_png"}
    values["qr_cid"] = QR_CID if context.get("qr_png") else None
    return values


def sample_context(trigger: str) -> dict[str, Any]:
    """A realistic context for `trigger`, shaped like the worker's, for previews and validation."""
    check_trigger(trigger)
    return {
        "trigger": trigger,
        "campaign": _sample_campaign(),
        "customer": _sample_customer(),
        "code": _SAMPLE_CODE,
        "share_url": f"https://shop.example.com/r/{_SAMPLE_CODE}",
        "qr_png": _sample_qr_png() if trigger == "code_published" else None,
        "reward": _sample_reward(trigger),
        "referee": _sample_referee(trigger),
        "unsubscribe_url": "https://referrals.example.com/unsubscribe/sample-token",
        "brand": {"name": "Example Shop"},
    }


def _sample_campaign() -> dict[str, Any]:
    """A running campaign with a two-week hold on rewards."""
    return {
        "id": "cmp_sample",
        "name": "Friends get 10%",
        "referee_reward": "10% off your first order",
        "reward_hold_days": 14,
    }


def _sample_customer() -> dict[str, Any]:
    """The customer the message goes to."""
    return {
        "id": "cus_sample",
        "name": "Ann Lee",
        "email": "ann@example.com",
        "locale": "en-US",
        "metadata": {"segment": "vip"},
    }


def _sample_reward(trigger: str) -> dict[str, Any] | None:
    """A credits reward for the reward triggers, None otherwise."""
    if trigger not in _REWARD_STATUS:
        return None
    return {
        "id": "rwd_sample",
        "type": "credits",
        "amount": 1000,
        "status": _REWARD_STATUS[trigger],
        "tier_name": "Each friend",
        "hold_until": "2026-12-11T10:00:00+00:00",
    }


def _sample_referee(trigger: str) -> dict[str, Any] | None:
    """The friend who joined, for the triggers sent to a referrer about a referee."""
    if trigger not in ("customer_referred", "customer_rewarded"):
        return None
    return {"name": "Ben Ortiz", "email": "ben@example.com"}


def _sample_qr_png() -> bytes:
    """A real PNG QR code of the sample share link."""
    import segno  # imported here: only previews and validation need it

    buffer = io.BytesIO()
    segno.make(f"https://shop.example.com/r/{_SAMPLE_CODE}", error="m").save(buffer, kind="png", scale=4)
    return buffer.getvalue()
