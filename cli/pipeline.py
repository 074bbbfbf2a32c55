"""`referrals redemptions|rewards|distributions|activity …`: what a campaign's pipeline produced, and the operator's
corrections the dashboard and API offer (each the same app.operations command)."""

from __future__ import annotations

import typer
from rich.console import Console

from app import operations
from cli.output import Output, newest, output_option, print_fields, print_rows
from cli.settings import operator_runtime
from db.models import Redemption
from db.queries import lists, serializers
from db.queries.lookups import get, live_campaign

rewards_app = typer.Typer(help="Reward redemptions: list, complete or roll back one.", no_args_is_help=True)
redemptions_app = typer.Typer(
    help="Redemptions: list, show one with its rule logs, roll back one.", no_args_is_help=True
)
distributions_app = typer.Typer(help="Notifications sent: list, resend a failed one.", no_args_is_help=True)
activity_app = typer.Typer(help="The activity log: list, newest first.", no_args_is_help=True)
console = Console()
LIMIT = typer.Option(50, min=1, help="how many of the newest rows")


@redemptions_app.command("list")
def list_redemptions(
    campaign_id: str,
    status: str = typer.Option(None, help="succeeded, failed or rolled_back"),
    limit: int = LIMIT,
    output: Output = output_option(),
) -> None:
    """A campaign's redemptions, newest first."""
    with operator_runtime() as runtime:
        _live(runtime, campaign_id)
        rows = newest(
            runtime, lambda session: lists.redemptions(session, campaign_id=campaign_id, status=status), limit
        )
    columns = ["id", "created_at", "status", "code", "customer_id", "order_id", "amount", "failure_code"]
    print_rows(rows, columns, output, title="redemptions")


@redemptions_app.command("show")
def show_redemption(redemption_id: str) -> None:
    """One redemption with the log of every rule evaluated (what explains a failure)."""
    with operator_runtime() as runtime, runtime.session_factory() as session:
        redemption = serializers.redemption_detail(get(session, Redemption, redemption_id, "redemption"))
    logs = redemption.pop("logs")
    print_fields(redemption)
    for log in logs:
        console.print(f"rule {'passed' if log['passed'] else 'FAILED'}: {log['rule']} — {log['detail']}", markup=False)


@redemptions_app.command("rollback")
def rollback_redemption(redemption_id: str) -> None:
    """Roll back a succeeded redemption and its referral; the referrer's pending rewards that depended on it too."""
    _correct("redemption", operations.rollback_redemption, redemption_id)


@rewards_app.command("list")
def list_rewards(
    campaign_id: str,
    status: str = typer.Option(None, help="pending, completed or rolled_back"),
    reward_type: str = typer.Option(None, "--type", help="credits, points, coupon or material"),
    limit: int = LIMIT,
    output: Output = output_option(),
) -> None:
    """A campaign's reward redemptions with each referrer's name and email, newest first."""
    with operator_runtime() as runtime:
        _live(runtime, campaign_id)
        rows = newest(runtime, lists.rewards(campaign_id, status=status, reward_type=reward_type), limit)
    columns = ["id", "created_at", "status", "customer_name", "customer_email", "type", "amount", "tier_id", "event_id"]
    print_rows(rows, columns, output, title="rewards")


@rewards_app.command("complete")
def complete_reward(reward_id: str) -> None:
    """Complete a pending reward now: a material one you shipped, or a held one released early."""
    _correct("reward", operations.complete_reward, reward_id)


@rewards_app.command("rollback")
def rollback_reward(reward_id: str) -> None:
    """Roll back a reward; completed credits and points get a reversing ledger entry."""
    _correct("reward", operations.rollback_reward, reward_id)


@distributions_app.command("list")
def list_distributions(
    campaign_id: str,
    trigger: str = typer.Option(None, help="code_published, referee_welcome, customer_referred, …"),
    status: str = typer.Option(None, help="queued, sending, sent, failed or skipped"),
    channel: str = typer.Option(None, help="email or webhook"),
    limit: int = LIMIT,
    output: Output = output_option(),
) -> None:
    """A campaign's notifications, newest first."""
    with operator_runtime() as runtime:
        _live(runtime, campaign_id)
        listing = lists.distributions(campaign_id, trigger=trigger, status=status, channel=channel)
        rows = newest(runtime, listing, limit)
    columns = ["id", "created_at", "trigger", "channel", "recipient", "status", "sent_at", "last_error"]
    print_rows(rows, columns, output, title="distributions")


@distributions_app.command("resend")
def resend_distribution(distribution_id: str) -> None:
    """Queue a failed notification again. Needs the broker the workers use."""
    _correct("distribution", operations.resend_distribution, distribution_id)


@activity_app.command("list")
def list_activity(
    campaign_id: str = typer.Option(None, "--campaign", help="only this campaign's"),
    customer_id: str = typer.Option(None, "--customer", help="only this customer's"),
    category: str = typer.Option(None, help="order, redemption, referral, reward, publication, notification, …"),
    activity_type: str = typer.Option(None, "--type", help="e.g. customer.redemption.failed"),
    limit: int = LIMIT,
    output: Output = output_option(),
) -> None:
    """Activity, newest first."""
    listing = lists.activity(
        campaign_id=campaign_id, customer_id=customer_id, category=category, activity_type=activity_type
    )
    with operator_runtime() as runtime:
        rows = newest(runtime, listing, limit)
    print_rows(rows, ["id", "created_at", "type", "campaign_id", "customer_id", "data"], output, title="activity")


def _correct(kind: str, command, row_id: str) -> None:
    """Run an operator correction of app.operations in its unit of work and say what the row is now."""
    with operator_runtime() as runtime:
        row = runtime.units.run(command, row_id)
    typer.echo(f"{kind} {row.id} is {row.status}")


def _live(runtime, campaign_id: str) -> None:
    """A deleted or unknown campaign is an error (as the API's 404), not an empty list."""
    with runtime.session_factory() as session:
        live_campaign(session, campaign_id)
