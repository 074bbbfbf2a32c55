"""The operations pages: failed jobs (list by actor, inspect with the traceback, retry one / all / an actor's,
forget one or purge by age) and the webhook inbox (filter by status and source, inspect, replay). Each action is
the app.operations command the API and the CLI run."""

from __future__ import annotations

import json
from datetime import timedelta
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.dashboard.history import chosen
from api.dashboard.pages import back, flash, newest_first, read, redirect, render, router, run_async
from app import followups, operations
from db.models import FailedJob, InboundEvent, Redemption
from db.queries import lists, serializers
from db.queries.lookups import get
from db.types import utcnow
from domain.model import EventStatus
from domain.platforms.registry import PARSERS

EVENT_STATUSES = tuple(EventStatus)
EVENT_SOURCES = tuple(PARSERS)
ACTORS = tuple(sorted(followups.ACTORS))
JOBS = "/jobs/failed"
MAX_PURGE_DAYS = 36_500
PRODUCED = 20  # redemptions shown on an event's page


def operations_router() -> APIRouter:
    pages = router()
    _failed_jobs(pages)
    _job_actions(pages)
    _inbox(pages)
    return pages


def _failed_jobs(pages: APIRouter) -> None:
    @pages.get(JOBS)
    def failed_jobs(request: Request, actor: str | None = None, cursor: str | None = None) -> Response:
        actor = chosen(actor, ACTORS)
        rows = newest_first(request, lists.failed_jobs(actor=actor), cursor)
        return render(
            request,
            "failed_jobs.html",
            title="Failed jobs",
            jobs=rows["data"],
            next_cursor=rows["next_cursor"],
            params={"actor": actor, "cursor": cursor},
            actor=actor,
            actors=ACTORS,
        )

    @pages.get(JOBS + "/{job_id}")
    def failed_job(request: Request, job_id: str) -> Response:
        job = serializers.failed_job_detail(read(request, get, FailedJob, job_id, "failed job"))
        return render(request, "failed_job.html", title=f"Failed job {job_id}", job=job)


def _job_actions(pages: APIRouter) -> None:
    @pages.post(JOBS + "/retry")
    async def retry_all(request: Request) -> Response:
        actor = chosen((await request.form()).get("actor") or None, ACTORS)
        jobs = await run_async(request, partial(operations.retry_jobs, actor=actor))
        whose = f" of {actor}" if actor else ""
        flash(request, f"{len(jobs)} failed job(s){whose} sent again." if jobs else f"No failed job{whose} to retry.")
        return redirect(await back(request, JOBS))

    @pages.post(JOBS + "/purge")
    async def purge(request: Request) -> Response:
        form = await request.form()
        days, actor = purge_days(form.get("older_than_days")), chosen(form.get("actor") or None, ACTORS)
        if days is None:
            flash(
                request, f"Older than: give a number of days from 0 to {MAX_PURGE_DAYS}. Nothing was purged.", "error"
            )
            return redirect(await back(request, JOBS))
        before = utcnow() - timedelta(days=days)
        count = await run_async(request, partial(operations.purge_jobs, actor=actor), before)
        flash(request, f"{count} failed job(s) older than {form.get('older_than_days')} day(s) purged.")
        return redirect(await back(request, JOBS))

    @pages.post(JOBS + "/{job_id}/retry")
    async def retry_one(request: Request, job_id: str) -> Response:
        await run_async(request, partial(operations.retry_jobs, job_id=job_id))
        flash(request, f"Job {job_id} sent again.")
        return redirect(await back(request, f"{JOBS}/{job_id}"))

    @pages.post(JOBS + "/{job_id}/delete")
    async def delete_one(request: Request, job_id: str) -> Response:
        await run_async(request, operations.purge_job, job_id)
        flash(request, f"Job {job_id} purged.")
        return redirect(JOBS)  # its own page is gone


def purge_days(value: Any) -> float | None:
    """The "older than N days" field as a number of days, None when it is not one from 0 to MAX_PURGE_DAYS."""
    try:
        days = float(str(value).strip())
    except ValueError:
        return None
    return days if 0 <= days <= MAX_PURGE_DAYS else None


def _inbox(pages: APIRouter) -> None:
    @pages.get("/events")
    def events(
        request: Request, status: str | None = None, source: str | None = None, cursor: str | None = None
    ) -> Response:
        filters = {"status": chosen(status, EVENT_STATUSES), "source": chosen(source, EVENT_SOURCES)}
        rows = newest_first(request, lists.events(**filters), cursor)
        return render(
            request,
            "events.html",
            title="Inbox",
            events=rows["data"],
            next_cursor=rows["next_cursor"],
            params=filters | {"cursor": cursor},
            filters=filters,
            statuses=EVENT_STATUSES,
            sources=EVENT_SOURCES,
        )

    @pages.get("/events/{event_id}")
    def event(request: Request, event_id: str) -> Response:
        return render(request, "event.html", title=f"Event {event_id}", **read(request, event_view, event_id))

    @pages.post("/events/{event_id}/replay")
    async def replay(request: Request, event_id: str) -> Response:
        row = await run_async(request, operations.replay_event, event_id)
        flash(request, f"Event {event_id} replayed: it is {row.status} now.")
        return redirect(await back(request, f"/events/{event_id}"))


def event_view(session: Session, event_id: str) -> dict[str, Any]:
    """An inbox event with its body pretty-printed and the redemptions it produced (found by the indexed
    redemptions.event_id)."""
    event = serializers.event_detail(get(session, InboundEvent, event_id, "event"))
    produced = session.scalars(
        select(Redemption).where(Redemption.event_id == event_id).order_by(Redemption.id).limit(PRODUCED)
    )
    return {
        "event": event,
        "body": pretty(event["body"]),
        "normalized": pretty(event["normalized"]) if event["normalized"] else None,
        "redemptions": [serializers.redemption(row) for row in produced],
    }


def pretty(payload: Any) -> str:
    """JSON (a text or a value) indented for reading; any other text as it came."""
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except ValueError:
            return payload
    return json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True)
