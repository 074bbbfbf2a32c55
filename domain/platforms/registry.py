"""Every platform's parser, by the inbox source name its webhooks are stored under."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping

from domain.events import ParsedWebhook, Unparseable
from domain.platforms import native, shopify, woocommerce
from domain.platforms.common import json_object, text

Parser = Callable[[bytes, Mapping[str, str]], ParsedWebhook]
PARSERS: Mapping[str, Parser] = {"shopify": shopify.parse, "woocommerce": woocommerce.parse, "events": native.parse}
DeliveryId = Callable[[bytes, Mapping[str, str]], str | None]


# The platform's own id of a delivery whose body could not be parsed: its rejected inbox row is stored under it,
# so an operator finds it by the id the platform shows (Shopify's and WooCommerce's webhook logs, the shop's event).
DELIVERY_IDS: Mapping[str, DeliveryId] = {
    "shopify": lambda _body, headers: text(headers.get("x-shopify-webhook-id")),
    "woocommerce": lambda body, headers: _woocommerce_delivery(body, text(headers.get("x-wc-webhook-delivery-id"))),
    "events": lambda body, _headers: text(json_object(body).get("id")),  # the body's `id`, when it can be read
}


def _woocommerce_delivery(body: bytes, delivery: str | None) -> str | None:
    """WooCommerce's delivery id is a hash of the webhook and the second it was sent: two deliveries of one webhook in
    the same second share it, so the body's digest goes with it (the same delivery retried still matches)."""
    return f"{delivery}:{hashlib.sha256(body).hexdigest()[:16]}" if delivery else None


def delivery_id(source: str, body: bytes, headers: Mapping[str, str]) -> str | None:
    """The platform's id of this delivery, or None when it sent none that can be read."""
    try:
        return DELIVERY_IDS[source](body, headers)
    except Unparseable:
        return None
