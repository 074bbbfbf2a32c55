"""The webhook inbox's writes: accepted events stored durably (deduplicated on the platform's event key), each new
one sent on to `process_event` once its transaction has committed."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session

from app import followups
from app.unit_of_work import UnitOfWork
from db.models import InboundEvent
from db.writes import insert_ignore_many
from domain.model import EventStatus

INBOX_COLUMNS = ("id", "source", "external_id", "topic", "body", "headers", "normalized", "status", "error", "attempts",
                 "received_at", "enqueued_at", "processed_at")


def store_events(uow: UnitOfWork, rows: list[dict[str, Any]]) -> dict[str, str]:
    """Insert the inbox rows in one statement; for each row not inserted (its event key is stored already), the id
    stored under it. The new rows marked `enqueued` are sent to `process_event` after commit."""
    rows = [{column: row.get(column) for column in INBOX_COLUMNS} for row in rows]
    inserted = insert_ignore_many(uow.session, InboundEvent, rows)
    uow.then(*(followups.process(row["id"]) for row in rows if row["id"] in inserted and row["status"] == EventStatus.ENQUEUED))
    duplicates = [row for row in rows if row["id"] not in inserted]
    return _stored_ids(uow.session, duplicates) if duplicates else {}


def _stored_ids(session: Session, duplicates: list[dict[str, Any]]) -> dict[str, str]:
    keys = {(row["source"], row["external_id"]) for row in duplicates}
    query = (select(InboundEvent.source, InboundEvent.external_id, InboundEvent.id)
             .where(tuple_(InboundEvent.source, InboundEvent.external_id).in_(sorted(keys))))
    found = {(source, external_id): event_id for source, external_id, event_id in session.execute(query)}
    return {row["id"]: found[row["source"], row["external_id"]] for row in duplicates}


def mark_received(uow: UnitOfWork, event_id: str) -> None:
    """Its message could not be sent (broker down): back to `received`, for the reconciler to enqueue later."""
    uow.session.execute(update(InboundEvent).where(InboundEvent.id == event_id, InboundEvent.status == EventStatus.ENQUEUED)
                        .values(status=EventStatus.RECEIVED, enqueued_at=None))
