import csv
import io
import random
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.codes import (
    CodeConfig,
    CodeRow,
    CodeSpaceExhausted,
    InvalidCodeConfig,
    RowError,
    code_key,
    code_space,
    generate_codes,
    parse_code_config,
    parse_code_rows,
)


def seeded(seed: int = 7) -> random.Random:
    return random.Random(seed)


# --- configuration ----------------------------------------------------------------------------


def test_the_default_pattern_is_ref_four_digits_four_letters():
    assert CodeConfig() == CodeConfig(pattern="REF-####-????", charset=None, prefix="", postfix="")


def test_parse_code_config_reads_the_api_mapping():
    config = parse_code_config({"pattern": "##??", "charset": "XYZ", "prefix": "A-", "postfix": "-B"})
    assert config == CodeConfig("##??", "XYZ", "A-", "-B")


def test_parse_code_config_without_a_mapping_is_the_default():
    assert parse_code_config(None) == CodeConfig()
    assert parse_code_config({}) == CodeConfig()


def test_parse_code_config_turns_a_length_into_that_many_letters():
    assert parse_code_config({"length": 6, "charset": "ABC"}).pattern == "??????"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"pattern": "REF-CODE"}, "has no '#' (digit) or '?' (letter)"),
        ({"pattern": ""}, "has no '#'"),
        ({"charset": ""}, "charset must be a non-empty string"),
        ({"charset": "AB C"}, "charset 'AB C' contains whitespace"),
        ({"charset": "ABa"}, "charset repeats 'a'"),
        ({"pattern": "REF ####"}, "pattern must be a string without whitespace"),
        ({"prefix": "A "}, "prefix must be a string without whitespace"),
        ({"pattern": 1234}, "pattern must be a string, got 1234"),
        ({"length": 0}, "length must be a whole number of at least 1"),
        ({"size": 8}, "unknown code_config key 'size'"),
    ],
)
def test_invalid_code_configs_are_rejected_naming_the_problem(data, message):
    with pytest.raises(InvalidCodeConfig, match=re.escape(message)):
        parse_code_config(data)


def test_a_code_config_is_checked_when_built_directly():
    with pytest.raises(InvalidCodeConfig):
        CodeConfig(pattern="NOPE")


def test_invalid_code_config_is_a_value_error():
    assert issubclass(InvalidCodeConfig, ValueError)


def test_code_space_multiplies_the_slots():
    assert code_space(CodeConfig()) == 10**4 * 26**4
    assert code_space(CodeConfig(pattern="#?", charset="XY")) == 20


def test_code_space_ignores_literals_prefix_and_postfix():
    assert code_space(CodeConfig(pattern="A-##", prefix="P", postfix="S")) == 100


# --- generation -------------------------------------------------------------------------------


def test_generated_codes_follow_the_default_pattern():
    codes = generate_codes(CodeConfig(), 50, rng=seeded())
    assert all(re.fullmatch(r"REF-[0-9]{4}-[A-Z]{4}", code) for code in codes)


def test_letters_come_from_the_charset_when_given():
    codes = generate_codes(CodeConfig(pattern="????", charset="XY7"), 30, rng=seeded())
    assert all(set(code) <= set("XY7") for code in codes)


def test_digits_stay_digits_with_a_charset():
    codes = generate_codes(CodeConfig(pattern="##-??", charset="QZ"), 30, rng=seeded())
    assert all(re.fullmatch(r"[0-9]{2}-[QZ]{2}", code) for code in codes)


def test_prefix_and_postfix_wrap_the_pattern():
    codes = generate_codes(CodeConfig(pattern="##", prefix="SPRING%-", postfix="-2026"), 5, rng=seeded())
    assert all(re.fullmatch(r"SPRING%-[0-9]{2}-2026", code) for code in codes)


def test_generated_codes_are_distinct():
    codes = generate_codes(CodeConfig(pattern="###"), 900, rng=seeded())
    assert len(set(codes)) == 900


def test_a_pattern_can_be_used_up_to_its_last_code():
    codes = generate_codes(CodeConfig(pattern="?", charset="ABC"), 3, rng=seeded())
    assert sorted(codes) == ["A", "B", "C"]


def test_asking_for_more_codes_than_the_pattern_can_make_raises():
    with pytest.raises(CodeSpaceExhausted, match="makes at most 100 codes, 101 asked for"):
        generate_codes(CodeConfig(pattern="##"), 101)


def test_excluded_codes_are_skipped():
    taken = {"A", "C"}
    assert generate_codes(CodeConfig(pattern="?", charset="ABCD"), 2, rng=seeded(), exclude=taken.__contains__) in (
        ["B", "D"],
        ["D", "B"],
    )


def test_raises_when_exclusions_leave_too_few_codes():
    taken = {"A", "B", "C"}
    with pytest.raises(CodeSpaceExhausted, match="has only 1 of 2 codes left"):
        generate_codes(CodeConfig(pattern="?", charset="ABCD"), 2, exclude=taken.__contains__)


def test_raises_when_a_large_pattern_is_practically_full():
    with pytest.raises(CodeSpaceExhausted):
        generate_codes(CodeConfig(), 10, rng=seeded(), exclude=lambda code: True)


def test_topping_up_a_shortfall_with_exclude_gives_new_codes():
    config = CodeConfig(pattern="##")
    first = generate_codes(config, 60, rng=seeded(1))
    rest = generate_codes(config, 40, rng=seeded(2), exclude=set(first).__contains__)
    assert sorted(first + rest) == [f"{n:02d}" for n in range(100)]


def test_zero_codes_is_an_empty_list():
    assert generate_codes(CodeConfig(), 0) == []


def test_a_negative_count_is_rejected():
    with pytest.raises(ValueError):
        generate_codes(CodeConfig(), -1)


def test_the_default_random_source_is_the_system_one():
    codes = generate_codes(CodeConfig(), 3)
    assert len(set(codes)) == 3


def test_the_same_seed_gives_the_same_codes():
    assert generate_codes(CodeConfig(), 5, rng=seeded(3)) == generate_codes(CodeConfig(), 5, rng=seeded(3))


def test_a_hundred_thousand_codes_take_well_under_a_second():
    started = time.perf_counter()
    codes = generate_codes(CodeConfig(), 100_000)
    assert time.perf_counter() - started < 1.0
    assert len(set(codes)) == 100_000


def test_codes_that_differ_only_in_case_are_never_both_generated():
    codes = generate_codes(CodeConfig(pattern="??", charset="abC"), 9, rng=seeded())
    assert len({code_key(code) for code in codes}) == 9


patterns = st.text(alphabet="#?AB-_%", min_size=1, max_size=8).filter(lambda p: "#" in p or "?" in p)


@settings(max_examples=50)
@given(pattern=patterns, charset=st.sampled_from([None, "XYZ", "k9"]), seed=st.integers(0, 1000))
def test_generated_codes_always_match_their_pattern(pattern, charset, seed):
    config = CodeConfig(pattern=pattern, charset=charset, prefix="P-")
    letters = re.escape(charset or "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    regex = "P-" + "".join("[0-9]" if c == "#" else f"[{letters}]" if c == "?" else re.escape(c) for c in pattern)
    count = min(code_space(config), 20)
    codes = generate_codes(config, count, rng=random.Random(seed))
    assert len(set(codes)) == count
    assert all(re.fullmatch(regex, code) for code in codes)


# --- matching key -----------------------------------------------------------------------------


def test_code_key_ignores_case_and_surrounding_space():
    assert code_key("  ref-1234-abcd\n") == "REF-1234-ABCD"


@given(st.text())
def test_code_key_is_idempotent(code):
    assert code_key(code_key(code)) == code_key(code)


# --- CSV import -------------------------------------------------------------------------------


def rows_of(text: str) -> list:
    return list(parse_code_rows(csv.DictReader(io.StringIO(text))))


def test_parses_the_voucherify_template():
    (row,) = rows_of("Code,Category,Redeemed quantity,Active\nREF-1,friends,2,false\n")
    assert row == CodeRow(2, "REF-1", "friends", 2, False, None, None, {})


def test_empty_cells_take_defaults():
    (row,) = rows_of("Code,Category,Redeemed quantity,Active\nREF-1,,,\n")
    assert (row.category, row.redeemed_quantity, row.active) == (None, 0, True)


@pytest.mark.parametrize(("text", "active"), [("TRUE", True), ("yes", True), ("1", True), ("No", False), ("0", False)])
def test_active_accepts_true_false_yes_no_one_zero(text, active):
    (row,) = rows_of(f"Code,Active\nREF-1,{text}\n")
    assert row.active is active


def test_dates_are_iso_8601_in_utc():
    (row,) = rows_of("Code,Start date,Expiration date\nREF-1,2026-01-01T10:00:00+02:00,2026-12-31T00:00:00Z\n")
    assert row.start_date == datetime(2026, 1, 1, 8, tzinfo=UTC)
    assert row.expiration_date == datetime(2026, 12, 31, tzinfo=UTC)


def test_naive_datetimes_are_taken_as_utc():
    (row,) = rows_of("Code,Start date\nREF-1,2026-01-01 10:00\n")
    assert row.start_date == datetime(2026, 1, 1, 10, tzinfo=UTC)


def test_a_date_only_expiration_lasts_to_the_end_of_that_day():
    (row,) = rows_of("Code,Start date,Expiration date\nREF-1,2026-01-01,2026-01-31\n")
    assert row.start_date == datetime(2026, 1, 1, tzinfo=UTC)
    assert row.expiration_date == datetime(2026, 2, 1, tzinfo=UTC) - timedelta(microseconds=1)


def test_extra_columns_become_metadata():
    (row,) = rows_of("Code,Active,Region,Batch\nREF-1,true,EU,\n")
    assert row.metadata == {"Region": "EU"}


def test_header_names_match_without_regard_to_case():
    (row,) = rows_of("code,redeemed quantity\nREF-1,3\n")
    assert (row.code, row.redeemed_quantity) == ("REF-1", 3)


def test_cells_are_stripped():
    (row,) = rows_of("Code,Category\n  REF-1 , vip \n")
    assert (row.code, row.category) == ("REF-1", "vip")


def test_bad_rows_are_reported_with_their_line_numbers_and_good_rows_still_parse():
    text = (
        "Code,Category,Redeemed quantity,Active,Start date,Expiration date\n"
        "GOOD-1,,0,true,,\n"
        ",,0,true,,\n"
        "BAD 2,,0,true,,\n"
        "BAD-3,,-1,true,,\n"
        "BAD-4,,0,maybe,,\n"
        "BAD-5,,0,true,yesterday,\n"
        "BAD-6,,0,true,2026-02-01,2026-01-01\n"
        "GOOD-7,,1,no,,\n"
    )
    results = rows_of(text)
    assert [r.code for r in results if isinstance(r, CodeRow)] == ["GOOD-1", "GOOD-7"]
    assert [r.line for r in results if isinstance(r, CodeRow)] == [2, 9]
    assert [(e.line, e.message) for e in results if isinstance(e, RowError)] == [
        (3, "Code is empty"),
        (4, "Code 'BAD 2' contains whitespace"),
        (5, "Redeemed quantity must be a whole number of at least 0, got '-1'"),
        (6, "Active must be true/false, yes/no or 1/0, got 'maybe'"),
        (7, "Start date must be an ISO 8601 date or date-time, got 'yesterday'"),
        (8, "Start date is after Expiration date"),
    ]


def test_a_code_repeated_in_the_file_is_an_error_on_the_later_line():
    results = rows_of("Code\nREF-1\nREF-2\nref-1\n")
    assert results[2] == RowError(4, "code 'ref-1' repeats line 2")


def test_a_row_with_more_fields_than_the_header_is_an_error():
    assert rows_of("Code,Active\nREF-1,true,surprise\n") == [RowError(2, "the row has more fields than the header")]


def test_a_short_row_takes_defaults_for_the_missing_cells():
    (row,) = rows_of("Code,Category,Redeemed quantity,Active\nREF-1\n")
    assert (row.redeemed_quantity, row.active) == (0, True)


def test_rows_with_only_empty_cells_are_skipped():
    assert [r.line for r in rows_of("Code,Active\nREF-1,\n,\nREF-2,\n")] == [2, 4]


def test_a_header_without_a_code_column_is_an_error_on_line_one():
    assert rows_of("Name,Active\nREF-1,true\n") == [RowError(1, "the header has no 'Code' column")]


def test_a_row_error_reads_as_a_line_and_a_message():
    assert str(RowError(3, "Code is empty")) == "line 3: Code is empty"


def test_parsing_is_lazy():
    rows = parse_code_rows({"Code": f"REF-{n}"} for n in range(10**9))
    assert next(rows).code == "REF-0"
