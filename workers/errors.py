"""dramatiq's retry policy: transient errors (`app.errors.is_transient`) are retried, nothing else."""

from __future__ import annotations

from app.errors import is_transient


def retry_when(max_retries: int):
    """A dramatiq `retry_when` that retries transient errors up to `max_retries` times and nothing else."""

    def should_retry(retries: int, error: BaseException) -> bool:
        return retries < max_retries and is_transient(error)

    return should_retry
