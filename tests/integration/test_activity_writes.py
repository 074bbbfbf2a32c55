"""A unit of work writes its activities once, at its commit, and sends its follow-ups only after that commit;
a rolled-back one writes and sends nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import followups
from app.unit_of_work import UnitsOfWork
from db.models import Activity


class Refused(Exception):
    """Raised inside a unit of work to roll it back."""


def _record(uow, key: str) -> None:
    uow.record("customer.referred", campaign_id=None, customer_id=None, data={"n": key}, key=key)


def _activities(runtime) -> list[str]:
    with runtime.session_factory() as session:
        return sorted(row.data["n"] for row in session.scalars(select(Activity)))


def test_activities_are_written_at_commit_in_one_go(runtime):
    with runtime.units() as uow:
        _record(uow, "a")
        _record(uow, "b")
        assert uow.session.scalars(select(Activity)).all() == []  # not yet: they wait for the commit
    assert _activities(runtime) == ["a", "b"]


def test_follow_ups_are_sent_after_the_commit_and_never_for_a_rolled_back_unit(runtime):
    sent = []
    units = UnitsOfWork(runtime.session_factory, lambda followup: sent.append((followup, _activities(runtime))))
    with pytest.raises(Refused), units() as uow:
        _record(uow, "lost")
        uow.then(followups.process("evt_lost"))
        raise Refused()
    with units() as uow:
        _record(uow, "kept")
        uow.then(followups.process("evt_kept"))
        assert sent == []
    assert sent == [(followups.process("evt_kept"), ["kept"])]  # sent once the activity was committed
