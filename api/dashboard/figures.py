"""The overview's program figures, kept for a minute per campaign and window.

Counting a 30-day window of a campaign with 400,000 redemptions and their orders reads some 200,000 index entries
(0.3-0.4 s on the benchmark machine, most of it referral revenue: every order paid in the window, checked against
the campaign's referees), too slow for every page view (SPEC: p95 ≤ 100 ms). A per-day rollup maintained by
triggers would make it cheap, but one row per campaign and day is written by every worker handling that campaign
(migration 0002 keeps per-referrer rows for that reason), so the dashboard instead reuses what it counted in the
last minute, recounts in the background after that, and says on the page when the figures were counted. The API
(`GET /api/v1/campaigns/{id}/analytics`) always counts.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import Request

from db.queries import analytics

log = structlog.get_logger("referrals.dashboard")
MAX_AGE_S = 60.0  # fresh: shown as it is
MAX_STALE_S = 15 * 60.0  # stale: shown at once while a recount runs in the background; older: counted first
MAX_ENTRIES = 256


def in_background(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="program-figures", daemon=True).start()


class RecentFigures:
    """Figures by (campaign, window), stale-while-revalidate: reused as they are for `max_age_s` seconds; then,
    up to `max_stale_s`, still shown at once while one background recount per key replaces them (so only a
    window nobody looked at for a while waits for its count); the oldest entries go first when full."""

    def __init__(
        self,
        max_age_s: float = MAX_AGE_S,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_stale_s: float = MAX_STALE_S,
        start: Callable[[Callable[[], None]], None] = in_background,
    ) -> None:
        self._entries: OrderedDict[tuple, tuple[float, dict[str, Any]]] = OrderedDict()
        self._recounting: set[tuple] = set()
        self._lock = threading.Lock()
        self._max_age_s, self._max_stale_s, self._max_entries = max_age_s, max_stale_s, max_entries
        self._clock, self._start = clock, start

    def get(self, key: tuple, count: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        with self._lock:
            found = self._entries.get(key)
            age = self._clock() - found[0] if found else math.inf
            recount_now = self._max_stale_s <= age
            recount_later = not recount_now and self._max_age_s <= age and key not in self._recounting
            if recount_later:
                self._recounting.add(key)
        if recount_now:
            return self._store(key, count)
        if recount_later:
            try:
                self._start(lambda: self._recount(key, count))
            except RuntimeError:  # no thread to be had: the next view tries again
                self._done(key)
        return found[1]

    def _recount(self, key: tuple, count: Callable[[], dict[str, Any]]) -> None:
        try:
            self._store(key, count)
        except Exception:  # the stale figures stay; the next view past max_age_s tries again
            log.exception("program figures recount failed", key=key)
        finally:
            self._done(key)

    def _done(self, key: tuple) -> None:
        with self._lock:
            self._recounting.discard(key)

    def _store(self, key: tuple, count: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        figures = count() | {"counted_at": datetime.now(UTC).isoformat(timespec="seconds")}
        with self._lock:
            self._entries[key] = (self._clock(), figures)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return figures


def program_figures(request: Request, campaign_id: str, span: analytics.Window) -> dict[str, Any]:
    """The figures of `span` as RecentFigures keeps them (see the module's docstring)."""
    return recent_count(request, ("program", campaign_id, span), analytics.figures, campaign_id, span)


def recent_count(request: Request, key: tuple, query: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """`query(session, *args)` — a count over a whole campaign, too slow for every view at scale — as RecentFigures
    keeps it under `key`, with the time it was counted (`counted_at`)."""
    dashboard = request.app.state.dashboard

    def count() -> dict[str, Any]:
        with dashboard.runtime.session_factory() as session:
            return query(session, *args)

    return dashboard.recent_figures.get(key, count)
