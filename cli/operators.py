"""`referrals operators …`: who may sign in to the dashboard."""

from __future__ import annotations

import typer
from rich.console import Console

from app import operators
from cli.output import Output, output_option, print_rows
from cli.settings import operator_runtime
from db.queries import operators as queries

operators_app = typer.Typer(help="Dashboard operators: create, list, disable.", no_args_is_help=True)
console = Console()


@operators_app.command("create")
def operators_create(
    email: str = typer.Option(..., help="the operator's login"),
    password: str = typer.Option(
        None, help=f"at least {operators.MIN_PASSWORD} characters; asked for (hidden, twice) when absent"
    ),
) -> None:
    """Create an operator who can sign in to the dashboard."""
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with operator_runtime() as runtime:
        operator = runtime.units.run(operators.create, email, password)
    console.print(f"Operator {operator.email} created ({operator.id}).")


@operators_app.command("list")
def operators_list(output: Output = output_option()) -> None:
    """List operators, oldest first."""
    with operator_runtime() as runtime, runtime.session_factory() as session:
        rows = queries.operators(session)
    print_rows(rows, ["id", "email", "active", "created_at", "last_login_at"], output, title="operators")


@operators_app.command("disable")
def operators_disable(email: str) -> None:
    """Stop an operator from signing in; its open dashboard sessions end at their next request."""
    with operator_runtime() as runtime:
        operator = runtime.units.run(operators.disable, email)
    console.print(f"Operator {operator.email} is disabled.")
