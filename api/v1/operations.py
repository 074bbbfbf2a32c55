"""Operations: the webhook inbox (list, inspect, replay) and failed jobs (list, inspect, retry, purge)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Query, Response
from pydantic import BeforeValidator

from api.v1 import responses as shapes
from api.v1.common import PageDep, RuntimeDep, page, read, returns, router, write
from api.v1.schemas import text_only
from app import operations
from db.models import FailedJob, InboundEvent
from db.queries import lists, serializers
from db.queries.errors import Invalid
from db.queries.lookups import get

EventStatus = Literal["received", "enqueued", "processed", "rejected", "failed"]


def operations_router():
    api = router("", "operations")
    _events(api)
    _jobs(api)
    return api


def _events(api) -> None:
    @api.get("/events", summary="The webhook inbox, newest first", responses=returns(shapes.Page[shapes.Event]))
    def list_events(
        runtime: RuntimeDep, params: PageDep, status: EventStatus | None = None, source: str | None = None
    ) -> dict:
        return page(runtime, lists.events(status=status, source=source), params)

    @api.get(
        "/events/{event_id}",
        summary="One inbox event with its body and normalised form",
        responses=returns(shapes.EventDetail),
    )
    def show_event(event_id: str, runtime: RuntimeDep) -> dict:
        return serializers.event_detail(read(runtime, get, InboundEvent, event_id, "event"))

    @api.post(
        "/events/{event_id}/replay",
        summary="Process a rejected, failed or stuck event again",
        responses=returns(shapes.Event),
    )
    def replay_event(event_id: str, runtime: RuntimeDep) -> dict:
        return serializers.event(write(runtime, operations.replay_event, event_id))


def _jobs(api) -> None:
    @api.get(
        "/jobs/failed",
        summary="Jobs that exhausted their retries, newest first",
        responses=returns(shapes.Page[shapes.FailedJob]),
    )
    def list_jobs(runtime: RuntimeDep, params: PageDep, actor: str | None = None) -> dict:
        return page(runtime, lists.failed_jobs(actor=actor), params)

    @api.post(
        "/jobs/failed/retry",
        summary="Retry every failed job not retried yet (or one actor's)",
        responses=returns(shapes.JobsRetried),
    )
    def retry_all(runtime: RuntimeDep, actor: str | None = None) -> dict:
        jobs = write(runtime, operations.retry_jobs, actor=actor)
        return {"retried": len(jobs), "data": [serializers.failed_job(job) for job in jobs]}

    @api.get(
        "/jobs/failed/{job_id}", summary="One failed job with its traceback", responses=returns(shapes.FailedJobDetail)
    )
    def show_job(job_id: str, runtime: RuntimeDep) -> dict:
        return serializers.failed_job_detail(read(runtime, get, FailedJob, job_id, "failed job"))

    @api.post(
        "/jobs/failed/{job_id}/retry",
        summary="Send a failed job's message again",
        responses=returns(shapes.FailedJobDetail),
    )
    def retry_one(job_id: str, runtime: RuntimeDep) -> dict:
        return serializers.failed_job_detail(write(runtime, operations.retry_jobs, job_id=job_id)[0])

    @api.delete("/jobs/failed/{job_id}", status_code=204, summary="Forget a failed job")
    def purge_one(job_id: str, runtime: RuntimeDep) -> Response:
        write(runtime, operations.purge_job, job_id)
        return Response(status_code=204)

    @api.delete(
        "/jobs/failed", summary="Purge failed jobs that failed before a time", responses=returns(shapes.JobsPurged)
    )
    def purge(
        runtime: RuntimeDep,
        before: Annotated[datetime, BeforeValidator(text_only), Query(description="ISO 8601 UTC")],
        actor: str | None = None,
    ) -> dict:
        if before.tzinfo is None:
            raise Invalid("before: must carry a timezone (use Z for UTC)")
        return {"deleted": write(runtime, operations.purge_jobs, before, actor=actor)}
