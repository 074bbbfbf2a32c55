"""How list commands print their rows: a table whose id columns are never cut, or `--output json|csv` to copy
or pipe them."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from enum import Enum
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from bootstrap.runtime import Runtime
from db.queries import Listing


class Output(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


def output_option() -> Any:
    return typer.Option(Output.table, "--output", help="table (ids are never cut; other columns wrap), json or csv")


def print_rows(rows: list[dict], columns: list[str], output: Output, *, title: str | None = None) -> None:
    """Every row as a table of `columns`, as CSV of `columns`, or as JSON with all of each row's fields."""
    if output == Output.json:
        typer.echo(json.dumps(rows, indent=2, default=str))
    elif output == Output.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        Console().print(table(rows, columns, title=title))


def table(rows: list[dict], columns: list[str], *, title: str | None = None) -> Table:
    """Id columns (`id`, `*_id`) keep their full width; the others wrap to fit the terminal."""
    shown = Table(title=title)
    for column in columns:
        if column == "id" or column.endswith("_id"):
            width = max((len(_cell(row.get(column))) for row in rows), default=0)
            shown.add_column(column, no_wrap=True, min_width=max(width, len(column)))
        else:
            shown.add_column(column, overflow="fold")
    for row in rows:
        shown.add_row(*(_cell(row.get(column)) for column in columns))
    return shown


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def newest(runtime: Runtime, listing: Listing | Callable[[Any], Listing], limit: int) -> list[dict]:
    """The `limit` newest rows of a list query (or of what `listing(session)` builds), serialized as the API does."""
    with runtime.session_factory() as session:
        chosen = listing if isinstance(listing, Listing) else listing(session)
        rows = session.execute(chosen.query.order_by(chosen.id_column.desc()).limit(limit))
        return [chosen.serialize(row[0] if len(row) == 1 else row) for row in rows]


def print_fields(fields: dict) -> None:
    """One `key: value` line per field; values are printed as text (a body's brackets are not markup)."""
    console = Console()
    for key, value in fields.items():
        console.print(f"[bold]{key}[/bold]: ", end="", soft_wrap=True)
        console.print(str(value), markup=False, highlight=False, soft_wrap=True)
