"""A campaign's settings tabs: what the campaign is and its edit form, tiers, deletion with a confirmation step,
validation rules and their logic, code-level overrides, metadata and the landing setting. Every form runs the
same app.campaigns command as the API and the CLI; a refused value comes back as an error flash (or, on the edit
form, as errors by field) and nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.dashboard import setting_forms as forms
from api.dashboard.forms import CONVERSIONS, LABELS, FormErrors, edit_body, edit_form, edit_values
from api.dashboard.pages import campaign_page, flash, in_thread, read, redirect, router, run_async
from api.v1.codes import share_url
from app import campaigns as commands
from db.queries import campaigns as queries
from db.queries import serializers
from db.queries.errors import Conflict, Invalid
from db.queries.lookups import code_by_text, live_campaign
from domain.landing import share_target
from domain.notify import TRIGGERS


def settings_router() -> APIRouter:
    pages = router()
    _settings(pages)
    _tiers(pages)
    _delete(pages)
    _rules(pages)
    _metadata_and_landing(pages)
    return pages


def _base(campaign_id: str) -> str:
    return f"/campaigns/{campaign_id}"


async def _form(request: Request) -> Any:
    return await request.form()


async def _campaign(request: Request, campaign_id: str) -> dict[str, Any]:
    """The campaign as the API shows it, read in a worker thread (for a form that needs its currency)."""
    row = await in_thread(read, request, live_campaign, campaign_id)
    return serializers.campaign(row)


# --- settings: what the campaign is, and its edit form ----------------------------------------


def _settings(pages: APIRouter) -> None:
    @pages.get("/campaigns/{campaign_id}/settings")
    def settings(request: Request, campaign_id: str) -> Response:
        return _settings_page(request, campaign_id, None, FormErrors())

    @pages.post("/campaigns/{campaign_id}/settings")
    async def save(request: Request, campaign_id: str) -> Response:
        values = edit_form(await _form(request))
        body, errors = edit_body(values)
        if body is not None:
            try:
                campaign = await run_async(request, commands.update, campaign_id, body)
            except (Invalid, Conflict) as error:  # the unit of work rolled back: nothing was written
                errors.add(str(error), tuple(values))
            else:
                flash(request, f"Campaign “{campaign.name}” saved.")
                return redirect(f"{_base(campaign_id)}/settings")
        return await in_thread(_settings_page, request, campaign_id, values, errors, status=422)


def _settings_page(
    request: Request, campaign_id: str, values: dict[str, str] | None, errors: FormErrors, *, status: int = 200
) -> Response:
    """The settings tab; `values` are the edit form's (None: the campaign's own)."""
    campaign = serializers.campaign(read(request, live_campaign, campaign_id))
    tiers = read(request, queries.tiers, campaign_id)
    currency = campaign["currency"]
    return campaign_page(
        request,
        campaign_id,
        "settings",
        "campaign_settings.html",
        status=status,
        form=edit_values(campaign) | (values or {}),
        errors=errors,
        labels=LABELS,
        fixed=read(request, queries.has_redemptions, campaign_id),
        conversions=CONVERSIONS | {campaign["conversion"]: campaign["conversion"]},
        triggers=TRIGGERS,
        tiers=[tier | {"reward_text": forms.reward_text(tier["reward"], currency)} for tier in tiers],
        tier_forms={tier["id"]: forms.tier_values(tier, currency) for tier in tiers},
        new_tier=forms.tier_values(NEW_TIER, currency),
        tier_kinds=forms.TIER_KINDS,
        reward_types=forms.REWARD_TYPES,
    )


NEW_TIER = {"name": "", "kind": "each", "threshold": 1, "reward": {"type": "credits", "amount": None}}


# --- tiers ------------------------------------------------------------------------------------


def _tiers(pages: APIRouter) -> None:
    _editable_rows(
        pages,
        RowForms("tiers", "tier_id", "settings#tiers", forms.tier_body),
        add=(commands.add_tier, "Tier “{}” added: it applies to the referrals referrers already have."),
        update=(commands.update_tier, "Tier “{}” saved."),
        delete=(commands.delete_tier, "Tier removed. Rewards it already gave stay as they are."),
    )


@dataclass(frozen=True)
class RowForms:
    """The add / edit / remove forms of one kind of row of a campaign (tiers, rules): POST
    /campaigns/{campaign_id}/<plural>, .../<plural>/{<id_name>}/update and .../delete, each answered 303 to
    `page` (a tab, with an anchor); `parse(form, currency)` gives the API's values or raises Invalid."""

    plural: str
    id_name: str
    page: str
    parse: Callable[[Any, str], dict[str, Any]]


def _editable_rows(
    pages: APIRouter,
    rows: RowForms,
    *,
    add: tuple[Callable[..., Any], str],
    update: tuple[Callable[..., Any], str],
    delete: tuple[Callable[..., Any], str],
) -> None:
    """The three routes of `rows`, each running its app.campaigns command; a message's {} is the row's name."""
    collection = f"/campaigns/{{campaign_id}}/{rows.plural}"
    one = f"{collection}/{{{rows.id_name}}}"

    async def parsed(request: Request, campaign_id: str) -> dict[str, Any]:
        campaign = await _campaign(request, campaign_id)
        return rows.parse(await _form(request), campaign["currency"])

    @pages.post(collection, name=f"add_{rows.plural}")
    async def add_row(request: Request, campaign_id: str) -> Response:
        row = await run_async(request, add[0], campaign_id, await parsed(request, campaign_id))
        flash(request, add[1].format(row.name))
        return redirect(f"{_base(campaign_id)}/{rows.page}")

    @pages.post(f"{one}/update", name=f"update_{rows.plural}")
    async def update_row(request: Request, campaign_id: str) -> Response:
        row_id = request.path_params[rows.id_name]
        row = await run_async(request, update[0], campaign_id, row_id, await parsed(request, campaign_id))
        flash(request, update[1].format(row.name))
        return redirect(f"{_base(campaign_id)}/{rows.page}")

    @pages.post(f"{one}/delete", name=f"delete_{rows.plural}")
    async def delete_row(request: Request, campaign_id: str) -> Response:
        await run_async(request, delete[0], campaign_id, request.path_params[rows.id_name])
        flash(request, delete[1])
        return redirect(f"{_base(campaign_id)}/{rows.page}")


# --- delete, with a confirmation step ---------------------------------------------------------


def _delete(pages: APIRouter) -> None:
    @pages.post("/campaigns/{campaign_id}/delete")
    async def delete(request: Request, campaign_id: str) -> Response:
        if (await _form(request)).get("confirm") != "yes":
            return await in_thread(_confirm_delete_page, request, campaign_id)
        campaign = await _campaign(request, campaign_id)
        await run_async(request, commands.delete, campaign_id)
        flash(request, f"Campaign “{campaign['name']}” deleted: its codes now fail validation.")
        return redirect("/campaigns")


def _confirm_delete_page(request: Request, campaign_id: str) -> Response:
    impact = read(request, queries.deletion_impact, campaign_id)
    return campaign_page(request, campaign_id, "settings", "confirm_delete.html", impact=impact)


# --- validation rules -------------------------------------------------------------------------


def _rules(pages: APIRouter) -> None:
    @pages.get("/campaigns/{campaign_id}/rules")
    def rules(request: Request, campaign_id: str) -> Response:
        return _rules_page(request, campaign_id)

    _editable_rows(
        pages,
        RowForms("rules", "rule_id", "rules", forms.rule_body),
        add=(commands.add_rule, "Rule “{}” added."),
        update=(commands.update_rule, "Rule “{}” saved."),
        delete=(commands.delete_rule, "Rule removed. The rules after it are numbered one less."),
    )

    @pages.post("/campaigns/{campaign_id}/rules/logic")
    async def set_logic(request: Request, campaign_id: str) -> Response:
        logic = str((await _form(request)).get("logic") or "")
        campaign = await run_async(request, commands.set_logic, campaign_id, logic)
        shown = campaign.rules_logic or "every rule must pass"
        flash(request, f"Rules logic saved: {shown}.")
        return redirect(f"{_base(campaign_id)}/rules#logic")

    @pages.post("/campaigns/{campaign_id}/rules/code")
    async def add_code_rule(request: Request, campaign_id: str) -> Response:
        form = await _form(request)
        campaign = await _campaign(request, campaign_id)
        text = str(form.get("code") or "").strip()
        await in_thread(_require_code_of, request, campaign_id, text)
        values = forms.rule_body(form, campaign["currency"])
        rule = await run_async(request, commands.add_code_rule, text, values)
        flash(request, f"Rule “{rule.name}” added to code {text}: it replaces the campaign rule of that name there.")
        return redirect(f"{_base(campaign_id)}/rules#overrides")


def _require_code_of(request: Request, campaign_id: str, text: str) -> None:
    """A code-level rule goes on a code of this campaign: another campaign's code is refused, not edited there."""
    if not text:
        raise Invalid("code: type the code the rule is for")
    code = read(request, code_by_text, text, live=True)
    if code.campaign_id != campaign_id:
        raise Invalid(f"code: {text} belongs to another campaign; add its rules from that campaign's page")


def _rules_page(request: Request, campaign_id: str) -> Response:
    campaign = serializers.campaign(read(request, live_campaign, campaign_id))
    currency = campaign["currency"]
    listing = read(request, queries.rules_page, campaign_id)

    def shown(rule: dict[str, Any]) -> dict[str, Any]:
        return rule | {
            "lines": forms.rule_lines(rule, currency),
            "failure_code": forms.rule_failure_code(rule),
            "form": forms.rule_values(rule, currency),
        }

    return campaign_page(
        request,
        campaign_id,
        "rules",
        "campaign_rules.html",
        rules=[shown(rule) for rule in listing["data"]],
        logic=listing["logic"],
        overrides=[shown(rule) for rule in read(request, queries.code_overrides, campaign_id)],
        properties=forms.PROPERTIES,
        metadata_families=forms.METADATA_FAMILIES,
        conditions=forms.CONDITIONS,
        new_rule=NEW_RULE,
    )


NEW_RULE = {"name": "", "property": "order.amount", "metadata_key": "", "condition": "$gte", "value": ""}


# --- metadata and the landing setting ---------------------------------------------------------


def _metadata_and_landing(pages: APIRouter) -> None:
    @pages.get("/campaigns/{campaign_id}/metadata")
    def metadata(request: Request, campaign_id: str) -> Response:
        campaign = serializers.campaign(read(request, live_campaign, campaign_id))
        rows = forms.metadata_rows(campaign["metadata"] or {})
        return campaign_page(request, campaign_id, "metadata", "campaign_metadata.html", rows=rows)

    @pages.post("/campaigns/{campaign_id}/metadata")
    async def save_metadata(request: Request, campaign_id: str) -> Response:
        values = forms.metadata_body(await _form(request))
        await run_async(request, commands.update, campaign_id, {"metadata": values})
        flash(request, f"Metadata saved: {len(values)} key{'' if len(values) == 1 else 's'}.")
        return redirect(f"{_base(campaign_id)}/metadata")

    @pages.get("/campaigns/{campaign_id}/landing")
    def landing(request: Request, campaign_id: str) -> Response:
        campaign = serializers.campaign(read(request, live_campaign, campaign_id))
        example = read(request, queries.published_code, campaign_id)
        return campaign_page(
            request,
            campaign_id,
            "landing",
            "campaign_landing.html",
            example_code=example,
            # the address QR codes and emails use (REFERRALS_PUBLIC_URL), not the host this page was asked on
            share_link=share_url(request.app.state.dashboard.runtime.settings.public_url, example) if example else None,
            target=share_target(campaign["landing_url"], example) if example else None,
        )

    @pages.post("/campaigns/{campaign_id}/landing")
    async def save_landing(request: Request, campaign_id: str) -> Response:
        url = forms.landing_url(await _form(request))
        await run_async(request, commands.update, campaign_id, {"landing_url": url})
        flash(request, "Landing URL saved." if url else "Landing URL cleared: share links show the built-in page.")
        return redirect(f"{_base(campaign_id)}/landing")
