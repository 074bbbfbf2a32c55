"""What every benchmark stands on: a PostgreSQL database and a Redis database of its own, the machine it ran on."""

from __future__ import annotations

import os
import platform
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bootstrap.runtime import Runtime, build_runtime
from config.logging import configure_logging
from config.settings import Settings
from db.migrate import upgrade
from tests.support.databases import postgres_database as _postgres_database
from tests.support.pipeline import SHOPIFY_SECRET
from tests.support.redis_db import private_redis_database

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")

__all__ = ["ROOT", "VENV_BIN", "in_process_runtime", "machine", "postgres_database", "private_redis_database"]


def postgres_database(label: str):
    """A fresh, empty PostgreSQL database named after the benchmark, dropped afterwards."""
    return _postgres_database(POSTGRES_ADMIN_URL, label=f"bench_{label}")


@contextmanager
def in_process_runtime(label: str) -> Iterator[Runtime]:
    """The product wired in this process (stub broker, `.eml` outbox) on a fresh, migrated PostgreSQL database."""
    configure_logging("console", "WARNING")
    with postgres_database(label) as database_url, tempfile.TemporaryDirectory() as outbox:
        runtime = build_runtime(
            Settings(
                _env_file=None,
                database_url=database_url,
                shopify_secret=SHOPIFY_SECRET,
                outbox_dir=Path(outbox),
                log_level="WARNING",
                db_pool_size=2,
            )
        )
        upgrade(runtime.engine)
        try:
            yield runtime
        finally:
            runtime.close()


def machine() -> dict:
    """Cores, CPU model, memory and load when the run started (other work on the machine skews the figures)."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")),
        platform.processor(),
    )
    meminfo = Path("/proc/meminfo").read_text().split()
    return {
        "cores": os.cpu_count(),
        "cpu_model": model,
        "memory_mb": int(meminfo[meminfo.index("MemTotal:") + 1]) // 1024,
        "load_average_at_start": list(os.getloadavg()),
        "python": platform.python_version(),
    }
