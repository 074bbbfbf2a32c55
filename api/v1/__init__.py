"""The JSON API under /api/v1 (bearer token)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.auth import require_token
from api.v1.campaigns import campaigns_router
from api.v1.codes import codes_router
from api.v1.exchange_rates import exchange_rates_router
from api.v1.operations import operations_router
from api.v1.pipeline import pipeline_router
from api.v1.settings import settings_router


def v1_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_token)])
    for part in (
        campaigns_router(),
        settings_router(),
        codes_router(),
        pipeline_router(),
        operations_router(),
        exchange_rates_router(),
    ):
        router.include_router(part)
    return router
