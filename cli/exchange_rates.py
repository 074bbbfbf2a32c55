"""`referrals exchange-rates …`: the rates that convert orders into their campaign's currency."""

from __future__ import annotations

from datetime import date

import typer
from rich.console import Console
from rich.table import Table

from app import exchange_rates as commands
from cli.settings import operator_runtime
from db.queries import exchange_rates as queries

exchange_rates_app = typer.Typer(help="Exchange rates: set, list, delete.", no_args_is_help=True)
console = Console()
COLUMNS = ("id", "base", "quote", "rate", "date", "created_at")


@exchange_rates_app.command("set")
def set_rate(
    base: str = typer.Argument(..., help="ISO 4217 code of the currency converted from, e.g. HKD"),
    quote: str = typer.Argument(..., help="ISO 4217 code of the currency converted to, e.g. USD"),
    rate: str = typer.Argument(..., help="1 BASE = RATE QUOTE, a decimal such as 0.1282"),
    day: str | None = typer.Option(None, "--date", help="ISO 8601 day the rate applies from (default today, UTC)"),
) -> None:
    """Set the rate of a pair from a date on (replacing the pair's rate of that date); prints its id."""
    values = {"base": base, "quote": quote, "rate": rate, "date": _day(day)}
    with operator_runtime() as runtime, runtime.units() as uow:
        row = commands.set_rate(uow, values)
        line = f"{row.id}  1 {row.base} = {row.rate} {row.quote} from {row.date.isoformat()}"
    typer.echo(line)


@exchange_rates_app.command("list")
def list_rates(
    currency: str | None = typer.Option(None, help="only rates with this currency on either side"),
    limit: int = typer.Option(50, min=1, help="how many, newest first"),
) -> None:
    """The exchange rates, newest first."""
    listing = queries.exchange_rates(currency=currency)
    with operator_runtime() as runtime, runtime.session_factory() as session:
        rows = [
            listing.serialize(row)
            for row in session.scalars(listing.query.order_by(listing.id_column.desc()).limit(limit))
        ]
    table = Table(*COLUMNS, title="Exchange rates")
    for row in rows:
        table.add_row(*(str(row[column]) for column in COLUMNS))
    console.print(table)


@exchange_rates_app.command("delete")
def delete_rate(rate_id: str) -> None:
    """Delete a rate: orders dated after it use the pair's older rate, if any."""
    with operator_runtime() as runtime:
        runtime.units.run(commands.delete_rate, rate_id)
    typer.echo(f"deleted {rate_id}")


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 day such as 2026-12-01", param_hint="--date") from None
