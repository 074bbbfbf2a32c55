"""`referrals rewards …` and `referrals redemptions …`: the operator's corrections the dashboard and API offer."""

from __future__ import annotations

import typer

from app import operations
from cli.settings import operator_runtime

rewards_app = typer.Typer(help="Reward redemptions: complete or roll back one.", no_args_is_help=True)
redemptions_app = typer.Typer(help="Redemptions: roll back one.", no_args_is_help=True)


@rewards_app.command("complete")
def complete_reward(reward_id: str) -> None:
    """Complete a pending reward now: a material one you shipped, or a held one released early."""
    with operator_runtime() as runtime:
        reward = runtime.units.run(operations.complete_reward, reward_id)
    typer.echo(f"reward {reward.id} is {reward.status}")


@rewards_app.command("rollback")
def rollback_reward(reward_id: str) -> None:
    """Roll back a reward; completed credits and points get a reversing ledger entry."""
    with operator_runtime() as runtime:
        reward = runtime.units.run(operations.rollback_reward, reward_id)
    typer.echo(f"reward {reward.id} is {reward.status}")


@redemptions_app.command("rollback")
def rollback_redemption(redemption_id: str) -> None:
    """Roll back a succeeded redemption and its referral; the referrer's pending rewards that depended on it too."""
    with operator_runtime() as runtime:
        redemption = runtime.units.run(operations.rollback_redemption, redemption_id)
    typer.echo(f"redemption {redemption.id} is {redemption.status}")
