"""The JSON API under /api/v1 (bearer token)."""
from __future__ import annotations

from fastapi import APIRouter, Depends

from api.auth import require_token


def v1_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_token)])
    return router
