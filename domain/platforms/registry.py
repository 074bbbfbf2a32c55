"""Every platform's parser, by the inbox source name its webhooks are stored under."""

from __future__ import annotations

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
    "woocommerce": lambda _body, headers: text(headers.get("x-wc-webhook-delivery-id")),
    "events": lambda body, _headers: text(json_object(body).get("id")),  # the body's `id`, when it can be read
}


def delivery_id(source: str, body: bytes, headers: Mapping[str, str]) -> str | None:
    """The platform's id of this delivery, or None when it sent none that can be read."""
    try:
        return DELIVERY_IDS[source](body, headers)
    except Unparseable:
        return None
