"""Failed dashboard logins, counted per email and per client address over a sliding window: after a few
failures each further one is answered more slowly, and past a limit the login is refused (429) until the oldest
failures leave the window.

The counts live in this process's memory: enough for `referrals up` and one `referrals api` process; with
several uvicorn workers each counts on its own (an attacker gets that many times the attempts), and a restart
forgets them."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    free: int  # failures answered at once
    refuse_at: int  # failures after which every attempt is refused


EMAIL = Limit(free=3, refuse_at=10)
ADDRESS = Limit(free=10, refuse_at=30)  # an office behind one address has several operators


class LoginThrottle:
    def __init__(
        self,
        *,
        window: float = 15 * 60,
        delay_unit: float = 1.0,
        max_delay: float = 8.0,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window, self.delay_unit, self.max_delay, self.max_keys = window, delay_unit, max_delay, max_keys
        self.clock = clock
        self.failures: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, email: str, address: str) -> int:
        """Seconds until a login for this email from this address may be tried again (0: now)."""
        recent = [(self._recent(key), limit) for key, limit in self._keys(email, address) if key in self.failures]
        waits = [
            failures[0] + self.window - self.clock() for failures, limit in recent if len(failures) >= limit.refuse_at
        ]
        return max(1, round(max(waits))) if waits else 0

    def failed(self, email: str, address: str) -> float:
        """Count a failure; returns how long to wait before answering it (0 for the first few)."""
        delay = 0.0
        for key, limit in self._keys(email, address):
            failures = self._recent(key)
            failures.append(self.clock())
            self.failures.move_to_end(key)
            if len(failures) > limit.free:
                delay = max(delay, self.delay_unit * 2 ** (len(failures) - limit.free - 1))
        while len(self.failures) > self.max_keys:  # bounded memory whatever the emails tried
            self.failures.popitem(last=False)
        return min(delay, self.max_delay)

    def succeeded(self, email: str) -> None:
        """A right password clears the email's failures (not the address's: others may be guessing from it)."""
        self.failures.pop(_email_key(email), None)

    def _keys(self, email: str, address: str) -> list[tuple[str, Limit]]:
        return [(_email_key(email), EMAIL), (f"address:{address}", ADDRESS)]

    def _recent(self, key: str) -> deque[float]:
        failures = self.failures.setdefault(key, deque())
        while failures and failures[0] <= self.clock() - self.window:
            failures.popleft()
        return failures


def _email_key(email: str) -> str:
    return f"email:{email.strip().lower()[:255]}"  # an operator's email is at most 255 characters
