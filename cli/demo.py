"""`referrals demo`: seed the demo campaign; `referrals demo send-order`: post a signed order to a running server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random

import httpx
import typer
from rich.console import Console

from app.demo import seed_demo
from bootstrap.runtime import build_runtime
from cli.embedded import embedded_settings
from cli.settings import load_settings, secrets_file, server_file
from db.migrate import upgrade

demo_app = typer.Typer(help="The demo campaign: seed it, then send it an order.", invoke_without_command=True)
console = Console()


@demo_app.callback()
def seed(ctx: typer.Context) -> None:
    """Seed the demo campaign (idempotent) and print its referrer's code."""
    if ctx.invoked_subcommand:
        return
    runtime = build_runtime(load_settings())
    upgrade(runtime.engine)
    demo = runtime.units.run(seed_demo)
    runtime.close()
    console.print(
        f"Demo campaign {demo.campaign_id}: {demo.referrer_email} holds code [bold]{demo.referrer_code}[/bold]"
    )


@demo_app.command("send-order")
def send_order(
    url: str = typer.Option(
        None,
        help="where `referrals up` or `referrals api` listens (default: where the "
        "`referrals up` started here listens, else http://127.0.0.1:8000)",
    ),
    code: str = typer.Option(None, help="referral code to use (default: the demo referrer's code)"),
    email: str = typer.Option(None, help="the buyer's email (default: a new random friend)"),
    amount: str = typer.Option("129.00", help="order total as a decimal string"),
) -> None:
    """Post a signed Shopify `orders/paid` webhook carrying a referral code, as a shop would."""
    settings = embedded_settings(load_settings(), secrets_file())
    url = url or running_server_url()
    demo = _demo(settings)
    code = code or demo.referrer_code
    order_id = random.randint(10**9, 10**10)
    email = email or f"friend{order_id % 100000}@example.com"
    body = json.dumps(_order(order_id, code, email, amount)).encode()
    signature = base64.b64encode(hmac.new(settings.shopify_secret.encode(), body, hashlib.sha256).digest()).decode()
    headers = {
        "X-Shopify-Hmac-Sha256": signature,
        "X-Shopify-Topic": "orders/paid",
        "X-Shopify-Webhook-Id": f"demo-{order_id}",
        "Content-Type": "application/json",
    }
    try:
        response = httpx.post(f"{url.rstrip('/')}/webhooks/shopify", content=body, headers=headers, timeout=10)
    except httpx.HTTPError as error:
        console.print(f"[red]Could not reach {url}: {error}. Is `referrals up` running?[/red]")
        raise typer.Exit(1) from None
    console.print(f"POST /webhooks/shopify → {response.status_code} {response.text}", soft_wrap=True)
    console.print(
        f"Order {order_id} by {email} with code {code}. The referrer's rewards:\n"
        f"  curl -H 'Authorization: Bearer {settings.api_token}' {url}/api/v1/campaigns/{demo.campaign_id}/rewards",
        soft_wrap=True,
    )
    raise typer.Exit(0 if response.status_code < 300 else 1)


def running_server_url() -> str:
    """The address the `referrals up` running from this directory wrote to var/server.json, else the default."""
    try:
        return json.loads(server_file().read_text())["url"]
    except (OSError, ValueError, KeyError):
        return "http://127.0.0.1:8000"


def _demo(settings):
    runtime = build_runtime(settings)
    upgrade(runtime.engine)
    demo = runtime.units.run(seed_demo)
    runtime.close()
    return demo


def _order(order_id: int, code: str, email: str, amount: str) -> dict:
    return {
        "id": order_id,
        "total_price": amount,
        "currency": "USD",
        "financial_status": "paid",
        "discount_codes": [{"code": code, "amount": "10.00", "type": "percentage"}],
        "customer": {"id": order_id + 1, "email": email, "first_name": "Demo", "last_name": "Friend"},
        "line_items": [{"sku": "DEMO-1", "product_id": 1, "quantity": 1, "price": amount}],
    }
