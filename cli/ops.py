"""`referrals jobs …` and `referrals events …`: failed jobs and the webhook inbox, from the terminal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer
from rich.console import Console

from app import operations
from cli.output import Output, newest, output_option, print_fields, print_rows
from cli.settings import operator_runtime
from db.models import FailedJob, InboundEvent
from db.queries import lists, serializers
from db.queries.lookups import get

jobs_app = typer.Typer(help="Jobs that failed for good: list, show, retry, purge.", no_args_is_help=True)
events_app = typer.Typer(help="The webhook inbox: list, show and replay events.", no_args_is_help=True)
console = Console()


@jobs_app.command("failed")
def jobs_failed(
    actor: str = typer.Option(None, help="only this actor's jobs"),
    limit: int = typer.Option(50, min=1),
    output: Output = output_option(),
) -> None:
    """List failed jobs, newest first."""
    with operator_runtime() as runtime:
        rows = newest(runtime, lists.failed_jobs(actor=actor), limit)
    print_rows(rows, ["id", "actor", "args", "error", "failed_at", "retried_at"], output, title="failed jobs")


@jobs_app.command("show")
def jobs_show(job_id: str) -> None:
    """Show one failed job with its arguments and traceback."""
    with operator_runtime() as runtime, runtime.session_factory() as session:
        job = serializers.failed_job_detail(get(session, FailedJob, job_id, "failed job"))
    print_fields(job)


@jobs_app.command("retry")
def jobs_retry(
    job_id: str = typer.Argument(None, help="one job; omit with --all"),
    all_jobs: bool = typer.Option(False, "--all", help="every job not retried yet"),
    actor: str = typer.Option(None, help="with --all: only this actor's jobs"),
) -> None:
    """Send failed jobs' messages again (safe: every step is idempotent). Needs the broker the workers use."""
    if (job_id is None) == (not all_jobs):
        console.print("[red]Give a job id, or --all (optionally with --actor).[/red]")
        raise typer.Exit(2)
    with operator_runtime() as runtime:
        retried = runtime.units.run(operations.retry_jobs, job_id=job_id, actor=actor)
    console.print(f"Retried {len(retried)} job(s).")


@jobs_app.command("purge")
def jobs_purge(
    job_id: str = typer.Argument(None, help="one job; omit to purge by age"),
    older_than_days: float = typer.Option(None, help="purge jobs that failed more than this many days ago"),
    actor: str = typer.Option(None, help="only this actor's jobs"),
) -> None:
    """Forget failed jobs: one by id, or all older than --older-than-days."""
    if (job_id is None) == (older_than_days is None):
        console.print("[red]Give a job id, or --older-than-days N.[/red]")
        raise typer.Exit(2)
    with operator_runtime() as runtime, runtime.units() as uow:
        if job_id:
            operations.purge_job(uow, job_id)
            count = 1
        else:
            count = operations.purge_jobs(uow, datetime.now(UTC) - timedelta(days=older_than_days), actor=actor)
    console.print(f"Purged {count} job(s).")


@events_app.command("list")
def events_list(
    status: str = typer.Option(None, help="received, enqueued, processed, rejected or failed"),
    source: str = typer.Option(None, help="shopify, woocommerce or events"),
    limit: int = typer.Option(50, min=1),
    output: Output = output_option(),
) -> None:
    """List inbox events, newest first."""
    with operator_runtime() as runtime:
        rows = newest(runtime, lists.events(status=status, source=source), limit)
    print_rows(rows, ["id", "source", "external_id", "topic", "status", "error", "received_at"], output, title="inbox")


@events_app.command("show")
def events_show(event_id: str) -> None:
    """Show one inbox event with its headers, body and normalised form."""
    with operator_runtime() as runtime, runtime.session_factory() as session:
        event = serializers.event_detail(get(session, InboundEvent, event_id, "event"))
    print_fields(event)


@events_app.command("replay")
def events_replay(event_id: str) -> None:
    """Process a rejected (parsed anew), failed or stuck event again."""
    with operator_runtime() as runtime:
        row = serializers.event(runtime.units.run(operations.replay_event, event_id))
    console.print(f"Event {row['id']} is {row['status']}.")
