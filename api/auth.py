"""Bearer-token authentication for the JSON API: REFERRALS_API_TOKEN or a token made by `referrals tokens create`."""

from __future__ import annotations

import hmac

from fastapi import Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from api.errors import ApiError
from app.access import hash_token
from db.models import ApiToken


async def require_token(request: Request) -> None:
    """FastAPI dependency: 401 unless the request carries a valid bearer token."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <token>")
    runtime = request.app.state.runtime
    if not await run_in_threadpool(_valid, runtime, token.strip()):
        raise ApiError(401, "unauthorized", "the bearer token is not valid")


def _valid(runtime, token: str) -> bool:
    configured = runtime.settings.api_token
    if configured and hmac.compare_digest(configured.encode(), token.encode()):
        return True
    with runtime.session_factory() as session:
        return session.scalar(select(ApiToken.id).where(ApiToken.token_hash == hash_token(token))) is not None
