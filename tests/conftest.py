"""Shared fixtures: a real database per run (SQLite or PostgreSQL), a runtime with the in-process broker,
a worker, and an HTTP client. Integration suites add Redis and SMTP fixtures of their own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from dramatiq import Worker
from fastapi.testclient import TestClient
from sqlalchemy import delete

from api.app import create_app
from bootstrap.runtime import Runtime, build_runtime
from config.settings import Settings
from db.migrate import upgrade
from db.models import Base
from tests.support import pipeline
from tests.support.databases import throwaway_database
from tests.support.redis_db import private_redis_database
from tests.support.servers import SmtpServer, WebhookReceiver, running_smtp_server, running_webhook_server


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One migrated database for the whole run; tests empty it between them."""
    with throwaway_database(tmp_path_factory.mktemp("db")) as url:
        runtime = build_runtime(Settings(database_url=url, _env_file=None))
        upgrade(runtime.engine)
        runtime.close()
        yield url


def make_settings(database_url: str, tmp_path: Path, **overrides) -> Settings:
    values = dict(
        database_url=database_url,
        api_token=pipeline.API_TOKEN,
        shopify_secret=pipeline.SHOPIFY_SECRET,
        woocommerce_secret=pipeline.WOOCOMMERCE_SECRET,
        events_secret=pipeline.EVENTS_SECRET,
        outbox_dir=tmp_path / "outbox",
        redis_url=None,
        smtp_host=None,
        log_format="console",
        log_level="WARNING",
        db_pool_size=5,
    )
    return Settings(_env_file=None, **(values | overrides))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path)


@contextmanager
def fresh_runtime(settings: Settings) -> Iterator[Runtime]:
    """A runtime over an emptied database, closed afterwards."""
    runtime = build_runtime(settings)
    empty_database(runtime)
    try:
        yield runtime
    finally:
        runtime.close()


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    with fresh_runtime(settings) as runtime:
        yield runtime


def empty_database(runtime: Runtime) -> None:
    with runtime.session_factory() as session, session.begin():
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(delete(table))


@pytest.fixture
def worker(runtime: Runtime) -> Iterator[Worker]:
    """In-process dramatiq worker threads consuming the runtime's broker."""
    worker = Worker(runtime.broker, worker_threads=4, worker_timeout=50)
    worker.start()
    yield worker
    worker.stop(timeout=10_000)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), headers={"Authorization": f"Bearer {pipeline.API_TOKEN}"}) as client:
        yield client


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free local port that records what it receives."""
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def webhook_server() -> Iterator[WebhookReceiver]:
    """A real HTTP server that verifies outgoing-webhook signatures."""
    with running_webhook_server() as receiver:
        yield receiver


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database number of this run's own, flushed before and after."""
    with private_redis_database() as url:
        yield url
