"""Codes: generate, list, import and export a campaign's codes, invite referrers, and one code's page."""

from __future__ import annotations

import io
import tempfile
from typing import IO, Any, Literal

import segno
from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.v1 import responses as shapes
from api.v1.common import PageDep, RuntimeDep, csv_response, page, read, returns, router, write
from api.v1.schemas import CodePatch, CountIn, PublishIn, RuleIn
from app import campaigns
from app import codes as commands
from db.queries import campaigns as queries
from db.queries import serializers
from db.queries.errors import Invalid
from db.queries.export import codes_csv
from db.queries.lookups import code_by_text, live_campaign

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
SPOOL_BYTES = 8 * 1024 * 1024
IMPORT_BODY = {
    "requestBody": {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        }
    }
}
SVG = {200: {"content": {"image/svg+xml": {}}, "description": "An SVG image"}}
PNG = {200: {"content": {"image/png": {}}, "description": "A PNG image"}}


def codes_router():
    api = router("", "codes")
    _campaign_codes(api)
    _code_page(api)
    return api


def _campaign_codes(api) -> None:
    @api.post(
        "/campaigns/{campaign_id}/codes",
        status_code=201,
        summary="Generate codes from the campaign's pattern",
        responses=returns(shapes.CodesCreated, 201),
    )
    def generate(campaign_id: str, body: CountIn, runtime: RuntimeDep) -> dict:
        return {"created": write(runtime, commands.generate, campaign_id, body.count)}

    @api.get(
        "/campaigns/{campaign_id}/codes",
        summary="The campaign's codes, newest first",
        responses=returns(shapes.Page[shapes.Code]),
    )
    def list_codes(
        campaign_id: str,
        runtime: RuntimeDep,
        params: PageDep,
        active: bool | None = None,
        published: bool | None = None,
        category: str | None = None,
    ) -> dict:
        read(runtime, live_campaign, campaign_id)
        return page(runtime, queries.codes(campaign_id, active=active, published=published, category=category), params)

    @api.post(
        "/campaigns/{campaign_id}/codes/import",
        summary="Import codes from a CSV (Voucherify's template)",
        openapi_extra=IMPORT_BODY,
        responses=returns(shapes.ImportReport),
    )
    async def import_codes(
        campaign_id: str, request: Request, runtime: RuntimeDep, on_error: Literal["skip", "abort"] = "skip"
    ) -> dict:
        return await import_csv(runtime, campaign_id, await uploaded_csv(request), on_error)

    @api.get(
        "/campaigns/{campaign_id}/codes/export",
        summary="Export codes as CSV (or a Mailchimp audience)",
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}}},
    )
    def export_codes(
        campaign_id: str, runtime: RuntimeDep, format: Literal["codes", "mailchimp"] = "codes"
    ) -> Response:
        return export_csv(runtime, campaign_id, format)

    @api.post(
        "/campaigns/{campaign_id}/referrers",
        status_code=201,
        summary="Invite a referrer: publish a code to a customer",
        responses=_published("join_once: the customer already holds this code"),
    )
    def invite(campaign_id: str, body: PublishIn, runtime: RuntimeDep) -> JSONResponse:
        code, published = write(runtime, commands.invite, campaign_id, body.customer.data(), body.channel)
        return JSONResponse(serializers.publication(code), status_code=201 if published else 200)


def _code_page(api) -> None:
    @api.get("/codes/{code}", summary="One code (matched without regard to case)", responses=returns(shapes.Code))
    def show(code: str, runtime: RuntimeDep) -> dict:
        return serializers.code(read(runtime, code_by_text, code))

    @api.patch(
        "/codes/{code}",
        summary="Change a code's active flag, redemption limit, start or expiration (only the fields given)",
        responses=returns(shapes.Code),
    )
    def update(code: str, body: CodePatch, runtime: RuntimeDep) -> dict:
        return serializers.code(write(runtime, commands.update_code, code, body.given()))

    @api.delete("/codes/{code}", status_code=204, summary="Delete a code (its redemptions then fail)")
    def delete(code: str, runtime: RuntimeDep) -> Response:
        write(runtime, commands.delete, code)
        return Response(status_code=204)

    @api.post(
        "/codes/{code}/publish",
        status_code=201,
        summary="Publish this code to a customer",
        responses=_published("the customer already holds this code"),
    )
    def publish(code: str, body: PublishIn, runtime: RuntimeDep) -> JSONResponse:
        row, published = write(runtime, commands.publish, code, body.customer.data(), body.channel)
        return JSONResponse(serializers.publication(row), status_code=201 if published else 200)

    @api.get("/codes/{code}/qr.svg", summary="QR code of the share link, SVG", response_class=Response, responses=SVG)
    def qr_svg(code: str, runtime: RuntimeDep) -> Response:
        return Response(qr_image(runtime, code, "svg"), media_type="image/svg+xml")

    @api.get("/codes/{code}/qr.png", summary="QR code of the share link, PNG", response_class=Response, responses=PNG)
    def qr_png(code: str, runtime: RuntimeDep) -> Response:
        return Response(qr_image(runtime, code, "png"), media_type="image/png")

    @api.post(
        "/codes/{code}/rules",
        status_code=201,
        responses=returns(shapes.Rule, 201),
        summary="Add a code-level rule (overrides the campaign rule of that name)",
    )
    def add_rule(code: str, body: RuleIn, runtime: RuntimeDep) -> dict:
        return serializers.rule(write(runtime, campaigns.add_code_rule, code, body.model_dump()))

    @api.get("/codes/{code}/rules", summary="The code's own rules", responses=returns(shapes.Page[shapes.NumberedRule]))
    def list_rules(code: str, runtime: RuntimeDep) -> dict:
        return read(runtime, queries.code_rules, code)


def _published(unchanged: str) -> dict[int, dict[str, Any]]:
    """201 with the publication; 200 with the same body when there was nothing to publish (`unchanged` says why)."""
    return returns(shapes.Publication, 201) | {200: {"model": shapes.Publication, "description": unchanged}}


def share_url(public_url: str, code: str) -> str:
    return f"{public_url.rstrip('/')}/r/{code}"


def qr_image(runtime, text: str, kind: str) -> bytes:
    """The QR code of the code's share link, as "svg" or "png" (the API's and the dashboard's)."""
    code = read(runtime, code_by_text, text)
    buffer = io.BytesIO()
    segno.make(share_url(runtime.settings.public_url, code.code), error="m").save(buffer, kind=kind, scale=6, border=2)
    return buffer.getvalue()


def export_csv(runtime, campaign_id: str, fmt: str) -> Response:
    """The campaign's codes as a CSV download: Voucherify's template ("codes") or a Mailchimp audience."""
    read(runtime, live_campaign, campaign_id)
    return csv_response(codes_csv(runtime.session_factory, campaign_id, fmt), f"codes-{campaign_id}-{fmt}.csv")


async def import_csv(runtime, campaign_id: str, lines: IO[str], on_error: str) -> dict:
    """Import uploaded CSV lines in one unit of work (in a worker thread); the report as JSON."""
    report = await run_in_threadpool(commands.run_import, runtime.units, campaign_id, lines, on_error=on_error)
    return report.to_dict()


async def uploaded_csv(request: Request) -> IO[str]:
    """The CSV text of a multipart upload (field `file`) or of a text/csv body; an empty, oversized or binary
    upload is refused before any row is read."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        upload = (await request.form()).get("file")
        if not isinstance(upload, UploadFile):
            raise Invalid("file: send the CSV as the multipart field 'file'")
        _check_upload(upload)
        return io.TextIOWrapper(upload.file, encoding="utf-8-sig", newline="")
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - handed to the caller, who closes it
    async for chunk in request.stream():
        if spool.tell() + len(chunk) > MAX_UPLOAD_BYTES:
            raise Invalid(f"file: the CSV is larger than {MAX_UPLOAD_BYTES} bytes")
        spool.write(chunk)
    spool.seek(0)
    return io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")


def _check_upload(upload: UploadFile) -> None:
    """Invalid naming the file's problem: too large, empty, or not text (a NUL byte in its first 8 KiB)."""
    size = upload.size if upload.size is not None else upload.file.seek(0, io.SEEK_END)
    if size > MAX_UPLOAD_BYTES:
        raise Invalid(f"file: the CSV is larger than {MAX_UPLOAD_BYTES} bytes")
    if size == 0:
        raise Invalid("file: the CSV is empty (choose a file with a header line and rows)")
    upload.file.seek(0)
    head = upload.file.read(8192)
    upload.file.seek(0)
    if b"\x00" in head:
        raise Invalid("file: this is not a CSV text file (save the sheet as CSV, UTF-8)")
