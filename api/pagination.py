"""Newest-first cursor pagination: ids are time-sortable, so the cursor is the last id of a page."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import BeforeValidator
from sqlalchemy import Select
from sqlalchemy.orm import Session

from api.errors import ApiError
from api.validators import text_only

MAX_LIMIT = 100
CURSOR = re.compile(r"[a-z]+_[0-9a-z]{26}")  # an id as db/ids.py makes them: what next_cursor gives
IsoDatetime = Annotated[datetime, BeforeValidator(text_only)]


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None
    start_date: datetime | None
    end_date: datetime | None


def page_params(
    limit: int = Query(50, ge=1, le=MAX_LIMIT, description="page size, 1 to 100"),
    cursor: str | None = Query(None, description="next_cursor from the previous page (any other value is 422)"),
    start_date: IsoDatetime | None = Query(None, description="ISO 8601 UTC, inclusive"),
    end_date: IsoDatetime | None = Query(None, description="ISO 8601 UTC, exclusive"),
) -> PageParams:
    """FastAPI dependency for list endpoints."""
    if cursor and not CURSOR.fullmatch(cursor):
        raise ApiError(
            422, "invalid_request", f"cursor: {cursor[:40]!r} is not a next_cursor of a page (an id such as red_01hx…)"
        )
    for value in (start_date, end_date):
        if value is not None and value.tzinfo is None:
            raise ApiError(422, "invalid_request", "start_date and end_date must carry a timezone (use Z for UTC)")
    return PageParams(limit, cursor or None, start_date, end_date)


def paginate(
    session: Session,
    query: Select,
    id_column: Any,
    date_column: Any,
    params: PageParams,
    serialize: Callable[[Any], dict],
) -> dict:
    """One page of `query`, newest first, as {"data": [...], "next_cursor": ...}."""
    if params.cursor:
        query = query.where(id_column < params.cursor)
    if params.start_date:
        query = query.where(date_column >= params.start_date)
    if params.end_date:
        query = query.where(date_column < params.end_date)
    rows = session.execute(query.order_by(id_column.desc()).limit(params.limit + 1)).all()
    rows = [row[0] if len(row) == 1 else row for row in rows]
    page = rows[: params.limit]
    next_cursor = _id_of(page[-1]) if len(rows) > params.limit else None
    return {"data": [serialize(row) for row in page], "next_cursor": next_cursor}


def _id_of(row: Any) -> str:
    return row.id if hasattr(row, "id") else row[0].id
