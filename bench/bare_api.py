"""The yardstick for intake: an ASGI endpoint that only reads the body, served like `referrals api` serves the app.

python -m bench.bare_api --port 8123
"""

from __future__ import annotations

import argparse

import uvicorn

ANSWER = b'{"status":"accepted"}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(ANSWER)).encode())]


async def bare_app(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 202, "headers": HEADERS})
    await send({"type": "http.response.body", "body": ANSWER})


def app_factory():
    return bare_app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    # The same call as cli.main.api (`referrals api`): processes, factory, warning level, no access log.
    uvicorn.run(
        "bench.bare_api:app_factory",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
