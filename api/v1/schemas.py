"""Request bodies of the JSON API: types and bounds here; checks that need the domain are in db/."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from domain.events import CustomerData

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Text = Annotated[str, StringConstraints(max_length=10_000)]
Short = Annotated[str, StringConstraints(max_length=255)]
Metadata = Annotated[dict[str, Any], Field(max_length=100)]
MAX_AMOUNT = 10**15


def _as_utc(value: datetime) -> datetime:
    """Naive times are UTC; aware ones are converted to UTC."""
    try:
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("date is out of range") from None


def _id_text(value: Any) -> Any:
    """Platform ids may arrive as numbers; they are stored as strings."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]
SourceId = Annotated[str, BeforeValidator(_id_text), StringConstraints(min_length=1, max_length=255)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def given(self) -> dict[str, Any]:
        """Only the fields the client sent (for partial updates)."""
        return self.model_dump(exclude_unset=True)


class CampaignFields(Body):
    description: Text | None = None
    start_date: UtcDatetime | None = None
    expiration_date: UtcDatetime | None = None
    days_of_week: Annotated[list[Annotated[int, Field(ge=0, le=6)]], Field(max_length=7)] | None = Field(
        None, description="0 = Monday … 6 = Sunday; null = every day")
    join_once: bool = True
    code_config: dict[str, Any] = Field(default_factory=lambda: {"pattern": "REF-####-????"},
                                        description='{"pattern": "REF-####-????", "charset", "prefix", "postfix"}')
    conversion: Short = Field("order.paid", description="order.paid | order.created | custom_event:<name>")
    referee_reward: Text | None = None
    reward_hold_days: int = Field(0, ge=0, le=3650)
    metadata: Metadata = Field(default_factory=dict)
    notifications: dict[Short, Annotated[list[Short], Field(max_length=2)]] = Field(
        default_factory=dict, description="trigger → channels, e.g. {\"code_published\": [\"email\", \"webhook\"]}")
    webhook_url: Annotated[str, StringConstraints(max_length=2000)] | None = None


class CampaignIn(CampaignFields):
    name: Name
    active: bool = True


class CampaignPatch(CampaignFields):
    name: Name | None = None

    def given(self) -> dict[str, Any]:
        values = super().given()
        required = ("name", "join_once", "code_config", "conversion", "reward_hold_days", "metadata", "notifications")
        return {key: value for key, value in values.items() if value is not None or key not in required}


class RewardIn(Body):
    type: Literal["credits", "points", "coupon", "material"]
    amount: int | None = Field(None, ge=1, le=MAX_AMOUNT, description="credits (minor units) or points")
    campaign_id: Short | None = Field(None, description="coupon: the campaign whose codes are given")
    description: Text | None = Field(None, description="material: what the referrer receives")


class TierIn(Body):
    name: Name
    kind: Literal["each", "milestone"]
    threshold: int = Field(ge=1, le=1_000_000)
    reward: RewardIn


class TierPatch(Body):
    name: Name | None = None
    kind: Literal["each", "milestone"] | None = None
    threshold: int | None = Field(None, ge=1, le=1_000_000)
    reward: RewardIn | None = None

    def given(self) -> dict[str, Any]:
        return {key: value for key, value in super().given().items() if value is not None}


class RuleIn(Body):
    name: Name
    conditions: dict[str, Any] = Field(description='e.g. {"order.amount": {"$gt": 8000}}')
    error_message: Text | None = None


class RulePatch(Body):
    name: Name | None = None
    conditions: dict[str, Any] | None = None
    error_message: Text | None = None

    def given(self) -> dict[str, Any]:
        return {key: value for key, value in super().given().items() if value is not None or key == "error_message"}


class LogicIn(Body):
    logic: Short | None = Field(None, description='e.g. "1 AND (2 OR 3)"; null: every rule must pass')


class CountIn(Body):
    count: int = Field(ge=1, le=1_000_000)


class CustomerIn(Body):
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
    amount: int | None = Field(None, ge=-MAX_AMOUNT, le=MAX_AMOUNT)
    items: Annotated[list[dict[str, Any]], Field(max_length=1000)] = Field(default_factory=list)
    metadata: Metadata = Field(default_factory=dict)


class ValidationIn(Body):
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    customer: CustomerIn | None = None
    order: OrderIn | None = None


class TemplateIn(Body):
    source: Annotated[str, StringConstraints(max_length=100_000)]


class PreviewIn(Body):
    locale: Annotated[str, StringConstraints(max_length=35)] | None = None
