"""Request bodies of the JSON API: types and bounds here; checks that need the domain are in db/.

Numbers and booleans are strict (a JSON string is not a number), so the OpenAPI schema says exactly what is
accepted; times are ISO 8601 strings, naive ones taken as UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict, StringConstraints

from api.validators import text_only
from domain.events import CustomerData
from domain.money import InvalidMoney, currency_code
from domain.notify import CHANNELS, TRIGGERS
from domain.rules import KEYS, OPERATORS

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Text = Annotated[str, StringConstraints(max_length=10_000)]
Short = Annotated[str, StringConstraints(max_length=255)]
Metadata = Annotated[dict[str, Any], Field(max_length=100)]
Bool = Annotated[bool, Strict()]
MAX_AMOUNT = 10**15
MAX_INT32 = 2**31 - 1
CONVERSION_PATTERN = r"^(order\.paid|order\.created|custom_event:[A-Za-z0-9_.:-]{1,100})$"
Trigger = Literal[TRIGGERS]  # type: ignore[valid-type]
Channel = Literal[CHANNELS]  # type: ignore[valid-type]


def json_integer(value: Any) -> Any:
    """A JSON integer: 5 or 5.0, but not "5" or true."""
    if isinstance(value, (bool, str)):
        raise ValueError("must be a JSON integer")
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _as_utc(value: datetime) -> datetime:
    """Naive times are UTC; aware ones are converted to UTC."""
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ValueError("date is out of range") from None


def _currency(value: str) -> str:
    try:
        return currency_code(value)
    except InvalidMoney as error:
        raise ValueError(str(error)) from None


def _decimal_string(value: Any) -> Any:
    """A rate is a decimal string ("0.1282"), never a JSON number: a float would already have lost digits."""
    if not isinstance(value, str):
        raise ValueError('must be a decimal string such as "0.1282", not a JSON number')
    return value


Int = Annotated[int, BeforeValidator(json_integer)]
Currency = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z]{3}$"),
    AfterValidator(_currency),
    Field(description="ISO 4217 code, e.g. USD, JPY, KWD", examples=["USD"]),
]
UtcDatetime = Annotated[datetime, BeforeValidator(text_only), AfterValidator(_as_utc)]
SourceId = Annotated[
    Annotated[str, StringConstraints(min_length=1, max_length=255)] | Int, AfterValidator(lambda value: str(value))
]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def given(self) -> dict[str, Any]:
        """Only the fields the client sent (for partial updates)."""
        return self.model_dump(exclude_unset=True)


class CodeConfigIn(Body):
    pattern: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^\S*[#?]\S*$")] | None = Field(
        None, description="# is a digit, ? a letter (or a charset character); e.g. REF-####-????"
    )
    charset: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^\S+$")] | None = None
    prefix: Annotated[str, StringConstraints(max_length=50, pattern=r"^\S*$")] | None = None
    postfix: Annotated[str, StringConstraints(max_length=50, pattern=r"^\S*$")] | None = None
    length: Int | None = Field(None, ge=1, le=50, description="without a pattern: that many ? characters")

    def given(self) -> dict[str, Any]:
        return {key: value for key, value in super().given().items() if value is not None}


class CampaignFields(Body):
    description: Text | None = None
    start_date: UtcDatetime | None = None
    expiration_date: UtcDatetime | None = None
    days_of_week: Annotated[list[Annotated[Int, Field(ge=0, le=6)]], Field(max_length=7)] | None = Field(
        None, description="0 = Monday … 6 = Sunday; null = every day"
    )
    join_once: Bool = True
    code_config: CodeConfigIn = Field(default_factory=lambda: CodeConfigIn(pattern="REF-####-????"))
    conversion: Annotated[str, StringConstraints(pattern=CONVERSION_PATTERN)] = Field(
        "order.paid", description="order.paid | order.created | custom_event:<name>"
    )
    referee_reward: Text | None = None
    reward_hold_days: Int = Field(0, ge=0, le=3650)
    metadata: Metadata = Field(default_factory=dict)
    notifications: dict[Trigger, Annotated[list[Channel], Field(max_length=2)]] = Field(
        default_factory=dict, description='trigger → channels, e.g. {"code_published": ["email", "webhook"]}'
    )
    webhook_url: Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://\S+$")] | None = None
    landing_url: Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://\S+$")] | None = Field(
        None,
        description="where a share link /r/{code} sends a visitor: ref=<CODE> is appended, or {code} replaced; "
        "null: the built-in landing page",
    )
    currency: Currency | None = Field(
        None, description="ISO 4217: amount rules and figures are in it; default REFERRALS_DEFAULT_CURRENCY"
    )

    def given(self) -> dict[str, Any]:
        values = super().given()
        if "code_config" in values and self.code_config is not None:
            values["code_config"] = self.code_config.given()
        return values


class CampaignIn(CampaignFields):
    name: Name
    active: Bool = True

    def values(self, default_currency: str) -> dict[str, Any]:
        return self.model_dump() | {
            "code_config": self.code_config.given(),
            "currency": self.currency or default_currency,
        }


class CampaignPatch(CampaignFields):
    name: Name | None = None

    def given(self) -> dict[str, Any]:
        return {
            key: value for key, value in super().given().items() if key not in ("name", "currency") or value is not None
        }


class BalanceReward(Body):
    type: Literal["credits", "points"]
    amount: Int = Field(ge=1, le=MAX_AMOUNT, description="credits in minor units, or points")


class CouponReward(Body):
    type: Literal["coupon"]
    campaign_id: Annotated[str, StringConstraints(min_length=1, max_length=40)] = Field(
        description="the campaign whose codes are given"
    )


class MaterialReward(Body):
    type: Literal["material"]
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)] = Field(
        description="what the referrer receives (an operator completes it)"
    )


RewardIn = Annotated[BalanceReward | CouponReward | MaterialReward, Field(discriminator="type")]


class TierIn(Body):
    name: Name
    kind: Literal["each", "milestone"]
    threshold: Int = Field(ge=1, le=1_000_000)
    reward: RewardIn


class TierPatch(Body):
    name: Name | None = None
    kind: Literal["each", "milestone"] | None = None
    threshold: Int | None = Field(None, ge=1, le=1_000_000)
    reward: RewardIn | None = None

    def given(self) -> dict[str, Any]:
        return {key: value for key, value in super().given().items() if value is not None}


CONDITION_KEY = "^(" + "|".join(re.escape(key) for key in KEYS) + r"|order\.metadata\..+|customer\.metadata\..+)$"
CONDITIONS_SCHEMA = {
    "minProperties": 1,
    "propertyNames": {"pattern": CONDITION_KEY},
    "additionalProperties": {"type": "object", "minProperties": 1, "propertyNames": {"enum": list(OPERATORS)}},
}
# Documented precisely, but checked by the rule engine, whose messages say what is wrong ("did you mean …").
Conditions = Annotated[dict[str, Any], Field(json_schema_extra=CONDITIONS_SCHEMA)]


class RuleIn(Body):
    name: Name
    conditions: Conditions = Field(description='e.g. {"order.amount": {"$gt": 8000}}')
    error_message: Text | None = None


class RulePatch(Body):
    name: Name | None = None
    conditions: Conditions | None = None
    error_message: Text | None = None

    def given(self) -> dict[str, Any]:
        return {key: value for key, value in super().given().items() if value is not None or key == "error_message"}


class LogicIn(Body):
    logic: Short | None = Field(None, description='e.g. "1 AND (2 OR 3)"; null: every rule must pass')


class CountIn(Body):
    count: Int = Field(ge=1, le=100_000, description="at most 100,000 per call (a few seconds); call again for more")


class CodePatch(Body):
    """A code's settings; only the fields given change, and null clears a limit or a date."""

    active: Bool = Field(None, description="false: redemptions fail with voucher_not_active")
    redemption_limit: Annotated[Int, Field(ge=1, le=MAX_INT32)] | None = Field(
        None, description="at least the code's redeemed_count; null: no limit"
    )
    start_date: UtcDatetime | None = Field(None, description="before it, redemptions fail with voucher_not_active")
    expiration_date: UtcDatetime | None = Field(None, description="from it on, redemptions fail with voucher_expired")


class CustomerIn(Body):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"anyOf": [{"required": ["source_id"]}, {"required": ["email"]}]}
    )

    source_id: SourceId | None = None
    email: Short | None = None
    name: Short | None = None
    locale: Annotated[str, StringConstraints(max_length=35)] | None = None
    metadata: Metadata = Field(default_factory=dict)

    def data(self) -> CustomerData:
        return CustomerData(self.source_id, self.email, self.name, self.locale, dict(self.metadata))


class PublishIn(Body):
    customer: CustomerIn
    channel: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = "api"


class OrderIn(Body):
    model_config = ConfigDict(extra="allow")

    id: SourceId | None = None
    amount: Int | None = Field(None, ge=-MAX_AMOUNT, le=MAX_AMOUNT)
    currency: Currency | None = Field(None, description="ISO 4217; none: the campaign's currency")
    items: Annotated[list[dict[str, Any]], Field(max_length=1000)] = Field(default_factory=list)
    metadata: Metadata = Field(default_factory=dict)


class ValidationIn(Body):
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    customer: CustomerIn | None = None
    order: OrderIn | None = None


Day = Annotated[date, BeforeValidator(text_only)]


class ExchangeRateIn(Body):
    base: Currency
    quote: Currency
    rate: Annotated[
        str, BeforeValidator(_decimal_string), StringConstraints(strip_whitespace=True, min_length=1, max_length=40)
    ] = Field(description="1 base = rate quote, as a decimal string", examples=["0.1282"])
    date: Day | None = Field(
        None, description="ISO 8601 day the rate applies from (until a newer one); default today (UTC)"
    )


class TemplateIn(Body):
    source: Annotated[str, StringConstraints(max_length=100_000)]


class PreviewIn(Body):
    locale: Annotated[str, StringConstraints(max_length=35)] | None = None
