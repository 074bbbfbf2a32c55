"""Settings for CLI commands, with a clear message instead of a traceback when they are invalid."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.console import Console

from bootstrap.runtime import Runtime, build_runtime
from config.settings import Settings
from db.queries.errors import OperatorError


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        typer.echo(f"Invalid configuration (REFERRALS_* variables or .env):\n{error}", err=True)
        raise typer.Exit(2) from None


def secrets_file() -> Path:
    """Where the embedded default keeps the secrets it generated."""
    return Path("var") / "embedded-secrets.json"


def server_file() -> Path:
    """Where a running `referrals up` says where it listens, for `referrals demo send-order` and the README's steps."""
    return Path("var") / "server.json"


def require_redis(settings: Settings, command: str) -> None:
    if not settings.redis_url:
        typer.echo(
            f"`referrals {command}` needs REFERRALS_REDIS_URL (e.g. redis://127.0.0.1:6379/0); "
            "without Redis, use `referrals up`, which runs workers in-process.",
            err=True,
        )
        raise typer.Exit(2)


@contextmanager
def operator_runtime() -> Iterator[Runtime]:
    """The runtime for one operator command; an operator error (not found, conflict, invalid) ends it with exit 1."""
    runtime = build_runtime(load_settings())
    try:
        yield runtime
    except OperatorError as error:
        Console(stderr=True).print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from None
    finally:
        runtime.close()
