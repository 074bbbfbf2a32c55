"""What every /api/v1 router shares: the route class that turns operator errors into JSON errors,
the runtime dependency, read/write helpers, one page routine and one CSV response routine."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy.exc import DataError, IntegrityError

from api.errors import ApiError
from api.pagination import PageParams, page_params, paginate
from api.v1.responses import ErrorBody
from bootstrap.runtime import Runtime
from db.queries import Listing
from db.queries.errors import Conflict, Invalid, NotFound, OperatorError

STATUS = {NotFound: (404, "not_found"), Conflict: (409, "conflict"), Invalid: (422, "invalid_request")}
ERRORS = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        400: "Malformed body (not JSON, bad multipart)",
        404: "Not found",
        409: "Conflicts with the current state",
        422: "Invalid request",
    }.items()
}


class OperatorRoute(APIRoute):
    """Answers OperatorError and database refusals of a value (NUL bytes, overflow) as JSON errors, never 500."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Any:
            try:
                return await handler(request)
            except OperatorError as error:
                status, code = STATUS[type(error)]
                raise ApiError(status, code, str(error)) from error
            except IntegrityError as error:
                raise ApiError(409, "conflict", "the change conflicts with a stored row; retry") from error
            except DataError as error:
                raise ApiError(
                    422, "invalid_request", f"a value was refused by the database: {first_line(error)}"
                ) from error

        return guarded


def first_line(error: Exception) -> str:
    text = str(getattr(error, "orig", None) or error)
    return re.sub(r"\s+", " ", text.splitlines()[0] if text else "")[:200]


def router(prefix: str = "", tag: str | None = None) -> APIRouter:
    return APIRouter(prefix=prefix, tags=[tag] if tag else [], route_class=OperatorRoute, responses=ERRORS)


def runtime_of(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
PageDep = Annotated[PageParams, Depends(page_params)]


def read(runtime: Runtime, query: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a read query in its own session."""
    with runtime.session_factory() as session:
        return query(session, *args, **kwargs)


def write(runtime: Runtime, command: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run an application command (`app/`) in its unit of work: committed, then its follow-ups sent."""
    return runtime.units.run(command, *args, **kwargs)


def page(runtime: Runtime, listing: Listing | Callable[[Any], Listing], params: PageParams) -> dict[str, Any]:
    """One page of a listing, newest first: {"data": [...], "next_cursor": ...}; `listing` may need the session."""
    with runtime.session_factory() as session:
        if not isinstance(listing, Listing):
            listing = listing(session)
        return paginate(session, listing.query, listing.id_column, listing.date_column, params, listing.serialize)


def csv_response(chunks: Iterator[str], filename: str) -> StreamingResponse:
    """A CSV download streamed chunk by chunk."""
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def returns(model: Any, status: int = 200) -> dict[int, dict[str, Any]]:
    """`responses=` documenting a JSON success body with a model of api/v1/responses.py. Documentation only: unlike
    a response_model, the handler's dict is answered as it is, never filtered or validated against the model."""
    return {status: {"model": model}}


def json_or_csv(model: type[BaseModel]) -> dict[int, dict[str, Any]]:
    """`responses=` of a list answered as JSON shaped as `model`, or as CSV with format=csv."""
    return {200: {"model": model, "content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}}
