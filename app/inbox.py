"""The webhook inbox's writes: accepted events stored durably (deduplicated on the platform's event key), each new
one sent on to `process_event` once its transaction has committed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session

from app import followups
from app.unit_of_work import UnitOfWork
from db.models import InboundEvent
from db.writes import insert_ignore_many
from domain.model import EventStatus

INBOX_COLUMNS = (
    "id",
    "source",
    "external_id",
    "topic",
    "body",
    "headers",
    "normalized",
    "status",
    "error",
    "attempts",
    "received_at",
    "enqueued_at",
    "processed_at",
)


@dataclass(frozen=True)
class StoredRows:
    """What became of rows offered to the inbox, by the new rows' ids: `duplicates` were stored before (the id they
    have), `superseded` replaced a rejected delivery stored under the same key (the id they took over)."""

    duplicates: dict[str, str] = field(default_factory=dict)
    superseded: dict[str, str] = field(default_factory=dict)

    def __or__(self, other: StoredRows) -> StoredRows:
        return StoredRows(self.duplicates | other.duplicates, self.superseded | other.superseded)


def store_events(uow: UnitOfWork, rows: list[dict[str, Any]]) -> StoredRows:
    """Insert the inbox rows in one statement; a row whose event key is stored already is a duplicate, unless the
    stored row was rejected and this one parses: then it replaces it (the platform sent it again after a fix). The
    new or replaced rows marked `enqueued` are sent to `process_event` after commit."""
    rows = [{column: row.get(column) for column in INBOX_COLUMNS} for row in rows]
    inserted = insert_ignore_many(uow.session, InboundEvent, rows)
    duplicates = [row for row in rows if row["id"] not in inserted]
    stored = _supersede_rejected(uow.session, duplicates) if duplicates else StoredRows()
    accepted = {row["id"]: row["id"] for row in rows if row["id"] in inserted} | stored.superseded
    uow.then(
        *(
            followups.process(accepted[row["id"]])
            for row in rows
            if row["id"] in accepted and row["status"] == EventStatus.ENQUEUED
        )
    )
    return stored


def _supersede_rejected(session: Session, duplicates: list[dict[str, Any]]) -> StoredRows:
    stored = _stored_rows(session, duplicates)
    result = StoredRows()
    for row in duplicates:
        twin_id, twin_status = stored[row["source"], row["external_id"]]
        if (
            twin_status == EventStatus.REJECTED
            and row["status"] != EventStatus.REJECTED
            and _replace(session, twin_id, row)
        ):
            result.superseded[row["id"]] = twin_id
        else:
            result.duplicates[row["id"]] = twin_id
    return result


def _stored_rows(session: Session, duplicates: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[str, str]]:
    keys = {(row["source"], row["external_id"]) for row in duplicates}
    query = select(InboundEvent.source, InboundEvent.external_id, InboundEvent.id, InboundEvent.status).where(
        tuple_(InboundEvent.source, InboundEvent.external_id).in_(sorted(keys))
    )
    return {
        (source, external_id): (event_id, status) for source, external_id, event_id, status in session.execute(query)
    }


def _replace(session: Session, twin_id: str, row: dict[str, Any]) -> bool:
    """The rejected row takes the new delivery's content (only while it is still rejected: a replay may have won)."""
    values = {column: row[column] for column in INBOX_COLUMNS if column not in ("id", "source", "external_id")}
    replaced = session.execute(
        update(InboundEvent)
        .where(InboundEvent.id == twin_id, InboundEvent.status == EventStatus.REJECTED)
        .values(**values)
    )
    return bool(replaced.rowcount)


def mark_received(uow: UnitOfWork, event_id: str) -> None:
    """Its message could not be sent (broker down): back to `received`, for the reconciler to enqueue later."""
    uow.session.execute(
        update(InboundEvent)
        .where(InboundEvent.id == event_id, InboundEvent.status == EventStatus.ENQUEUED)
        .values(status=EventStatus.RECEIVED, enqueued_at=None)
    )
