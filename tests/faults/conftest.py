"""Fault tests: real Redis (a private database number), real `referrals worker` processes, a real SMTP server
that can be stopped and restarted on its port, and the test process's own runtime for intake and checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from bootstrap.runtime import Runtime
from config.settings import Settings
from tests.conftest import fresh_runtime, make_settings
from tests.support.faults import RestartableSmtpServer, worker_children
from tests.support.processes import start_worker_pool, stop_worker_pool, wait_until


@pytest.fixture
def smtp() -> Iterator[RestartableSmtpServer]:
    server = RestartableSmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fault_settings(database_url: str, tmp_path: Path, redis_url: str, smtp: RestartableSmtpServer) -> Settings:
    """Short heartbeat and reconcile periods so recovery happens within the test's time."""
    return make_settings(
        database_url,
        tmp_path,
        redis_url=redis_url,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_tls="none",
        reconcile_interval_seconds=1,
        reconcile_older_than_seconds=5,
        redis_heartbeat_timeout_ms=5000,
        log_format="json",
        log_level="WARNING",
    )


@pytest.fixture
def fault_runtime(fault_settings: Settings) -> Iterator[Runtime]:
    with fresh_runtime(fault_settings) as runtime:
        yield runtime


@pytest.fixture
def intake(fault_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(fault_runtime)) as client:
        yield client


@pytest.fixture
def worker_pool(fault_settings: Settings, tmp_path: Path) -> Iterator[Callable[..., object]]:
    """Start a `referrals worker` pool (stopped at teardown); waits until its worker processes are up."""
    pools = []

    def start(*, processes: int = 2, threads: int = 4, settings: Settings | None = None):
        log_file = tmp_path / f"workers-{len(pools)}.log"
        pool = start_worker_pool(settings or fault_settings, processes=processes, threads=threads, log_file=log_file)
        pools.append(pool)
        wait_until(
            lambda: len(worker_children(pool.pid)) == processes or pool.poll() is not None,
            timeout_s=30,
            message="the pool's worker processes",
        )
        assert pool.poll() is None, log_file.read_text()[-3000:]
        return pool

    yield start
    for pool in pools:
        stop_worker_pool(pool)
