"""Webhook signature checks, one per source, all constant-time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping

from config.settings import Settings
from notifications.signing import verify_signature


def base64_hmac_matches(secret: str | None, body: bytes, signature: str | None) -> bool:
    """Shopify's and WooCommerce's scheme: base64 HMAC-SHA256 of the raw body."""
    if not secret or not signature:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace"))


def shopify_signed(settings: Settings, headers: Mapping[str, str], body: bytes) -> bool:
    secret = settings.shopify_secret_for(headers.get("x-shopify-shop-domain"))
    return base64_hmac_matches(secret, body, headers.get("x-shopify-hmac-sha256"))


def woocommerce_signed(settings: Settings, headers: Mapping[str, str], body: bytes) -> bool:
    return base64_hmac_matches(settings.woocommerce_secret, body, headers.get("x-wc-webhook-signature"))


def native_signed(settings: Settings, headers: Mapping[str, str], body: bytes) -> bool:
    """`t=<unix seconds>,v1=<hex HMAC of "<t>.<body>">`, refused when more than 300 s old."""
    if not settings.events_secret:
        return False
    return verify_signature(settings.events_secret, headers.get("x-referrals-signature"), body, now=int(time.time()))
