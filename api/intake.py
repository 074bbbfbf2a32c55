"""Webhook intake, one routine for every source: size limit, signature, parse, dedupe, durable inbox row, enqueue."""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import structlog
from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError

from api.errors import error_response
from api.inbox_writer import Written
from api.signatures import native_signed, shopify_signed, woocommerce_signed
from app import inbox
from app.followups import FollowUp
from bootstrap.runtime import Runtime
from config.settings import Settings
from db.ids import new_id
from db.types import utcnow
from domain.events import ParsedWebhook, Unparseable
from domain.model import EventStatus
from domain.platforms import woocommerce
from domain.platforms.registry import PARSERS, delivery_id

MAX_BODY_BYTES = 1024 * 1024
KEPT_HEADERS = (
    "x-shopify-topic",
    "x-shopify-shop-domain",
    "x-shopify-webhook-id",
    "x-wc-webhook-topic",
    "x-wc-webhook-delivery-id",
    "x-wc-webhook-source",
    "content-type",
)
OUTCOME_BY_STATUS = {
    EventStatus.ENQUEUED: "accepted",
    EventStatus.RECEIVED: "accepted",
    EventStatus.REJECTED: "rejected",
    EventStatus.PROCESSED: "ignored",
}
log = structlog.get_logger("referrals.intake")


@dataclass(frozen=True)
class Source:
    name: str
    signed: Callable[[Settings, Mapping[str, str], bytes], bool]
    parse: Callable[[bytes, Mapping[str, str]], ParsedWebhook]


SOURCES = {
    "shopify": Source("shopify", shopify_signed, PARSERS["shopify"]),
    "woocommerce": Source("woocommerce", woocommerce_signed, PARSERS["woocommerce"]),
    "events": Source("events", native_signed, PARSERS["events"]),
}


class BodyTooLarge(Exception):
    """The request body is over the 1 MiB limit."""


@dataclass(frozen=True)
class Stored:
    event_id: str
    inserted: bool
    status: str
    error: str | None = None


async def receive(request: Request, source: Source, runtime: Runtime) -> JSONResponse:
    """Answer 202 only once the event is durably in the inbox; 401/413/422/503 otherwise."""
    started = time.perf_counter()
    response, outcome = await _receive(request, source, runtime)
    request.app.state.metrics.observe_webhook(source.name, outcome, started)
    return response


async def _receive(request: Request, source: Source, runtime: Runtime) -> tuple[JSONResponse, str]:
    try:
        body = await read_body(request)
    except BodyTooLarge:
        return error_response(
            413, "payload_too_large", f"webhook bodies are limited to {MAX_BODY_BYTES} bytes"
        ), "too_large"
    headers = {key.lower(): value for key, value in request.headers.items()}
    if source.name == "woocommerce" and woocommerce.is_ping(body, headers.get("content-type", "")):
        return JSONResponse({"status": "ok"}, status_code=200), "ping"
    if not source.signed(runtime.settings, headers, body):
        log.warning("webhook.unauthorized", source=source.name)
        return error_response(
            401, "invalid_signature", "the webhook signature is missing, wrong or too old"
        ), "unauthorized"
    try:
        stored = await request.app.state.inbox.write(Received(_inbox_row(source, headers, body), body))
    except OperationalError:
        log.error("webhook.database_unavailable", source=source.name)
        return error_response(503, "unavailable", "the inbox database is unreachable; retry later"), "unavailable"
    return _answer(stored), OUTCOME_BY_STATUS[stored.status] if stored.inserted else "duplicate"


def _answer(stored: Stored) -> JSONResponse:
    structlog.contextvars.bind_contextvars(event_id=stored.event_id)
    if not stored.inserted:
        return JSONResponse({"status": "duplicate", "event_id": stored.event_id}, status_code=200)
    if stored.status == EventStatus.REJECTED:
        return JSONResponse(
            {
                "error": {"code": "unparseable", "message": stored.error},
                "event_id": stored.event_id,
                "status": "rejected",
            },
            status_code=422,
        )
    return JSONResponse({"status": "accepted", "event_id": stored.event_id}, status_code=202)


async def read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise BodyTooLarge()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class Received:
    """A webhook's inbox row, and the raw body it came from."""

    row: dict
    body: bytes


def store_batch(runtime: Runtime, received: Sequence[Received]) -> Written:
    """Store the rows in one unit of work (deduplicated); its follow-ups (the new events' messages) are sent once it has
    committed, by the inbox writer's after-commit threads (`Written.then`), so the next batch's commit overlaps them.
    Runs in the inbox writer's thread. A batch the database refuses as a whole (a value it cannot store) is stored row
    by row, so only that row is rejected."""
    try:
        rows = [item.row for item in received]
        existing, sends = _insert_all(runtime, rows)
    except DataError:
        rows, existing, sends = _store_one_by_one(runtime, received)
    stored = [_stored(row, existing) for row in rows]
    return Written(stored, functools.partial(_send_all, runtime, sends) if sends else None)


def _store_one_by_one(
    runtime: Runtime, received: Sequence[Received]
) -> tuple[list[dict], inbox.StoredRows, list[FollowUp]]:
    rows, existing, sends = [], inbox.StoredRows(), []
    for item in received:
        try:
            found, more = _insert_all(runtime, [item.row])
            rows.append(item.row)
        except DataError as error:  # e.g. a NUL inside a JSON string: keep it as rejected
            rows.append(_unstorable(item.row, item.body, error))
            found, more = _insert_all(runtime, [rows[-1]])
        existing |= found
        sends += more
    return rows, existing, sends


def _stored(row: dict, existing: inbox.StoredRows) -> Stored:
    if row["id"] in existing.duplicates:
        return Stored(existing.duplicates[row["id"]], False, "duplicate", None)
    return Stored(existing.superseded.get(row["id"], row["id"]), True, row["status"], row["error"])


def _insert_all(runtime: Runtime, rows: list[dict]) -> tuple[inbox.StoredRows, list[FollowUp]]:
    """Insert the inbox rows: what became of them, and the messages to send after commit."""
    with runtime.units(send_after_commit=False) as uow:
        existing = inbox.store_events(uow, rows)
    return existing, uow.followups


def _unstorable(row: dict, body: bytes, error: DataError) -> dict:
    reason = f"the event cannot be stored as sent: {str(error.orig).splitlines()[0][:200]}"
    return row | {
        "normalized": None,
        "enqueued_at": None,
        "processed_at": None,  # under the platform's key it parsed
        "status": EventStatus.REJECTED,
        "error": reason,
        "body": row["body"].replace("\x00", "\ufffd"),
    }


def _inbox_row(source: Source, headers: Mapping[str, str], body: bytes) -> dict:
    now = utcnow()
    row = {
        "id": new_id("evt"),
        "source": source.name,
        "body": body.decode("utf-8", "replace").replace("\x00", "\ufffd"),
        "received_at": now,
        "headers": {key: headers[key] for key in KEPT_HEADERS if key in headers},
        "attempts": 0,
    }
    try:
        parsed = source.parse(body, headers)
    except Unparseable as problem:
        return row | {
            "external_id": _rejected_key(source, headers, body, row["id"]),
            "topic": (_topic(headers) or "")[:120] or None,
            "normalized": None,
            "status": EventStatus.REJECTED,
            "error": str(problem),
        }
    parsed = ParsedWebhook(_bounded_key(parsed.external_id), parsed.topic[:120], parsed.event)
    if parsed.event is None:
        return row | {
            "external_id": parsed.external_id,
            "topic": parsed.topic,
            "normalized": None,
            "processed_at": now,
            "status": EventStatus.PROCESSED,
            "error": f"topic {parsed.topic!r} is not used; nothing to do",
        }
    return row | {
        "external_id": parsed.external_id,
        "topic": parsed.topic,
        "normalized": parsed.event.to_dict(),
        "status": EventStatus.ENQUEUED,
        "enqueued_at": now,
        "error": None,
    }


def _rejected_key(source: Source, headers: Mapping[str, str], body: bytes, event_id: str) -> str:
    """A rejected delivery is stored under the platform's id for it when one can be read (an operator looks it up by
    that id; the platform's retries of it are duplicates), else under its own event id (each delivery a row)."""
    platform_id = delivery_id(source.name, body, headers)
    return _bounded_key(platform_id) if platform_id else f"rejected:{event_id}"


def _bounded_key(external_id: str) -> str:
    """The platform's event key, hashed when longer than the column allows (still unique, still deduplicating)."""
    return external_id if len(external_id) <= 255 else f"sha256:{hashlib.sha256(external_id.encode()).hexdigest()}"


def _topic(headers: Mapping[str, str]) -> str | None:
    return headers.get("x-shopify-topic") or headers.get("x-wc-webhook-topic")


def _send_all(runtime: Runtime, sends: list[FollowUp]) -> None:
    for followup in sends:
        _send(runtime, followup)


def _send(runtime: Runtime, followup: FollowUp) -> None:
    """Enqueue a stored event (already marked `enqueued`, saving a round trip); if the broker is down, mark it back
    `received`: the reconciler enqueues it later either way."""
    try:
        runtime.enqueue(followup)
    except Exception as error:  # noqa: BLE001 - the event is durable; the reconciler will enqueue it
        event_id = followup.args[0]
        log.warning("webhook.enqueue_failed", event_id=event_id, error=str(error))
        runtime.units.run(inbox.mark_received, event_id)
