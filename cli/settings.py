"""Settings for CLI commands, with a clear message instead of a traceback when they are invalid."""
from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError

from config.settings import Settings


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        typer.echo(f"Invalid configuration (REFERRALS_* variables or .env):\n{error}", err=True)
        raise typer.Exit(2) from None


def secrets_file() -> Path:
    """Where the embedded default keeps the secrets it generated."""
    return Path("var") / "embedded-secrets.json"


def require_redis(settings: Settings, command: str) -> None:
    if not settings.redis_url:
        typer.echo(f"`referrals {command}` needs REFERRALS_REDIS_URL (e.g. redis://127.0.0.1:6379/0); "
                   "without Redis, use `referrals up`, which runs workers in-process.", err=True)
        raise typer.Exit(2)
