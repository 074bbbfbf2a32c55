"""CSV exports in constant memory: rows stream from a server-side cursor straight into CSV chunks."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, sessionmaker

from db.models import Code, Customer
from db.queries import Listing, serializers
from domain.codes import CODE_CSV_HEADER

BATCH = 1000
MAILCHIMP_HEADER = ("Email Address", "First Name", "Last Name", "REFCODE")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet reads as the start of a formula


def csv_chunks(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, batch: int = BATCH, verbatim: Sequence[int] = ()
) -> Iterator[str]:
    """The CSV text of `rows` under `header`, `batch` rows per chunk. Text that a spreadsheet would run as a
    formula (a shopper named `=HYPERLINK(…)`) gets a leading `'`, except in the `verbatim` columns (a code column
    that must import again exactly as it is)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow([cell if index in verbatim else inert(cell) for index, cell in enumerate(row)])
        if count % batch == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def inert(cell: Any) -> Any:
    """`cell`, with a `'` before text that starts like a spreadsheet formula (CSV injection)."""
    return f"'{cell}" if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) else cell


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def stream_rows(
    session_factory: sessionmaker[Session], query: Select, to_row: Callable[[Any], Sequence[Any]]
) -> Iterator[Sequence[Any]]:
    """Each result row converted by `to_row`, fetched `BATCH` at a time in a session of its own."""
    with session_factory() as session:
        for row in session.execute(query.execution_options(yield_per=BATCH)):
            yield to_row(row[0] if len(row) == 1 else row)


def listing_csv(
    session_factory: sessionmaker[Session], listing: Listing, columns: Sequence[str], start: Any = None, end: Any = None
) -> Iterator[str]:
    """A list endpoint's rows as CSV, with the serializer's fields as columns."""

    def to_row(row: Any) -> list[Any]:
        data = listing.serialize(row)
        return [data.get(column) for column in columns]

    return csv_chunks(columns, stream_rows(session_factory, listing.within(start, end), to_row))


def codes_query(campaign_id: str) -> Select:
    return select(Code).where(Code.campaign_id == campaign_id, Code.deleted_at.is_(None)).order_by(Code.id)


def code_row(code: Code) -> tuple:
    """One row of Voucherify's import template, so an export can be imported again."""
    return (
        code.code,
        code.category or "",
        code.redeemed_count,
        "true" if code.active else "false",
        serializers.iso(code.start_date) or "",
        serializers.iso(code.expiration_date) or "",
    )


def mailchimp_query(campaign_id: str) -> Select:
    return (
        select(Code, Customer)
        .join(Customer, Customer.id == Code.holder_id)
        .where(Code.campaign_id == campaign_id, Code.deleted_at.is_(None), Customer.email.is_not(None))
        .order_by(Code.id)
    )


def mailchimp_row(row: Any) -> tuple:
    """Email, first and last name, and the code as the REFCODE merge field."""
    code, customer = row
    first, _, last = (customer.name or "").strip().partition(" ")
    return customer.email, first, last.strip(), code.code


# format → (header, query, row, the columns written verbatim: the template's Code imports again as it is)
EXPORTS = {
    "codes": (CODE_CSV_HEADER, codes_query, code_row, (0,)),
    "mailchimp": (MAILCHIMP_HEADER, mailchimp_query, mailchimp_row, ()),
}


def codes_csv(session_factory: sessionmaker[Session], campaign_id: str, fmt: str = "codes") -> Iterator[str]:
    """A campaign's codes as CSV: Voucherify's template, or a Mailchimp audience of published codes."""
    header, query, to_row, verbatim = EXPORTS[fmt]
    return csv_chunks(header, stream_rows(session_factory, query(campaign_id), to_row), verbatim=verbatim)


def codes_csv_rows(session: Session, campaign_id: str, fmt: str = "codes") -> int:
    """How many data rows `codes_csv` will write (for progress bars)."""
    _header, query, _to_row, _verbatim = EXPORTS[fmt]
    return session.scalar(select(func.count()).select_from(query(campaign_id).order_by(None).subquery())) or 0
