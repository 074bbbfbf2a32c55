"""The referral-order scenario: a campaign with a few referrers (an `each` tier and a milestone), signed Shopify
orders that each make a new referee of one of them, and what the pipeline must have produced once it is done."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from sqlalchemy import func, select

from bench.load import encode_post
from bench.smtp_sink import delivered
from bench.stack import Stack
from db.ids import new_id
from db.models import Activity, Code, Customer, Distribution, Reward
from db.types import utcnow
from domain.codes import code_key
from domain.emails import normalize_email
from tests.support.pipeline import shopify_headers, shopify_order
from tests.support.seed import EACH_CREDITS, FIVE_POINTS, seed_campaign

MILESTONE = FIVE_POINTS["threshold"]
ORDER_ACTIVITIES = 3  # order paid, redemption succeeded, referred
REWARD_ACTIVITIES = 4  # reward created, rewarded, reward completed, email sent
UNFINISHED = ("queued", "sending")
POLL_SECONDS = 0.25
STALL_SECONDS = 60.0  # give up when nothing has moved for this long


@dataclass(frozen=True)
class Expected:
    """The rows and emails N orders over R referrers must end with."""

    rewards: int
    activities: int
    emails: int

    @classmethod
    def of(cls, orders: int, referrers: int) -> Expected:
        milestones = sum(1 for r in range(referrers) if len(range(r, orders, referrers)) >= MILESTONE)
        rewards = orders + milestones
        return cls(rewards=rewards, activities=ORDER_ACTIVITIES * orders + REWARD_ACTIVITIES * rewards, emails=rewards)


def seed_referrers(stack: Stack, count: int) -> list[str]:
    """One running campaign with `count` referrers, each holding one published code; returns the codes."""
    first = seed_campaign(stack.runtime, code="BENCH-REF-0000", tiers=[EACH_CREDITS, FIVE_POINTS])
    codes = [first.code]
    with stack.runtime.session_factory() as session, session.begin():
        for number in range(1, count):
            email = f"referrer{number}@example.com"
            holder = Customer(
                id=new_id("cust"),
                source_id=f"bench-referrer-{number}",
                email=email,
                email_normalized=normalize_email(email),
                name=f"Referrer {number}",
                meta={},
            )
            code = f"BENCH-REF-{number:04d}"
            session.add(holder)
            session.flush()
            session.add(
                Code(
                    id=new_id("code"),
                    code=code,
                    code_key=code_key(code),
                    campaign_id=first.campaign_id,
                    holder_id=holder.id,
                    published_at=utcnow(),
                    publish_channel="api",
                    meta={},
                )
            )
            codes.append(code)
    return codes


def order_requests(codes: list[str], count: int, *, first: int = 1, run: str = "bench") -> list[bytes]:
    """Signed `orders/paid` webhooks, order n by a new customer using code n mod len(codes)."""
    return [_order_request(number, codes[number % len(codes)], run) for number in range(first, first + count)]


def _order_request(number: int, code: str, run: str) -> bytes:
    body = json.dumps(shopify_order(number, code=code, email=f"friend{number}@example.com")).encode()
    return encode_post("/webhooks/shopify", shopify_headers(body, webhook_id=f"{run}-{number}"), body)


def progress(stack: Stack) -> dict[str, int]:
    """What the pipeline has produced so far."""
    with stack.runtime.session_factory() as session:
        counts = {
            "rewards": session.scalar(select(func.count()).select_from(Reward)),
            "activities": session.scalar(select(func.count()).select_from(Activity)),
            "unsent": session.scalar(
                select(func.count()).select_from(Distribution).where(Distribution.status.in_(UNFINISHED))
            ),
        }
    return counts | {"emails": delivered(stack.redis())}


def finished(counts: dict[str, int], expected: Expected) -> bool:
    return (
        counts["rewards"] >= expected.rewards
        and counts["activities"] >= expected.activities
        and counts["emails"] >= expected.emails
        and counts["unsent"] == 0
    )


def wait_until_finished(stack: Stack, expected: Expected, deadline: float) -> tuple[dict[str, int], bool]:
    """Poll until the pipeline has produced everything expected, `deadline` (perf_counter) passes, or it stalls."""
    counts, moved = progress(stack), time.perf_counter()
    while not finished(counts, expected) and time.perf_counter() < min(deadline, moved + STALL_SECONDS):
        time.sleep(POLL_SECONDS)
        counts, before = progress(stack), counts
        moved = time.perf_counter() if counts != before else moved
    return counts, finished(counts, expected)
