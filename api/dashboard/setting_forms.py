"""The settings tabs' forms (tiers, validation rules, metadata) as the API's request bodies, and rules shown in
words. An operator fills fields, never JSON: a rule is a property, a condition and a value; an amount is in the
campaign's currency ("50.00"), stored in minor units as the API takes it. A value that does not fit raises Invalid,
which the dashboard shows as an error on the page the form came from."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from api.dashboard.forms import FormErrors, validated
from api.v1.schemas import CampaignPatch, RuleIn, TierIn
from db.queries.errors import Invalid
from domain.money import to_major_units, to_minor_units
from domain.rules import KEYS, failure_code

TIER_KINDS = {"each": "for each successful referee", "milestone": "once, at a number of referees"}
REWARD_TYPES = {"credits": "Credits", "points": "Points", "coupon": "A coupon code", "material": "Something material"}
# What the rule form offers: each key of domain.rules, then the two metadata families (their key is typed in)
PROPERTIES = {
    "order.amount": "Order amount",
    "order.items.count": "Number of items in the order",
    "order.items.sku": "An item's SKU",
    "order.items.product": "An item's product id",
    "customer.orders_count": "Customer's paid orders before this one",
    "customer.segment": "Customer segment",
    "redemptions.per_customer": "Redemptions by this customer (including this one)",
    "redemptions.per_code.daily": "Redemptions of the code today (including this one)",
    "referrals.per_referrer_per_day": "Referrals of the code's holder today (including this one)",
    "order.metadata": "Order metadata field",
    "customer.metadata": "Customer metadata field",
}
METADATA_FAMILIES = ("order.metadata", "customer.metadata")
CONDITIONS = {
    "$eq": "=",
    "$ne": "≠",
    "$gt": ">",
    "$gte": "≥",
    "$lt": "<",
    "$lte": "≤",
    "$in": "is one of",
    "$not_in": "is none of",
    "$contains": "contains",
}
LISTS = ("$in", "$not_in")
MAX_METADATA_KEY = 100
METADATA_ROWS_TO_ADD = 3

assert set(PROPERTIES) - set(METADATA_FAMILIES) == set(KEYS), "the rule form offers every key the rules know"


def _text(form: Mapping[str, Any], name: str) -> str:
    return str(form.get(name) or "").strip()


def _refused(errors: FormErrors) -> Invalid:
    """The form's errors as one message, as the flash shows it."""
    return Invalid("; ".join([f"{name}: {text}" for name, text in errors.fields.items()] + errors.general))


# --- tiers ------------------------------------------------------------------------------------


def tier_body(form: Mapping[str, Any], currency: str) -> dict[str, Any]:
    """The tier form as the API's TierIn values (credits typed in the campaign's currency)."""
    errors = FormErrors()
    reward_type = _text(form, "reward_type")
    reward: dict[str, Any] = {"type": reward_type}
    if reward_type in ("credits", "points"):
        reward["amount"] = _amount(_text(form, "amount"), currency if reward_type == "credits" else None, errors)
    elif reward_type == "coupon":
        reward["campaign_id"] = _text(form, "coupon_campaign_id")
        if not reward["campaign_id"]:
            errors.fields["coupon campaign id"] = "a coupon reward names the campaign whose codes it gives"
    else:
        reward["description"] = _text(form, "description")
    body = {
        "name": _text(form, "name"),
        "kind": _text(form, "kind"),
        "threshold": _whole(_text(form, "threshold"), "threshold", errors),
        "reward": reward,
    }
    tier, errors = validated(TierIn, body, errors, ())
    if tier is None:
        raise _refused(errors)
    return tier.model_dump()


def tier_values(tier: Mapping[str, Any], currency: str) -> dict[str, str]:
    """A tier as its edit form's text."""
    reward = tier["reward"]
    amount = reward.get("amount")
    if amount is not None and reward["type"] == "credits":
        amount = to_major_units(amount, currency)
    return {
        "name": tier["name"],
        "kind": tier["kind"],
        "threshold": str(tier["threshold"]),
        "reward_type": reward["type"],
        "amount": "" if amount is None else str(amount),
        "coupon_campaign_id": reward.get("campaign_id", ""),
        "description": reward.get("description", ""),
    }


def reward_text(reward: Mapping[str, Any], currency: str) -> str:
    """`5.00 EUR in credits`, `100 points`, `a code of campaign cmp_…`, or what a material reward is."""
    if reward["type"] == "credits":
        return f"{to_major_units(reward['amount'], currency)} {currency} in credits"
    if reward["type"] == "points":
        return f"{reward['amount']} points"
    if reward["type"] == "coupon":
        return f"a code of campaign {reward['campaign_id']}"
    return reward["description"]


def _amount(text: str, currency: str | None, errors: FormErrors) -> int | None:
    """Credits in major units of `currency` as minor units; points (no currency) as a whole number."""
    if currency is None:
        return _whole(text, "amount", errors)
    amount = finite_decimal(text)
    if amount is None:
        errors.fields["amount"] = f"must be an amount in {currency}, such as 5.00"
        return None
    return to_minor_units(amount, currency)


def finite_decimal(text: str) -> Decimal | None:
    """`text` as a number, or None when it is not one (NaN and Infinity are not amounts)."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _whole(text: str, name: str, errors: FormErrors) -> int | None:
    try:
        return int(text)
    except ValueError:
        errors.fields[name] = "must be a whole number"
        return None


# --- validation rules -------------------------------------------------------------------------


def rule_body(form: Mapping[str, Any], currency: str) -> dict[str, Any]:
    """The rule form as the API's RuleIn values: one condition, {property: {condition: value}}."""
    errors = FormErrors()
    key = _property(form, errors)
    condition = _text(form, "condition")
    if condition not in CONDITIONS:
        errors.fields["condition"] = "choose a condition"
    conditions = {}
    if not errors:
        conditions = {key: {condition: _condition_value(key, condition, _text(form, "value"), currency)}}
    body = {
        "name": _text(form, "name"),
        "conditions": conditions,
        "error_message": _text(form, "error_message") or None,
    }
    rule, errors = validated(RuleIn, body, errors, ())
    if rule is None:
        raise _refused(errors)
    return rule.model_dump()


def _property(form: Mapping[str, Any], errors: FormErrors) -> str:
    chosen = _text(form, "property")
    if chosen in METADATA_FAMILIES:
        field = _text(form, "metadata_key")
        if not field:
            errors.fields["metadata_key"] = f"name the {PROPERTIES[chosen].lower()}"
        return f"{chosen}.{field}"
    if chosen not in KEYS:
        errors.fields["property"] = "choose what the rule checks"
    return chosen


def _condition_value(key: str, condition: str, text: str, currency: str) -> Any:
    """The value typed in, as the rule engine compares it: a list for "is one of", numbers for counts, minor
    units for an order amount, JSON (or else the text) for a metadata field, text for SKUs and segments."""
    if condition in LISTS:
        return [_one_value(key, part.strip(), currency) for part in text.split(",") if part.strip()]
    return _one_value(key, text, currency)


def _one_value(key: str, text: str, currency: str) -> Any:
    kind = KEYS.get(key, "scalar")
    if kind == "number":
        number = finite_decimal(text)
        if number is None:
            raise Invalid(f"value: {text[:40]!r} is not a number")
        if key == "order.amount":
            return to_minor_units(number, currency)
        if number != number.to_integral_value():
            raise Invalid(f"value: {text[:40]!r} must be a whole number")
        return int(number)
    if kind == "scalar":
        return _json_or_text(text)
    return text


def _json_or_text(text: str) -> Any:
    """JSON when `text` is JSON (NaN and Infinity are not: a database cannot store them), else the text."""
    try:
        return json.loads(text, parse_constant=_not_json)
    except ValueError:
        return text


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _shown_value(key: str, value: Any, currency: str) -> str:
    if isinstance(value, list):
        return ", ".join(_shown_value(key, item, currency) for item in value)
    if key == "order.amount" and isinstance(value, int):
        return f"{to_major_units(value, currency)}"
    return value if isinstance(value, str) and KEYS.get(key, "scalar") != "scalar" else _as_json_text(value)


def _as_json_text(value: Any) -> str:
    """A metadata value as typed back: text as it is unless it would read as JSON (then quoted), else JSON."""
    if isinstance(value, str) and _json_or_text(value) == value:
        return value
    return json.dumps(value, ensure_ascii=False)


def rule_lines(rule: Mapping[str, Any], currency: str) -> list[str]:
    """Each condition of a rule in words: `order.amount ≥ 50.00 EUR`, `customer.segment is one of vip, staff`."""
    lines = []
    for key, operators in rule["conditions"].items():
        for condition, value in operators.items():
            unit = f" {currency}" if key == "order.amount" else ""
            lines.append(f"{key} {CONDITIONS.get(condition, condition)} {_shown_value(key, value, currency)}{unit}")
    return lines


def rule_failure_code(rule: Mapping[str, Any]) -> str:
    """The failure code a redemption gets when this rule fails (its first condition decides, as domain.rules)."""
    return failure_code(next(iter(rule["conditions"]), ""))


def rule_values(rule: Mapping[str, Any], currency: str) -> dict[str, str]:
    """A rule as its edit form's text; a rule of several conditions (made through the API) shows its first."""
    key, operators = next(iter(rule["conditions"].items()))
    condition, value = next(iter(operators.items()))
    family = next((name for name in METADATA_FAMILIES if key.startswith(name + ".")), None)
    return {
        "name": rule["name"],
        "property": family or key,
        "metadata_key": key.removeprefix(f"{family}.") if family else "",
        "condition": condition,
        "value": _shown_value(key, value, currency),
        "error_message": rule.get("error_message") or "",
        "conditions_count": str(sum(len(operators) for operators in rule["conditions"].values())),
    }


# --- metadata ---------------------------------------------------------------------------------


def metadata_body(form: Mapping[str, Any]) -> dict[str, Any]:
    """The rows of key/value inputs (`key_<n>`, `value_<n>`) as the campaign's metadata: an empty row is left
    out (that is how a key is removed); a value that reads as JSON is kept as JSON, else as text."""
    metadata: dict[str, Any] = {}
    rows = sorted({name.split("_", 1)[1] for name in form if name.startswith(("key_", "value_"))})
    for row in rows:
        key, value = _text(form, f"key_{row}"), str(form.get(f"value_{row}") or "").strip()
        if not key and not value:
            continue
        if not key:
            raise Invalid(f"metadata: the value {value[:40]!r} needs a key")
        if len(key) > MAX_METADATA_KEY:
            raise Invalid(f"metadata: the key {key[:40]!r}… is longer than {MAX_METADATA_KEY} characters")
        if key in metadata:
            raise Invalid(f"metadata: the key {key!r} is given twice")
        metadata[key] = _json_or_text(value)
    patch, errors = validated(CampaignPatch, {"metadata": metadata}, FormErrors(), ())
    if patch is None:
        raise _refused(errors)
    return metadata


def metadata_rows(metadata: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The metadata as (key, value as typed) rows, then empty rows to add keys."""
    return [(key, _as_json_text(value)) for key, value in metadata.items()] + [("", "")] * METADATA_ROWS_TO_ADD


# --- the landing setting ----------------------------------------------------------------------


def landing_url(form: Mapping[str, Any]) -> str | None:
    """The landing URL typed in, checked by the API's schema; empty clears it (the built-in landing page)."""
    url = _text(form, "landing_url") or None
    patch, errors = validated(CampaignPatch, {"landing_url": url}, FormErrors(), ())
    if patch is None:
        raise _refused(errors)
    return url
