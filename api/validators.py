"""Validators shared by request bodies and query parameters."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

NUMBER = re.compile(r"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?")


def text_only(value: Any) -> Any:
    """Times come as ISO 8601 text, not as numbers of seconds."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or NUMBER.fullmatch(value.strip()):
        raise ValueError("must be an ISO 8601 date-time string")
    return value
