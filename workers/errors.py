"""Which errors are worth retrying: the database or a mail server being briefly unavailable."""
from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from notifications.errors import TransientSendError

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError, IntegrityError, PoolTimeoutError, ConnectionError, TimeoutError, TransientSendError,
)


def is_transient(error: BaseException) -> bool:
    """True for errors a retry may fix (lost connections, lock timeouts, unique-key races, send timeouts)."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, TRANSIENT_ERRORS)


def retry_when(max_retries: int):
    """A dramatiq `retry_when` that retries transient errors up to `max_retries` times and nothing else."""
    def should_retry(retries: int, error: BaseException) -> bool:
        return retries < max_retries and is_transient(error)

    return should_retry
