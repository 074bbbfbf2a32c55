"""Operator reads: the list for `referrals operators list`, and the signed-in operator of a dashboard session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Operator
from db.queries.serializers import iso


def operators(session: Session) -> list[dict[str, Any]]:
    """Every operator, oldest first (the first one is usually the one `referrals up` made)."""
    rows = session.scalars(select(Operator).order_by(Operator.created_at, Operator.id))
    return [
        {
            "id": row.id,
            "email": row.email,
            "active": row.active,
            "created_at": iso(row.created_at),
            "last_login_at": iso(row.last_login_at),
        }
        for row in rows
    ]


def active_operator(session: Session, operator_id: str) -> Operator | None:
    """The operator of a session, or None once it was disabled (its sessions end with it)."""
    operator = session.get(Operator, operator_id)
    return operator if operator is not None and operator.active else None
