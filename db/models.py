"""SQLAlchemy 2 models: one table per SPEC concept, unique keys that make every worker step idempotent."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.types import JsonType, UTCDateTime, created_at, json_dict, str_id, utcnow


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict: JsonType, list: JsonType, int: Integer, str: String(255)}


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[str_id]
    name: Mapped[str]
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    start_date: Mapped[datetime | None]
    expiration_date: Mapped[datetime | None]
    days_of_week: Mapped[list | None]
    join_once: Mapped[bool] = mapped_column(Boolean, default=True)
    code_config: Mapped[json_dict]
    conversion: Mapped[str] = mapped_column(String(120), default="order.paid")
    referee_reward: Mapped[str | None] = mapped_column(Text)
    reward_hold_days: Mapped[int] = mapped_column(default=0)
    meta: Mapped[json_dict] = mapped_column("metadata", JsonType, default=dict)
    rules_logic: Mapped[str | None]
    notifications: Mapped[json_dict]
    templates: Mapped[json_dict]
    webhook_url: Mapped[str | None] = mapped_column(Text)
    # where a share link sends a visitor (SPEC §5.1); None: the built-in landing page (migration 0006)
    landing_url: Mapped[str | None] = mapped_column(Text)
    deleted_at: Mapped[datetime | None]
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # raised by triggers whenever the campaign's tiers or rules change (migration 0003); workers cache by it
    config_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # ISO 4217; amount rules and figures are in it. API and CLI fill in REFERRALS_DEFAULT_CURRENCY; "USD" is
    # only the fallback for rows written directly (migration 0004 fills existing campaigns from the setting)
    currency: Mapped[str] = mapped_column(String(3), default="USD")


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str_id]
    source_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    email: Mapped[str | None]
    email_normalized: Mapped[str | None] = mapped_column(String(255), unique=True)
    name: Mapped[str | None]
    locale: Mapped[str | None] = mapped_column(String(35))
    meta: Mapped[json_dict] = mapped_column("metadata", JsonType, default=dict)
    orders_count: Mapped[int] = mapped_column(default=0)
    # currency → minor units of the counted orders (migration 0004); "" holds orders that stated no currency
    orders_amounts: Mapped[json_dict]
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Code(Base):
    __tablename__ = "codes"
    __table_args__ = (
        Index("ix_codes_campaign_holder", "campaign_id", "holder_id"),
        Index("ix_codes_campaign_published", "campaign_id", "published_at"),  # program figures (migration 0007)
    )

    id: Mapped[str_id]
    code: Mapped[str] = mapped_column(String(100))
    code_key: Mapped[str] = mapped_column(String(100), unique=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    holder_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"))
    published_at: Mapped[datetime | None]
    publish_channel: Mapped[str | None] = mapped_column(String(100))
    redemption_limit: Mapped[int | None]
    redeemed_count: Mapped[int] = mapped_column(default=0)
    start_date: Mapped[datetime | None]
    expiration_date: Mapped[datetime | None]
    category: Mapped[str | None]
    meta: Mapped[json_dict] = mapped_column("metadata", JsonType, default=dict)
    deleted_at: Mapped[datetime | None]
    created_at: Mapped[created_at]


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_orders_paid_at", "paid_at"),  # revenue of the program figures (migration 0007)
    )

    id: Mapped[str_id]
    source: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str]
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), index=True)
    amount: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(8))
    items: Mapped[list] = mapped_column(JsonType, default=list)
    meta: Mapped[json_dict] = mapped_column("metadata", JsonType, default=dict)
    codes: Mapped[list] = mapped_column(JsonType, default=list)
    status: Mapped[str] = mapped_column(String(30), default="created")
    facts: Mapped[json_dict]
    paid_at: Mapped[datetime | None]
    canceled_at: Mapped[datetime | None]
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    counted_amount: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Redemption(Base):
    __tablename__ = "redemptions"
    __table_args__ = (
        Index("ix_redemptions_campaign_id", "campaign_id", "id"),
        Index("ix_redemptions_campaign_created", "campaign_id", "created_at", "status"),  # program figures (0007)
    )

    id: Mapped[str_id]
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    campaign_id: Mapped[str | None] = mapped_column(ForeignKey("campaigns.id"))
    code_id: Mapped[str | None] = mapped_column(ForeignKey("codes.id"), index=True)
    code: Mapped[str] = mapped_column(String(100))
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), index=True)
    order_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id"), index=True)
    order_external_id: Mapped[str | None]
    amount: Mapped[int | None] = mapped_column(BigInteger)
    result: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), index=True)
    failure_code: Mapped[str | None] = mapped_column(String(60))
    failure_message: Mapped[str | None] = mapped_column(Text)
    logs: Mapped[list] = mapped_column(JsonType, default=list)
    event_id: Mapped[str | None] = mapped_column(String(40), index=True)
    created_at: Mapped[created_at]
    rolled_back_at: Mapped[datetime | None]


class Referral(Base):
    __tablename__ = "referrals"
    __table_args__ = (
        Index("ix_referrals_referrer", "campaign_id", "referrer_id", "status"),
        Index("ix_referrals_status_referrer", "campaign_id", "status", "referrer_id"),
        Index("ix_referrals_status_referee", "campaign_id", "status", "referee_id"),
        Index("ix_referrals_campaign_status_created", "campaign_id", "status", "created_at"),  # figures (0007)
    )

    id: Mapped[str_id]
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"))
    referrer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    referee_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    code_id: Mapped[str] = mapped_column(ForeignKey("codes.id"))
    redemption_id: Mapped[str] = mapped_column(ForeignKey("redemptions.id"), unique=True)
    ordinal: Mapped[int]
    status: Mapped[str] = mapped_column(String(20))
    live_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    event_id: Mapped[str | None] = mapped_column(String(40))
    settled_at: Mapped[datetime | None]
    created_at: Mapped[created_at]
    rolled_back_at: Mapped[datetime | None]


class Tier(Base):
    __tablename__ = "referral_tiers"

    id: Mapped[str_id]
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), index=True)
    name: Mapped[str]
    kind: Mapped[str] = mapped_column(String(20))
    threshold: Mapped[int]
    reward: Mapped[json_dict]
    created_at: Mapped[created_at]
    deleted_at: Mapped[datetime | None]


class Reward(Base):
    """A reward redemption: one reward given to one referrer for one tier firing."""

    __tablename__ = "reward_redemptions"
    __table_args__ = (
        Index("ix_rewards_campaign_id", "campaign_id", "id"),
        Index("ix_rewards_campaign_status", "campaign_id", "status"),
        Index("ix_rewards_status", "status", "hold_until"),
        Index("ix_rewards_customer", "customer_id", "campaign_id"),
        # program figures (migration 0007): rewards created, completed and rolled back per day
        Index("ix_rewards_campaign_created", "campaign_id", "created_at"),
        Index("ix_rewards_campaign_completed", "campaign_id", "completed_at"),
        Index("ix_rewards_campaign_rolled_back", "campaign_id", "rolled_back_at"),
    )

    id: Mapped[str_id]
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"))
    tier_id: Mapped[str] = mapped_column(ForeignKey("referral_tiers.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    referral_id: Mapped[str | None] = mapped_column(ForeignKey("referrals.id"), index=True)
    type: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20))
    live_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    event_id: Mapped[str | None] = mapped_column(String(40))
    rolled_back_by: Mapped[str | None] = mapped_column(String(20))
    hold_until: Mapped[datetime | None]
    details: Mapped[json_dict]
    created_at: Mapped[created_at]
    completed_at: Mapped[datetime | None]
    rolled_back_at: Mapped[datetime | None]


class CampaignReferrer(Base):
    """Maintained counts per campaign and customer, so the overview sums a few rows instead of counting the big tables.

    One row per customer who holds (or held) a code of the campaign, has live referrals in it, or live rewards.
    Database triggers on codes, referrals and reward_redemptions (migration 0002) keep every count exact, whichever
    code path writes those tables. `referred` (live referrals of this customer as a referee) is kept only while
    the row exists and computed when it is created, which is all the overview needs: holders who were referred.
    """

    __tablename__ = "campaign_referrers"
    __table_args__ = (Index("ix_campaign_referrers_top", "campaign_id", "live_referrals", "customer_id"),)

    campaign_id: Mapped[str] = mapped_column(String(40), ForeignKey("campaigns.id"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(40), ForeignKey("customers.id"), primary_key=True)
    codes_held: Mapped[int] = mapped_column(default=0)
    referred: Mapped[int] = mapped_column(default=0)
    live_referrals: Mapped[int] = mapped_column(default=0)
    live_rewards: Mapped[int] = mapped_column(default=0)


class LedgerEntry(Base):
    """Append-only balance ledger: credits and points, with reversing entries."""

    __tablename__ = "ledger_entries"

    id: Mapped[str_id]
    entry_key: Mapped[str] = mapped_column(String(120), unique=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(BigInteger)
    reward_id: Mapped[str | None] = mapped_column(ForeignKey("reward_redemptions.id"))
    created_at: Mapped[created_at]


class ValidationRule(Base):
    __tablename__ = "validation_rules"

    id: Mapped[str_id]
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), index=True)
    code_id: Mapped[str | None] = mapped_column(ForeignKey("codes.id"), index=True)
    name: Mapped[str]
    conditions: Mapped[json_dict]
    error_message: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[created_at]


class Distribution(Base):
    __tablename__ = "distributions"
    __table_args__ = (
        Index("ix_distributions_campaign_id", "campaign_id", "id"),
        Index("ix_distributions_status", "status", "created_at"),
    )

    id: Mapped[str_id]
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    campaign_id: Mapped[str | None] = mapped_column(ForeignKey("campaigns.id"))
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), index=True)
    trigger: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str | None] = mapped_column(Text)
    template: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    context: Mapped[json_dict]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    created_at: Mapped[created_at]


class Activity(Base):
    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_campaign", "campaign_id", "id"),
        Index("ix_activities_customer", "customer_id", "id"),
        Index("ix_activities_category", "category", "id"),
    )

    id: Mapped[str_id]
    dedupe_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(40))
    campaign_id: Mapped[str | None] = mapped_column(String(40))
    customer_id: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[json_dict]
    created_at: Mapped[created_at]


class InboundEvent(Base):
    __tablename__ = "inbound_events"
    __table_args__ = (UniqueConstraint("source", "external_id"), Index("ix_inbound_status", "status", "received_at"))

    id: Mapped[str_id]
    source: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str]
    topic: Mapped[str | None] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    headers: Mapped[json_dict]
    normalized: Mapped[dict | None]
    status: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    enqueued_at: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]


class FailedJob(Base):
    __tablename__ = "failed_jobs"

    id: Mapped[str_id]
    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    queue: Mapped[str] = mapped_column(String(80))
    actor: Mapped[str] = mapped_column(String(80), index=True)
    args: Mapped[list] = mapped_column(JsonType, default=list)
    kwargs: Mapped[json_dict]
    options: Mapped[json_dict]
    error: Mapped[str] = mapped_column(Text)
    traceback: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime] = mapped_column(default=utcnow)
    retried_at: Mapped[datetime | None]
    retry_message_id: Mapped[str | None] = mapped_column(String(64))


class ExchangeRate(Base):
    """An operator-maintained rate: 1 `base` = `rate` `quote` from `date` on (until a newer one of the pair)."""

    __tablename__ = "exchange_rates"
    __table_args__ = (UniqueConstraint("base", "quote", "date"),)

    id: Mapped[str_id]
    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    rate: Mapped[str] = mapped_column(String(40))  # a decimal string: exact on every database
    date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[created_at]


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str_id]
    name: Mapped[str]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[created_at]
    last_used_at: Mapped[datetime | None]


class Operator(Base):
    """Someone who signs in to the dashboard: an email and an argon2 hash of the password (never the password)."""

    __tablename__ = "operators"

    id: Mapped[str_id]
    email: Mapped[str] = mapped_column(String(255), unique=True)  # normalized (trimmed, lower case)
    password_hash: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[created_at]
    last_login_at: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]


def row_dict(row: Any, *fields: str) -> dict[str, Any]:
    """The named attributes of a row as a plain dict."""
    return {name: getattr(row, name) for name in fields}
