"""`referrals campaigns update`, `campaigns tiers …` and `campaigns rules …`: a campaign's settings from the
terminal, checked by the API's schemas and written by the same app.campaigns commands as the API and the dashboard."""

from __future__ import annotations

import json
from typing import Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from api.v1.schemas import Body, CampaignPatch, RuleIn, RulePatch, TierIn, TierPatch
from app import campaigns
from cli.output import Output, output_option, print_rows
from cli.settings import operator_runtime
from db.queries import campaigns as campaign_queries
from db.queries import serializers
from db.queries.lookups import code_by_text, live_campaign

tiers_app = typer.Typer(help="A campaign's referral tiers: list, add, update, delete.", no_args_is_help=True)
rules_app = typer.Typer(
    help="A campaign's validation rules: list, add (to the campaign or one code), update, delete, logic.",
    no_args_is_help=True,
)
err = Console(stderr=True)
Model = TypeVar("Model", bound=Body)


def _checked(model: type[Model], values: dict[str, Any]) -> Model:
    """`values` checked by the API's schema; a refusal is a usage error (exit 2) saying which field and why."""
    try:
        return model.model_validate(values)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors())
        err.print(f"[red]error:[/red] {problems}")
        raise typer.Exit(2) from None


def _json(text: str, option: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise typer.BadParameter(f"{text[:40]!r} is not JSON", param_hint=option) from None


def _cleared(text: str | None) -> str | None:
    """An option's text, with `none` (or an empty string) meaning: clear the field."""
    return None if text is None or text.strip().lower() in ("", "none") else text


# --- campaigns update -------------------------------------------------------------------------


def update_campaign(
    campaign_id: str,
    name: str | None = typer.Option(None, "--name"),
    description: str | None = typer.Option(None, "--description", help="text, or none to clear"),
    referee_reward: str | None = typer.Option(None, "--referee-reward", help="what the friend gets, or none"),
    start: str | None = typer.Option(None, "--start", metavar="TIME|none", help="ISO 8601 (UTC unless given)"),
    expires: str | None = typer.Option(None, "--expires", metavar="TIME|none", help="ISO 8601 (UTC unless given)"),
    hold_days: int | None = typer.Option(None, "--hold-days", min=0, max=3650, help="reward hold period in days"),
    webhook_url: str | None = typer.Option(None, "--webhook-url", help="http(s) URL, or none"),
    landing_url: str | None = typer.Option(
        None, "--landing-url", help="where share links send visitors (may contain {code}), or none"
    ),
    currency: str | None = typer.Option(None, "--currency", help="ISO 4217 (fixed once the campaign has redemptions)"),
    conversion: str | None = typer.Option(
        None, "--conversion", help="order.paid, order.created or custom_event:<name> (fixed once redeemed)"
    ),
    metadata: list[str] = typer.Option(
        [], "--metadata", metavar="KEY=VALUE", help="set a metadata key (VALUE as JSON, else text); KEY= removes it"
    ),
) -> None:
    """Change a campaign's fields; only the options given change."""
    given: dict[str, Any] = {
        name_: value
        for name_, value in {
            "name": name,
            "reward_hold_days": hold_days,
            "currency": currency,
            "conversion": conversion,
        }.items()
        if value is not None
    }
    optional = {
        "description": description,
        "referee_reward": referee_reward,
        "start_date": start,
        "expiration_date": expires,
        "webhook_url": webhook_url,
        "landing_url": landing_url,
    }
    given |= {name_: _cleared(value) for name_, value in optional.items() if value is not None}
    if not given and not metadata:
        err.print("[red]error:[/red] nothing to change: give at least one option (see --help)")
        raise typer.Exit(2)
    with operator_runtime() as runtime:
        if metadata:
            with runtime.session_factory() as session:
                current = dict(live_campaign(session, campaign_id).meta or {})
            given["metadata"] = _metadata(current, metadata)
        values = _checked(CampaignPatch, given).given()
        campaign = runtime.units.run(campaigns.update, campaign_id, values)
    typer.echo(json.dumps(serializers.campaign(campaign), indent=2))


def _metadata(current: dict[str, Any], assignments: list[str]) -> dict[str, Any]:
    """The campaign's metadata with each KEY=VALUE applied (an empty VALUE removes KEY)."""
    for assignment in assignments:
        key, sign, value = assignment.partition("=")
        if not sign or not key.strip():
            raise typer.BadParameter(f"{assignment!r} is not KEY=VALUE", param_hint="--metadata")
        if value == "":
            current.pop(key.strip(), None)
            continue
        try:
            current[key.strip()] = json.loads(value)
        except ValueError:
            current[key.strip()] = value
    return current


# --- tiers ------------------------------------------------------------------------------------


@tiers_app.command("list")
def list_tiers(campaign_id: str, output: Output = output_option()) -> None:
    """The campaign's tiers, by threshold."""
    with operator_runtime() as runtime, runtime.session_factory() as session:
        rows = campaign_queries.tiers(session, campaign_id)
    print_rows(rows, ["id", "name", "kind", "threshold", "reward"], output)


def _reward(reward_type: str, amount: int | None, coupon_campaign: str | None, description: str | None) -> dict:
    return {
        key: value
        for key, value in {
            "type": reward_type,
            "amount": amount,
            "campaign_id": coupon_campaign,
            "description": description,
        }.items()
        if value is not None
    }


@tiers_app.command("add")
def add_tier(
    campaign_id: str,
    name: str = typer.Option(..., "--name"),
    kind: str = typer.Option("each", "--kind", help="each (every referee from the threshold on) or milestone"),
    threshold: int = typer.Option(1, "--threshold", help="referees needed"),
    reward_type: str = typer.Option(..., "--reward", help="credits, points, coupon or material"),
    amount: int | None = typer.Option(None, "--amount", help="credits in minor units, or points"),
    coupon_campaign: str | None = typer.Option(None, "--coupon-campaign", help="coupon: the campaign giving codes"),
    description: str | None = typer.Option(None, "--description", help="material: what the referrer receives"),
) -> None:
    """Add a referral tier; it applies to the referrals referrers already have. Prints the tier's id."""
    reward = _reward(reward_type, amount, coupon_campaign, description)
    body = _checked(TierIn, {"name": name, "kind": kind, "threshold": threshold, "reward": reward})
    with operator_runtime() as runtime:
        tier = runtime.units.run(campaigns.add_tier, campaign_id, body.model_dump())
    typer.echo(tier.id)


@tiers_app.command("update")
def update_tier(
    campaign_id: str,
    tier_id: str,
    name: str | None = typer.Option(None, "--name"),
    kind: str | None = typer.Option(None, "--kind", help="each or milestone"),
    threshold: int | None = typer.Option(None, "--threshold"),
    reward_type: str | None = typer.Option(None, "--reward", help="credits, points, coupon or material"),
    amount: int | None = typer.Option(None, "--amount"),
    coupon_campaign: str | None = typer.Option(None, "--coupon-campaign"),
    description: str | None = typer.Option(None, "--description"),
) -> None:
    """Change a tier; only the options given change (a new reward needs --reward and its fields)."""
    values = {"name": name, "kind": kind, "threshold": threshold}
    if reward_type is not None:
        values["reward"] = _reward(reward_type, amount, coupon_campaign, description)
    given = _checked(TierPatch, {key: value for key, value in values.items() if value is not None}).given()
    with operator_runtime() as runtime:
        tier = runtime.units.run(campaigns.update_tier, campaign_id, tier_id, given)
    typer.echo(json.dumps(serializers.tier(tier), indent=2))


@tiers_app.command("delete")
def delete_tier(campaign_id: str, tier_id: str) -> None:
    """Remove a tier (rewards it already gave stay)."""
    with operator_runtime() as runtime:
        runtime.units.run(campaigns.delete_tier, campaign_id, tier_id)
    typer.echo(f"tier {tier_id} deleted")


# --- validation rules -------------------------------------------------------------------------


@rules_app.command("list")
def list_rules(campaign_id: str, output: Output = output_option()) -> None:
    """The campaign's rules, numbered as the logic refers to them, then the logic."""
    with operator_runtime() as runtime, runtime.session_factory() as session:
        page = campaign_queries.rules_page(session, campaign_id)
    print_rows(page["data"], ["number", "id", "name", "conditions", "error_message"], output)
    if output == Output.table:
        typer.echo(f"logic: {page['logic'] or 'every rule must pass'}")


@rules_app.command("add")
def add_rule(
    campaign_id: str,
    name: str = typer.Option(..., "--name"),
    conditions: str = typer.Option(..., "--conditions", help='JSON, e.g. {"order.amount": {"$gte": 5000}}'),
    error_message: str | None = typer.Option(None, "--error-message"),
    code: str | None = typer.Option(None, "--code", help="a code of the campaign: a code-level override"),
) -> None:
    """Add a validation rule to the campaign, or with --code to one of its codes. Prints the rule's id."""
    values = {"name": name, "conditions": _json(conditions, "--conditions"), "error_message": error_message}
    body = _checked(RuleIn, values).model_dump()
    with operator_runtime() as runtime:
        if code is None:
            rule = runtime.units.run(campaigns.add_rule, campaign_id, body)
        else:
            with runtime.session_factory() as session:
                owner = code_by_text(session, code, live=True).campaign_id
            if owner != campaign_id:
                err.print(f"[red]error:[/red] code {code} belongs to campaign {owner}, not {campaign_id}")
                raise typer.Exit(1)
            rule = runtime.units.run(campaigns.add_code_rule, code, body)
    typer.echo(rule.id)


@rules_app.command("update")
def update_rule(
    campaign_id: str,
    rule_id: str,
    name: str | None = typer.Option(None, "--name"),
    conditions: str | None = typer.Option(None, "--conditions", help="JSON"),
    error_message: str | None = typer.Option(None, "--error-message", help="text, or none to clear"),
) -> None:
    """Change a rule; only the options given change."""
    values: dict[str, Any] = {"name": name}
    if conditions is not None:
        values["conditions"] = _json(conditions, "--conditions")
    given = _checked(RulePatch, {key: value for key, value in values.items() if value is not None}).given()
    if error_message is not None:
        given["error_message"] = _cleared(error_message)
    else:
        given.pop("error_message", None)
    with operator_runtime() as runtime:
        rule = runtime.units.run(campaigns.update_rule, campaign_id, rule_id, given)
    typer.echo(json.dumps(serializers.rule(rule), indent=2))


@rules_app.command("delete")
def delete_rule(campaign_id: str, rule_id: str) -> None:
    """Remove a rule (refused while the logic refers to rules by number)."""
    with operator_runtime() as runtime:
        runtime.units.run(campaigns.delete_rule, campaign_id, rule_id)
    typer.echo(f"rule {rule_id} deleted")


@rules_app.command("logic")
def set_logic(
    campaign_id: str, logic: str = typer.Argument(..., help='e.g. "1 AND (2 OR 3)"; "" or none: every rule must pass')
) -> None:
    """Set how the campaign's rules combine."""
    with operator_runtime() as runtime:
        campaign = runtime.units.run(campaigns.set_logic, campaign_id, _cleared(logic))
    typer.echo(f"logic: {campaign.rules_logic or 'every rule must pass'}")
