"""The system under test: a fresh database and Redis DB, and the product's own processes started against them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

from bench.config import Config
from bench.infra import VENV_BIN, postgres_database, private_redis_database
from bench.launcher import Launched, free_port, launched, log_mentions, peak_rss_mb, port_open
from bootstrap.runtime import Runtime, build_runtime
from config.settings import Settings
from db.migrate import upgrade
from tests.support.pipeline import SHOPIFY_SECRET

PRODUCT = str(VENV_BIN / "referrals")
PYTHON = str(VENV_BIN / "python")


@dataclass
class Stack:
    """One benchmark's database, Redis DB, the REFERRALS_* environment of its processes, and a runtime for the driver."""

    label: str
    env: dict[str, str]
    runtime: Runtime
    redis_url: str
    smtp_port: int
    log_dir: Path

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis_url)


@contextmanager
def product_stack(label: str, log_dir: Path, *, pool_size: int = 10) -> Iterator[Stack]:
    """A migrated PostgreSQL database and a private Redis DB for one benchmark; both gone afterwards."""
    log_dir.mkdir(parents=True, exist_ok=True)
    with postgres_database(label) as database_url, private_redis_database() as redis_url:
        smtp_port = free_port()
        env = environment(database_url, redis_url, smtp_port, pool_size)
        runtime = build_runtime(Settings(_env_file=None, database_url=database_url, db_pool_size=4))
        upgrade(runtime.engine)
        try:
            yield Stack(label, env, runtime, redis_url, smtp_port, log_dir)
        finally:
            runtime.close()


def environment(database_url: str, redis_url: str, smtp_port: int, pool_size: int) -> dict[str, str]:
    """The REFERRALS_* variables of the product's processes in a benchmark."""
    values = {
        "database_url": database_url,
        "redis_url": redis_url,
        "shopify_secret": SHOPIFY_SECRET,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_tls": "none",
        "log_format": "json",
        "log_level": "INFO",
        "db_pool_size": pool_size,
    }
    return {f"REFERRALS_{name.upper()}": str(value) for name, value in values.items()}


@contextmanager
def api(stack: Stack, workers: int) -> Iterator[tuple[Launched, int]]:
    """`referrals api --workers N` (uvicorn) on a free port."""
    port = free_port()
    with launched(
        f"{stack.label}-api",
        [PRODUCT, "api", "--port", str(port), "--workers", str(workers)],
        env=stack.env,
        log_dir=stack.log_dir,
        ready=port_open(port),
    ) as process:
        yield process, port


@contextmanager
def bare_api(stack: Stack, workers: int) -> Iterator[tuple[Launched, int]]:
    """The body-only ASGI endpoint under the same uvicorn settings."""
    port = free_port()
    with launched(
        f"{stack.label}-bare",
        [PYTHON, "-m", "bench.bare_api", "--port", str(port), "--workers", str(workers)],
        env={},
        log_dir=stack.log_dir,
        ready=port_open(port),
    ) as process:
        yield process, port


@contextmanager
def worker_pool(stack: Stack, *, processes: int, threads: int, notification_processes: int) -> Iterator[Launched]:
    """`referrals worker --processes N --threads M --notification-processes K`, ready once every child consumes."""
    argv = [
        PRODUCT,
        "worker",
        "--processes",
        str(processes),
        "--threads",
        str(threads),
        "--notification-processes",
        str(notification_processes),
    ]
    with launched(
        f"{stack.label}-worker",
        argv,
        env=stack.env,
        log_dir=stack.log_dir,
        ready=log_mentions("worker.started", processes + notification_processes),
    ) as process:
        yield process


@contextmanager
def noop_pool(stack: Stack, *, processes: int, threads: int) -> Iterator[Launched]:
    """The dramatiq command on the no-op actor module, with the same processes and threads."""
    argv = [
        PYTHON,
        "-m",
        "dramatiq",
        "bench.noop_worker:setup",
        "--processes",
        str(processes),
        "--threads",
        str(threads),
    ]
    with launched(
        f"{stack.label}-noop",
        argv,
        env={"BENCH_REDIS_URL": stack.redis_url},
        log_dir=stack.log_dir,
        ready=log_mentions("is ready for action", processes),
    ) as process:
        yield process


@dataclass
class Pipeline:
    api: Launched
    port: int
    workers: Launched


@contextmanager
def pipeline(stack: Stack, config: Config, *, notification_processes: int = 0) -> Iterator[Pipeline]:
    """The whole product: SMTP sink, `referrals worker`, `referrals api`."""
    with (
        smtp_sink(stack),
        worker_pool(
            stack, processes=config.processes, threads=config.threads, notification_processes=notification_processes
        ) as workers,
        api(stack, config.api_workers) as (api_process, port),
    ):
        yield Pipeline(api_process, port, workers)


@contextmanager
def smtp_sink(stack: Stack) -> Iterator[Launched]:
    argv = [PYTHON, "-m", "bench.smtp_sink", "--port", str(stack.smtp_port), "--redis", stack.redis_url]
    with launched(
        f"{stack.label}-smtp", argv, env={}, log_dir=stack.log_dir, ready=port_open(stack.smtp_port)
    ) as process:
        yield process


def worker_peak_rss(pool: Launched) -> list[float]:
    """VmHWM (MB) of each worker process of a pool: its multiprocessing children, not the resource tracker."""
    workers = [pid for pid in pool.children() if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    return [mb for mb in (peak_rss_mb(pid) for pid in workers) if mb is not None]
