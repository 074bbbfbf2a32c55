"""HTML form fields → the JSON API's request bodies, so a form is checked by the same schema as the API; errors
come back per field, as the form shows them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import ValidationError

from api.v1.schemas import Body, CampaignIn, CampaignPatch

Model = TypeVar("Model", bound=Body)
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DAY_FIELDS = ("start_date", "expiration_date")
LABELS = {
    "name": "Name",
    "referee_reward": "What the friend gets",
    "pattern": "Code pattern",
    "conversion": "Counts as a referral",
    "start_date": "Starts",
    "expiration_date": "Ends",
    "currency": "Currency",
    "reward_hold_days": "Hold rewards for (days)",
    "description": "Description",
    "webhook_url": "Webhook URL",
    "landing_url": "Landing URL",
}
CAMPAIGN_FIELDS = tuple(LABELS)
# The settings tab's edit form (SPEC §5: timeframe, name, description...; conversion and currency until redeemed)
EDIT_FIELDS = (
    "name",
    "description",
    "referee_reward",
    "start_date",
    "expiration_date",
    "reward_hold_days",
    "webhook_url",
    "currency",
    "conversion",
)
FIXED_ONCE_REDEEMED = ("currency", "conversion")
WORDS = {"start_date": "the start date", "expiration_date": "the end date"}  # API names in the API's messages
CONVERSIONS = {"order.paid": "when the referee's order is paid", "order.created": "when the referee orders"}


@dataclass
class FormErrors:
    """Messages by field name, and those that belong to no one field."""

    fields: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def add(self, message: str, names: tuple[str, ...]) -> None:
        """A message whose text starts with `name:` (as the API's do) goes to that field when the form has it."""
        name, _, text = message.partition(": ")
        name = "pattern" if name.startswith("code_config") else name
        for api_name, words in WORDS.items():
            text = text.replace(api_name, words)
        if name in names and text:
            self.fields.setdefault(name, text)
        else:
            self.general.append(message)


def campaign_form(form: Mapping[str, Any]) -> dict[str, str]:
    """The submitted fields as text, for showing the form again."""
    return {name: str(form.get(name, "")).strip() for name in CAMPAIGN_FIELDS}


def campaign_body(values: dict[str, str]) -> tuple[CampaignIn | None, FormErrors]:
    """The form's values as the API's CampaignIn, or the errors that stop it."""
    errors = FormErrors()
    body: dict[str, Any] = {
        "name": values["name"],
        "referee_reward": values["referee_reward"] or None,
        "code_config": {"pattern": values["pattern"] or "REF-####-????"},
        "conversion": values["conversion"] or "order.paid",
        "currency": values["currency"] or None,
        "reward_hold_days": _integer(values["reward_hold_days"] or "0", "reward_hold_days", errors),
    }
    for name in ("start_date", "expiration_date"):
        body[name] = _date(values[name], name, errors)
    if not values["name"]:
        errors.fields["name"] = "a campaign needs a name"
    return validated(CampaignIn, body, errors, CAMPAIGN_FIELDS)


def edit_form(form: Mapping[str, Any]) -> dict[str, str]:
    """The edit form's fields as text; a field the form did not send (conversion and currency are disabled once
    the campaign has redemptions) and a date left as it was shown are left out, so they are not changed."""
    kept = unchanged_days(form)
    return {name: str(form[name]).strip() for name in EDIT_FIELDS if name in form and name not in kept}


def edit_values(campaign: Mapping[str, Any]) -> dict[str, str]:
    """A campaign (as the API shows it) as the edit form's text."""
    values = {name: "" if campaign.get(name) is None else str(campaign[name]) for name in EDIT_FIELDS}
    for name in ("start_date", "expiration_date"):
        values[name] = values[name][:10]
    return values


def edit_body(values: dict[str, str]) -> tuple[dict[str, Any] | None, FormErrors]:
    """The edit form as the API's CampaignPatch values (only the fields sent; an emptied text field is cleared),
    or the errors that stop it."""
    errors = FormErrors()
    body: dict[str, Any] = {
        name: values[name] or None
        for name in ("name", "description", "referee_reward", "webhook_url", "currency", "conversion")
        if name in values
    }
    if "reward_hold_days" in values:
        body["reward_hold_days"] = _integer(values["reward_hold_days"] or "0", "reward_hold_days", errors)
    for name in ("start_date", "expiration_date"):
        if name in values:
            body[name] = _date(values[name], name, errors)
    if "name" in values and not values["name"]:
        errors.fields["name"] = "a campaign needs a name"
    if body.get("conversion") is None:
        body.pop("conversion", None)
    patch, errors = validated(CampaignPatch, body, errors, EDIT_FIELDS)
    return (patch.given() if patch else None), errors


def validated(
    model: type[Model], body: dict[str, Any], errors: FormErrors, names: tuple[str, ...]
) -> tuple[Model | None, FormErrors]:
    """`body` checked by the API's `model`, its messages added to `errors` by field; None when anything failed."""
    if errors:
        return None, errors
    try:
        return model.model_validate(body), errors
    except ValidationError as error:
        for item in error.errors():
            name = ".".join(str(part) for part in item["loc"]) if item["loc"] else ""
            errors.add(f"{name}: {item['msg']}", names)
        return None, errors


def _integer(text: str, name: str, errors: FormErrors) -> int | None:
    try:
        return int(text)
    except ValueError:
        errors.fields[name] = "must be a whole number of days"
        return None


def _date(text: str, name: str, errors: FormErrors) -> str | None:
    if text and not DATE.fullmatch(text):
        errors.fields[name] = "must be a date such as 2026-12-31"
        return None
    return day_moment(text, name)


def day_moment(day: str, name: str) -> str | None:
    """A date input's YYYY-MM-DD as a moment in UTC: a start date at the start of that day, an end
    (`expiration_date`) at its very end, so the day typed in is the last valid one (as the CLI and the CSV import
    read a date); None when empty."""
    if not day:
        return None
    return f"{day}T23:59:59.999999Z" if name == "expiration_date" else f"{day}T00:00:00Z"


def unchanged_days(form: Mapping[str, Any]) -> set[str]:
    """The date fields the operator left as the form showed them (its `<name>_shown` hidden fields): they are not
    sent, so saving a form never rounds a stored moment (23:59:59 set through the API) to its day."""
    return {
        name
        for name in DAY_FIELDS
        if name in form and f"{name}_shown" in form and str(form[name]).strip() == str(form[f"{name}_shown"]).strip()
    }
