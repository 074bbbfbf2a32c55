"""structlog set-up: JSON lines in production, the console renderer on a TTY."""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(log_format: str | None, level: str = "INFO") -> None:
    """Configure structlog and the standard library once, at start-up (never at import)."""
    use_json = log_format == "json" or (log_format is None and not sys.stderr.isatty())
    renderer = structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("dramatiq").setLevel(logging.WARNING)
