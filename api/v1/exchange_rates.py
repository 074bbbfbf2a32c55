"""Exchange rates: the operator's rates that convert an order into its campaign's currency."""

from __future__ import annotations

from fastapi import Query, Response

from api.v1 import responses as shapes
from api.v1.common import PageDep, RuntimeDep, page, returns, router, write
from api.v1.schemas import ExchangeRateIn
from app import exchange_rates as commands
from db.queries import exchange_rates as queries

Currency = Query(None, pattern=r"^[A-Za-z]{3}$", description="ISO 4217 code: rates with it as base or quote")


def exchange_rates_router():
    api = router("/exchange-rates", "exchange rates")

    @api.post(
        "",
        status_code=201,
        summary="Set the rate of a pair from a date on (replaces the pair's rate of that date)",
        responses=returns(shapes.ExchangeRate, 201),
    )
    def set_rate(body: ExchangeRateIn, runtime: RuntimeDep) -> dict:
        return queries.exchange_rate(write(runtime, commands.set_rate, body.model_dump()))

    @api.get("", summary="Exchange rates, newest first", responses=returns(shapes.Page[shapes.ExchangeRate]))
    def list_rates(runtime: RuntimeDep, params: PageDep, currency: str | None = Currency) -> dict:
        return page(runtime, queries.exchange_rates(currency=currency), params)

    @api.delete("/{rate_id}", status_code=204, summary="Delete a rate (orders dated after it then use an older one)")
    def delete_rate(rate_id: str, runtime: RuntimeDep) -> Response:
        write(runtime, commands.delete_rate, rate_id)
        return Response(status_code=204)

    return api
