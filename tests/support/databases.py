"""Test databases: a throwaway SQLite file or a PostgreSQL database created for this run and dropped after."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

POSTGRES_ADMIN_URL = os.environ.get(
    "REFERRALS_TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def backend() -> str:
    """Which database the suite runs on: REFERRALS_TEST_DATABASE=sqlite (default) or postgresql."""
    return os.environ.get("REFERRALS_TEST_DATABASE", "sqlite")


@contextmanager
def throwaway_database(directory: Path) -> Iterator[str]:
    """A fresh, empty database URL for this test run."""
    if backend() == "postgresql":
        with postgres_database() as url:
            yield url
    else:
        yield f"sqlite:///{directory / 'referrals.db'}"


@contextmanager
def postgres_database(admin_url: str = POSTGRES_ADMIN_URL, *, label: str = "test") -> Iterator[str]:
    """A fresh PostgreSQL database (created through `admin_url`), dropped afterwards even if others are connected."""
    name = f"referrals_{label}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
