"""Email normalisation for matching customers (and catching self-referrals through aliases)."""

from __future__ import annotations

__all__ = ["GMAIL_DOMAINS", "normalize_email"]

GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def normalize_email(email: str | None) -> str | None:
    """The matching form of an address: lower case, no ``+tag``, no dots in a Gmail local part.

    ``googlemail.com`` becomes ``gmail.com``. Returns None for None, empty or invalid addresses
    (no ``@``, nothing before or after it, or whitespace inside).
    """
    if not email:
        return None
    local, at, domain = email.strip().lower().rpartition("@")
    domain = domain.rstrip(".")
    if not at or not local or not domain or any(char.isspace() for char in local + domain):
        return None
    if domain == "googlemail.com":
        domain = "gmail.com"
    local = _without_tag(local)
    if domain in GMAIL_DOMAINS:
        local = local.replace(".", "") or local
    return f"{local}@{domain}"


def _without_tag(local: str) -> str:
    """The local part without its ``+tag`` (kept whole when nothing precedes the ``+``)."""
    return local.split("+", 1)[0] or local
