"""Operator writes on codes: generate, import from CSV, update, delete, and publish (invite a referrer).

Generation and import insert in chunks of 5,000 with INSERT … ON CONFLICT DO NOTHING and count what
landed: a generated code that collides with a stored one is replaced, not dropped. On PostgreSQL a chunk is
one multi-row statement (INSERT … SELECT FROM unnest(arrays)), on SQLite one executemany.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from app.pipeline.distributions import queue_notifications
from app.unit_of_work import UnitOfWork, UnitsOfWork
from db.customers import upsert_customer
from db.ids import new_id
from db.models import Campaign, Code, Customer
from db.queries.errors import Conflict, Invalid, NotFound
from db.queries.lookups import code_by_text, live_campaign
from db.queries.serializers import iso
from db.types import utcnow
from domain import activity
from domain.codes import CodeError, CodeRow, RowError, code_key, generate_codes, parse_code_config, parse_code_rows
from domain.emails import normalize_email
from domain.events import CustomerData

CHUNK = 5000
CODES = Code.__table__
Progress = Callable[[int], Any]


# --- generation -------------------------------------------------------------------------------


def generate(uow: UnitOfWork, campaign_id: str, count: int, *, progress: Progress | None = None) -> int:
    """Add `count` new codes from the campaign's pattern; returns how many were created (always `count`)."""
    campaign = live_campaign(uow.session, campaign_id)
    created = new_codes(uow.session, campaign, count, progress=progress)
    uow.record(activity.CODES_ADDED, campaign_id=campaign.id, customer_id=None, data={"count": created})
    return created


def new_codes(session: Session, campaign: Campaign, count: int, *, progress: Progress | None = None) -> int:
    """Generate and insert codes until `count` have landed (collisions are replaced, not dropped)."""
    config = parse_code_config(campaign.code_config)
    tried: set[str] = set()
    landed = 0
    while landed < count:
        try:
            batch = generate_codes(config, min(count - landed, CHUNK), exclude=lambda text: code_key(text) in tried)
        except CodeError as error:
            raise Conflict(f"code_config: {error}") from None
        tried.update(map(code_key, batch))
        now = utcnow()
        inserted = _insert(session, [_new_row(campaign.id, text, created_at=now) for text in batch])
        landed += inserted
        if progress:
            progress(inserted)
    return landed


def _new_row(campaign_id: str, text: str, **values: Any) -> dict[str, Any]:
    return {
        "id": new_id("code"),
        "code": text,
        "code_key": code_key(text),
        "campaign_id": campaign_id,
        "active": True,
        "redeemed_count": 0,
        "metadata": {},
        **values,
    }


def _insert(session: Session, rows: list[dict[str, Any]]) -> int:
    """INSERT … ON CONFLICT DO NOTHING for a chunk of rows; how many landed."""
    if not rows:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        return session.execute(UNNEST_INSERT, _as_arrays(rows)).rowcount
    statement = sqlite.insert(CODES).on_conflict_do_nothing().execution_options(preserve_rowcount=True)
    return session.execute(statement, rows).rowcount


ARRAY_TYPES = {
    "id": "varchar",
    "code": "varchar",
    "code_key": "varchar",
    "campaign_id": "varchar",
    "active": "boolean",
    "redeemed_count": "integer",
    "metadata": "jsonb",
    "created_at": "timestamptz",
    "category": "varchar",
    "start_date": "timestamptz",
    "expiration_date": "timestamptz",
}
UNNEST_INSERT = text(
    f"INSERT INTO codes ({', '.join(ARRAY_TYPES)}) SELECT * FROM unnest("
    + ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in ARRAY_TYPES.items())
    + ") ON CONFLICT DO NOTHING"
)


def _as_arrays(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Column-wise arrays of a chunk, for PostgreSQL's multi-row unnest insert (one statement per chunk)."""
    arrays = {name: [row.get(name) for row in rows] for name in ARRAY_TYPES}
    arrays["metadata"] = [json.dumps(value) for value in arrays["metadata"]]
    return arrays


# --- CSV import -------------------------------------------------------------------------------


@dataclass
class ImportReport:
    imported: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        errors = sorted(self.errors, key=lambda error: error.line)
        return {
            "imported": self.imported,
            "updated": self.updated,
            "errors": [{"line": error.line, "message": error.message} for error in errors],
        }


class ImportAborted(Exception):
    """`on_error=abort` met a bad row: the transaction rolls back and the report says why."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(f"{len(report.errors)} bad rows")
        self.report = report


def run_import(
    units: UnitsOfWork,
    campaign_id: str,
    lines: Iterable[str],
    *,
    on_error: str = "skip",
    progress: Progress | None = None,
) -> ImportReport:
    """Import a CSV in one transaction; with `abort`, nothing is kept when any row is bad."""
    try:
        with units() as uow:
            return import_codes(uow, campaign_id, lines, on_error=on_error, progress=progress)
    except ImportAborted as aborted:
        return ImportReport(0, 0, aborted.report.errors)


def import_codes(
    uow: UnitOfWork, campaign_id: str, lines: Iterable[str], *, on_error: str = "skip", progress: Progress | None = None
) -> ImportReport:
    """New codes are inserted; codes already in the campaign get their Active and Category updated."""
    if on_error not in ("skip", "abort"):
        raise Invalid("on_error: must be skip or abort")
    session = uow.session
    campaign = live_campaign(session, campaign_id)
    report = ImportReport()
    for chunk in _chunks(parse_code_rows(csv.DictReader(_text_lines(lines))), CHUNK):
        report.errors += [item for item in chunk if isinstance(item, RowError)]
        _import_chunk(session, campaign.id, [item for item in chunk if isinstance(item, CodeRow)], report)
        if progress:
            progress(len(chunk))
    if on_error == "abort" and report.errors:
        raise ImportAborted(report)
    uow.record(
        activity.CODES_IMPORTED,
        campaign_id=campaign.id,
        customer_id=None,
        data={"imported": report.imported, "updated": report.updated, "errors": len(report.errors)},
    )
    return report


def _text_lines(lines: Iterable[str]) -> Iterator[str]:
    try:
        yield from lines
    except UnicodeDecodeError:
        raise Invalid("file: the CSV is not UTF-8 text") from None


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _import_chunk(session: Session, campaign_id: str, rows: list[CodeRow], report: ImportReport) -> None:
    stored = dict(
        session.execute(
            select(Code.code_key, Code.campaign_id).where(Code.code_key.in_([code_key(row.code) for row in rows]))
        ).all()
    )
    others = [row for row in rows if stored.get(code_key(row.code), campaign_id) != campaign_id]
    report.errors += [RowError(row.line, f"code {row.code!r} belongs to another campaign") for row in others]
    fresh = [row for row in rows if code_key(row.code) not in stored]
    now = utcnow()
    values = [_imported_row(campaign_id, row, now) for row in fresh]
    landed = _insert(session, values)
    if landed < len(fresh):
        report.errors += _lost(session, fresh, values)
    report.imported += landed
    report.updated += _update_existing(
        session, campaign_id, [row for row in rows if stored.get(code_key(row.code)) == campaign_id]
    )


def _lost(session: Session, fresh: list[CodeRow], values: list[dict[str, Any]]) -> list[RowError]:
    """Rows another writer stored first, between our lookup and our insert."""
    landed = set(session.scalars(select(Code.id).where(Code.id.in_([value["id"] for value in values]))))
    return [
        RowError(row.line, f"code {row.code!r} already exists")
        for row, value in zip(fresh, values, strict=True)
        if value["id"] not in landed
    ]


def _imported_row(campaign_id: str, row: CodeRow, now: datetime) -> dict[str, Any]:
    return _new_row(
        campaign_id,
        row.code,
        created_at=now,
        active=row.active,
        category=row.category,
        redeemed_count=row.redeemed_quantity,
        start_date=row.start_date,
        expiration_date=row.expiration_date,
        metadata=row.metadata,
    )


def _update_existing(session: Session, campaign_id: str, rows: list[CodeRow]) -> int:
    """Re-imported codes: only Active and Category change."""
    if not rows:
        return 0
    values = {
        "keys": [code_key(row.code) for row in rows],
        "actives": [row.active for row in rows],
        "categories": [row.category for row in rows],
        "campaign_id": campaign_id,
    }
    if session.get_bind().dialect.name == "postgresql":
        session.execute(UNNEST_UPDATE, values)
    else:
        statement = (
            update(CODES)
            .where(CODES.c.code_key == bindparam("key"), CODES.c.campaign_id == campaign_id)
            .values(active=bindparam("new_active"), category=bindparam("new_category"))
        )
        session.execute(
            statement,
            [
                {"key": key, "new_active": active, "new_category": category}
                for key, active, category in zip(values["keys"], values["actives"], values["categories"], strict=True)
            ],
        )
    return len(rows)


UNNEST_UPDATE = text(
    "UPDATE codes SET active = v.active, category = v.category FROM unnest(CAST(:keys AS varchar[]), "
    "CAST(:actives AS boolean[]), CAST(:categories AS varchar[])) AS v(code_key, active, category) "
    "WHERE codes.code_key = v.code_key AND codes.campaign_id = :campaign_id"
)


# --- update, delete and publish ---------------------------------------------------------------

EDITABLE = ("active", "redemption_limit", "start_date", "expiration_date")
MAX_LIMIT = 2**31 - 1  # the column is a 32-bit integer


def update_code(uow: UnitOfWork, text: str, values: dict[str, Any]) -> Code:
    """Change a code's active flag, redemption limit, start or expiration (only the keys given; None clears a limit
    or a date). Recorded as `campaign.updated` with each changed field's old and new value."""
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        raise Invalid(f"{unknown[0]}: not a field of a code that can be changed ({', '.join(EDITABLE)})")
    found = code_by_text(uow.session, text, live=True)
    code = uow.session.get(Code, found.id, with_for_update={"key_share": True}, populate_existing=True)
    if code is None or code.deleted_at is not None:  # deleted while we waited for the lock
        raise NotFound("code", text)
    _check_code_values(code, values)
    changed = {name: (getattr(code, name), value) for name, value in values.items() if getattr(code, name) != value}
    for name, (_old, new) in changed.items():
        setattr(code, name, new)
    if changed:
        uow.record(
            activity.CAMPAIGN_UPDATED,
            campaign_id=code.campaign_id,
            customer_id=code.holder_id,
            data={"changed": ["code"], "code": code.code, "code_id": code.id, "fields": _changes(changed)},
        )
    return code


def _check_code_values(code: Code, values: dict[str, Any]) -> None:
    """Invalid naming the field: a limit below what was already redeemed, a start not before the expiration."""
    if "active" in values and not isinstance(values["active"], bool):
        raise Invalid("active: must be true or false")
    if values.get("redemption_limit") is not None:
        _check_limit(values["redemption_limit"], code.redeemed_count)
    _check_window(code, values)


def _check_limit(limit: Any, redeemed: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"redemption_limit: must be a whole number from 1 to {MAX_LIMIT}, or null for no limit")
    if limit < redeemed:
        raise Invalid(
            f"redemption_limit: the code was already redeemed {redeemed} times; "
            f"give at least {redeemed}, or null for no limit"
        )


def _check_window(code: Code, values: dict[str, Any]) -> None:
    for name in ("start_date", "expiration_date"):
        moment = values.get(name)
        if moment is not None and (not isinstance(moment, datetime) or moment.tzinfo is None):
            raise Invalid(f"{name}: must be a time with a timezone, or null")
    start = values.get("start_date", code.start_date)
    end = values.get("expiration_date", code.expiration_date)
    if start is not None and end is not None and start >= end:
        named = "expiration_date" if "expiration_date" in values else "start_date"
        raise Invalid(f"{named}: the start ({iso(start)}) must be before the expiration ({iso(end)})")


def _changes(changed: dict[str, tuple[Any, Any]]) -> dict[str, dict[str, Any]]:
    """{"field": {"from": old, "to": new}} with times as ISO 8601 strings (activity data is JSON)."""
    shown = {
        name: tuple(iso(value) if isinstance(value, datetime) else value for value in pair)
        for name, pair in changed.items()
    }
    return {name: {"from": old, "to": new} for name, (old, new) in sorted(shown.items())}


def delete(uow: UnitOfWork, text: str) -> None:
    """Soft delete: redemptions of the code then fail with voucher_disabled."""
    code = code_by_text(uow.session, text, live=True)
    code.deleted_at = utcnow()
    uow.record(
        activity.CODES_DELETED,
        campaign_id=code.campaign_id,
        customer_id=code.holder_id,
        data={"code": code.code, "code_id": code.id},
    )


def invite(uow: UnitOfWork, campaign_id: str, person: CustomerData, channel: str) -> tuple[Code, bool]:
    """Publish a code of the campaign to this customer; with join_once they keep the one they hold.

    Returns the code and whether it was published now (False: the customer already held it).
    """
    session = uow.session
    campaign = live_campaign(session, campaign_id)
    customer = _locked_customer(uow, person)
    held = _held_code(session, campaign.id, customer.id) if campaign.join_once else None
    if held is not None:
        return held, False
    code = _unpublished_code(session, campaign.id) or _generated_code(uow, campaign)
    _publish(uow, campaign, code, customer, channel)
    return code, True


def publish(uow: UnitOfWork, text: str, person: CustomerData, channel: str) -> tuple[Code, bool]:
    """Publish this very code to the customer (409 when someone else holds it)."""
    session = uow.session
    found = code_by_text(session, text, live=True)
    campaign = live_campaign(session, found.campaign_id)
    customer = _locked_customer(uow, person)
    code = session.get(Code, found.id, with_for_update=True, populate_existing=True)
    if code.holder_id == customer.id:
        return code, False
    _check_publishable(session, campaign, code, customer)
    _publish(uow, campaign, code, customer, channel)
    return code, True


def _check_publishable(session: Session, campaign: Campaign, code: Code, customer: Customer) -> None:
    if code.holder_id is not None:
        raise Conflict(f"code {code.code!r} is already published to another customer")
    if not code.active:
        raise Conflict(f"code {code.code!r} is not active")
    held = _held_code(session, campaign.id, customer.id) if campaign.join_once else None
    if held is not None:
        raise Conflict(f"the customer already holds {held.code!r} in this campaign (join_once)")


def _locked_customer(uow: UnitOfWork, person: CustomerData) -> Customer:
    """The customer (created when new), locked so two invitations of one person queue."""
    if not (person.source_id or normalize_email(person.email)):
        raise Invalid("customer: give a source_id or a valid email address")
    customer = upsert_customer(uow.session, person)
    uow.session.flush()
    return uow.lock_customer(customer.id)


def _held_code(session: Session, campaign_id: str, customer_id: str) -> Code | None:
    query = select(Code).where(
        Code.campaign_id == campaign_id, Code.holder_id == customer_id, Code.deleted_at.is_(None)
    )
    return session.scalars(query.order_by(Code.published_at).limit(1)).first()


def _unpublished_code(session: Session, campaign_id: str) -> Code | None:
    query = (
        select(Code)
        .where(
            Code.campaign_id == campaign_id, Code.holder_id.is_(None), Code.active.is_(True), Code.deleted_at.is_(None)
        )
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return session.scalars(query).first()


def _generated_code(uow: UnitOfWork, campaign: Campaign) -> Code:
    """A code made for this invitation because none was left (it is the one unpublished code we can see)."""
    new_codes(uow.session, campaign, 1)
    uow.record(activity.CODES_ADDED, campaign_id=campaign.id, customer_id=None, data={"count": 1})
    return _unpublished_code(uow.session, campaign.id)


def _publish(uow: UnitOfWork, campaign: Campaign, code: Code, customer: Customer, channel: str) -> None:
    code.holder_id, code.published_at, code.publish_channel = customer.id, utcnow(), channel
    subject = f"{code.id}:{customer.id}"
    uow.record(
        activity.PUBLICATION_SUCCEEDED,
        campaign_id=campaign.id,
        customer_id=customer.id,
        key=subject,
        data={"code": code.code, "code_id": code.id, "channel": channel},
    )
    queue_notifications(uow, campaign, customer, "code_published", subject, {"code": code.code})
