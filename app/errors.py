"""Which errors are worth retrying: the database or a mail server being briefly unavailable."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from notifications.errors import TransientSendError

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    IntegrityError,
    PoolTimeoutError,
    ConnectionError,
    TimeoutError,
    TransientSendError,
)


def is_transient(error: BaseException) -> bool:
    """True for errors a retry may fix (lost connections, lock timeouts, unique-key races, send timeouts)."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, TRANSIENT_ERRORS)
