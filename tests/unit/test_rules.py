import dataclasses
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.rules import (
    InvalidLogic,
    InvalidRule,
    Rule,
    RuleLog,
    effective_rules,
    evaluate_rules,
    log_to_dict,
    parse_rule,
    rule_from_dict,
    rule_to_dict,
)

FACTS = {
    "order.amount": 12900,
    "order.items": [
        {"sku": "SKU-1", "product_id": "prod-1", "quantity": 2, "price": 4000},
        {"sku": "SKU-2", "product_id": "prod-2", "quantity": 1, "price": 4900},
    ],
    "order.metadata": {"channel": "web", "gift": True, "weight": 3.5, "tags": ["a", "b"]},
    "customer.metadata": {"tier": "gold", "age": 30, "vip": False, "nothing": None},
    "customer.segments": ["newsletter", "europe"],
    "customer.orders_count": 0,
    "redemptions.per_customer": 1,
    "redemptions.per_code.daily": 3,
    "referrals.per_referrer_per_day": 2,
}
NO_ORDER = {key: value for key, value in FACTS.items() if not key.startswith("order.")}


def rule(conditions, name="rule", error_message=None):
    return parse_rule(name, conditions, error_message)


def passes(conditions, facts=FACTS, **overrides) -> bool:
    return evaluate_rules([rule(conditions)], {**facts, **overrides}).passed


def detail(conditions, facts=FACTS) -> str:
    return evaluate_rules([rule(conditions)], facts).logs[0].detail


# --- operators on numbers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("$eq", 12900, True),
        ("$eq", 12901, False),
        ("$ne", 12901, True),
        ("$ne", 12900, False),
        ("$gt", 12899, True),
        ("$gt", 12900, False),
        ("$gte", 12900, True),
        ("$gte", 12901, False),
        ("$lt", 12901, True),
        ("$lt", 12900, False),
        ("$lte", 12900, True),
        ("$lte", 12899, False),
        ("$in", [1, 12900], True),
        ("$in", [1, 2], False),
        ("$not_in", [1, 2], True),
        ("$not_in", [12900], False),
    ],
)
def test_every_number_operator_compares_the_order_amount(operator, value, expected):
    assert passes({"order.amount": {operator: value}}) is expected


def test_numbers_compare_across_int_and_float():
    assert passes({"order.amount": {"$gt": 128.5e2}})


def test_several_operators_on_one_key_must_all_hold():
    assert passes({"order.amount": {"$gt": 10000, "$lt": 20000}})
    assert not passes({"order.amount": {"$gt": 10000, "$lt": 12000}})


def test_several_keys_in_one_rule_must_all_hold():
    assert passes({"order.amount": {"$gt": 10000}, "customer.orders_count": {"$eq": 0}})
    assert not passes({"order.amount": {"$gt": 10000}, "customer.orders_count": {"$eq": 1}})


# --- each key ---------------------------------------------------------------------------------


def test_order_items_count_is_the_total_quantity():
    assert passes({"order.items.count": {"$eq": 3}})


def test_order_items_count_takes_an_item_without_quantity_as_one():
    assert passes({"order.items.count": {"$eq": 1}}, **{"order.items": [{"sku": "X"}]})


def test_sku_contains_passes_when_any_item_has_it():
    assert passes({"order.items.sku": {"$contains": "SKU-2"}})
    assert not passes({"order.items.sku": {"$contains": "SKU-9"}})


def test_sku_in_passes_when_any_items_sku_is_listed():
    assert passes({"order.items.sku": {"$in": ["SKU-9", "SKU-1"]}})
    assert not passes({"order.items.sku": {"$in": ["SKU-9"]}})


def test_sku_not_in_passes_when_no_items_sku_is_listed():
    assert passes({"order.items.sku": {"$not_in": ["SKU-9"]}})
    assert not passes({"order.items.sku": {"$not_in": ["SKU-9", "SKU-2"]}})


def test_sku_eq_passes_only_when_every_item_has_that_sku():
    assert not passes({"order.items.sku": {"$eq": "SKU-1"}})
    assert passes({"order.items.sku": {"$eq": "SKU-1"}}, **{"order.items": [{"sku": "SKU-1"}, {"sku": "SKU-1"}]})


def test_sku_eq_fails_on_an_order_without_items():
    assert not passes({"order.items.sku": {"$eq": "SKU-1"}}, **{"order.items": []})


def test_product_conditions_look_at_product_ids():
    assert passes({"order.items.product": {"$contains": "prod-2"}})
    assert passes({"order.items.product": {"$not_in": ["SKU-1"]}})
    assert not passes({"order.items.product": {"$eq": "prod-1"}})


def test_product_ids_compare_as_strings_whatever_their_json_type():
    assert passes({"order.items.product": {"$in": [123]}}, **{"order.items": [{"product_id": "123"}]})
    assert passes({"order.items.product": {"$contains": "123"}}, **{"order.items": [{"product_id": 123}]})


def test_order_metadata_compares_json_scalars():
    assert passes({"order.metadata.channel": {"$eq": "web", "$in": ["web", "pos"]}})
    assert passes({"order.metadata.weight": {"$gte": 3.5}})
    assert passes({"order.metadata.gift": {"$eq": True}})


def test_metadata_booleans_are_not_numbers():
    assert not passes({"order.metadata.gift": {"$eq": 1}})
    assert not passes({"customer.metadata.vip": {"$eq": 0}})
    assert not passes({"customer.metadata.vip": {"$lt": 1}})


def test_metadata_strings_are_not_numbers():
    assert not passes({"customer.metadata.tier": {"$gt": 1}})
    assert not passes({"customer.metadata.age": {"$eq": "30"}})


def test_metadata_contains_is_a_substring_test_on_strings_and_membership_on_lists():
    assert passes({"customer.metadata.tier": {"$contains": "ol"}})
    assert passes({"order.metadata.tags": {"$contains": "b"}})
    assert not passes({"customer.metadata.age": {"$contains": "3"}})


def test_metadata_null_is_a_value_not_a_missing_key():
    assert passes({"customer.metadata.nothing": {"$eq": None}})


def test_a_missing_metadata_key_fails_the_condition():
    for operator, value in [("$eq", "x"), ("$in", ["x"]), ("$gt", 1), ("$contains", "x")]:
        assert not passes({"customer.metadata.missing": {operator: value}})


def test_a_missing_metadata_key_passes_ne_and_not_in():
    assert passes({"customer.metadata.missing": {"$ne": "x"}})
    assert passes({"order.metadata.missing": {"$not_in": ["x"]}})


def test_a_missing_metadata_key_is_logged_as_missing():
    assert detail({"customer.metadata.missing": {"$eq": "x"}}) == 'customer.metadata.missing $eq "x": failed (missing)'


def test_new_customers_only_is_orders_count_equal_zero():
    assert passes({"customer.orders_count": {"$eq": 0}})
    assert not passes({"customer.orders_count": {"$eq": 0}}, **{"customer.orders_count": 4})


def test_segment_passes_when_any_of_the_customers_segments_matches():
    assert passes({"customer.segment": {"$in": ["vip", "europe"]}})
    assert passes({"customer.segment": {"$eq": "newsletter"}})
    assert passes({"customer.segment": {"$contains": "europe"}})
    assert not passes({"customer.segment": {"$in": ["vip"]}})


def test_segment_ne_and_not_in_pass_when_the_customer_is_in_none_of_them():
    assert passes({"customer.segment": {"$ne": "vip", "$not_in": ["vip", "asia"]}})
    assert not passes({"customer.segment": {"$not_in": ["europe"]}})


def test_a_customer_without_segments_is_in_no_segment():
    assert not passes({"customer.segment": {"$eq": "europe"}}, **{"customer.segments": None})


def test_at_most_one_redemption_per_customer_counts_this_one():
    assert passes({"redemptions.per_customer": {"$lte": 1}})
    assert not passes({"redemptions.per_customer": {"$lte": 1}}, **{"redemptions.per_customer": 2})


def test_daily_redemptions_per_code():
    assert passes({"redemptions.per_code.daily": {"$lte": 3}})
    assert not passes({"redemptions.per_code.daily": {"$lt": 3}})


def test_referrer_velocity():
    assert passes({"referrals.per_referrer_per_day": {"$lte": 2}})
    assert not passes({"referrals.per_referrer_per_day": {"$lte": 1}})


def test_an_absent_counter_fails_and_says_so():
    facts = {**FACTS, "redemptions.per_customer": None}
    assert detail({"redemptions.per_customer": {"$lte": 1}}, facts) == (
        "redemptions.per_customer $lte 1: failed (no redemptions.per_customer)"
    )


# --- no order ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "conditions",
    [
        {"order.amount": {"$gte": 0}},
        {"order.items.count": {"$gte": 0}},
        {"order.items.sku": {"$not_in": ["SKU-1"]}},
        {"order.items.product": {"$not_in": ["prod-1"]}},
        {"order.metadata.channel": {"$ne": "web"}},
    ],
)
def test_without_an_order_every_order_condition_fails_with_no_order(conditions):
    outcome = evaluate_rules([rule(conditions)], NO_ORDER)
    assert not outcome.passed
    assert outcome.logs[0].detail.endswith("failed (no order)")
    assert outcome.failure_code == "order_rules_violated"


def test_without_an_order_customer_conditions_still_apply():
    assert passes({"customer.orders_count": {"$eq": 0}}, NO_ORDER)


def test_an_order_without_items_has_a_count_of_zero():
    assert passes({"order.items.count": {"$eq": 0}}, **{"order.items": None})


# --- logs -------------------------------------------------------------------------------------


def test_the_log_detail_shows_the_actual_value_operator_and_expectation():
    assert (
        detail({"order.amount": {"$gt": 8000}}, {**FACTS, "order.amount": 5000}) == "order.amount 5000 $gt 8000: failed"
    )


def test_the_log_detail_joins_every_condition_of_a_rule():
    text = detail({"order.amount": {"$gt": 8000}, "order.items.sku": {"$contains": "SKU-9"}})
    assert text == 'order.amount 12900 $gt 8000: passed; order.items.sku ["SKU-1", "SKU-2"] $contains "SKU-9": failed'


def test_every_rule_is_evaluated_and_logged_even_after_a_failure():
    rules = [rule({"order.amount": {"$gt": 99999}}, "big"), rule({"customer.orders_count": {"$eq": 0}}, "new")]
    outcome = evaluate_rules(rules, FACTS)
    assert [(log.rule, log.passed) for log in outcome.logs] == [("big", False), ("new", True)]


def test_a_passing_outcome_has_no_failure():
    outcome = evaluate_rules([rule({"order.amount": {"$gt": 8000}})], FACTS)
    assert (outcome.passed, outcome.failure_code, outcome.failure_message) == (True, None, None)


def test_no_rules_pass():
    assert evaluate_rules([], FACTS).passed


def test_logs_serialise_to_the_api_shape():
    assert log_to_dict(RuleLog("r", False, "x")) == {"rule": "r", "passed": False, "detail": "x"}


# --- failure codes and messages ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("conditions", "code"),
    [
        ({"order.amount": {"$gt": 99999}}, "order_rules_violated"),
        ({"order.metadata.channel": {"$eq": "pos"}}, "order_rules_violated"),
        ({"customer.orders_count": {"$gt": 0}}, "customer_rules_violated"),
        ({"customer.metadata.tier": {"$eq": "silver"}}, "customer_rules_violated"),
        ({"customer.segment": {"$eq": "vip"}}, "customer_rules_violated"),
        ({"redemptions.per_customer": {"$lt": 1}}, "redemption_rules_violated"),
        ({"redemptions.per_code.daily": {"$lt": 1}}, "redemption_rules_violated"),
        ({"referrals.per_referrer_per_day": {"$lt": 1}}, "redemption_rules_violated"),
    ],
)
def test_the_failed_conditions_key_decides_the_failure_code(conditions, code):
    assert evaluate_rules([rule(conditions)], FACTS).failure_code == code


def test_the_first_failed_condition_of_a_rule_decides_its_failure_code():
    conditions = {"order.amount": {"$gt": 0}, "customer.orders_count": {"$gt": 5}, "order.items.count": {"$gt": 9}}
    assert evaluate_rules([rule(conditions)], FACTS).failure_code == "customer_rules_violated"


def test_the_first_failed_rule_decides_the_failure():
    rules = [
        rule({"order.amount": {"$gt": 0}}, "fine"),
        rule({"referrals.per_referrer_per_day": {"$lte": 1}}, "velocity", "Too many referrals today"),
        rule({"order.amount": {"$gt": 99999}}, "big", "Orders must exceed $999.99"),
    ]
    outcome = evaluate_rules(rules, FACTS)
    assert outcome.failure_code == "redemption_rules_violated"
    assert outcome.failure_message == "Too many referrals today"


def test_the_failure_message_is_the_rules_error_message():
    outcome = evaluate_rules(
        [rule({"order.amount": {"$gt": 99999}}, error_message="Orders must exceed $999.99")], FACTS
    )
    assert outcome.failure_message == "Orders must exceed $999.99"


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ({"order.amount": {"$gt": 99999}}, "order.amount must be greater than 99999"),
        ({"order.amount": {"$lte": 100}}, "order.amount must be at most 100"),
        ({"customer.metadata.tier": {"$in": ["a", "b"]}}, 'customer.metadata.tier must be one of ["a", "b"]'),
        ({"order.items.sku": {"$contains": "SKU-9"}}, 'order.items.sku must include "SKU-9"'),
        ({"order.items.sku": {"$not_in": ["SKU-1"]}}, 'order.items.sku must include none of ["SKU-1"]'),
    ],
)
def test_without_an_error_message_a_sentence_is_generated(conditions, message):
    assert evaluate_rules([rule(conditions)], FACTS).failure_message == message


# --- logic ------------------------------------------------------------------------------------

BIG = rule({"order.amount": {"$gt": 99999}}, "big", "big order")
NEW = rule({"customer.orders_count": {"$eq": 0}}, "new", "new customers")
VIP = rule({"customer.segment": {"$eq": "vip"}}, "vip", "vip only")
CALM = rule({"referrals.per_referrer_per_day": {"$lte": 1}}, "calm", "too many referrals")


def test_without_logic_all_rules_must_pass():
    assert not evaluate_rules([NEW, BIG], FACTS).passed


def test_blank_logic_means_all_rules_must_pass():
    assert not evaluate_rules([NEW, BIG], FACTS, logic="  ").passed


def test_logic_or_passes_when_one_rule_passes():
    outcome = evaluate_rules([BIG, NEW], FACTS, logic="1 OR 2")
    assert outcome.passed
    assert [log.passed for log in outcome.logs] == [False, True]


def test_logic_follows_precedence_and_parentheses():
    assert evaluate_rules([NEW, BIG, VIP], FACTS, logic="1 OR 2 AND 3").passed
    assert not evaluate_rules([NEW, BIG, VIP], FACTS, logic="(1 OR 2) AND 3").passed


def test_logic_blames_the_first_rule_whose_failure_matters():
    outcome = evaluate_rules([BIG, NEW, CALM], FACTS, logic="(1 OR 2) AND 3")
    assert (outcome.failure_code, outcome.failure_message) == ("redemption_rules_violated", "too many referrals")


def test_logic_with_every_alternative_failed_blames_the_first_of_them():
    outcome = evaluate_rules([NEW, VIP, BIG], FACTS, logic="1 AND (3 OR 2)")
    assert outcome.failure_message == "vip only"


def test_a_rule_that_passed_where_not_was_required_is_blamed():
    outcome = evaluate_rules([NEW], FACTS, logic="NOT 1")
    assert not outcome.passed
    assert (outcome.failure_code, outcome.failure_message) == ("customer_rules_violated", "new customers")


def test_a_negated_rule_without_a_message_gets_a_generated_one():
    outcome = evaluate_rules([rule({"order.amount": {"$gt": 0}}, "any order")], FACTS, logic="not 1")
    assert outcome.failure_message == "rule 'any order' must not be met"


def test_invalid_logic_raises_invalid_rule():
    with pytest.raises(InvalidRule, match="refers to rule 3 but there are 2 rules"):
        evaluate_rules([NEW, BIG], FACTS, logic="1 AND 3")
    assert issubclass(InvalidLogic, InvalidRule)


# --- code-level override ----------------------------------------------------------------------


def test_a_code_rule_replaces_the_campaign_rule_of_the_same_name_in_place():
    generous = rule({"order.amount": {"$gt": 100}}, "big", "code-level")
    assert effective_rules([BIG, NEW], [generous]) == [generous, NEW]


def test_code_rules_with_new_names_are_appended():
    assert effective_rules([BIG], [VIP, CALM]) == [BIG, VIP, CALM]


def test_a_code_override_changes_the_outcome():
    generous = rule({"order.amount": {"$gt": 100}}, "big")
    assert not evaluate_rules(effective_rules([BIG], []), FACTS).passed
    assert evaluate_rules(effective_rules([BIG], [generous]), FACTS).passed


# --- invalid definitions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ({"order.amont": {"$gt": 1}}, "unknown key 'order.amont' (did you mean 'order.amount'?)"),
        ({"customer.metadata.": {"$eq": 1}}, "unknown key 'customer.metadata.'"),
        ({"order.amount": {"$gtt": 1}}, "order.amount: unknown operator '$gtt' (did you mean '$gt'?)"),
        ({"order.amount": {"$gt": "abc"}}, "order.amount: '$gt' needs a number, got 'abc'"),
        ({"order.amount": {"$eq": True}}, "'$eq' needs a number, got True"),
        ({"customer.metadata.age": {"$lt": "9"}}, "'$lt' needs a number, got '9'"),
        ({"order.amount": {"$in": 5}}, "'$in' needs a list, got 5"),
        ({"order.items.sku": {"$not_in": "SKU-1"}}, "'$not_in' needs a list, got 'SKU-1'"),
        ({"order.amount": {"$in": []}}, "'$in' needs a non-empty list"),
        ({"order.amount": {"$in": [1, "x"]}}, "'$in' needs a number, got 'x'"),
        ({"order.items.sku": {"$contains": ""}}, "'$contains' needs a string, got ''"),
        ({"customer.segment": {"$eq": None}}, "'$eq' needs a string, got None"),
        ({"customer.metadata.x": {"$eq": {"a": 1}}}, "'$eq' needs a JSON scalar"),
        ({"order.amount": {"$contains": 5}}, "'$contains' cannot be used on 'order.amount'"),
        ({"order.items.sku": {"$gt": 1}}, "'$gt' cannot be used on 'order.items.sku'"),
        ({"order.items.sku": {"$ne": "SKU-1"}}, "'$ne' cannot be used on 'order.items.sku'"),
        ({"customer.segment": {"$lt": "a"}}, "'$lt' cannot be used on 'customer.segment'"),
        ({"order.amount": {}}, "order.amount: no operators"),
        ({"order.amount": 8000}, "order.amount: needs a mapping of operators"),
        ({}, "empty conditions"),
        (["order.amount"], "conditions must be a mapping"),
    ],
)
def test_invalid_definitions_are_rejected_naming_the_problem(conditions, message):
    with pytest.raises(InvalidRule) as raised:
        parse_rule("Order over $80", conditions)
    assert str(raised.value).startswith("rule 'Order over $80': ")
    assert message in str(raised.value)


def test_a_rule_needs_a_name():
    with pytest.raises(InvalidRule, match="non-empty name"):
        parse_rule("  ", {"order.amount": {"$gt": 1}})


def test_an_error_message_must_be_text():
    with pytest.raises(InvalidRule, match="error_message must be a string"):
        parse_rule("r", {"order.amount": {"$gt": 1}}, 42)


def test_an_empty_error_message_means_none():
    assert parse_rule("r", {"order.amount": {"$gt": 1}}, "").error_message is None


def test_parse_rule_keeps_its_own_copy_of_the_conditions():
    conditions = {"order.items.sku": {"$in": ["SKU-1"]}}
    parsed = parse_rule("r", conditions)
    conditions["order.items.sku"]["$in"].append("SKU-2")
    assert parsed.conditions == {"order.items.sku": {"$in": ["SKU-1"]}}


# --- serialisation ----------------------------------------------------------------------------


def test_a_rule_round_trips_through_a_json_dict():
    original = parse_rule("Order over $80", {"order.amount": {"$gt": 8000}}, "Orders must exceed $80")
    data = json.loads(json.dumps(rule_to_dict(original)))
    assert data == {
        "name": "Order over $80",
        "conditions": {"order.amount": {"$gt": 8000}},
        "error_message": "Orders must exceed $80",
    }
    assert rule_from_dict(data) == original


def test_rule_from_dict_validates():
    with pytest.raises(InvalidRule):
        rule_from_dict({"name": "r", "conditions": {"order.amount": {"$gt": "x"}}})


def test_a_rule_is_a_frozen_value():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Rule("r", {"order.amount": {"$gt": 1}}).name = "other"


@given(amount=st.integers(min_value=0, max_value=10**9), threshold=st.integers(min_value=0, max_value=10**9))
def test_gt_and_lte_on_the_same_threshold_always_disagree(amount, threshold):
    facts = {**FACTS, "order.amount": amount}
    gt = evaluate_rules([rule({"order.amount": {"$gt": threshold}})], facts).passed
    lte = evaluate_rules([rule({"order.amount": {"$lte": threshold}})], facts).passed
    assert gt is not lte


@given(st.lists(st.sampled_from(["A", "B", "C"]), max_size=5), st.sampled_from(["A", "B", "C"]))
def test_sku_contains_and_not_in_always_disagree(skus, sku):
    facts = {**FACTS, "order.items": [{"sku": s} for s in skus]}
    contains = evaluate_rules([rule({"order.items.sku": {"$contains": sku}})], facts).passed
    not_in = evaluate_rules([rule({"order.items.sku": {"$not_in": [sku]}})], facts).passed
    assert contains is not not_in
