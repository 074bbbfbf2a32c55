"""The overview's program figures, kept for a minute per campaign and window.

Counting a 30-day window of a campaign with 400,000 redemptions and their orders reads some 200,000 index entries
(0.3-0.4 s on the benchmark machine, most of it referral revenue: every order paid in the window, checked against
the campaign's referees), too slow for every page view (SPEC: p95 ≤ 100 ms). A per-day rollup maintained by
triggers would make it cheap, but one row per campaign and day is written by every worker handling that campaign
(migration 0002 keeps per-referrer rows for that reason), so the dashboard instead reuses what it counted in the
last minute and says so on the page ("as of …"). The API (`GET /api/v1/campaigns/{id}/analytics`) always counts.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import Request

from db.queries import analytics

MAX_AGE_S = 60.0
MAX_ENTRIES = 256


class RecentFigures:
    """Figures by (campaign, window), each reused for `max_age_s` seconds; the oldest entries go first when full."""

    def __init__(self, max_age_s: float = MAX_AGE_S, max_entries: int = MAX_ENTRIES, clock=time.monotonic) -> None:
        self._entries: OrderedDict[tuple, tuple[float, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()
        self._max_age_s, self._max_entries, self._clock = max_age_s, max_entries, clock

    def get(self, key: tuple, count: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        with self._lock:
            found = self._entries.get(key)
        if found is not None and self._clock() - found[0] < self._max_age_s:
            return found[1]
        figures = count() | {"counted_at": datetime.now(UTC).isoformat(timespec="seconds")}
        with self._lock:
            self._entries[key] = (self._clock(), figures)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return figures


def program_figures(request: Request, campaign_id: str, span: analytics.Window) -> dict[str, Any]:
    """The figures of `span`, counted at most a minute ago (see the module's docstring)."""
    state = request.app.state
    recent = getattr(state, "program_figures", None)
    if recent is None:
        recent = state.program_figures = RecentFigures()
    runtime = state.dashboard.runtime

    def count() -> dict[str, Any]:
        with runtime.session_factory() as session:
            return analytics.figures(session, campaign_id, span)

    return recent.get((campaign_id, span), count)
