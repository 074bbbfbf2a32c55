"""Bearer-token authentication for the JSON API: REFERRALS_API_TOKEN or a token made by `referrals tokens create`."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from api.errors import ApiError
from db.ids import new_id
from db.models import ApiToken


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session, name: str) -> str:
    """Store a new token's hash and return the token itself (shown once)."""
    token = "rp_" + secrets.token_urlsafe(32)
    session.add(ApiToken(id=new_id("tok"), name=name, token_hash=hash_token(token)))
    return token


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
