"""Build the MIME message of a rendered notification: text + HTML alternatives, inline QR image."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from notifications.context import QR_CID
from notifications.errors import PermanentSendError
from notifications.render import RenderedMessage, single_line

__all__ = ["InvalidRecipient", "QR_CID", "build_email", "parse_address"]

_MAX_ADDRESS_LENGTH = 254
_MESSAGE_KEY = re.compile(r"[A-Za-z0-9._-]{1,128}\Z")


class InvalidRecipient(PermanentSendError):
    """The recipient address is not one email can be sent to."""


def build_email(
    rendered: RenderedMessage,
    *,
    sender: str,
    recipient: str,
    recipient_name: str | None,
    qr_png: bytes | None,
    message_id_domain: str | None = None,
    message_key: str | None = None,
    unsubscribe_url: str | None = None,
) -> EmailMessage:
    """A multipart/alternative email (text, HTML; HTML related to the inline QR image when given)."""
    from_address = _sender_address(sender)
    message = EmailMessage()
    message["From"] = from_address
    message["To"] = _recipient_address(recipient, recipient_name)
    message["Subject"] = single_line(rendered.subject)
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    message["Message-ID"] = _message_id(message_key, message_id_domain or from_address.domain)
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{single_line(unsubscribe_url)}>"
    _add_bodies(message, rendered, qr_png)
    return message


def parse_address(address: str, name: str | None = None) -> Address:
    """A validated Address; raise ValueError when `address` is not a deliverable addr-spec."""
    try:
        parsed = Address(display_name=display_name(name), addr_spec=address.strip())
    except (ValueError, TypeError, IndexError, MessageError) as exc:
        raise ValueError(f"invalid email address {address!r}") from exc
    _check_address(parsed, address)
    return Address(display_name=parsed.display_name, username=parsed.username, domain=_ascii_domain(parsed.domain))


def display_name(name: str | None) -> str:
    """A display name on one line: control characters (CR, LF, ...) become spaces."""
    return single_line(name or "")


def _check_address(parsed: Address, original: str) -> None:
    """Refuse addresses without a local part or domain, too long, or with a non-ASCII local part."""
    if not parsed.username or not parsed.domain or len(parsed.addr_spec) > _MAX_ADDRESS_LENGTH:
        raise ValueError(f"invalid email address {original!r}")
    if not parsed.username.isascii():
        raise ValueError(f"non-ASCII local part in {original!r} needs SMTPUTF8, which is not supported")


def _ascii_domain(domain: str) -> str:
    """The domain in ASCII (IDNA) form, so the message needs no SMTPUTF8."""
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"invalid domain {domain!r}") from exc


def _recipient_address(recipient: str, name: str | None) -> Address:
    """The To address, or InvalidRecipient."""
    try:
        return parse_address(recipient, name)
    except ValueError as exc:
        raise InvalidRecipient(str(exc)) from exc


def _sender_address(sender: str) -> Address:
    """The From address parsed from 'Name <addr>' or a bare address (configuration: ValueError)."""
    name, address = parseaddr(sender)
    return parse_address(address or sender, name)


def _message_id(message_key: str | None, domain: str) -> str:
    """A random Message-ID, or a stable one built from `message_key` (retries then share it)."""
    if message_key is None:
        return make_msgid(domain=domain)
    if not _MESSAGE_KEY.match(message_key):
        raise ValueError(f"message_key must match {_MESSAGE_KEY.pattern}: {message_key!r}")
    return f"<{message_key}@{domain}>"


def _add_bodies(message: EmailMessage, rendered: RenderedMessage, qr_png: bytes | None) -> None:
    """Text first, then HTML; the QR image rides inline next to the HTML."""
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    if qr_png:
        html_part = message.get_payload()[-1]
        html_part.add_related(
            qr_png, maintype="image", subtype="png", cid=f"<{QR_CID}>",
            filename="referral-qr.png", disposition="inline",
        )
