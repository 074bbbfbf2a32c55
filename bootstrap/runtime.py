"""The composition root: builds engine, sessions, broker, actors and senders from one Settings object.

Only the entry points (`api.asgi`, the CLI, the worker processes through `workers.process`, which is handed
`build_runtime`) call it; nothing below them imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import dramatiq
from dramatiq import Actor, Broker
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.followups import FollowUp
from app.pipeline.notify import Notifier, build_notifier
from app.unit_of_work import UnitsOfWork
from config.settings import Settings
from db.engine import build_engine, build_session_factory
from workers.actors import register_actors
from workers.broker import add_outcome_middleware, build_broker
from workers.middleware import FailedJobs


@dataclass
class Runtime:
    """Everything a process needs, built once at start-up and passed down explicitly.

    `units` opens the unit of work of operator commands, the intake and the reconciler; `pipeline_units` that of
    the worker steps, whose sessions hold the rows they loaded until they close (`db.engine.build_session_factory`).
    """

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    broker: Broker
    units: UnitsOfWork
    pipeline_units: UnitsOfWork
    notifier: Notifier
    actors: dict[str, Actor] = field(default_factory=dict)

    def enqueue(self, followup: FollowUp) -> Any:
        """Send one follow-up message to its actor's queue."""
        message = self.actors[followup.actor].message_with_options(args=followup.args, kwargs=followup.kwargs)
        if followup.message_id is not None:
            message = message.copy(message_id=followup.message_id)
        return self.broker.enqueue(message, delay=followup.delay_ms)

    def close(self) -> None:
        self.broker.close()
        self.engine.dispose()


def build_runtime(settings: Settings) -> Runtime:
    """Wire the whole application from settings; the only place that constructs I/O objects."""
    engine = build_engine(settings.database_url, pool_size=settings.db_pool_size)
    session_factory = build_session_factory(engine)
    broker = build_broker(settings)
    units = UnitsOfWork(session_factory, lambda followup: runtime.enqueue(followup))
    add_outcome_middleware(broker, FailedJobs(units))
    dramatiq.set_broker(broker)
    pipeline_units = UnitsOfWork(build_session_factory(engine, hold_loaded=True), units.send)
    runtime = Runtime(
        settings, engine, session_factory, broker, units, pipeline_units, build_notifier(settings, pipeline_units)
    )
    runtime.actors = register_actors(broker, pipeline_units, runtime.notifier.send, settings)
    return runtime
