"""One JSON error shape for the whole HTTP surface: {"error": {"code", "message"}}."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    503: "unavailable",
}


class ApiError(Exception):
    """An error answered to the client as JSON with a stable code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def not_found(what: str, identifier: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} {identifier!r} not found")


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error, including FastAPI's own, in the project's JSON shape."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, error: ApiError) -> JSONResponse:
        return error_response(error.status, error.code, error.message)

    @app.exception_handler(HTTPException)
    async def _http_error(_request: Request, error: HTTPException) -> JSONResponse:
        return error_response(
            error.status_code,
            STATUS_CODES.get(error.status_code, "error"),
            str(error.detail),
            headers=getattr(error, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_request", _describe(error))

    @app.exception_handler(OperationalError)
    async def _database_down(_request: Request, _error: OperationalError) -> JSONResponse:
        return error_response(503, "unavailable", "the database is unreachable; try again shortly")


def _describe(error: RequestValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        if item.get("type") == "json_invalid":
            return _json_invalid(item, error.body)
        location = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
        parts.append(f"{location}: {item.get('msg')}" if location else str(item.get("msg")))
    return "; ".join(parts) or "invalid request"


def _json_invalid(item: dict, document: object) -> str:
    """Where and why a request body is not JSON: "body: not valid JSON, Expecting value at line 1, column 10"."""
    position = item["loc"][-1] if isinstance(item["loc"][-1], int) else 0
    text = document if isinstance(document, str) else ""
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    reason = (item.get("ctx") or {}).get("error", "JSON decode error")
    return f"body: not valid JSON, {reason} at line {line}, column {column} (character {position})"
