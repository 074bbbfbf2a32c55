"""An SMTP server that accepts everything and counts messages in a Redis key (it runs as its own process).

python -m bench.smtp_sink --port 2525 --redis redis://127.0.0.1:6379/5
"""

from __future__ import annotations

import argparse
import signal
import threading

import redis.asyncio
from aiosmtpd.controller import Controller

COUNTER_KEY = "bench:smtp:delivered"


class CountingHandler:
    def __init__(self, redis_url: str) -> None:
        self.redis_url = redis_url
        self.client: redis.asyncio.Redis | None = None

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.client is None:  # made on the server's own event loop
            self.client = redis.asyncio.Redis.from_url(self.redis_url)
        await self.client.incr(COUNTER_KEY)
        return "250 2.0.0 Message accepted for delivery"


def delivered(client) -> int:
    """How many messages the sink has accepted (a synchronous redis client)."""
    return int(client.get(COUNTER_KEY) or 0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis", required=True)
    args = parser.parse_args()
    controller = Controller(CountingHandler(args.redis), hostname="127.0.0.1", port=args.port)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    controller.start()
    print("smtp sink ready", flush=True)
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
