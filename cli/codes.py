"""`referrals campaigns …` and `referrals codes …`: the same db/ commands the API uses, with progress bars."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from app import campaigns, codes
from bootstrap.runtime import Runtime
from cli.output import Output, output_option, print_rows
from cli.settings import operator_runtime
from db.queries import campaigns as campaign_queries
from db.queries import serializers
from db.queries.export import codes_csv, codes_csv_rows
from db.queries.lookups import live_campaign

campaigns_app = typer.Typer(help="Referral campaigns: list, create, show.", no_args_is_help=True)
codes_app = typer.Typer(help="Referral codes: generate, import from CSV, export to CSV.", no_args_is_help=True)
err = Console(stderr=True)


class OnError(str, Enum):
    skip = "skip"
    abort = "abort"


class ExportFormat(str, Enum):
    codes = "codes"
    mailchimp = "mailchimp"


def _require_campaign(runtime: Runtime, campaign_id: str) -> None:
    with runtime.session_factory() as session:
        live_campaign(session, campaign_id)


def _progress(console: Console = err) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _advance(bar: Progress, task) -> Callable[[int], None]:
    return lambda count: bar.advance(task, count)


# --- campaigns --------------------------------------------------------------------------------


@campaigns_app.command("list")
def list_campaigns(
    limit: int = typer.Option(50, min=1, max=1000, help="how many, newest first"), output: Output = output_option()
) -> None:
    """The campaigns, newest first."""
    with operator_runtime() as runtime, runtime.session_factory() as session:
        rows = session.scalars(campaign_queries.campaigns().within(None, None).limit(limit)).all()
        shown = [serializers.campaign(row) | {"pattern": str(row.code_config.get("pattern", ""))} for row in rows]
    print_rows(shown, ["id", "name", "active", "pattern", "conversion", "created_at"], output)


@campaigns_app.command("create")
def create_campaign(
    name: str = typer.Option(..., "--name", help="the campaign's name"),
    pattern: str = typer.Option("REF-####-????", "--pattern", help="code pattern: # digit, ? letter"),
    conversion: str = typer.Option("order.paid", help="order.paid, order.created or custom_event:<name>"),
    hold_days: int = typer.Option(0, min=0, max=3650, help="reward hold period in days"),
    join_once: bool = typer.Option(True, help="a customer holds at most one code"),
    currency: str | None = typer.Option(
        None, help="ISO 4217: amount rules and figures are in it (default REFERRALS_DEFAULT_CURRENCY)"
    ),
) -> None:
    """Create a campaign and print its id."""
    values = {
        "name": name,
        "code_config": {"pattern": pattern},
        "conversion": conversion,
        "reward_hold_days": hold_days,
        "join_once": join_once,
    }
    with operator_runtime() as runtime:
        campaign = runtime.units.run(
            campaigns.create, values | {"currency": currency or runtime.settings.default_currency}
        )
    typer.echo(campaign.id)


@campaigns_app.command("show")
def show_campaign(campaign_id: str) -> None:
    """A campaign and its overview, as JSON."""
    with operator_runtime() as runtime, runtime.session_factory() as session:
        shown = serializers.campaign(live_campaign(session, campaign_id)) | {
            "summary": campaign_queries.summary(session, campaign_id)
        }
    typer.echo(json.dumps(shown, indent=2))


# --- codes ------------------------------------------------------------------------------------


@codes_app.command("generate")
def generate_codes(campaign_id: str, count: int = typer.Option(..., "--count", min=1, max=1_000_000)) -> None:
    """Generate COUNT new codes from the campaign's pattern."""
    with operator_runtime() as runtime, _progress() as bar:
        _require_campaign(runtime, campaign_id)
        task = bar.add_task("generating", total=count)
        created = runtime.units.run(codes.generate, campaign_id, count, progress=_advance(bar, task))
    typer.echo(f"created {created} codes")


@codes_app.command("import")
def import_codes(
    campaign_id: str,
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="CSV: Code,Category,Redeemed quantity,Active"
    ),
    on_error: OnError = typer.Option(OnError.skip, "--on-error", help="skip bad rows, or abort the whole import"),
) -> None:
    """Import codes from a CSV in Voucherify's template; re-imported codes update Active and Category."""
    total = max(sum(1 for _ in file.open("rb")) - 1, 0)
    with operator_runtime() as runtime, _progress() as bar, file.open(encoding="utf-8-sig", newline="") as lines:
        _require_campaign(runtime, campaign_id)
        task = bar.add_task("importing", total=total)
        report = codes.run_import(
            runtime.units, campaign_id, lines, on_error=on_error.value, progress=_advance(bar, task)
        )
    _print_report(report.to_dict(), on_error)


def _print_report(report: dict, on_error: OnError) -> None:
    typer.echo(f"imported {report['imported']}, updated {report['updated']}, bad rows {len(report['errors'])}")
    for error in report["errors"][:20]:
        err.print(f"  line {error['line']}: {error['message']}", markup=False, highlight=False)
    if len(report["errors"]) > 20:
        err.print(f"  … and {len(report['errors']) - 20} more")
    if report["errors"] and on_error == OnError.abort:
        err.print("[red]aborted:[/red] nothing was imported")
        raise typer.Exit(1)


@codes_app.command("export")
def export_codes(
    campaign_id: str,
    format: ExportFormat = typer.Option(ExportFormat.codes, "--format", help="codes (re-importable) or mailchimp"),
    output: Path | None = typer.Option(None, "--output", "-o", dir_okay=False, help="file to write (default: stdout)"),
) -> None:
    """Export the campaign's codes as CSV, streamed (constant memory)."""
    with operator_runtime() as runtime:
        with runtime.session_factory() as session:
            live_campaign(session, campaign_id)
            total = codes_csv_rows(session, campaign_id, format.value)
        with _progress() as bar, output.open("w", newline="") if output else _stdout() as out:
            task = bar.add_task("exporting", total=total)
            for chunk in codes_csv(runtime.session_factory, campaign_id, format.value):
                out.write(chunk)
                bar.advance(task, chunk.count("\n"))
            bar.update(task, completed=total)


@contextmanager
def _stdout() -> Iterator:
    yield sys.stdout
