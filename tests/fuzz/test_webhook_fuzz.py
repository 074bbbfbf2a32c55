"""Fuzzing webhook intake: whatever a platform (or anyone) posts, the answer is deliberate — 200, 202, 401, 413 or
422, never a 500 — an accepted event always has its inbox row, a 422 its `rejected` row, a refusal stores nothing;
and every event intake accepted can then be processed by the pipeline."""

from __future__ import annotations

import os
import traceback

import pytest
from dramatiq import Middleware, Worker
from hypothesis import HealthCheck, given, note, settings
from sqlalchemy import func, select

from db.models import InboundEvent
from tests.fuzz.strategies import REAL_CODE, Request, native_requests, shopify_requests, woocommerce_requests
from tests.support.pipeline import drain
from tests.support.seed import seed_campaign

EXAMPLES = int(os.environ.get("REFERRALS_FUZZ_EXAMPLES", "300"))
DELIBERATE = {200, 202, 401, 413, 422}
SOURCES = {"shopify": shopify_requests(), "woocommerce": woocommerce_requests(), "events": native_requests()}


@pytest.mark.parametrize("source", SOURCES)
def test_every_webhook_gets_a_deliberate_answer_and_every_accepted_one_is_stored_and_processable(
    source, runtime, client
):
    seed_campaign(runtime, code=REAL_CODE)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )
    @given(request=SOURCES[source])
    def answer_is_deliberate(request: Request) -> None:
        note(repr(request))
        stored_before = _inbox_size(runtime)
        response = client.post(request.path, content=request.body, headers=request.wire_headers)
        assert response.status_code in DELIBERATE, (response.status_code, response.text)
        _check_answer(runtime, request, response.status_code, response.json(), stored_before)

    answer_is_deliberate()
    errors = _process_everything(runtime)
    unfinished = _unfinished(runtime)
    assert unfinished == [], [
        (row, errors.get(row[0])) for row in unfinished
    ]  # accepted, yet the pipeline cannot process it


def _check_answer(runtime, request: Request, status: int, answer: dict, stored_before: int) -> None:
    if status == 202:
        assert answer["status"] == "accepted" and _event_status(runtime, answer["event_id"]) is not None
    elif status == 200 and answer.get("status") == "duplicate":
        assert _event_status(runtime, answer["event_id"]) is not None
    elif status == 200:
        assert answer == {"status": "ok"} and request.path == "/webhooks/woocommerce", answer  # WooCommerce's ping
        assert _inbox_size(runtime) == stored_before
    elif status == 422:
        assert answer["status"] == "rejected" and _event_status(runtime, answer["event_id"]) == "rejected", answer
    else:
        assert not (status == 401 and request.signed), "a correctly signed, fresh webhook was refused"
        assert _inbox_size(runtime) == stored_before, "a refused webhook was stored"


def _inbox_size(runtime) -> int:
    with runtime.session_factory() as session:
        return session.scalar(select(func.count()).select_from(InboundEvent))


def _event_status(runtime, event_id: str) -> str | None:
    with runtime.session_factory() as session:
        return session.scalar(select(InboundEvent.status).where(InboundEvent.id == event_id))


def _process_everything(runtime) -> dict[str, str]:
    """Run the pipeline over every accepted event; returns the error each failing event's job raised."""
    errors = ErrorsByEvent()
    runtime.broker.add_middleware(errors)
    worker = Worker(runtime.broker, worker_threads=2, worker_timeout=50)
    worker.start()
    try:
        drain(runtime, timeout_s=120, include_delayed=True)
    finally:
        worker.stop(timeout=10_000)
    return errors.by_event


class ErrorsByEvent(Middleware):
    def __init__(self) -> None:
        self.by_event: dict[str, str] = {}

    def after_process_message(self, broker, message, *, result=None, exception=None):
        if exception is not None and message.actor_name == "process_event":
            frames = traceback.extract_tb(exception.__traceback__)
            where = next((f for f in reversed(frames) if "site-packages" not in f.filename), frames[-1])
            self.by_event[message.args[0]] = (
                f"{type(exception).__name__}: {str(exception)[:300]} at {where.filename}:{where.lineno}"
            )


def _unfinished(runtime) -> list[tuple]:
    with runtime.session_factory() as session:
        query = select(InboundEvent.id, InboundEvent.source, InboundEvent.status, InboundEvent.body).where(
            InboundEvent.status.not_in(["processed", "rejected"])
        )
        return [
            (event_id, source, status, body[:300]) for event_id, source, status, body in session.execute(query.limit(5))
        ]
