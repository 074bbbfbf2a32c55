"""Logic expressions that combine validation rules: ``"1 AND (2 OR NOT 3)"``.

Numbers are 1-based rule positions. Keywords are case-insensitive. Precedence: NOT binds
tightest, then AND, then OR; parentheses group.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn

__all__ = [
    "And",
    "InvalidLogic",
    "InvalidRule",
    "LogicExpr",
    "Not",
    "Or",
    "Ref",
    "blame",
    "evaluate_logic",
    "parse_logic",
]


class InvalidRule(ValueError):
    """A validation rule, or the logic that combines rules, is malformed."""


class InvalidLogic(InvalidRule):
    """A logic expression cannot be parsed or refers to a rule that does not exist."""


@dataclass(frozen=True)
class Ref:
    """A reference to one rule by its 0-based index."""

    index: int


@dataclass(frozen=True)
class Not:
    """Negation of an expression."""

    operand: LogicExpr


@dataclass(frozen=True)
class And:
    """Conjunction of two or more expressions."""

    operands: tuple[LogicExpr, ...]


@dataclass(frozen=True)
class Or:
    """Disjunction of two or more expressions."""

    operands: tuple[LogicExpr, ...]


LogicExpr = Ref | Not | And | Or

_TOKEN = re.compile(r"\s*(?:([0-9]+)|([A-Za-z]+)|(\()|(\))|(\S))")
_KEYWORDS = {"AND", "OR", "NOT"}


def parse_logic(expr: str, rule_count: int) -> LogicExpr:
    """Parse ``expr`` into a tree, checking every rule number is between 1 and ``rule_count``."""
    if not isinstance(expr, str) or not expr.strip():
        raise InvalidLogic("logic expression is empty")
    return _Parser(_tokenize(expr), rule_count, expr).parse()


def evaluate_logic(node: LogicExpr, results: Sequence[bool]) -> bool:
    """Evaluate a parsed expression against the pass/fail result of each rule."""
    if isinstance(node, Ref):
        return results[node.index]
    if isinstance(node, Not):
        return not evaluate_logic(node.operand, results)
    values = (evaluate_logic(child, results) for child in node.operands)
    return all(values) if isinstance(node, And) else any(values)


def blame(node: LogicExpr, results: Sequence[bool], want: bool = True) -> set[int]:
    """Indices of the rules whose results keep ``node`` from evaluating to ``want``."""
    if evaluate_logic(node, results) == want:
        return set()
    if isinstance(node, Ref):
        return {node.index}
    if isinstance(node, Not):
        return blame(node.operand, results, not want)
    return set().union(*(blame(child, results, want) for child in node.operands))


def _tokenize(expr: str) -> list[str]:
    """Split an expression into numbers, upper-cased keywords and parentheses."""
    tokens = []
    for match in _TOKEN.finditer(expr.rstrip()):
        number, word, opening, closing, other = match.groups()
        if other is not None:
            raise InvalidLogic(f"unexpected character {other!r} in logic {expr!r}")
        if word is not None and word.upper() not in _KEYWORDS:
            raise InvalidLogic(f"unknown word {word!r} in logic {expr!r} (use AND, OR, NOT)")
        tokens.append(word.upper() if word else number or opening or closing)
    return tokens


class _Parser:
    """Recursive-descent parser: or := and (OR and)*; and := not (AND not)*; not := NOT not | atom."""

    def __init__(self, tokens: list[str], rule_count: int, source: str) -> None:
        self.tokens, self.pos, self.rule_count, self.source = tokens, 0, rule_count, source

    def parse(self) -> LogicExpr:
        """Parse the whole token list."""
        node = self._or()
        if self.pos < len(self.tokens):
            self._fail(f"unexpected {self.tokens[self.pos]!r}")
        return node

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self) -> str | None:
        token = self._peek()
        self.pos += 1
        return token

    def _or(self) -> LogicExpr:
        operands = [self._and()]
        while self._peek() == "OR":
            self._take()
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def _and(self) -> LogicExpr:
        operands = [self._not()]
        while self._peek() == "AND":
            self._take()
            operands.append(self._not())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def _not(self) -> LogicExpr:
        if self._peek() == "NOT":
            self._take()
            return Not(self._not())
        return self._atom()

    def _atom(self) -> LogicExpr:
        token = self._take()
        if token == "(":
            node = self._or()
            if self._take() != ")":
                self._fail("missing ')'")
            return node
        if token is None or not token.isdigit():
            self._fail("expected a rule number or '('" + (f", got {token!r}" if token else " at the end"))
        return self._ref(int(token))

    def _ref(self, number: int) -> Ref:
        if not 1 <= number <= self.rule_count:
            self._fail(f"refers to rule {number} but there are {self.rule_count} rules")
        return Ref(number - 1)

    def _fail(self, problem: str) -> NoReturn:
        raise InvalidLogic(f"logic {self.source!r}: {problem}")
