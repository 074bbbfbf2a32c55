"""The composition root: builds engine, sessions, broker, actors and senders from one Settings object."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

import dramatiq
from dramatiq import Actor, Broker
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from db.engine import build_engine, build_session_factory
from workers.actors import on_give_up, register_actors
from workers.broker import add_outcome_middleware, build_broker
from workers.followups import FollowUp
from workers.middleware import FailedJobs
from workers.runner import StepRunner
from workers.steps.notify import Notifier, build_notifier


@dataclass
class Runtime:
    """Everything a process needs, built once at start-up and passed down explicitly."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    broker: Broker
    runner: StepRunner
    notifier: Notifier
    actors: dict[str, Actor] = field(default_factory=dict)

    def enqueue(self, followup: FollowUp) -> Any:
        """Send one follow-up message to its actor's queue."""
        return self.actors[followup.actor].send_with_options(args=followup.args, delay=followup.delay_ms)

    @contextmanager
    def unit_of_work(self) -> Iterator[tuple[Session, list[FollowUp]]]:
        """A transaction plus a list of follow-ups that are enqueued only once it has committed."""
        sends: list[FollowUp] = []
        with self.session_factory() as session, session.begin():
            yield session, sends
        for followup in sends:
            self.enqueue(followup)

    def close(self) -> None:
        self.broker.close()
        self.engine.dispose()


def build_runtime(settings: Settings) -> Runtime:
    """Wire the whole application from settings; the only place that constructs I/O objects."""
    engine = build_engine(settings.database_url, pool_size=settings.db_pool_size)
    session_factory = build_session_factory(engine)
    step_sessions = build_session_factory(engine, hold_loaded=True)
    broker = build_broker(settings)
    add_outcome_middleware(broker, FailedJobs(session_factory, on_give_up))
    dramatiq.set_broker(broker)
    runtime = Runtime(settings, engine, session_factory, broker, StepRunner(step_sessions, lambda f: runtime.enqueue(f)),
                      build_notifier(settings, step_sessions))
    runtime.actors = register_actors(broker, runtime.runner, runtime.notifier.send, settings)
    return runtime
