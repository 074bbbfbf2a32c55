"""Read queries and serializers shared by the JSON API, the CLI and the dashboard."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select


@dataclass(frozen=True)
class Listing:
    """A list query with what paginating, filtering by date and serializing it needs."""

    query: Select
    id_column: Any
    date_column: Any
    serialize: Callable[[Any], dict]

    def within(self, start: datetime | None, end: datetime | None) -> Select:
        """The query limited to [start, end), newest first (for exports, which are not paginated)."""
        query = self.query
        if start is not None:
            query = query.where(self.date_column >= start)
        if end is not None:
            query = query.where(self.date_column < end)
        return query.order_by(self.id_column.desc())
