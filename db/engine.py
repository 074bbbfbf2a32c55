"""Engine and session factory: SQLite in WAL mode with BEGIN IMMEDIATE, PostgreSQL with a pool."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from db.campaign_config import CONFIG_CACHE, ConfigCache

SQLITE_BUSY_TIMEOUT_MS = 30_000


def build_engine(database_url: str, *, pool_size: int = 10) -> Engine:
    """An engine for the URL; SQLite gets the pragmas that let api and worker threads share it."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(database_url, url.database)
    # No pre-ping (a round trip per checkout): a dropped connection raises a disconnect error, which
    # invalidates the whole pool and is retried (workers) or answered 503 (intake) once.
    return create_engine(database_url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)


def build_session_factory(engine: Engine, *, hold_loaded: bool = False) -> sessionmaker[Session]:
    """Sessions sharing one cache of campaigns' tiers and rules (`db.campaign_config`).

    `hold_loaded` (worker steps): the session keeps every row it loaded until it closes. SQLAlchemy's identity
    map holds rows weakly, so a campaign or customer a step loaded and let go of was read again by the next
    `session.get`; a step's transaction is short and small, so holding them costs nothing. Not for sessions
    that stream (CSV exports), which must let rows go.
    """
    factory = sessionmaker(engine, expire_on_commit=False, info={CONFIG_CACHE: ConfigCache()})
    if hold_loaded:
        event.listen(factory, "loaded_as_persistent", _hold)
    return factory


def _hold(session: Session, instance: Any) -> None:
    session.info.setdefault("held", []).append(instance)


def _sqlite_engine(database_url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        database_url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    )
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    """Take SQLite's write lock at BEGIN, so two writers queue instead of failing with 'database is locked'."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")
