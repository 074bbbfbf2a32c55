"""Validation rules: conditions a redemption must meet, evaluated against a flat mapping of facts.

A rule is a name, conditions and an optional error message. Conditions map a key to operators,
``{"order.amount": {"$gt": 8000}}``; every operator on a key and every key in a rule must hold.

Keys and what their operators mean:

- ``order.amount``, ``order.items.count`` (total quantity), ``customer.orders_count`` (paid orders
  before this one), ``redemptions.per_customer`` and ``redemptions.per_code.daily`` (successful
  redemptions including this one), ``referrals.per_referrer_per_day`` (the code holder's referrals
  today including this one): numbers; ``$eq $ne $gt $gte $lt $lte`` compare, ``$in``/``$not_in``
  test membership.
- ``order.items.sku`` and ``order.items.product`` (an item's ``sku`` / ``product_id``, compared as
  strings): ``$contains X`` any item has X; ``$in [..]`` any item has one of them; ``$not_in [..]``
  no item has any of them; ``$eq X`` the order has items and every item has X.
- ``customer.segment``: ``$eq``/``$contains X`` the customer is in segment X; ``$in [..]`` in any of
  them; ``$ne X`` not in X; ``$not_in [..]`` in none of them.
- ``order.metadata.<k>``, ``customer.metadata.<k>``: any JSON scalar, compared strictly (``true`` is
  not ``1``, ``"5"`` is not ``5``); the ordering operators need numbers on both sides; ``$contains``
  is a substring test on strings and membership on lists. A missing key fails the condition,
  except under ``$ne`` and ``$not_in``, which pass.

Without an order in the facts every ``order.*`` condition fails with "no order".
"""

from __future__ import annotations

import copy
import difflib
import json
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from domain.logic import InvalidLogic, InvalidRule, blame, evaluate_logic, parse_logic

__all__ = [
    "KEYS",
    "OPERATORS",
    "InvalidLogic",
    "InvalidRule",
    "Rule",
    "RuleLog",
    "RulesOutcome",
    "effective_rules",
    "evaluate_rules",
    "log_to_dict",
    "parse_logic",
    "parse_rule",
    "rule_from_dict",
    "rule_to_dict",
]

ORDER_RULES_VIOLATED = "order_rules_violated"
CUSTOMER_RULES_VIOLATED = "customer_rules_violated"
REDEMPTION_RULES_VIOLATED = "redemption_rules_violated"

_ORDERING: dict[str, Callable[[Any, Any], bool]] = {
    "$gt": operator.gt,
    "$gte": operator.ge,
    "$lt": operator.lt,
    "$lte": operator.le,
}
OPERATORS = ("$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$not_in", "$contains")
_LISTS = {"$in", "$not_in"}

KEYS: dict[str, str] = {
    "order.amount": "number",
    "order.items.count": "number",
    "order.items.sku": "items",
    "order.items.product": "items",
    "customer.orders_count": "number",
    "customer.segment": "segment",
    "redemptions.per_customer": "number",
    "redemptions.per_code.daily": "number",
    "referrals.per_referrer_per_day": "number",
}
_METADATA_PREFIXES = ("order.metadata.", "customer.metadata.")
_ALLOWED = {
    "number": ("$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$not_in"),
    "items": ("$eq", "$contains", "$in", "$not_in"),
    "segment": ("$eq", "$ne", "$contains", "$in", "$not_in"),
    "scalar": OPERATORS,
}
_ITEM_FIELDS = {"order.items.sku": "sku", "order.items.product": "product_id"}
_PHRASES = {
    "$eq": "must equal",
    "$ne": "must not equal",
    "$gt": "must be greater than",
    "$gte": "must be at least",
    "$lt": "must be less than",
    "$lte": "must be at most",
    "$in": "must be one of",
    "$not_in": "must not be one of",
    "$contains": "must contain",
}
_ITEM_PHRASES = {
    "$eq": "must be only",
    "$contains": "must include",
    "$in": "must include one of",
    "$not_in": "must include none of",
}


@dataclass(frozen=True)
class Rule:
    """A named set of conditions, all of which must hold."""

    name: str
    conditions: Mapping[str, Mapping[str, Any]]
    error_message: str | None = None


@dataclass(frozen=True)
class RuleLog:
    """Why one rule passed or failed, kept on the redemption for operators."""

    rule: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class RulesOutcome:
    """The verdict over all rules, with a failure code and message when it fails."""

    passed: bool
    failure_code: str | None
    failure_message: str | None
    logs: tuple[RuleLog, ...]


@dataclass(frozen=True)
class _Missing:
    """A fact that is not there, with the reason shown in the log."""

    reason: str


@dataclass(frozen=True)
class _Check:
    """The result of one operator on one key."""

    key: str
    op: str
    expected: Any
    passed: bool
    detail: str


# --- definition -------------------------------------------------------------------------------


def parse_rule(name: object, conditions: object, error_message: object = None) -> Rule:
    """Validate a rule definition and return it as a Rule; raise InvalidRule naming the problem."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidRule("a rule needs a non-empty name")
    if error_message is not None and not isinstance(error_message, str):
        raise InvalidRule(f"rule {name!r}: error_message must be a string")
    problem = _conditions_problem(conditions)
    if problem:
        raise InvalidRule(f"rule {name!r}: {problem}")
    checked = cast(Mapping[str, Mapping[str, Any]], conditions)  # what _conditions_problem found no fault with
    return Rule(name, copy.deepcopy(dict(checked)), error_message or None)


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    """A JSON-ready dict of a rule."""
    return {"name": rule.name, "conditions": copy.deepcopy(dict(rule.conditions)), "error_message": rule.error_message}


def rule_from_dict(data: Mapping[str, Any]) -> Rule:
    """Parse a dict made by rule_to_dict (or sent to the API)."""
    return parse_rule(data.get("name"), data.get("conditions"), data.get("error_message"))


def log_to_dict(log: RuleLog) -> dict[str, Any]:
    """A JSON-ready dict of a rule log: {"rule", "passed", "detail"}."""
    return {"rule": log.rule, "passed": log.passed, "detail": log.detail}


def _conditions_problem(conditions: Any) -> str | None:
    """What is wrong with a conditions mapping, or None."""
    if not isinstance(conditions, Mapping):
        return f"conditions must be a mapping of key to operators, got {conditions!r}"
    if not conditions:
        return "empty conditions"
    for key, operators in conditions.items():
        problem = _key_problem(key) or _operators_problem(key, operators)
        if problem:
            return problem
    return None


def _kind(key: Any) -> str | None:
    """The kind of value a key names, or None for an unknown key."""
    if not isinstance(key, str):
        return None
    if key.startswith(_METADATA_PREFIXES) and key.split(".", 2)[2]:
        return "scalar"
    return KEYS.get(key)


def _known_kind(key: str) -> str:
    """The kind of a key that parse_rule accepted; KeyError for an unknown one."""
    kind = _kind(key)
    if kind is None:
        raise KeyError(key)
    return kind


def _key_problem(key: Any) -> str | None:
    """An unknown-key message with a suggestion, or None."""
    if _kind(key) is not None:
        return None
    known = [*KEYS, "order.metadata.<k>", "customer.metadata.<k>"]
    return f"unknown key {key!r}" + _suggestion(str(key), known)


def _suggestion(word: str, known: Sequence[str]) -> str:
    """' (did you mean ...?)' when something close is known."""
    close = difflib.get_close_matches(word, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _operators_problem(key: str, operators: Any) -> str | None:
    """What is wrong with the operators given for one key, or None."""
    if not isinstance(operators, Mapping):
        return f"{key}: needs a mapping of operators such as {{'$eq': ...}}, got {operators!r}"
    if not operators:
        return f"{key}: no operators"
    for op, value in operators.items():
        problem = _operator_problem(key, op, value)
        if problem:
            return f"{key}: {problem}"
    return None


def _operator_problem(key: str, op: Any, value: Any) -> str | None:
    """What is wrong with one operator and its value on a key, or None."""
    allowed = _ALLOWED[_known_kind(key)]
    if op not in OPERATORS:
        return f"unknown operator {op!r}" + _suggestion(str(op), OPERATORS)
    if op not in allowed:
        return f"{op!r} cannot be used on {key!r} (use one of {', '.join(allowed)})"
    if op in _LISTS:
        return _list_problem(key, op, value)
    return _value_problem(key, op, value)


def _list_problem(key: str, op: str, value: Any) -> str | None:
    """Check a $in/$not_in value: a non-empty list of valid single values."""
    if not isinstance(value, (list, tuple)):
        return f"{op!r} needs a list, got {value!r}"
    if not value:
        return f"{op!r} needs a non-empty list"
    return next(filter(None, (_value_problem(key, op, item) for item in value)), None)


def _value_problem(key: str, op: str, value: Any) -> str | None:
    """Check one comparison value for the key's kind and the operator."""
    kind = _kind(key)
    if (kind == "number" or op in _ORDERING) and not _is_number(value):
        return f"{op!r} needs a number, got {value!r}"
    if kind in ("items", "segment") and not _is_label(value):
        return f"{op!r} needs a string, got {value!r}"
    if kind == "scalar" and not _is_scalar(value):
        return f"{op!r} needs a JSON scalar (string, number, boolean or null), got {value!r}"
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_label(value: Any) -> bool:
    return (isinstance(value, str) and value != "") or (isinstance(value, int) and not isinstance(value, bool))


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


# --- combination ------------------------------------------------------------------------------


def effective_rules(campaign_rules: Sequence[Rule], code_rules: Sequence[Rule]) -> list[Rule]:
    """Campaign rules with same-named code rules in their place, then the other code rules."""
    overrides = {rule.name: rule for rule in code_rules}
    campaign_names = {rule.name for rule in campaign_rules}
    merged = [overrides.get(rule.name, rule) for rule in campaign_rules]
    return merged + [rule for rule in code_rules if rule.name not in campaign_names]


# --- evaluation -------------------------------------------------------------------------------


def evaluate_rules(rules: Sequence[Rule], facts: Mapping[str, Any], *, logic: str | None = None) -> RulesOutcome:
    """Evaluate and log every rule; combine them with ``logic`` (1-based) or, without it, AND."""
    checks = [_check_rule(rule, facts) for rule in rules]
    results = [all(check.passed for check in rule_checks) for rule_checks in checks]
    logs = tuple(_log(rule, ok, rule_checks) for rule, ok, rule_checks in zip(rules, results, checks, strict=True))
    tree = parse_logic(logic, len(rules)) if logic and logic.strip() else None
    if evaluate_logic(tree, results) if tree else all(results):
        return RulesOutcome(True, None, None, logs)
    culprits = blame(tree, results) if tree else {i for i, ok in enumerate(results) if not ok}
    index = min(culprits, key=lambda i: (results[i], i))
    return _failure(rules[index], checks[index], logs)


def _failure(rule: Rule, checks: Sequence[_Check], logs: tuple[RuleLog, ...]) -> RulesOutcome:
    """A failed outcome blamed on ``rule`` (which may have passed, if the logic negates it)."""
    failed = next((check for check in checks if not check.passed), None)
    generated = _describe(failed) if failed else f"rule {rule.name!r} must not be met"
    decisive = failed or checks[0]
    return RulesOutcome(False, failure_code(decisive.key), rule.error_message or generated, logs)


def failure_code(key: str) -> str:
    """The failure code a condition on ``key`` reports."""
    if key.startswith("order."):
        return ORDER_RULES_VIOLATED
    if key.startswith("customer."):
        return CUSTOMER_RULES_VIOLATED
    return REDEMPTION_RULES_VIOLATED


def _describe(check: _Check) -> str:
    """A human sentence for a failed condition: 'order.amount must be greater than 8000'."""
    phrases = _ITEM_PHRASES if _kind(check.key) == "items" else _PHRASES
    return f"{check.key} {phrases[check.op]} {_show(check.expected)}"


def _log(rule: Rule, passed: bool, checks: Sequence[_Check]) -> RuleLog:
    """One log line per rule, the details of its conditions joined by '; '."""
    return RuleLog(rule.name, passed, "; ".join(check.detail for check in checks))


def _check_rule(rule: Rule, facts: Mapping[str, Any]) -> list[_Check]:
    """Evaluate every operator of every condition of a rule."""
    return [
        _check(key, op, expected, facts)
        for key, operators in rule.conditions.items()
        for op, expected in operators.items()
    ]


def _check(key: str, op: str, expected: Any, facts: Mapping[str, Any]) -> _Check:
    """Evaluate one operator on one key against the facts."""
    actual = _lookup(key, facts)
    condition = f"{op} {_show(expected)}"
    if isinstance(actual, _Missing):
        passed = actual.reason == "missing" and op in ("$ne", "$not_in")
        verdict = "passed" if passed else "failed"
        return _Check(key, op, expected, passed, f"{key} {condition}: {verdict} ({actual.reason})")
    passed = _COMPARE[_known_kind(key)](op, actual, expected)
    detail = f"{key} {_show(actual)} {condition}: {'passed' if passed else 'failed'}"
    return _Check(key, op, expected, passed, detail)


def _show(value: Any) -> str:
    """Compact JSON for log details."""
    return json.dumps(value, default=str, ensure_ascii=False)


# --- facts ------------------------------------------------------------------------------------


def _lookup(key: str, facts: Mapping[str, Any]) -> Any:
    """The value a key refers to in the facts, or _Missing with the reason."""
    if key.startswith("order.") and not _has_order(facts):
        return _Missing("no order")
    if key.startswith(_METADATA_PREFIXES):
        return _metadata(key, facts)
    if key == "order.items.count":
        return sum(_quantity(item) for item in _items(facts))
    if key in _ITEM_FIELDS:
        return [item.get(_ITEM_FIELDS[key]) for item in _items(facts)]
    if key == "customer.segment":
        return list(facts.get("customer.segments") or [])
    value = facts.get(key)
    return _Missing(f"no {key}") if value is None else value


def _has_order(facts: Mapping[str, Any]) -> bool:
    """Whether the facts describe an order at all."""
    return facts.get("order.amount") is not None or facts.get("order.items") is not None


def _items(facts: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(facts.get("order.items") or [])


def _quantity(item: Mapping[str, Any]) -> int:
    quantity = item.get("quantity")
    return 1 if quantity is None else quantity


def _metadata(key: str, facts: Mapping[str, Any]) -> Any:
    """A metadata value for order.metadata.<k> / customer.metadata.<k>."""
    scope, _, name = key.split(".", 2)
    metadata = facts.get(f"{scope}.metadata") or {}
    return metadata[name] if name in metadata else _Missing("missing")


# --- comparisons ------------------------------------------------------------------------------


def _compare_number(op: str, actual: Any, expected: Any) -> bool:
    """Numbers: ordering, equality, membership."""
    if not _is_number(actual):
        return False
    if op in _ORDERING:
        return _ORDERING[op](actual, expected)
    return _compare_scalar(op, actual, expected)


def _compare_scalar(op: str, actual: Any, expected: Any) -> bool:
    """JSON scalars, compared strictly."""
    if op in _ORDERING:
        return _is_number(actual) and _ORDERING[op](actual, expected)
    if op == "$contains":
        return _contains(actual, expected)
    if op in _LISTS:
        found = any(_same(actual, option) for option in expected)
        return found if op == "$in" else not found
    return _same(actual, expected) == (op == "$eq")


def _compare_items(op: str, values: list[Any], expected: Any) -> bool:
    """Per-item SKUs or product ids: any ($contains, $in), none ($not_in), every ($eq)."""
    labels = [None if value is None else str(value) for value in values]
    if op == "$eq":
        return bool(labels) and all(label == str(expected) for label in labels)
    options = {str(option) for option in (expected if op in _LISTS else [expected])}
    found = any(label in options for label in labels)
    return not found if op == "$not_in" else found


def _compare_segment(op: str, segments: list[Any], expected: Any) -> bool:
    """The customer's segments: passes when any matches ($eq, $contains, $in) or none does."""
    options = {str(option) for option in (expected if op in _LISTS else [expected])}
    found = any(str(segment) in options for segment in segments)
    return not found if op in ("$ne", "$not_in") else found


def _contains(actual: Any, expected: Any) -> bool:
    """Substring on strings, membership on lists."""
    if isinstance(actual, str):
        return isinstance(expected, str) and expected in actual
    if isinstance(actual, (list, tuple)):
        return any(_same(element, expected) for element in actual)
    return False


def _same(a: object, b: object) -> bool:
    """JSON equality: booleans only equal booleans."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


_COMPARE: dict[str, Callable[[str, Any, Any], bool]] = {
    "number": _compare_number,
    "scalar": _compare_scalar,
    "items": _compare_items,
    "segment": _compare_segment,
}
