"""The codes pages: a campaign's Codes tab (list, add codes, import a CSV, export) and one code's page (its QR
code, redemptions and rules; change, publish, delete). Every action runs the command the API and the CLI run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from api.dashboard.forms import DATE, DAY_FIELDS, day_moment, unchanged_days
from api.dashboard.pages import (
    back,
    campaign_page,
    flash,
    in_thread,
    newest_first,
    read,
    redirect,
    render,
    router,
    run_async,
)
from api.v1.codes import export_csv, import_csv, qr_image, uploaded_csv
from api.v1.schemas import MAX_GENERATED, CodePatch, CountIn, PublishIn
from app import codes as commands
from db.models import Redemption
from db.queries import campaigns as queries
from db.queries import lists, serializers
from db.queries.errors import Invalid
from db.queries.lookups import code_by_text, live_campaign
from domain.codes import CODE_CSV_HEADER

CHOICES = {"true": True, "false": False}
CHANNEL = "dashboard"
Model = TypeVar("Model", bound=BaseModel)
SHOWN_ERRORS = 500  # refused rows listed on the import report; the rest are counted


def codes_router() -> APIRouter:
    pages = router()
    _codes_tab(pages)
    _code_page(pages)
    return pages


def _codes_tab(pages: APIRouter) -> None:
    @pages.get("/campaigns/{campaign_id}/codes")
    def codes_tab(
        request: Request,
        campaign_id: str,
        cursor: str | None = None,
        active: str | None = None,
        published: str | None = None,
        category: str | None = None,
    ) -> Response:
        chosen = {"active": _choice(active), "published": _choice(published), "category": category or None}
        listing = queries.codes(
            campaign_id,
            active=CHOICES.get(chosen["active"]),
            published=CHOICES.get(chosen["published"]),
            category=chosen["category"],
        )
        rows = newest_first(request, listing, cursor)
        holders = read(request, lists.people, (row["holder_id"] for row in rows["data"]))
        return campaign_page(
            request,
            campaign_id,
            "codes",
            "campaign_codes.html",
            codes=[row | {"holder": holders.get(row["holder_id"])} for row in rows["data"]],
            next_cursor=rows["next_cursor"],
            params={name: value for name, value in chosen.items() if value} | {"cursor": cursor},
            max_count=MAX_GENERATED,
            csv_columns=CODE_CSV_HEADER,
        )

    @pages.post("/campaigns/{campaign_id}/codes")
    async def add_codes(request: Request, campaign_id: str) -> Response:
        body = validated(CountIn, {"count": _whole_number((await request.form()).get("count"), "count")})
        created = await run_async(request, commands.generate, campaign_id, body.count)
        flash(request, f"{created} codes added.")
        return redirect(f"/campaigns/{campaign_id}/codes")

    @pages.get("/campaigns/{campaign_id}/codes/import")
    def import_form(campaign_id: str) -> Response:
        """The report's address opened again (a reload, a bookmark): the import form, not a 405."""
        return redirect(f"/campaigns/{campaign_id}/codes#import")

    @pages.post("/campaigns/{campaign_id}/codes/import")
    async def import_codes(request: Request, campaign_id: str) -> Response:
        form = await request.form()
        if not isinstance(form.get("file"), UploadFile):
            raise Invalid("file: choose a CSV file to import (sent as the multipart field 'file')")
        on_error = "abort" if form.get("on_error") == "abort" else "skip"
        runtime = request.app.state.dashboard.runtime
        report = await import_csv(runtime, campaign_id, await uploaded_csv(request), on_error)
        return await in_thread(
            campaign_page,
            request,
            campaign_id,
            "codes",
            "import_report.html",
            report=report | {"shown": report["errors"][:SHOWN_ERRORS]},
            on_error=on_error,
            filename=getattr(form.get("file"), "filename", ""),
        )

    @pages.get("/campaigns/{campaign_id}/codes.csv")
    def codes_csv(request: Request, campaign_id: str) -> Response:
        return export_csv(request.app.state.dashboard.runtime, campaign_id, "codes")

    @pages.get("/campaigns/{campaign_id}/codes-mailchimp.csv")
    def mailchimp_csv(request: Request, campaign_id: str) -> Response:
        return export_csv(request.app.state.dashboard.runtime, campaign_id, "mailchimp")


def _code_page(pages: APIRouter) -> None:
    @pages.get("/codes/{code}")
    def code_page(request: Request, code: str) -> Response:
        return render(request, "code.html", title=f"Code {code}", **read(request, _code_details, code))

    @pages.get("/codes/{code}/qr.svg")
    def qr_svg(request: Request, code: str) -> Response:
        return Response(qr_image(request.app.state.dashboard.runtime, code, "svg"), media_type="image/svg+xml")

    @pages.post("/codes/{code}/update")
    async def update(request: Request, code: str) -> Response:
        body = validated(CodePatch, _code_changes(await request.form()))
        row = await run_async(request, commands.update_code, code, body.given())
        flash(request, f"Code {row.code} saved.")
        return redirect(await back(request, code_path(row.code)))

    @pages.post("/codes/{code}/publish")
    async def publish(request: Request, code: str) -> Response:
        body = publication(await request.form())
        row, published = await run_async(request, commands.publish, code, body.customer.data(), body.channel)
        who = body.customer.email
        flash(request, f"Code {row.code} published to {who}." if published else f"{who} already holds {row.code}.")
        return redirect(await back(request, code_path(row.code)))

    @pages.post("/codes/{code}/delete")
    async def delete(request: Request, code: str) -> Response:
        if (await request.form()).get("confirm") != "yes":
            raise Invalid("Not deleted: tick “Yes, delete this code” to confirm.")
        campaign_id = (await in_thread(read, request, code_by_text, code, live=True)).campaign_id
        await run_async(request, commands.delete, code)
        flash(request, f"Code {code} deleted: its redemptions now fail.")
        return redirect(f"/campaigns/{campaign_id}/codes")


def code_path(text: str) -> str:
    """The code page's path: the code's text quoted, so any character an imported code has stays in it."""
    return "/codes/" + quote(text, safe="")


def _code_details(session: Any, text: str) -> dict[str, Any]:
    """What the code page shows: the code, its campaign and holder, its newest redemptions and its own rules."""
    code = code_by_text(session, text, live=True)
    redemptions = lists.redemptions(session, code=code.code)
    recent = [
        serializers.redemption(row)
        for row in session.scalars(redemptions.query.order_by(Redemption.id.desc()).limit(10))
    ]
    customers = lists.people(session, [code.holder_id] + [row["customer_id"] for row in recent])
    return {
        "code": serializers.code(code),
        "campaign": serializers.campaign(live_campaign(session, code.campaign_id)),
        "holder": customers.get(code.holder_id),
        "redemptions": [row | {"customer": customers.get(row["customer_id"])} for row in recent],
        "rules": queries.code_rules(session, code.code)["data"],
    }


def publication(form: Mapping[str, Any]) -> PublishIn:
    """The email and name of a publish or invite form as the API's PublishIn (channel "dashboard")."""
    customer = {name: str(form.get(name, "")).strip() or None for name in ("email", "name")}
    return validated(PublishIn, {"customer": customer, "channel": CHANNEL})


def validated(model: type[Model], body: dict[str, Any]) -> Model:
    """`body` checked by the API's schema; Invalid with the API's message (`field: reason`) when it fails."""
    try:
        return model.model_validate(body)
    except ValidationError as error:
        item = error.errors()[0]
        field = ".".join(str(part) for part in item["loc"] if part != "customer")
        raise Invalid(f"{field}: {item['msg']}" if field else item["msg"]) from None


def _code_changes(form: Mapping[str, Any]) -> dict[str, Any]:
    """The update form as a CodePatch body: an empty field clears the limit or the date; a date left as the form
    showed it is not sent (it keeps its stored moment)."""
    limit = str(form.get("redemption_limit", "")).strip()
    changes = {
        "active": form.get("active") == "true",
        "redemption_limit": _whole_number(limit, "redemption_limit") if limit else None,
    }
    kept = unchanged_days(form)
    return changes | {name: _day(form.get(name), name) for name in DAY_FIELDS if name not in kept}


def _whole_number(text: Any, name: str) -> int:
    try:
        return int(str(text or "").strip())
    except ValueError:
        raise Invalid(f"{name}: must be a whole number") from None


def _day(text: Any, name: str) -> str | None:
    """A date input (YYYY-MM-DD) as the campaign form sends its dates (day_moment)."""
    day = str(text or "").strip()
    if day and not DATE.fullmatch(day):
        raise Invalid(f"{name}: must be a date such as 2026-12-31")
    return day_moment(day, name)


def _choice(value: str | None) -> str | None:
    """A yes/no filter's value ("true", "false"), None for any other."""
    return value if value in CHOICES else None
