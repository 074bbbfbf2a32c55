"""A referral program with several referrers and streams of signed webhooks (Shopify, WooCommerce, native)
whose effects are known in advance: what the fault tests send, and the rows they expect back."""

from __future__ import annotations

import collections
import random
from dataclasses import dataclass, field

from db.ids import new_id
from db.models import Campaign, Code, Customer, Tier
from db.types import utcnow
from domain.codes import code_key
from domain.emails import normalize_email
from tests.support.pipeline import (
    body_of,
    native_event,
    native_headers,
    shopify_headers,
    shopify_order,
    woocommerce_headers,
)
from tests.support.seed import EACH_CREDITS, FIVE_POINTS

EMAIL_TRIGGERS = {"customer_rewarded": ["email"], "referee_welcome": ["email"]}


@dataclass(frozen=True)
class Program:
    """One running campaign whose codes are held by several referrers."""

    campaign_id: str
    codes: list[str]
    referrer_ids: list[str]
    milestone: int = 5


def seed_program(
    runtime, *, referrers: int, hold_days: int = 0, notifications: dict | None = None, name: str = "Faults"
) -> Program:
    """A campaign with an `each` credits tier and a 5-friends points milestone, one code per referrer."""
    with runtime.session_factory() as session, session.begin():
        campaign = Campaign(
            id=new_id("camp"),
            name=name,
            code_config={"pattern": "REF-####-????"},
            meta={},
            templates={},
            notifications=EMAIL_TRIGGERS if notifications is None else notifications,
            reward_hold_days=hold_days,
        )
        session.add(campaign)
        session.flush()
        codes, holders = [], []
        for n in range(referrers):
            email = f"referrer{n}.{campaign.id[-6:]}@example.com"
            holder = Customer(
                id=new_id("cust"),
                source_id=f"ref-{campaign.id}-{n}",
                email=email,
                email_normalized=normalize_email(email),
                name=f"Referrer {n}",
                meta={},
            )
            session.add(holder)
            session.flush()
            code = f"F{campaign.id[-6:].upper()}-{n:04d}"
            session.add(
                Code(
                    id=new_id("code"),
                    code=code,
                    code_key=code_key(code),
                    campaign_id=campaign.id,
                    holder_id=holder.id,
                    published_at=utcnow(),
                    publish_channel="api",
                    meta={},
                )
            )
            codes.append(code)
            holders.append(holder.id)
        session.add_all(
            [Tier(id=new_id("tier"), campaign_id=campaign.id, **spec) for spec in (EACH_CREDITS, FIVE_POINTS)]
        )
    return Program(campaign.id, codes, holders)


@dataclass
class Expected:
    """Every row a workload must leave, counted by kind and status."""

    events: int = 0
    redemptions: dict = field(default_factory=dict)
    referrals: dict = field(default_factory=dict)
    rewards: dict = field(default_factory=dict)
    ledger: int = 0
    distributions: dict = field(default_factory=dict)
    activities: dict = field(default_factory=dict)
    orders_counted: int = 0

    def summary(self) -> dict:
        return {
            "events": {"processed": self.events} if self.events else {},
            "redemptions": _nonzero(self.redemptions),
            "referrals": _nonzero(self.referrals),
            "rewards": _nonzero(self.rewards),
            "ledger": self.ledger,
            "distributions": _nonzero(self.distributions),
            "activities": _nonzero(self.activities),
            "orders_counted": self.orders_counted,
        }


def _nonzero(counts: dict) -> dict:
    return {key: value for key, value in counts.items() if value}


@dataclass
class Workload:
    """Signed native webhooks (path, body, headers) and what they must produce once processed."""

    requests: list[tuple[str, bytes, dict]]
    expected: Expected


def referral_workload(
    program: Program,
    *,
    referees: int,
    plain_orders: int = 0,
    unknown_codes: int = 0,
    email_triggers: dict | None = None,
    prefix: str = "w",
    seed: int = 7,
) -> Workload:
    """`referees` paid orders spread over the program's codes, plus orders without a code and explicit
    redemptions of an unknown code (recorded as failures, nothing follows), in a shuffled order."""
    payloads = [
        native_event(
            f"{prefix}-ref-{n}",
            "order.paid",
            order_id=f"{prefix}-o-{n}",
            code=program.codes[n % len(program.codes)],
            email=f"{prefix}.friend{n}@example.com",
            source_id=f"{prefix}-c-{n}",
            status="paid",
        )
        for n in range(referees)
    ]
    payloads += [
        native_event(
            f"{prefix}-plain-{n}",
            "order.paid",
            order_id=f"{prefix}-p-{n}",
            email=f"{prefix}.plain{n}@example.com",
            source_id=f"{prefix}-pc-{n}",
            status="paid",
        )
        for n in range(plain_orders)
    ]
    payloads += [
        native_event(
            f"{prefix}-unknown-{n}",
            "redemption.requested",
            code=f"NOPE-{prefix}-{n}",
            email=f"{prefix}.guess{n}@example.com",
            source_id=f"{prefix}-gc-{n}",
        )
        for n in range(unknown_codes)
    ]
    random.Random(seed).shuffle(payloads)
    return Workload(
        [_signed(payload) for payload in payloads],
        expected_for(program, referees, plain_orders, unknown_codes, email_triggers or EMAIL_TRIGGERS),
    )


def _signed(payload: dict) -> tuple[str, bytes, dict]:
    body = body_of(payload)
    return "/webhooks/events", body, native_headers(body)


def expected_for(
    program: Program, referees: int, plain_orders: int, unknown_codes: int, email_triggers: dict
) -> Expected:
    per_referrer = collections.Counter(n % len(program.codes) for n in range(referees))
    rewards = referees + sum(1 for count in per_referrer.values() if count >= program.milestone)
    emails = rewards * ("customer_rewarded" in email_triggers) + referees * ("referee_welcome" in email_triggers)
    return Expected(
        events=referees + plain_orders + unknown_codes,
        redemptions={"succeeded": referees, "failed": unknown_codes},
        referrals={"active": referees},
        rewards={"completed": rewards},
        ledger=rewards,
        distributions={"sent": emails},
        activities={
            "customer.order.paid": referees + plain_orders,
            "customer.redemption.succeeded": referees,
            "customer.redemption.failed": unknown_codes,
            "customer.referred": referees,
            "customer.reward_redemptions.created": rewards,
            "customer.rewarded": rewards,
            "customer.reward_redemptions.completed": rewards,
            "customer.email.sent": emails,
        },
        orders_counted=referees + plain_orders,
    )


def referral_order(program: Program, n: int, *, prefix: str) -> tuple[str, bytes, dict]:
    """Referee n's paid order with the code of referrer n % referrers, from Shopify, WooCommerce or a native shop."""
    code, email = program.codes[n % len(program.codes)], f"{prefix}.friend{n}@example.com"
    source = ("shopify", "woocommerce", "events")[n % 3]
    if source == "shopify":
        body = body_of(shopify_order(500_000 + n, code=code, email=email))
        return "/webhooks/shopify", body, shopify_headers(body, topic="orders/paid", webhook_id=f"{prefix}-paid-{n}")
    if source == "woocommerce":
        body = body_of(woo_order(600_000 + n, code=code, email=email))
        return "/webhooks/woocommerce", body, woocommerce_headers(body, topic="order.updated")
    return _signed(
        native_event(
            f"{prefix}-paid-{n}",
            "order.paid",
            order_id=f"{prefix}-o-{n}",
            code=code,
            email=email,
            source_id=f"{prefix}-c-{n}",
            status="paid",
        )
    )


def refund_of(n: int, *, prefix: str) -> tuple[str, bytes, dict]:
    """The full refund of referee n's order (`referral_order`), as Shopify's refunds/create or a native order.refunded."""
    if n % 3 == 0:
        body = body_of(
            {
                "id": 700_000 + n,
                "order_id": 500_000 + n,
                "created_at": "2026-11-27T11:00:00Z",
                "transactions": [{"kind": "refund", "status": "success", "amount": "129.00", "currency": "USD"}],
            }
        )
        return (
            "/webhooks/shopify",
            body,
            shopify_headers(body, topic="refunds/create", webhook_id=f"{prefix}-refund-{n}"),
        )
    if n % 3 == 1:
        body = body_of(woo_order(600_000 + n, code=None, email=f"{prefix}.friend{n}@example.com", status="refunded"))
        return "/webhooks/woocommerce", body, woocommerce_headers(body, topic="order.updated")
    return _signed(
        native_event(
            f"{prefix}-refund-{n}",
            "order.refunded",
            order_id=f"{prefix}-o-{n}",
            status="refunded",
            email=f"{prefix}.friend{n}@example.com",
            source_id=f"{prefix}-c-{n}",
        )
    )


def woo_order(order_id: int, *, code: str | None, email: str, status: str = "processing") -> dict:
    return {
        "id": order_id,
        "status": status,
        "currency": "USD",
        "total": "129.00",
        "customer_id": 0,
        "date_modified_gmt": f"2026-11-27T10:00:0{'1' if status == 'refunded' else '0'}",
        "billing": {"email": email, "first_name": "Wu", "last_name": "Commerce"},
        "coupon_lines": [{"code": code.lower()}] if code else [],
        "refunds": [{"id": 1, "total": "-129.00"}] if status == "refunded" else [],
        "line_items": [{"sku": "SKU-1", "product_id": 7, "quantity": 1, "total": "129.00"}],
    }
