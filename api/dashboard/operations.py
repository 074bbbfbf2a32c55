"""The operations pages: failed jobs and the webhook inbox, newest first (read-only in this first slice; retry and
replay come with their forms)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.dashboard.pages import newest_first, render, router
from db.queries import lists

EVENT_STATUSES = ("received", "enqueued", "processed", "rejected", "failed")


def operations_router() -> APIRouter:
    pages = router()

    @pages.get("/jobs/failed")
    def failed_jobs(request: Request, cursor: str | None = None) -> Response:
        rows = newest_first(request, lists.failed_jobs(), cursor)
        return render(
            request, "failed_jobs.html", title="Failed jobs", jobs=rows["data"], next_cursor=rows["next_cursor"]
        )

    @pages.get("/events")
    def events(request: Request, cursor: str | None = None, status: str | None = None) -> Response:
        status = status if status in EVENT_STATUSES else None
        rows = newest_first(request, lists.events(status=status), cursor)
        return render(
            request,
            "events.html",
            title="Inbox",
            events=rows["data"],
            next_cursor=rows["next_cursor"],
            chosen=status,
            statuses=EVENT_STATUSES,
        )

    return pages
