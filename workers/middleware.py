"""dramatiq middleware: the failed-jobs table, and one log line per job with its context bound."""

from __future__ import annotations

import time
from typing import Any

import structlog
from dramatiq import Middleware

from app.operations import record_failed_job
from app.unit_of_work import UnitsOfWork
from db.ids import new_id
from db.types import utcnow

log = structlog.get_logger("referrals.worker")


class FailedJobs(Middleware):
    """Keeps every message that exhausted its retries (or failed for good) in the failed_jobs table."""

    def __init__(self, units: UnitsOfWork) -> None:
        self.units = units

    def after_process_message(self, broker, message, *, result=None, exception=None):
        if exception is None or not message.failed:
            return
        self.units.run(record_failed_job, _failed_job_row(message, exception))


def _failed_job_row(message, exception: BaseException) -> dict[str, Any]:
    options = {key: value for key, value in message.options.items() if key not in ("traceback", "redis_message_id")}
    return {
        "id": new_id("job"),
        "message_id": message.message_id,
        "queue": message.queue_name,
        "actor": message.actor_name,
        "args": list(message.args),
        "kwargs": dict(message.kwargs),
        "options": options,
        "error": f"{type(exception).__name__}: {exception}",
        "traceback": message.options.get("traceback"),
        "failed_at": utcnow(),
    }


class JobLog(Middleware):
    """One structured log line per job, with actor and message id bound in context."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}

    def before_process_message(self, broker, message):
        structlog.contextvars.bind_contextvars(actor=message.actor_name, message_id=message.message_id)
        self.started[message.message_id] = time.perf_counter()

    def after_process_message(self, broker, message, *, result=None, exception=None):
        started = self.started.pop(message.message_id, None)
        duration_ms = round((time.perf_counter() - started) * 1000, 2) if started else None
        outcome = "ok" if exception is None else ("failed" if message.failed else "retry")
        log_method = log.info if exception is None else log.warning
        log_method(
            "job",
            args=list(message.args),
            outcome=outcome,
            duration_ms=duration_ms,
            error=None if exception is None else f"{type(exception).__name__}: {exception}",
        )
        structlog.contextvars.unbind_contextvars("actor", "message_id")

    def after_skip_message(self, broker, message):
        structlog.contextvars.unbind_contextvars("actor", "message_id")
