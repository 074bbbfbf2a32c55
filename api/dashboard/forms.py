"""HTML form fields → the JSON API's request bodies, so a form is checked by the same schema as the API; errors
come back per field, as the form shows them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from api.v1.schemas import CampaignIn

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
LABELS = {
    "name": "Name",
    "referee_reward": "What the friend gets",
    "pattern": "Code pattern",
    "conversion": "Counts as a referral",
    "start_date": "Starts",
    "expiration_date": "Ends",
    "currency": "Currency",
    "reward_hold_days": "Hold rewards for (days)",
}
CAMPAIGN_FIELDS = tuple(LABELS)
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
    if errors:
        return None, errors
    try:
        return CampaignIn.model_validate(body), errors
    except ValidationError as error:
        for item in error.errors():
            name = str(item["loc"][0]) if item["loc"] else ""
            errors.add(f"{name}: {item['msg']}", CAMPAIGN_FIELDS)
        return None, errors


def _integer(text: str, name: str, errors: FormErrors) -> int | None:
    try:
        return int(text)
    except ValueError:
        errors.fields[name] = "must be a whole number of days"
        return None


def _date(text: str, name: str, errors: FormErrors) -> str | None:
    """A date input's YYYY-MM-DD as the start of that day in UTC."""
    if not text:
        return None
    if not DATE.fullmatch(text):
        errors.fields[name] = "must be a date such as 2026-12-31"
        return None
    return f"{text}T00:00:00Z"
