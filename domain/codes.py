"""Referral codes: patterns, generation, the case-insensitive matching key, CSV import rows.

A pattern such as ``REF-####-????`` turns ``#`` into a digit and ``?`` into a letter A-Z (or a
character of ``charset`` when one is given); every other character is kept as it is. The whole code
is ``prefix + pattern + postfix``.
"""

from __future__ import annotations

import itertools
import secrets
import string
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from random import Random
from typing import Any

__all__ = [
    "CODE_CSV_HEADER",
    "CodeConfig",
    "CodeError",
    "CodeRow",
    "CodeSpaceExhausted",
    "InvalidCodeConfig",
    "RowError",
    "code_key",
    "code_space",
    "generate_codes",
    "parse_code_config",
    "parse_code_rows",
]

DIGITS = string.digits
LETTERS = string.ascii_uppercase
CODE_CSV_HEADER = ("Code", "Category", "Redeemed quantity", "Active", "Start date", "Expiration date")
_TABLE_LIMIT = 20_000  # the largest lookup table of pre-rendered slot runs


class CodeError(ValueError):
    """Base class for code configuration and generation errors."""


class InvalidCodeConfig(CodeError):
    """A code pattern, charset, prefix or postfix cannot make codes."""


class CodeSpaceExhausted(CodeError):
    """The pattern cannot make as many new distinct codes as were asked for."""


@dataclass(frozen=True)
class CodeConfig:
    """How a campaign's codes look: ``#`` digit, ``?`` letter or charset character, literals kept."""

    pattern: str = "REF-####-????"
    charset: str | None = None
    prefix: str = ""
    postfix: str = ""

    def __post_init__(self) -> None:
        problem = _config_problem(self)
        if problem:
            raise InvalidCodeConfig(problem)

    @property
    def letters(self) -> str:
        """The characters a ``?`` draws from."""
        return LETTERS if self.charset is None else self.charset


def parse_code_config(data: Mapping[str, Any] | None) -> CodeConfig:
    """Build a CodeConfig from an API/JSON mapping; ``length`` alone means that many ``?``."""
    data = dict(data or {})
    unknown = set(data) - {"pattern", "charset", "prefix", "postfix", "length"}
    if unknown:
        raise InvalidCodeConfig(f"unknown code_config key {sorted(unknown)[0]!r}")
    length = data.pop("length", None)
    if length is not None and "pattern" not in data:
        data["pattern"] = "?" * _positive_int(length)
    for name, value in data.items():
        if value is not None and not isinstance(value, str):
            raise InvalidCodeConfig(f"{name} must be a string, got {value!r}")
    return CodeConfig(**{name: value for name, value in data.items() if value is not None})


def _positive_int(value: Any) -> int:
    """A code length: a whole number of at least 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidCodeConfig(f"length must be a whole number of at least 1, got {value!r}")
    return value


def _config_problem(config: CodeConfig) -> str | None:
    """What keeps a config from making codes, or None."""
    for name in ("pattern", "prefix", "postfix"):
        value = getattr(config, name)
        if not isinstance(value, str) or any(char.isspace() for char in value):
            return f"{name} must be a string without whitespace, got {value!r}"
    if "#" not in config.pattern and "?" not in config.pattern:
        return f"pattern {config.pattern!r} has no '#' (digit) or '?' (letter) to fill in"
    return None if config.charset is None else _charset_problem(config.charset)


def _charset_problem(charset: Any) -> str | None:
    """An empty charset, whitespace in it, or characters that repeat regardless of case."""
    if not isinstance(charset, str) or not charset:
        return "charset must be a non-empty string"
    if any(char.isspace() for char in charset):
        return f"charset {charset!r} contains whitespace"
    seen: set[str] = set()
    for char in charset:
        if char.upper() in seen:
            return f"charset repeats {char!r} (codes are matched without regard to case)"
        seen.add(char.upper())
    return None


def code_key(code: str) -> str:
    """The case-insensitive matching key of a code."""
    return code.strip().upper()


def code_space(config: CodeConfig) -> int:
    """How many distinct codes the pattern can make."""
    space = 1
    for alphabet in _alphabets(config):
        space *= len(alphabet)
    return space


def _alphabets(config: CodeConfig) -> list[str]:
    """The alphabet of each ``#``/``?`` slot in the pattern, left to right."""
    return [DIGITS if char == "#" else config.letters for char in config.pattern if char in "#?"]


# --- generation -------------------------------------------------------------------------------


def generate_codes(
    config: CodeConfig,
    count: int,
    *,
    rng: Random | None = None,
    exclude: Callable[[str], bool] | None = None,
) -> list[str]:
    """Return ``count`` distinct random codes, skipping those ``exclude`` says are taken.

    Codes are drawn without replacement from the pattern's space, using ``secrets.SystemRandom``
    unless ``rng`` is given. To top up after an insert lost some codes to codes already stored,
    call again with the shortfall and ``exclude=lambda code: code_key(code) in known_keys``.
    Raises CodeSpaceExhausted when the space, less the excluded codes, is too small.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"count must be a whole number of at least 0, got {count!r}")
    space = code_space(config)
    if count > space:
        raise CodeSpaceExhausted(f"pattern {config.pattern!r} makes at most {space} codes, {count} asked for")
    render = _renderer(config)
    codes: list[str] = []
    for index in _candidates(space, count, rng or secrets.SystemRandom()) if count else ():
        code = render(index)
        if exclude is None or not exclude(code):
            codes.append(code)
            if len(codes) == count:
                return codes
    if len(codes) == count:
        return codes
    raise CodeSpaceExhausted(f"pattern {config.pattern!r} has only {len(codes)} of {count} codes left")


def _candidates(space: int, count: int, rng: Random) -> Iterator[int]:
    """Distinct random indices into the space, at most ``20 * count + 1000`` of them.

    Sampled while the space is mostly untried; once half of it has been tried, the rest is
    shuffled, so a pattern can be used up to its last code without endless redraws.
    """
    budget = min(space, 20 * count + 1000)
    seen: set[int] = set()
    while len(seen) < budget:
        if 2 * len(seen) >= space:
            yield from _shuffled_rest(space, seen, rng)[: budget - len(seen)]
            return
        index = rng.randrange(space)
        if index not in seen:
            seen.add(index)
            yield index


def _shuffled_rest(space: int, seen: set[int], rng: Random) -> list[int]:
    """The untried indices in random order."""
    rest = [index for index in range(space) if index not in seen]
    rng.shuffle(rest)
    return rest


def _renderer(config: CodeConfig) -> Callable[[int], str]:
    """A function from an index in the space to its code (a bijection)."""
    template, tables = _layout(config)
    sizes = [len(table) for table in tables]

    def render(index: int) -> str:
        picks = []
        for table, size in zip(tables, sizes, strict=True):
            index, rest = divmod(index, size)
            picks.append(table[rest])
        return template % tuple(picks)

    return render


def _layout(config: CodeConfig) -> tuple[str, list[list[str]]]:
    """A %-template of the code and, per placeholder, every string its run of slots can hold."""
    template, tables = [_escape(config.prefix)], []
    run: list[str] = []
    for char in config.pattern:
        if char in "#?" and _table_size(run + [char], config) <= _TABLE_LIMIT:
            run.append(char)
            continue
        if run:
            template.append("%s")
            tables.append(_table(run, config))
        run = [char] if char in "#?" else []
        template.append("" if run else _escape(char))
    if run:
        template.append("%s")
        tables.append(_table(run, config))
    return "".join(template) + _escape(config.postfix), tables


def _table_size(run: list[str], config: CodeConfig) -> int:
    size = 1
    for char in run:
        size *= 10 if char == "#" else len(config.letters)
    return size


def _table(run: list[str], config: CodeConfig) -> list[str]:
    """Every string a run of slots can hold."""
    alphabets = [DIGITS if char == "#" else config.letters for char in run]
    return ["".join(chars) for chars in itertools.product(*alphabets)]


def _escape(literal: str) -> str:
    return literal.replace("%", "%%")


# --- CSV import -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeRow:
    """One valid row of a codes CSV (Voucherify's import template)."""

    line: int
    code: str
    category: str | None
    redeemed_quantity: int
    active: bool
    start_date: datetime | None
    expiration_date: datetime | None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RowError:
    """A row of a codes CSV that cannot be imported, and why."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


_COLUMNS = {name.lower(): name for name in CODE_CSV_HEADER}
_BOOLEANS = {"": True, "true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def parse_code_rows(rows: Iterable[Mapping[str | None, Any]]) -> Iterator[CodeRow | RowError]:
    """Parse csv.DictReader rows; lines count the header as 1; other columns become metadata.

    Rows whose cells are all empty are skipped; a code repeated in the file (ignoring case) is an
    error on the later line. Date-only expiration dates last to the end of that day (UTC).
    """
    first: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        cells = _cells(row)
        if line == 2 and "code" not in cells and not _extra_fields(row):
            yield RowError(1, "the header has no 'Code' column")
            return
        if not any(cells.values()) and not _extra_fields(row):
            continue
        parsed = _parse_row(line, row, cells)
        if isinstance(parsed, CodeRow):
            key = code_key(parsed.code)
            if key in first:
                parsed = RowError(line, f"code {parsed.code!r} repeats line {first[key]}")
            first.setdefault(key, line)
        yield parsed


def _cells(row: Mapping[str | None, Any]) -> dict[str, str]:
    """Header name (lower case, stripped) → stripped cell text, without DictReader's overflow."""
    return {name.strip().lower(): (value or "").strip() for name, value in row.items() if name is not None}


def _extra_fields(row: Mapping[str | None, Any]) -> list[str]:
    """Cells beyond the header (csv.DictReader puts them under the key None)."""
    return [value for value in row.get(None) or [] if value and value.strip()]


def _parse_row(line: int, row: Mapping[str | None, Any], cells: dict[str, str]) -> CodeRow | RowError:
    """One row to a CodeRow, or the first problem found in it."""
    if _extra_fields(row):
        return RowError(line, "the row has more fields than the header")
    try:
        start = _parse_date(cells.get("start date", ""), "Start date")
        end = _parse_date(cells.get("expiration date", ""), "Expiration date", end_of_day=True)
        values = (
            _code(cells.get("code", "")),
            cells.get("category") or None,
            _quantity(cells.get("redeemed quantity", "")),
            _active(cells.get("active", "")),
        )
    except ValueError as error:
        return RowError(line, str(error))
    if start and end and start > end:
        return RowError(line, "Start date is after Expiration date")
    return CodeRow(line, *values, start, end, _row_metadata(row))


def _row_metadata(row: Mapping[str | None, Any]) -> dict[str, str]:
    """Non-empty cells of columns outside the template, under their header names."""
    return {
        name.strip(): value.strip()
        for name, value in row.items()
        if name is not None and name.strip().lower() not in _COLUMNS and value and value.strip()
    }


def _code(text: str) -> str:
    if not text:
        raise ValueError("Code is empty")
    if any(char.isspace() for char in text):
        raise ValueError(f"Code {text!r} contains whitespace")
    return text


def _quantity(text: str) -> int:
    if not text:
        return 0
    if not text.isdigit() or not text.isascii():
        raise ValueError(f"Redeemed quantity must be a whole number of at least 0, got {text!r}")
    return int(text)


def _active(text: str) -> bool:
    try:
        return _BOOLEANS[text.lower()]
    except KeyError:
        raise ValueError(f"Active must be true/false, yes/no or 1/0, got {text!r}") from None


def _parse_date(text: str, column: str, *, end_of_day: bool = False) -> datetime | None:
    """An ISO 8601 date or datetime in UTC; naive times are taken as UTC."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is not None:
        return datetime.combine(day, time.max if end_of_day else time.min, UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{column} must be an ISO 8601 date or date-time, got {text!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
