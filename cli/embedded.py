"""`referrals up`: the embedded default — SQLite, in-process broker and workers, `.eml` outbox, demo campaign."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
from pathlib import Path

import uvicorn
from dramatiq import Worker
from rich.console import Console

from api.app import create_app
from app import operators
from app.demo import seed_demo
from bootstrap.runtime import build_runtime
from config.logging import configure_logging
from config.process import freeze_startup_objects
from config.settings import Settings
from db.migrate import upgrade
from workers.reconciler import PeriodicReconciler

SECRET_FIELDS = ("api_token", "shopify_secret", "woocommerce_secret", "events_secret", "session_secret")
DEMO_OPERATOR = "admin@example.com"


def embedded_settings(settings: Settings, secrets_file: Path) -> Settings:
    """Fill unset secrets with generated ones, kept in `secrets_file` so they survive restarts."""
    stored = _stored_secrets(secrets_file, [name for name in SECRET_FIELDS if not getattr(settings, name)])
    return settings.model_copy(update={name: stored[name] for name in SECRET_FIELDS if not getattr(settings, name)})


def demo_operator(secrets_file: Path) -> tuple[str, str]:
    """The dashboard login `referrals up` creates: admin@example.com and a password generated once, kept with
    the other secrets."""
    return DEMO_OPERATOR, _stored_secrets(secrets_file, ["dashboard_password"])["dashboard_password"]


def _stored_secrets(secrets_file: Path, names: list[str]) -> dict[str, str]:
    """The secrets of `secrets_file`, with those of `names` it lacks generated and written to it (mode 600)."""
    stored = json.loads(secrets_file.read_text()) if secrets_file.exists() else {}
    missing = {name: secrets.token_urlsafe(24) for name in names if not stored.get(name)}
    if missing:
        secrets_file.parent.mkdir(parents=True, exist_ok=True)
        secrets_file.write_text(json.dumps(stored | missing, indent=2))
        secrets_file.chmod(0o600)
    return stored | missing


def run_embedded(
    settings: Settings,
    *,
    host: str,
    port: int,
    threads: int,
    console: Console,
    server_file: Path,
    operator: tuple[str, str],
) -> None:
    """Migrate, seed the demo and its operator, start worker threads and the reconciler, then serve HTTP until
    stopped."""
    configure_logging(settings.log_format, settings.log_level)
    if "public_url" not in settings.model_fields_set:
        settings = settings.model_copy(update={"public_url": f"http://{host}:{port}"})
    runtime = build_runtime(settings)
    upgrade(runtime.engine)
    demo = runtime.units.run(seed_demo)
    runtime.units.run(operators.ensure, *operator)
    worker = Worker(runtime.broker, worker_threads=threads)
    worker.start()
    reconciler = PeriodicReconciler(
        runtime, interval=settings.reconcile_interval_seconds, older_than_seconds=settings.reconcile_older_than_seconds
    )
    reconciler.start()
    url = client_url(host, port)
    for line in _banner(settings, url, demo, operator):
        console.print(line, soft_wrap=True)
    app = create_app(runtime)
    freeze_startup_objects()
    _write_server_file(server_file, url, demo)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        server_file.unlink(missing_ok=True)
        reconciler.stop()
        worker.stop()
        runtime.close()


def client_url(host: str, port: int) -> str:
    """The address a client on this machine reaches the server at (a wildcard host is not one)."""
    host = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(host, host)
    return f"http://{f'[{host}]' if ':' in host and not host.startswith('[') else host}:{port}"


def _write_server_file(path: Path, url: str, demo) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {"url": url, "pid": os.getpid(), "demo_campaign": demo.campaign_id, "demo_code": demo.referrer_code},
            indent=2,
        )
    )


def referrals_command() -> str:
    """How to run this `referrals` from the current directory: bare when PATH finds it, else its path."""
    script = Path(sys.executable).parent / "referrals"
    on_path = shutil.which("referrals")
    if on_path and Path(on_path).resolve() == script.resolve():
        return "referrals"
    try:
        return str(script.relative_to(Path.cwd()))
    except ValueError:
        return str(script)


def _banner(settings: Settings, base: str, demo, operator: tuple[str, str]) -> list[str]:
    command = referrals_command()
    lines = [
        f"[bold]Referral Pipeline is running[/bold] on {base}  (embedded: SQLite + in-process workers)",
        f"Dashboard       {base}/campaigns   sign in as {operator[0]}  password {operator[1]}",
        f"API docs        {base}/docs      health {base}/readyz",
        f"API token       {settings.api_token}",
        f"Shopify secret  {settings.shopify_secret}",
        f"WooCommerce     {settings.woocommerce_secret}",
        f"Events secret   {settings.events_secret}",
        f"Database        {settings.database_url}",
        f"Email outbox    {Path(settings.outbox_dir).resolve()}",
        f"Demo campaign   {demo.campaign_id}  referrer {demo.referrer_email} holds code [bold]{demo.referrer_code}[/bold]",
        "",
        f"Try it:  [bold]{command} demo send-order[/bold]   (in another terminal: posts a signed Shopify order using the demo code)",
        f"Then:    curl -H 'Authorization: Bearer {settings.api_token}' {base}/api/v1/campaigns/{demo.campaign_id}/rewards",
        "Stop:    Ctrl+C. What it stored stays in ./var (delete var/ to start over).",
    ]
    return lines
