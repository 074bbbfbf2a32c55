"""`referrals campaigns …` and `referrals codes …`: the same app/ commands the API uses, with progress bars."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.v1.campaigns import REFERRER_COLUMNS
from app import campaigns, codes
from bootstrap.runtime import Runtime
from cli.output import Output, output_option, print_rows
from cli.settings import operator_runtime
from db.queries import analytics, lists, serializers
from db.queries import campaigns as campaign_queries
from db.queries.export import codes_csv, codes_csv_rows, listing_csv
from db.queries.lookups import live_campaign
from domain.events import CustomerData

# The referrer a code is published to (campaigns invite, codes publish)
ReferrerEmail = Annotated[str, typer.Option("--email", help="the referrer's email")]
ReferrerName = Annotated[str | None, typer.Option("--name", help="the referrer's name")]
ShopCustomerId = Annotated[str | None, typer.Option("--source-id", help="the shop's customer id")]
Channel = Annotated[str, typer.Option("--channel", help="publication channel recorded with the code")]

campaigns_app = typer.Typer(
    help="Referral campaigns: list, create, show, update, analytics, enable, disable, delete, invite a referrer, "
    "export referrers; tiers and rules.",
    no_args_is_help=True,
)
codes_app = typer.Typer(
    help="Referral codes: generate, import from CSV, export to CSV, update, delete or publish one.",
    no_args_is_help=True,
)
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


@campaigns_app.command("analytics")
def campaign_analytics(
    campaign_id: str,
    start: Annotated[datetime | None, typer.Option("--start", formats=["%Y-%m-%d"], help="first UTC day")] = None,
    end: Annotated[datetime | None, typer.Option("--end", formats=["%Y-%m-%d"], help="last UTC day (included)")] = None,
    interval: Annotated[str, typer.Option("--interval", help="day or week")] = "day",
    output: Output = output_option(),
) -> None:
    """Program figures over a window (default the last 30 days): totals, then one row per day or week."""
    with operator_runtime() as runtime, runtime.session_factory() as session:
        span = analytics.window(start and start.date(), end and end.date(), interval)
        figures = analytics.figures(session, campaign_id, span)
    if output == Output.json:
        typer.echo(json.dumps(figures, indent=2))
        return
    columns = ["date", *analytics.COUNTS, *analytics.MONEY]
    if output == Output.table:
        Console().print(_figure_totals(figures))
    print_rows(list(reversed(figures["series"])), columns, output, title=f"Per {span.interval}, newest first")


def _figure_totals(figures: dict) -> Table:
    """Each total with how it is computed (money in minor units of the campaign's currency)."""
    window = figures["window"]
    shown = Table(title=f"{figures['campaign_id']}: {window['start_date']} to {window['end_date']} (UTC days)")
    for column in ("figure", "value", "how"):
        shown.add_column(column, overflow="fold")
    totals = figures["totals"]
    for name, text in analytics.DEFINITIONS.items():
        value = totals[name]
        if isinstance(value, dict):
            value = value["value"] if value["value"] is not None else f"n/a ({value['reason']})"
        elif name in analytics.MONEY:
            value = f"{value} ({figures['currency']} minor units)"
        shown.add_row(name, str(value), text)
    for name, text in figures["not_counted"].items():
        shown.add_row(name, "not counted", text)
    return shown


@campaigns_app.command("enable")
def enable_campaign(campaign_id: str) -> None:
    """Activate a campaign: its codes redeem again."""
    with operator_runtime() as runtime:
        campaign = runtime.units.run(campaigns.set_active, campaign_id, True)
    typer.echo(f"campaign {campaign.id} is active")


@campaigns_app.command("disable")
def disable_campaign(campaign_id: str) -> None:
    """Pause a campaign: redemptions of its codes fail with campaign_not_active until it is enabled."""
    with operator_runtime() as runtime:
        campaign = runtime.units.run(campaigns.set_active, campaign_id, False)
    typer.echo(f"campaign {campaign.id} is paused")


@campaigns_app.command("delete")
def delete_campaign(
    campaign_id: str, yes: bool = typer.Option(False, "--yes", "-y", help="do not ask for confirmation")
) -> None:
    """Delete a campaign: it leaves the lists and its codes fail validation (asks first unless --yes)."""
    with operator_runtime() as runtime:
        with runtime.session_factory() as session:
            name = live_campaign(session, campaign_id).name
        if not yes and not typer.confirm(f"Delete campaign {name!r} ({campaign_id})? Its codes stop working."):
            err.print("not deleted")
            raise typer.Exit(1)
        runtime.units.run(campaigns.delete, campaign_id)
    typer.echo(f"campaign {campaign_id} deleted")


@campaigns_app.command("invite")
def invite_referrer(
    campaign_id: str,
    email: ReferrerEmail,
    name: ReferrerName = None,
    source_id: ShopCustomerId = None,
    channel: Channel = "cli",
) -> None:
    """Invite a referrer: publish a code to them (with join_once, the code they already hold). Prints the code."""
    person = CustomerData(source_id=source_id, email=email, name=name)
    with operator_runtime() as runtime:
        code, published = runtime.units.run(codes.invite, campaign_id, person, channel)
    if published:
        typer.echo(f"{code.code}  published to {email} (channel {code.publish_channel})")
    else:
        typer.echo(f"{code.code}  already held by {email}: nothing published (join_once)")


@campaigns_app.command("referrers")
def export_referrers(
    campaign_id: str,
    start: datetime | None = typer.Option(None, "--start", formats=["%Y-%m-%d"], help="published from this day on"),
    end: datetime | None = typer.Option(None, "--end", formats=["%Y-%m-%d"], help="published up to this day"),
    output: Path | None = typer.Option(None, "--output", "-o", dir_okay=False, help="file to write (default: stdout)"),
) -> None:
    """The campaign's referrers as CSV (the columns of the API's ?format=csv), newest publication first."""
    window = (
        start.replace(tzinfo=UTC) if start else None,
        end.replace(tzinfo=UTC) + timedelta(days=1) if end else None,  # the whole last day
    )
    with operator_runtime() as runtime:
        _require_campaign(runtime, campaign_id)
        rows = listing_csv(runtime.session_factory, lists.referrers(campaign_id), REFERRER_COLUMNS, *window)
        with output.open("w", newline="") if output else _stdout() as out:
            out.writelines(rows)


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


@codes_app.command("update")
def update_code(
    code: str,
    active: bool | None = typer.Option(None, "--active/--inactive", help="let the code redeem, or not"),
    limit: str | None = typer.Option(
        None, "--limit", metavar="N|none", help="redemption limit (at least its redeemed count), or none"
    ),
    starts: str | None = typer.Option(
        None, "--starts", metavar="DATE|none", help="start: a day (from its beginning, UTC), an ISO 8601 time, or none"
    ),
    expires: str | None = typer.Option(
        None,
        "--expires",
        metavar="DATE|none",
        help="expiration: a day (valid through its end, UTC), an ISO 8601 time, or none",
    ),
) -> None:
    """Change one code's active flag, redemption limit, start or expiration; only the options given change."""
    given = _code_changes(active, limit, starts, expires)
    if not given:
        err.print("[red]error:[/red] nothing to change: give --active/--inactive, --limit, --starts or --expires")
        raise typer.Exit(2)
    with operator_runtime() as runtime:
        row = serializers.code(runtime.units.run(codes.update_code, code, given))
    typer.echo(
        f"{row['code']}: {'active' if row['active'] else 'inactive'}, "
        f"limit {row['redemption_limit'] or 'none'} (redeemed {row['redeemed_count']}), "
        f"starts {row['start_date'] or 'any time'}, expires {row['expiration_date'] or 'never'}"
    )


def _code_changes(active: bool | None, limit: str | None, starts: str | None, expires: str | None) -> dict:
    """The options given, as update_code's values (bad text is a usage error naming the option)."""
    given: dict = {} if active is None else {"active": active}
    if limit is not None:
        given["redemption_limit"] = _limit(limit)
    if starts is not None:
        given["start_date"] = _moment(starts, "--starts", end_of_day=False)
    if expires is not None:
        given["expiration_date"] = _moment(expires, "--expires", end_of_day=True)
    return given


def _limit(text: str) -> int | None:
    if text.strip().lower() == "none":
        return None
    try:
        return int(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a whole number or none", param_hint="--limit") from None


def _moment(text: str, option: str, *, end_of_day: bool) -> datetime | None:
    """A day (its start, or with `end_of_day` the start of the next day: valid through it) or a time, in UTC
    when it names no timezone; `none` clears it."""
    text = text.strip()
    if text.lower() == "none":
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is not None:
        return datetime.combine(day + timedelta(days=1 if end_of_day else 0), datetime.min.time(), UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a day (2026-12-31), an ISO 8601 time (2026-12-31T18:00:00Z) or none", param_hint=option
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@codes_app.command("delete")
def delete_code(code: str, yes: bool = typer.Option(False, "--yes", "-y", help="do not ask for confirmation")) -> None:
    """Delete a code: its redemptions then fail with voucher_disabled (asks first unless --yes)."""
    if not yes and not typer.confirm(f"Delete code {code}? Redemptions of it will fail."):
        err.print("not deleted")
        raise typer.Exit(1)
    with operator_runtime() as runtime:
        runtime.units.run(codes.delete, code)
    typer.echo(f"code {code} deleted")


@codes_app.command("publish")
def publish_code(
    code: str,
    email: ReferrerEmail,
    name: ReferrerName = None,
    source_id: ShopCustomerId = None,
    channel: Channel = "cli",
) -> None:
    """Publish this very code to a referrer (refused when someone else holds it)."""
    person = CustomerData(source_id=source_id, email=email, name=name)
    with operator_runtime() as runtime:
        row, published = runtime.units.run(codes.publish, code, person, channel)
    typer.echo(f"{row.code}  {'published to' if published else 'already held by'} {email}")


@contextmanager
def _stdout() -> Iterator:
    yield sys.stdout
