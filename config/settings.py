"""Settings from the environment (`REFERRALS_` prefix, `.env` read too): one frozen object."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.money import InvalidMoney, currency_code

DEFAULT_DATABASE_URL = "sqlite:///./var/referrals.db"


class Settings(BaseSettings):
    """Everything the service reads from its environment, validated at start-up."""

    model_config = SettingsConfigDict(env_prefix="REFERRALS_", env_file=".env", frozen=True, extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    api_token: str | None = None
    shopify_secret: str | None = None
    shopify_secrets: str | None = None
    woocommerce_secret: str | None = None
    events_secret: str | None = None
    outgoing_webhook_secret: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_tls: Literal["starttls", "tls", "none"] = "starttls"
    smtp_timeout: float = 10.0
    mail_from: str = "Referral Program <referrals@localhost>"
    outbox_dir: Path = Path("./var/outbox")
    public_url: str = "http://127.0.0.1:8000"
    brand_name: str = "Referral Program"
    secret_key: str | None = None
    session_secret: str | None = None  # signs dashboard session cookies
    session_max_age_seconds: int = 12 * 3600  # a dashboard session ends this long after its login
    trusted_proxies: str = "127.0.0.1,::1"  # whose X-Forwarded-Proto / X-Forwarded-For the dashboard believes
    log_format: Literal["json", "console"] | None = None
    log_level: str = "INFO"
    redis_namespace: str = "referrals"
    redis_heartbeat_timeout_ms: int = 30_000
    reconcile_interval_seconds: int = 30
    reconcile_older_than_seconds: int = 60
    send_claim_timeout_seconds: int = 300
    max_retries: int = 8
    worker_threads: int = 8
    db_pool_size: int = 20
    default_currency: str = "USD"  # ISO 4217: the currency of campaigns created without one

    @field_validator("default_currency")
    @classmethod
    def _iso_currency(cls, value: str) -> str:
        try:
            return currency_code(value)
        except InvalidMoney as error:
            raise ValueError(str(error)) from None

    @field_validator("session_secret")
    @classmethod
    def _long_enough(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 32:
            raise ValueError(
                "must be at least 32 characters (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        return value

    @field_validator("redis_url", "smtp_host", "api_token", "session_secret", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def signing_key(self) -> str:
        """The key for links we sign (unsubscribe): SECRET_KEY, else a configured webhook secret."""
        return self.secret_key or self.events_secret or self.api_token or "referral-pipeline"

    def trusted_proxy_addresses(self) -> frozenset[str]:
        return frozenset(item.strip() for item in self.trusted_proxies.split(",") if item.strip())

    def shopify_secret_for(self, shop_domain: str | None) -> str | None:
        """The secret for one Shopify shop, falling back to the shared Shopify secret."""
        return self.shopify_shop_secrets().get((shop_domain or "").lower(), self.shopify_secret)

    def shopify_shop_secrets(self) -> dict[str, str]:
        pairs = (item.split("=", 1) for item in (self.shopify_secrets or "").split(",") if "=" in item)
        return {shop.strip().lower(): secret.strip() for shop, secret in pairs}
