"""`referrals redemptions|rewards|distributions|activity|events …`: the CLI reads and corrects what the pipeline
tabs show (SPEC §5: the dashboard, the API and the CLI cover the same ground)."""

from __future__ import annotations

import json

from db.models import Distribution, InboundEvent, Redemption, Reward
from tests.dashboard.test_history_pages import failed_distribution, program  # noqa: F401 (a fixture)
from tests.integration.test_cli import cli  # noqa: F401 (a fixture)
from tests.support.counts import all_rows


def as_json(result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_redemptions_list_and_show_with_the_rule_logs(cli, runtime, program):  # noqa: F811 (the fixtures)
    rows = as_json(cli("redemptions", "list", program["id"], "--output", "json"))
    assert [row["status"] for row in rows] == ["failed", "succeeded"]  # newest first
    assert [
        row["status"]
        for row in as_json(cli("redemptions", "list", program["id"], "--status", "succeeded", "--output", "json"))
    ] == ["succeeded"]
    failed = next(row for row in all_rows(runtime, Redemption) if row.status == "failed")
    with runtime.session_factory() as session, session.begin():
        session.get(Redemption, failed.id).logs = [{"rule": "Big [orders]", "passed": False, "detail": "5000 >= 10000"}]
    shown = cli("redemptions", "show", failed.id)
    assert shown.exit_code == 0 and failed.failure_code in shown.output
    assert "rule FAILED: Big [orders] — 5000 >= 10000" in shown.output
    assert cli("redemptions", "list", "cmp_nothing").exit_code != 0


def test_rewards_list_with_the_referrers_name_and_email(cli, runtime, program):  # noqa: F811 (the fixtures)
    [row] = as_json(
        cli("rewards", "list", program["id"], "--status", "pending", "--type", "material", "--output", "json")
    )
    assert row["customer_email"] == "ann@example.com" and row["customer_name"].startswith("Ann")
    assert as_json(cli("rewards", "list", program["id"], "--status", "completed", "--output", "json")) == []


def test_distributions_list_and_resend_a_failed_one(cli, runtime, program):  # noqa: F811 (the fixtures)
    reward = all_rows(runtime, Reward)[0]
    distribution_id = failed_distribution(runtime, program["id"], reward.customer_id, "ann@example.com")
    [row] = as_json(cli("distributions", "list", program["id"], "--status", "failed", "--output", "json"))
    assert row["id"] == distribution_id and row["trigger"] == "code_published"
    result = cli("distributions", "resend", distribution_id)
    assert result.exit_code == 0 and f"distribution {distribution_id} is queued" in result.output
    assert next(row for row in all_rows(runtime, Distribution) if row.id == distribution_id).status == "queued"
    again = cli("distributions", "resend", distribution_id)
    assert again.exit_code != 0  # only a failed notification is resent


def test_activity_list_filters_by_campaign_category_and_type(cli, runtime, program):  # noqa: F811 (the fixtures)
    rows = as_json(cli("activity", "list", "--campaign", program["id"], "--category", "redemption", "--output", "json"))
    assert {row["type"] for row in rows} == {"customer.redemption.succeeded", "customer.redemption.failed"}
    [created] = as_json(
        cli("activity", "list", "--campaign", program["id"], "--type", "campaign.created", "--output", "json")
    )
    assert created["campaign_id"] == program["id"]


def test_events_show_prints_the_body_as_text(cli, runtime, program):  # noqa: F811 (the fixtures)
    event = all_rows(runtime, InboundEvent)[0]
    result = cli("events", "show", event.id)
    assert result.exit_code == 0 and event.external_id in result.output and '"order"' in result.output
    assert cli("events", "show", "evt_nothing").exit_code != 0
