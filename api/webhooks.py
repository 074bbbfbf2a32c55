"""The three webhook endpoints; all share one intake routine."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.intake import SOURCES, receive


def webhook_router() -> APIRouter:
    router = APIRouter(prefix="/webhooks", tags=["webhooks"])

    @router.post("/shopify", summary="Shopify order and refund webhooks")
    async def shopify(request: Request) -> JSONResponse:
        return await receive(request, SOURCES["shopify"], request.app.state.runtime)

    @router.post("/woocommerce", summary="WooCommerce order webhooks")
    async def woocommerce(request: Request) -> JSONResponse:
        return await receive(request, SOURCES["woocommerce"], request.app.state.runtime)

    @router.post("/events", summary="Native events (any shop, explicit redemptions, custom events)")
    async def events(request: Request) -> JSONResponse:
        return await receive(request, SOURCES["events"], request.app.state.runtime)

    return router
