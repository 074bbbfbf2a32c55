"""The `referrals` command: one entry point for running, operating and inspecting the service."""

from __future__ import annotations

import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from app.access import create_token
from bootstrap.runtime import build_runtime
from cli.campaign_settings import rules_app, tiers_app, update_campaign
from cli.codes import campaigns_app, codes_app
from cli.demo import demo_app
from cli.embedded import demo_operator, embedded_settings, run_embedded
from cli.exchange_rates import exchange_rates_app
from cli.operators import operators_app
from cli.ops import events_app, jobs_app
from cli.pipeline import activity_app, distributions_app, redemptions_app, rewards_app
from cli.settings import load_settings, require_redis, secrets_file, server_file
from db.migrate import current_revision, upgrade

app = typer.Typer(help="Referral Pipeline: a self-hosted referral-program engine.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")
app.add_typer(demo_app, name="demo")
app.add_typer(campaigns_app, name="campaigns")
campaigns_app.command("update")(update_campaign)
campaigns_app.add_typer(tiers_app, name="tiers")
campaigns_app.add_typer(rules_app, name="rules")
app.add_typer(codes_app, name="codes")
app.add_typer(rewards_app, name="rewards")
app.add_typer(redemptions_app, name="redemptions")
app.add_typer(distributions_app, name="distributions")
app.add_typer(activity_app, name="activity")
app.add_typer(jobs_app, name="jobs")
app.add_typer(events_app, name="events")
app.add_typer(exchange_rates_app, name="exchange-rates")
app.add_typer(operators_app, name="operators")
console = Console()


@app.command()
def up(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, help="port to listen on"),
    threads: int = typer.Option(4, help="in-process worker threads"),
) -> None:
    """Run everything in one process on the embedded default (SQLite, in-process queue, file outbox, demo campaign,
    a dashboard operator)."""
    settings = embedded_settings(load_settings(), secrets_file())
    run_embedded(
        settings,
        host=host,
        port=port,
        threads=threads,
        console=console,
        server_file=server_file(),
        operator=demo_operator(secrets_file()),
    )


@app.command()
def api(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, help="port to listen on"),
    workers: int = typer.Option(1, help="uvicorn worker processes"),
) -> None:
    """Serve webhooks and the JSON API (production: PostgreSQL + Redis; run `referrals worker` beside it)."""
    settings = load_settings()
    require_redis(settings, "api")
    uvicorn.run(
        "api.asgi:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )


@app.command()
def worker(
    processes: int = typer.Option(
        2, min=1, help="worker processes (only the pipeline steps when --notification-processes is set)"
    ),
    threads: int = typer.Option(4, min=1, help="threads per process"),
    metrics_port: int = typer.Option(9191, help="serve the workers' Prometheus metrics on this port (0: off)"),
    notification_processes: int = typer.Option(
        0,
        min=0,
        help="extra processes that only send notifications, at lower CPU priority, so redemptions and "
        "rewards go first on a busy machine (0: every process does both)",
    ),
) -> None:
    """Run pipeline workers against Redis; also reconciles stuck work periodically."""
    from workers.process import run_worker_pool

    settings = load_settings()
    require_redis(settings, "worker")
    run_worker_pool(
        build_runtime,
        settings,
        processes=processes,
        threads=threads,
        metrics_port=metrics_port,
        notification_processes=notification_processes,
    )


@app.command()
def migrate() -> None:
    """Apply database migrations (Alembic) up to the latest schema."""
    runtime = build_runtime(load_settings())
    upgrade(runtime.engine)
    console.print(f"Database at revision {current_revision(runtime.engine)}")
    runtime.close()


@app.command()
def reconcile(
    older_than: int = typer.Option(
        60, "--older-than", min=0, help="seconds a piece of work may sit before it counts as stuck"
    ),
) -> None:
    """Re-enqueue inbox events, settlements, notifications and rewards stuck longer than --older-than; runs once."""
    from workers.reconciler import reconcile_once

    settings = load_settings()
    require_redis(settings, "reconcile")
    runtime = build_runtime(settings)
    counts = reconcile_once(runtime, older_than_seconds=older_than)
    runtime.close()
    table = Table("re-enqueued", "count")
    for name, count in counts.items():
        table.add_row(name, str(count))
    console.print(table)


@tokens_app.command("create")
def tokens_create(name: str = typer.Option("default", help="a label to recognise the token by")) -> None:
    """Create an API token; it is shown once."""
    runtime = build_runtime(load_settings())
    token = runtime.units.run(create_token, name)
    runtime.close()
    console.print(token)
