"""Every platform's parser, by the inbox source name its webhooks are stored under."""
from __future__ import annotations

from collections.abc import Callable, Mapping

from domain.events import ParsedWebhook
from domain.platforms import native, shopify, woocommerce

Parser = Callable[[bytes, Mapping[str, str]], ParsedWebhook]
PARSERS: Mapping[str, Parser] = {"shopify": shopify.parse, "woocommerce": woocommerce.parse, "events": native.parse}
