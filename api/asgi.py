"""ASGI entry point for `referrals api` (uvicorn factory): wires the runtime from the environment."""

from __future__ import annotations

from fastapi import FastAPI

from api.app import create_app
from bootstrap.runtime import build_runtime
from config.logging import configure_logging
from config.process import freeze_startup_objects
from config.settings import Settings


def app_factory() -> FastAPI:
    """Called by uvicorn in each worker process; nothing is built at import time."""
    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)
    app = create_app(build_runtime(settings))
    freeze_startup_objects()
    return app
