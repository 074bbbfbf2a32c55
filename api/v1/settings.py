"""A campaign's settings tabs: referral tiers, validation rules and their logic, notification templates."""

from __future__ import annotations

from fastapi import Path, Response

from api.v1 import responses as shapes
from api.v1.common import RuntimeDep, read, returns, router, write
from api.v1.schemas import LogicIn, PreviewIn, RuleIn, RulePatch, TemplateIn, TierIn, TierPatch
from app import campaigns as commands
from db.queries import campaigns as queries
from db.queries import serializers

Trigger = Path(
    description="code_published, referee_welcome, customer_referred, customer_rewarded or reward_completed",
    max_length=40,
)
Part = Path(
    description="subject.txt, body.txt, body.html, or with a locale: body.de.html",
    max_length=40,
    pattern=r"^(subject|body)(\.[a-z]{2,8}(-[A-Za-z0-9]{1,8})*)?\.(txt|html)$",
)


def settings_router():
    api = router("/campaigns/{campaign_id}", "campaign settings")
    _tiers(api)
    _rules(api)
    _templates(api)
    return api


def _tiers(api) -> None:
    @api.post("/tiers", status_code=201, summary="Add a referral tier", responses=returns(shapes.Tier, 201))
    def add_tier(campaign_id: str, body: TierIn, runtime: RuntimeDep) -> dict:
        return serializers.tier(write(runtime, commands.add_tier, campaign_id, body.model_dump()))

    @api.get("/tiers", summary="The campaign's tiers, by threshold", responses=returns(shapes.Page[shapes.Tier]))
    def list_tiers(campaign_id: str, runtime: RuntimeDep) -> dict:
        return {"data": read(runtime, queries.tiers, campaign_id), "next_cursor": None}

    @api.patch(
        "/tiers/{tier_id}",
        summary="Edit a tier (applies to every referrer's live referrals)",
        responses=returns(shapes.Tier),
    )
    def edit_tier(campaign_id: str, tier_id: str, body: TierPatch, runtime: RuntimeDep) -> dict:
        return serializers.tier(write(runtime, commands.update_tier, campaign_id, tier_id, body.given()))

    @api.delete("/tiers/{tier_id}", status_code=204, summary="Remove a tier (rewards it gave stay)")
    def delete_tier(campaign_id: str, tier_id: str, runtime: RuntimeDep) -> Response:
        write(runtime, commands.delete_tier, campaign_id, tier_id)
        return Response(status_code=204)


def _rules(api) -> None:
    @api.post("/rules", status_code=201, summary="Add a validation rule", responses=returns(shapes.Rule, 201))
    def add_rule(campaign_id: str, body: RuleIn, runtime: RuntimeDep) -> dict:
        return serializers.rule(write(runtime, commands.add_rule, campaign_id, body.model_dump()))

    @api.get(
        "/rules",
        summary="Campaign rules, numbered as the logic refers to them, and the logic",
        responses=returns(shapes.RulePage),
    )
    def list_rules(campaign_id: str, runtime: RuntimeDep) -> dict:
        return read(runtime, queries.rules_page, campaign_id)

    @api.put("/rules/logic", summary='Combine rules, e.g. "1 AND (2 OR 3)"', responses=returns(shapes.RulesLogic))
    def set_logic(campaign_id: str, body: LogicIn, runtime: RuntimeDep) -> dict:
        campaign = write(runtime, commands.set_logic, campaign_id, body.logic)
        return {"logic": campaign.rules_logic}

    @api.patch("/rules/{rule_id}", summary="Edit a rule", responses=returns(shapes.Rule))
    def edit_rule(campaign_id: str, rule_id: str, body: RulePatch, runtime: RuntimeDep) -> dict:
        return serializers.rule(write(runtime, commands.update_rule, campaign_id, rule_id, body.given()))

    @api.delete("/rules/{rule_id}", status_code=204, summary="Remove a rule")
    def delete_rule(campaign_id: str, rule_id: str, runtime: RuntimeDep) -> Response:
        write(runtime, commands.delete_rule, campaign_id, rule_id)
        return Response(status_code=204)


def _templates(api) -> None:
    @api.get(
        "/templates",
        summary="The campaign's template overrides",
        responses=returns(shapes.Page[shapes.TemplateOverride]),
    )
    def list_templates(campaign_id: str, runtime: RuntimeDep) -> dict:
        return read(runtime, queries.templates, campaign_id)

    @api.put(
        "/templates/{trigger}/{part}",
        summary="Override one template part (checked by rendering a sample)",
        responses=returns(shapes.TemplateOverride),
    )
    def save_template(
        campaign_id: str, body: TemplateIn, runtime: RuntimeDep, trigger: str = Trigger, part: str = Part
    ) -> dict:
        return write(runtime, commands.save_template, campaign_id, f"{trigger}/{part}", body.source)

    @api.delete("/templates/{trigger}/{part}", status_code=204, summary="Go back to the shipped template")
    def delete_template(campaign_id: str, runtime: RuntimeDep, trigger: str = Trigger, part: str = Part) -> Response:
        write(runtime, commands.delete_template, campaign_id, f"{trigger}/{part}")
        return Response(status_code=204)

    @api.post(
        "/templates/{trigger}/preview",
        summary="Render a trigger's message with a sample context",
        responses=returns(shapes.Preview),
    )
    def preview(campaign_id: str, runtime: RuntimeDep, body: PreviewIn | None = None, trigger: str = Trigger) -> dict:
        return read(runtime, commands.preview, campaign_id, trigger, body.locale if body else None)
