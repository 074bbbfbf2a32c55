"""Activities recorded in a transaction are written once, at its commit, and never for a rolled-back one."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Activity
from db.writes import record_activity


def _record(session, key: str) -> None:
    record_activity(session, "customer.referred", campaign_id=None, customer_id=None, data={"n": key}, key=key)


def test_activities_are_written_at_commit_in_one_go(runtime):
    with runtime.session_factory() as session, session.begin():
        _record(session, "a")
        _record(session, "b")
        assert session.scalars(select(Activity)).all() == []  # not yet: they wait for the commit
    with runtime.session_factory() as session:
        assert sorted(row.data["n"] for row in session.scalars(select(Activity))) == ["a", "b"]


def test_a_rolled_back_transaction_writes_no_activity_and_the_next_one_starts_clean(runtime):
    with runtime.session_factory() as session:
        with session.begin():
            _record(session, "lost")
            session.rollback()
        with session.begin():
            _record(session, "kept")
    with runtime.session_factory() as session:
        assert [row.data["n"] for row in session.scalars(select(Activity))] == ["kept"]


def test_a_session_that_would_not_write_them_refuses_activities(runtime):
    with Session(runtime.engine) as session, pytest.raises(RuntimeError, match="build_session_factory"):
        _record(session, "nowhere")
