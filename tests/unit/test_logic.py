import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.logic import And, InvalidLogic, InvalidRule, Not, Or, Ref, blame, evaluate_logic, parse_logic


def decide(expr: str, *results: bool) -> bool:
    return evaluate_logic(parse_logic(expr, len(results)), results)


def test_a_single_number_refers_to_that_rule_one_based():
    assert parse_logic("2", 3) == Ref(1)


def test_and_binds_tighter_than_or():
    assert parse_logic("1 OR 2 AND 3", 3) == Or((Ref(0), And((Ref(1), Ref(2)))))


def test_not_binds_tighter_than_and():
    assert parse_logic("NOT 1 AND 2", 2) == And((Not(Ref(0)), Ref(1)))


def test_parentheses_group():
    assert parse_logic("(1 OR 2) AND 3", 3) == And((Or((Ref(0), Ref(1))), Ref(2)))


def test_keywords_are_case_insensitive():
    assert parse_logic("1 and not 2 Or 3", 3) == parse_logic("1 AND NOT 2 OR 3", 3)


def test_chains_of_the_same_operator_are_flat():
    assert parse_logic("1 AND 2 AND 3", 3) == And((Ref(0), Ref(1), Ref(2)))


def test_double_negation_is_kept():
    assert parse_logic("NOT NOT 1", 1) == Not(Not(Ref(0)))


def test_whitespace_is_optional_around_parentheses():
    assert parse_logic("1 AND(2 OR 3)", 3) == parse_logic("1 AND ( 2 OR 3 )", 3)


def test_evaluates_and_before_or():
    assert decide("1 OR 2 AND 3", True, False, False) is True
    assert decide("(1 OR 2) AND 3", True, False, False) is False


def test_evaluates_not():
    assert decide("NOT 1", False) is True
    assert decide("NOT (1 OR 2)", False, True) is False


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("1 AND", "expected a rule number or '(' at the end"),
        ("AND 1", "got 'AND'"),
        ("(1 OR 2", "missing ')'"),
        ("1 OR 2)", "unexpected ')'"),
        ("1 2", "unexpected '2'"),
        ("1 XOR 2", "unknown word 'XOR'"),
        ("1 & 2", "unexpected character '&'"),
        ("()", "got ')'"),
    ],
)
def test_rejects_unparseable_expressions_saying_why(expr, message):
    with pytest.raises(InvalidLogic, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_logic(expr, 3)


def test_rejects_a_reference_beyond_the_rule_count():
    with pytest.raises(InvalidLogic, match="refers to rule 4 but there are 3 rules"):
        parse_logic("1 AND 4", 3)


def test_rejects_rule_zero():
    with pytest.raises(InvalidLogic, match="refers to rule 0"):
        parse_logic("0", 3)


def test_invalid_logic_is_an_invalid_rule_and_a_value_error():
    assert issubclass(InvalidLogic, InvalidRule)
    assert issubclass(InvalidRule, ValueError)


def test_blames_the_failed_operands_of_a_failed_and():
    tree = parse_logic("1 AND 2 AND 3", 3)
    assert blame(tree, [True, False, False]) == {1, 2}


def test_blames_every_operand_of_a_failed_or():
    tree = parse_logic("1 OR 2", 2)
    assert blame(tree, [False, False]) == {0, 1}


def test_blames_a_passed_rule_under_not():
    tree = parse_logic("1 AND NOT 2", 2)
    assert blame(tree, [True, True]) == {1}


def test_does_not_blame_a_failed_rule_that_an_or_made_irrelevant():
    tree = parse_logic("(1 OR 2) AND 3", 3)
    assert blame(tree, [False, True, False]) == {2}


expressions = st.recursive(
    st.integers(min_value=1, max_value=4).map(str),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["AND", "OR", "and", "or"]), inner).map(" ".join),
        inner.map(lambda e: f"NOT {e}"),
        inner.map(lambda e: f"({e})"),
    ),
    max_leaves=8,
)


@given(expressions, st.lists(st.booleans(), min_size=4, max_size=4))
def test_evaluation_agrees_with_python_boolean_logic(expr, results):
    python = re.sub(r"\d", lambda m: f"r[{int(m.group()) - 1}]", expr.lower())
    assert decide(expr, *results) is eval(python, {"r": results})


@given(expressions, st.lists(st.booleans(), min_size=4, max_size=4))
def test_a_false_expression_always_has_someone_to_blame(expr, results):
    tree = parse_logic(expr, 4)
    assert bool(blame(tree, results)) is (not evaluate_logic(tree, results))
