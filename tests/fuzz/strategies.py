"""Hypothesis strategies for webhook requests: per-source bodies that are valid-ish (fields missing, mistyped,
huge, unicode, nested junk) or not JSON at all, and header sets (topic, signature present/absent/wrong/stale)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from hypothesis import strategies as st

from notifications.signing import sign_payload
from tests.support.pipeline import EVENTS_SECRET, SHOPIFY_SECRET, WOOCOMMERCE_SECRET

MAX_BODY_BYTES = 1024 * 1024
REAL_CODE = "REF-FUZZ-0001"  # seeded by the test, so some bodies name a live referral code


# --- values ------------------------------------------------------------------------------------------------

huge_ints = st.integers(min_value=2**63 - 2, max_value=10**400) | st.integers(
    min_value=-(10**400), max_value=-(2**63) + 2
)
leaves = (
    st.none()
    | st.booleans()
    | st.integers(-(2**31), 2**31)
    | huge_ints
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
)
junk = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=15,
)
odd_text = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "null",
        "0",
        "-1",
        "ÿ",
        "💥",
        "Ωmega",
        "a" * 300,
        "\u202e",
        "nan",
        "1e999999",
        "١٢٣",
        "${jndi:x}",
        "'; DROP TABLE x;--",
    ]
)
texty = st.text(max_size=60) | odd_text


def sometimes(valid: st.SearchStrategy, *, junk_weight: int = 1) -> st.SearchStrategy:
    """Mostly the valid value, sometimes junk of any type (so the parser's type checks are exercised)."""
    return st.one_of(*([valid] * 3), *([junk | texty] * junk_weight))


def valid_ish(required: dict, optional: dict) -> st.SearchStrategy:
    """A JSON object with the required keys (each possibly mistyped), optional keys maybe present, extra junk keys."""
    return st.builds(
        lambda base, extra: {**extra, **base},
        st.fixed_dictionaries(
            {key: sometimes(value) for key, value in required.items()},
            optional={key: sometimes(value) for key, value in optional.items()},
        ),
        st.dictionaries(st.text(max_size=12), junk, max_size=2),
    )


ids = st.integers(min_value=0, max_value=2**53) | st.text(min_size=1, max_size=30) | huge_ints
money_edges = st.sampled_from(
    [
        "129.00",
        "0",
        "NaN",
        "Infinity",
        "-Infinity",
        "1e999999",
        "-9e999999",
        "1E-999999",
        "12,90",
        "١٢٣.٤",
        "9" * 400,
        "92233720368547758.07",
        "0x10",
        "  5.00 ",
    ]
)
money = st.one_of(
    st.decimals(min_value=-(10**6), max_value=10**12, places=2, allow_nan=False, allow_infinity=False).map(str),
    money_edges,
    money_edges,
    huge_ints,
)
emails = st.emails().map(str) | st.sampled_from(
    ["ANN+tag@GMail.com", "a.b@googlemail.com", "@", "x@", "ann", "é@ü.de", "a b@c.d"]
)
codes = st.sampled_from([REAL_CODE, REAL_CODE.lower(), "UNKNOWN-1", "", " ref-fuzz-0001 "]) | texty
timestamps = st.sampled_from(["2026-11-27T10:00:00Z", "2026-11-27T10:00:00", "not a date", "9999-99-99"]) | texty
quantities = st.integers(-5, 10**6) | huge_ints | st.sampled_from(["2", "two", 1.5, None])


def lists_of(item: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(sometimes(item), max_size=4)


# --- bodies per source ---------------------------------------------------------------------------------------

shopify_customer = valid_ish({}, {"id": ids, "email": emails, "first_name": texty, "last_name": texty})
shopify_item = valid_ish({}, {"sku": texty, "product_id": ids, "quantity": quantities, "price": money})
shopify_order = valid_ish(
    {"id": ids},
    {
        "total_price": money,
        "currency": st.sampled_from(["USD", "JPY", "EUR", "", "usd"]) | texty,
        "financial_status": st.sampled_from(["paid", "pending", "refunded", "partially_refunded", "voided"]),
        "discount_codes": lists_of(valid_ish({"code": codes}, {"amount": money, "type": texty})),
        "customer": shopify_customer,
        "email": emails,
        "contact_email": emails,
        "line_items": lists_of(shopify_item),
        "note_attributes": lists_of(valid_ish({}, {"name": texty, "value": junk})),
        "cancelled_at": timestamps,
        "updated_at": timestamps,
        "created_at": timestamps,
        "customer_locale": texty,
    },
)
shopify_refund = valid_ish(
    {"order_id": ids},
    {
        "id": ids,
        "created_at": timestamps,
        "transactions": lists_of(
            valid_ish(
                {"kind": st.sampled_from(["refund", "sale", "void"])},
                {
                    "status": st.sampled_from(["success", "failure"]),
                    "amount": money,
                    "currency": st.sampled_from(["USD", "JPY"]),
                },
            )
        ),
    },
)

woo_order = valid_ish(
    {"id": ids},
    {
        "status": st.sampled_from(["pending", "processing", "completed", "refunded", "cancelled", "on-hold"]),
        "total": money,
        "currency": st.sampled_from(["USD", "JPY", ""]),
        "customer_id": ids,
        "billing": valid_ish({}, {"email": emails, "first_name": texty, "last_name": texty}),
        "coupon_lines": lists_of(valid_ish({"code": codes}, {})),
        "line_items": lists_of(
            valid_ish({}, {"sku": texty, "product_id": ids, "quantity": quantities, "total": money})
        ),
        "refunds": lists_of(valid_ish({}, {"id": ids, "total": money})),
        "meta_data": lists_of(valid_ish({}, {"key": texty, "value": junk})),
        "date_modified_gmt": timestamps,
        "date_created_gmt": timestamps,
    },
)

native_amounts = (
    st.integers(0, 10**9) | huge_ints | st.integers(-(10**6), -1) | st.sampled_from([12.5, "129", True, None])
)
native_order = valid_ish(
    {"id": ids},
    {
        "amount": native_amounts,
        "currency": st.sampled_from(["USD", "JPY"]) | texty,
        "status": st.sampled_from(["created", "paid", "canceled", "refunded", "shipped"]),
        "items": lists_of(
            valid_ish({}, {"sku": texty, "product_id": ids, "quantity": quantities, "price": native_amounts})
        ),
        "metadata": st.dictionaries(st.text(max_size=8), junk, max_size=3),
        "refunded_amount": native_amounts,
    },
)
native_customer = valid_ish(
    {},
    {
        "source_id": ids,
        "email": emails,
        "name": texty,
        "locale": texty,
        "metadata": st.dictionaries(st.text(max_size=8), junk, max_size=3),
    },
)
native_event = valid_ish(
    {
        "id": ids,
        "type": st.sampled_from(
            [
                "order.created",
                "order.paid",
                "order.canceled",
                "order.refunded",
                "redemption.requested",
                "custom_event",
                "order.shipped",
            ]
        ),
    },
    {
        "created_at": timestamps,
        "data": valid_ish(
            {},
            {
                "order": native_order,
                "customer": native_customer,
                "code": codes,
                "event": st.sampled_from(["signed_up", ""]) | texty,
            },
        ),
    },
)


def _deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


raw_bytes = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [
            b"",
            b"null",
            b"[]",
            b'"x"',
            b"{",
            b"\xff\xfe{}",
            b'{"id": 1,}',
            b"\x00\x00",
            _deep(100_000),
            b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
            b"webhook_id=12",
            b'{"id": NaN}',
        ]
    ),
    junk.map(lambda value: json.dumps(value).encode()),
)
too_large = st.just(b'{"id": "' + b"x" * (MAX_BODY_BYTES + 1) + b'"}')


def bodies(structured: st.SearchStrategy) -> st.SearchStrategy[bytes]:
    """Mostly JSON of the source's shape (escaped or raw UTF-8), sometimes anything at all, rarely over 1 MiB."""
    as_json = st.builds(
        lambda value, ascii_only: json.dumps(value, ensure_ascii=ascii_only).encode(), structured, st.booleans()
    )
    return st.integers(0, 39).flatmap(lambda n: too_large if n == 0 else raw_bytes if n < 9 else as_json)


# --- headers -------------------------------------------------------------------------------------------------

header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=40)


@dataclass(frozen=True)
class Request:
    path: str
    body: bytes
    headers: dict
    signed: bool  # the signature is valid and fresh: the answer must not be 401

    @property
    def wire_headers(self) -> dict[str, bytes]:
        """Header values as bytes (latin-1), the way they travel; httpx only takes str values in ASCII."""
        return {key: value.encode("latin-1") for key, value in self.headers.items()}

    def __repr__(self) -> str:  # shown by hypothesis on failure; keep huge bodies short
        body = self.body if len(self.body) < 600 else self.body[:300] + b"..." + self.body[-100:]
        return f"Request({self.path!r}, body={body!r}, headers={self.headers!r}, signed={self.signed})"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))


def _b64_hmac(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


signature_modes = st.sampled_from(["valid"] * 6 + ["absent", "wrong", "other_body", "garbled"])


@st.composite
def shopify_requests(draw) -> Request:
    topic = draw(
        st.sampled_from(
            ["orders/create", "orders/paid", "orders/cancelled", "refunds/create", "products/update", None, ""]
        )
        | header_text
    )
    body = draw(bodies(shopify_refund if topic == "refunds/create" else shopify_order))
    headers = {"Content-Type": "application/json"}
    if topic is not None:
        headers["X-Shopify-Topic"] = topic
    if draw(st.booleans()):
        headers["X-Shopify-Webhook-Id"] = draw(st.uuids().map(str) | header_text)
    if draw(st.integers(0, 3)) == 0:
        headers["X-Shopify-Shop-Domain"] = draw(
            st.sampled_from(["test-shop.myshopify.com", "other.myshopify.com"]) | header_text
        )
    mode = draw(signature_modes)
    headers |= _base64_signature("X-Shopify-Hmac-Sha256", SHOPIFY_SECRET, body, mode, draw)
    return Request("/webhooks/shopify", body, headers, mode == "valid")


@st.composite
def woocommerce_requests(draw) -> Request:
    body = draw(bodies(woo_order))
    headers = {
        "Content-Type": draw(
            st.sampled_from(["application/json", "application/json", "application/x-www-form-urlencoded", "text/plain"])
        )
    }
    topic = draw(st.sampled_from(["order.created", "order.updated", "coupon.created", None, ""]) | header_text)
    if topic is not None:
        headers["X-WC-Webhook-Topic"] = topic
    mode = draw(signature_modes)
    headers |= _base64_signature("X-WC-Webhook-Signature", WOOCOMMERCE_SECRET, body, mode, draw)
    return Request("/webhooks/woocommerce", body, headers, mode == "valid")


def _base64_signature(header: str, secret: str, body: bytes, mode: str, draw) -> dict:
    if mode == "absent":
        return {}
    if mode == "valid":
        return {header: _b64_hmac(secret, body)}
    if mode == "other_body":
        return {header: _b64_hmac(secret, body + b" ")}
    if mode == "wrong":
        return {header: _b64_hmac("not-the-secret", body)}
    return {header: draw(header_text)}


@st.composite
def native_requests(draw) -> Request:
    body = draw(bodies(native_event))
    headers = {"Content-Type": "application/json"}
    mode = draw(st.sampled_from(["valid"] * 6 + ["absent", "wrong", "stale", "future", "garbled", "no_v1"]))
    now = int(time.time())
    if mode == "valid":
        headers["X-Referrals-Signature"] = sign_payload(EVENTS_SECRET, body, now - draw(st.integers(0, 200)))
    elif mode == "wrong":
        headers["X-Referrals-Signature"] = sign_payload("not-the-secret", body, now)
    elif mode in ("stale", "future"):
        skew = draw(st.integers(301 + 60, 10**9))  # past the 300 s tolerance, with room for a slow run
        headers["X-Referrals-Signature"] = sign_payload(
            EVENTS_SECRET, body, now - skew if mode == "stale" else now + skew
        )
    elif mode == "no_v1":
        headers["X-Referrals-Signature"] = f"t={now}"
    elif mode == "garbled":
        headers["X-Referrals-Signature"] = draw(header_text)
    return Request("/webhooks/events", body, headers, mode == "valid")
