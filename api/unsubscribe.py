"""The unsubscribe link in every email: records the opt-out on the customer (no login; the link is signed)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.customers import opt_out
from app.pipeline.notify_context import customer_of_token

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family:sans-serif;max-width:32rem;margin:4rem auto;color:#111"><h1>{title}</h1><p>{message}</p></body></html>"""


def unsubscribe_router() -> APIRouter:
    router = APIRouter(tags=["notifications"], include_in_schema=False)

    @router.get("/unsubscribe/{token}", response_class=HTMLResponse)
    @router.post("/unsubscribe/{token}", response_class=HTMLResponse)
    def unsubscribe(token: str, request: Request) -> HTMLResponse:
        runtime = request.app.state.runtime
        customer_id = customer_of_token(runtime.settings, token)
        if customer_id is None or not runtime.units.run(opt_out, customer_id):
            return HTMLResponse(
                PAGE.format(title="Link not valid", message="This unsubscribe link is not valid."), status_code=404
            )
        return HTMLResponse(
            PAGE.format(
                title="You are unsubscribed",
                message="You will no longer receive referral program invitations or updates.",
            )
        )

    return router
