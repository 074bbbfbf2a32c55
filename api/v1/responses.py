"""Success bodies of the JSON API, for the OpenAPI document: exactly the dicts db/queries/ builds for the handlers.

Routes name them in `responses={status: {"model": ...}}`, so FastAPI documents them without filtering or
re-validating what a handler returns; the schemathesis suite checks every answer against them. Times are
ISO 8601 UTC strings; open JSON payloads (metadata, activity data, a reward spec) are plain objects.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Json = dict[str, Any]
Day = date  # a field named `date` cannot be annotated with `date` itself
Item = TypeVar("Item")


class Shape(BaseModel):
    """A response body listing its fields exactly: an undocumented field fails the schema."""

    model_config = ConfigDict(extra="forbid")


class Page(Shape, Generic[Item]):
    """A page of a list, newest first; `next_cursor` is the `cursor` of the next page, null on the last."""

    data: list[Item]
    next_cursor: str | None


class ErrorDetail(Shape):
    code: str
    message: str


class ErrorBody(Shape):
    error: ErrorDetail


class Campaign(Shape):
    id: str
    name: str
    description: str | None
    active: bool
    start_date: datetime | None
    expiration_date: datetime | None
    days_of_week: list[int] | None
    join_once: bool
    code_config: Json
    conversion: str
    referee_reward: str | None
    reward_hold_days: int
    metadata: Json
    rules_logic: str | None
    notifications: dict[str, list[str]]
    webhook_url: str | None
    landing_url: str | None
    currency: str
    created_at: datetime
    updated_at: datetime


class CampaignState(Shape):
    id: str
    active: bool


class Activity(Shape):
    id: str
    type: str
    category: str
    campaign_id: str | None
    customer_id: str | None
    created_at: datetime
    data: Json


class TopReferrer(Shape):
    customer_id: str
    name: str | None
    email: str | None
    referees: int


class Validity(Shape):
    start_date: datetime | None
    expiration_date: datetime | None


class Summary(Shape):
    available_codes: int
    customers_joined: int
    customers_with_codes: int
    referees: int
    rewards_assigned: int
    top_referrers: list[TopReferrer]
    recent_activity: list[Activity]
    validity: Validity


class Referrer(Shape):
    customer_id: str
    name: str | None
    email: str | None
    code: str
    published_at: datetime | None
    channel: str | None
    status: str
    referees: int


class Referee(Shape):
    customer_id: str
    name: str | None
    email: str | None
    referrer_id: str
    orders_count: int
    orders_amount: int
    orders_currency: str
    orders_amounts: dict[str, int]
    referral_id: str
    referred_at: datetime


class RefereePage(Page[Referee]):
    """Totals over every referee the filters cover, not only this page; the amount is in the campaign's currency."""

    total_orders_count: int
    total_orders_amount: int
    currency: str


class Redemption(Shape):
    id: str
    code: str
    customer_id: str | None
    order_id: str | None
    result: str
    status: str
    failure_code: str | None
    failure_message: str | None
    amount: int | None
    created_at: datetime
    campaign_id: str | None
    event_id: str | None
    rolled_back_at: datetime | None


class RuleLog(Shape):
    rule: str
    passed: bool
    detail: str


class RedemptionDetail(Redemption):
    logs: list[RuleLog]


class Reward(Shape):
    """A reward redemption; `customer_name` and `customer_email` are its referrer's (the customer of `customer_id`)."""

    id: str
    customer_id: str
    tier_id: str
    type: str
    amount: int | None
    status: str
    event_id: str | None
    created_at: datetime
    campaign_id: str
    referral_id: str | None
    hold_until: datetime | None
    details: Json
    completed_at: datetime | None
    rolled_back_at: datetime | None
    customer_name: str | None
    customer_email: str | None


class Distribution(Shape):
    id: str
    campaign_id: str | None
    customer_id: str | None
    trigger: str
    channel: str
    recipient: str | None
    template: str
    status: str
    attempts: int
    last_error: str | None
    sent_at: datetime | None
    created_at: datetime


class Tier(Shape):
    id: str
    campaign_id: str
    name: str
    kind: str
    threshold: int
    reward: Json
    created_at: datetime


class Rule(Shape):
    id: str
    campaign_id: str
    code_id: str | None
    name: str
    conditions: Json
    error_message: str | None
    position: int
    created_at: datetime


class NumberedRule(Rule):
    """A rule with the number the logic refers to it by."""

    number: int


class RulePage(Page[NumberedRule]):
    logic: str | None


class RulesLogic(Shape):
    logic: str | None


class TemplateOverride(Shape):
    name: str
    source: str


class Preview(Shape):
    subject: str
    text: str
    html: str


class Code(Shape):
    id: str
    code: str
    campaign_id: str
    active: bool
    holder_id: str | None
    published_at: datetime | None
    channel: str | None
    redemption_limit: int | None
    redeemed_count: int
    start_date: datetime | None
    expiration_date: datetime | None
    category: str | None
    metadata: Json
    deleted_at: datetime | None
    created_at: datetime


class CodesCreated(Shape):
    created: int


class ImportRowError(Shape):
    line: int
    message: str


class ImportReport(Shape):
    imported: int
    updated: int
    errors: list[ImportRowError]


class Publication(Shape):
    """The answer to inviting a referrer or publishing a code."""

    code: str
    customer_id: str
    published_at: datetime
    channel: str


class Balances(Shape):
    credits: int
    points: int


class Customer(Shape):
    id: str
    source_id: str | None
    email: str | None
    name: str | None
    locale: str | None
    metadata: Json
    orders_count: int
    orders_amount: int
    orders_currency: str
    orders_amounts: dict[str, int]
    balances: Balances
    created_at: datetime


class ValidationPassed(Shape):
    valid: Literal[True]


class ValidationFailed(Shape):
    valid: Literal[False]
    failure_code: str
    failure_message: str
    logs: list[RuleLog]


Validation = ValidationPassed | ValidationFailed


class Event(Shape):
    id: str
    source: str
    external_id: str
    topic: str | None
    status: str
    error: str | None
    received_at: datetime
    processed_at: datetime | None


class EventDetail(Event):
    attempts: int
    enqueued_at: datetime | None
    headers: Json
    normalized: Json | None
    body: str


class FailedJob(Shape):
    id: str
    message_id: str
    queue: str
    actor: str
    args: list[Any]
    kwargs: Json
    error: str
    failed_at: datetime
    retried_at: datetime | None
    retry_message_id: str | None


class FailedJobDetail(FailedJob):
    options: Json
    traceback: str | None


class JobsRetried(Shape):
    retried: int
    data: list[FailedJob]


class ExchangeRate(Shape):
    """1 `base` = `rate` `quote` (a decimal string) from `date` (a day) on, until a newer rate of the pair."""

    id: str
    base: str
    quote: str
    rate: str
    date: str
    created_at: datetime


class JobsPurged(Shape):
    deleted: int


class AnalyticsWindow(Shape):
    start_date: date
    end_date: date
    interval: Literal["day", "week"]


class Ratio(Shape):
    """A ratio with its parts; `value` is null (and `reason` says why) when the divisor is 0."""

    value: float | None
    reason: str | None


class Activation(Ratio):
    activated: int
    invited: int


class KFactor(Ratio):
    referees: int
    referrers: int


class AnalyticsCounts(Shape):
    referees: int
    redemptions_succeeded: int
    redemptions_failed: int
    rewards_created: int
    rewards_completed: int
    rewards_rolled_back: int
    referral_revenue: int = Field(description="minor units of the campaign's currency")
    attributed_revenue: int = Field(description="minor units of the campaign's currency")


class AnalyticsTotals(AnalyticsCounts):
    activation: Activation
    k_factor: KFactor


class AnalyticsPoint(AnalyticsCounts):
    date: Day = Field(description="the day, or the Monday of the week")


class Analytics(Shape):
    campaign_id: str
    window: AnalyticsWindow
    currency: str
    totals: AnalyticsTotals
    unconverted_revenue: dict[str, int] = Field(
        description="revenue in currencies with no exchange rate to the campaign's, by currency (minor units)"
    )
    series: list[AnalyticsPoint]
    definitions: dict[str, str]
    not_counted: dict[str, str]
