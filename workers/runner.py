"""Running one pipeline step: one transaction, then (only after commit) its follow-up messages."""
from __future__ import annotations

from typing import Any, Callable

from sqlalchemy.orm import Session, sessionmaker

from workers.followups import FollowUp

Step = Callable[..., list[FollowUp]]


class StepRunner:
    """Opens the step's transaction, commits it, then hands each follow-up to `send`."""

    def __init__(self, session_factory: sessionmaker[Session], send: Callable[[FollowUp], Any]) -> None:
        self.session_factory = session_factory
        self.send = send

    def run(self, step: Step, *args: Any) -> list[FollowUp]:
        with self.session_factory() as session, session.begin():
            sends = step(session, *args)
        for followup in sends:
            self.send(followup)
        return sends
