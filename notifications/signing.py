"""Signatures of native webhooks: X-Referrals-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Referrals-Signature"

_MAX_HEADER_LENGTH = 2048


def sign_payload(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header value for `body` sent at `timestamp`: 't=...,v1=...'."""
    return f"t={int(timestamp)},v1={_digest(secret, body, int(timestamp))}"


def verify_signature(secret: str, header: str | None, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """True when one v1 signature matches and the timestamp is within `tolerance` seconds of `now`."""
    parsed = _parse_header(header)
    if parsed is None:
        return False
    timestamp, signatures = parsed
    if abs(now - timestamp) > tolerance:
        return False
    expected = _digest(secret, body, timestamp).encode("ascii")
    matched = False
    for signature in signatures:  # compare with every candidate: no early exit
        matched |= hmac.compare_digest(expected, signature.encode("utf-8", "replace"))
    return matched


def _digest(secret: str, body: bytes, timestamp: int) -> str:
    """Hex HMAC-SHA256 of '<timestamp>.<body>'."""
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def _parse_header(header: str | None) -> tuple[int, list[str]] | None:
    """(timestamp, v1 signatures) from the header, None when malformed."""
    if not header or len(header) > _MAX_HEADER_LENGTH:
        return None
    timestamp, signatures = None, []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    return (timestamp, signatures) if timestamp is not None and signatures else None
