"""Opaque, time-sortable ids: a prefix and a ULID-like body, so newest-first is id order."""

from __future__ import annotations

import os
import threading
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_RANDOM_BITS = 80


class _MonotonicClock:
    """ULID's monotonic rule: within one millisecond, each id is the previous one plus one."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last = 0

    def next_value(self) -> int:
        fresh = (int(time.time() * 1000) << _RANDOM_BITS) | int.from_bytes(os.urandom(10), "big")
        with self.lock:
            self.last = fresh if fresh >> _RANDOM_BITS > self.last >> _RANDOM_BITS else self.last + 1
            return self.last


_clock = _MonotonicClock()


def new_id(prefix: str) -> str:
    """A fresh id such as `red_01hx...`: 48 bits of milliseconds then 80 random bits."""
    return f"{prefix}_{_encode(_clock.next_value(), 26)}"


def _encode(value: int, width: int) -> str:
    chars = []
    for _ in range(width):
        value, index = divmod(value, 32)
        chars.append(_ALPHABET[index])
    return "".join(reversed(chars))
