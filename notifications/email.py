"""Build the MIME message of a rendered notification: text + HTML alternatives, inline QR image.

Headers and bodies are encoded here rather than through EmailMessage's header registry and content
manager, which re-parse every header and cost milliseconds per email. Each header value must be
printable ASCII on one line (non-ASCII text becomes RFC 2047 encoded words), so no name, subject or
URL can start a header of its own.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import uuid
from datetime import UTC, datetime
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import quote

from notifications.context import QR_CID
from notifications.errors import PermanentSendError
from notifications.render import RenderedMessage, single_line

__all__ = ["InvalidRecipient", "QR_CID", "build_email", "parse_address"]

_MAX_ADDRESS_LENGTH = 254
_MESSAGE_KEY = re.compile(r"[A-Za-z0-9._-]{1,128}\Z")
_MAX_BODY_LINE = 78  # a longer line (or any character _NOT_7BIT_TEXT finds) makes a text part encoded
_MAX_PLAIN_WORD = 400  # even quoted and escaped, such a word fits SMTP's 998-character lines
_ENCODED_WORD_BYTES = 42  # 56 base64 characters: 'Subject: =?utf-8?b?...?=' fits in 78 columns
_PRINTABLE_ASCII = re.compile(r"[ -~]*\Z")
_PHRASE_SPECIALS = re.compile(r'[][\\()<>@,:;".]')
_QUOTED_PAIR = re.compile(r'[\\"]')
_UNSAFE_IN_URI = re.compile(r"[^!-~]|[<>]")
_NOT_7BIT_TEXT = re.compile(rb"[^\t\n -~]")  # sent as it is: printable ASCII, tabs and line ends only


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
    headers = {
        "From": _address_value(from_address),
        "To": _address_value(_recipient_address(recipient, recipient_name)),
        "Subject": _text_value(single_line(rendered.subject)),
        "Date": format_datetime(datetime.now(UTC)),
        "Message-ID": _message_id(message_key, message_id_domain or from_address.domain),
    }
    if unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{_uri(unsubscribe_url)}>"
    headers["MIME-Version"] = "1.0"
    bodies = [_text_part("plain", rendered.text), _html_part(rendered.html, qr_png)]
    return _multipart("alternative", bodies, headers=headers)


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
    """The To address, or InvalidRecipient (also for a quoted local part no header can carry)."""
    try:
        address = parse_address(recipient, name)
        _check_header_value("To", address.addr_spec)
    except ValueError as exc:
        raise InvalidRecipient(str(exc)) from exc
    return address


@functools.lru_cache(maxsize=16)
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


# Header values: printable ASCII, non-ASCII text as RFC 2047 encoded words.


def _address_value(address: Address) -> str:
    """'Name <local@domain>' with the name as it is, quoted or encoded; the bare address without one."""
    name = address.display_name
    if not name:
        return address.addr_spec
    phrase = _phrase(name) if _is_plain_header_text(name) else " ".join(_encoded_words(name))
    return f"{phrase} <{address.addr_spec}>"


def _text_value(text: str) -> str:
    """Unstructured text (a subject) as it is when plain ASCII, otherwise as encoded words."""
    return text if _is_plain_header_text(text) else " ".join(_encoded_words(text))


def _is_plain_header_text(text: str) -> bool:
    """ASCII, no word too long for a line, and nothing a reader would decode as an encoded word."""
    return text.isascii() and "=?" not in text and all(len(word) <= _MAX_PLAIN_WORD for word in text.split(" "))


def _phrase(name: str) -> str:
    """An ASCII display name, in a quoted string when it holds specials (',', '<', '"', ...)."""
    if not _PHRASE_SPECIALS.search(name):
        return name
    return '"' + _QUOTED_PAIR.sub(r"\\\g<0>", name) + '"'


def _encoded_words(text: str) -> list[str]:
    """`text` as RFC 2047 encoded words (UTF-8, base64); no character is split between two words."""
    chunks, chunk, size = [], [], 0
    for char in text:
        width = len(char.encode("utf-8"))
        if chunk and size + width > _ENCODED_WORD_BYTES:
            chunks.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(char)
        size += width
    chunks.append("".join(chunk))
    return [f"=?utf-8?b?{base64.b64encode(part.encode('utf-8')).decode('ascii')}?=" for part in chunks]


def _uri(url: str) -> str:
    """`url` on one line, with spaces, non-ASCII characters and angle brackets percent-encoded."""
    return _UNSAFE_IN_URI.sub(lambda match: quote(match.group()), single_line(url))


def _check_header_value(name: str, value: str) -> None:
    """Refuse a header value with control characters (CR, LF, ...) or anything outside ASCII."""
    if not _PRINTABLE_ASCII.match(value):
        raise ValueError(f"{name} header must be printable ASCII on one line: {value!r}")


class _EncodedHeader(str):
    """A header value encoded here; str() is the value as sent, unfolded.

    It has the `name` and `fold()` of the email package's header objects, so EmailPolicy stores,
    returns and writes it as it is instead of re-parsing it through the header registry.
    """

    name: str

    def __new__(cls, name: str, value: str) -> _EncodedHeader:
        _check_header_value(name, value)
        header = super().__new__(cls, value)
        header.name = name
        return header

    def fold(self, *, policy: Policy) -> str:
        """'Name: value' folded at spaces to the policy's line length, ended by its line separator."""
        lines = _folded_lines(self.name, self, policy.max_line_length or 0)
        return policy.linesep.join(lines) + policy.linesep


def _folded_lines(name: str, value: str, width: int) -> list[str]:
    """'Name: value' broken at spaces into lines of at most `width` characters where words allow;
    the first word stays on the name's line, continuation lines start with their space."""
    if not width or len(name) + 2 + len(value) <= width:
        return [f"{name}: {value}"]
    first, *words = value.split(" ")
    lines = [f"{name}: {first}"]
    for word in words:
        if not word or len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(" " + word)
    return lines


# MIME parts.


def _html_part(html: str, qr_png: bytes | None) -> EmailMessage:
    """The HTML body, related to the inline QR image when there is one."""
    if not qr_png:
        return _text_part("html", html)
    return _multipart("related", [_text_part("html", html), _qr_image_part(qr_png)], parameters='; type="text/html"')


def _text_part(subtype: str, text: str) -> EmailMessage:
    """A UTF-8 text part: 7bit when it can be, otherwise quoted-printable (or base64 when shorter)."""
    encoding, body = _encoded_text(text)
    headers = {"Content-Type": f'text/{subtype}; charset="utf-8"', "Content-Transfer-Encoding": encoding}
    return _part(headers, body)


def _qr_image_part(png: bytes) -> EmailMessage:
    """The QR code image, shown inline where the HTML refers to cid:QR_CID."""
    headers = {
        "Content-Type": "image/png",
        "Content-Transfer-Encoding": "base64",
        "Content-Disposition": 'inline; filename="referral-qr.png"',
        "Content-ID": f"<{QR_CID}>",
    }
    return _part(headers, base64.encodebytes(png).decode("ascii"))


def _multipart(
    subtype: str, parts: list[EmailMessage], *, headers: dict[str, str] | None = None, parameters: str = ""
) -> EmailMessage:
    """A multipart of `parts` under a random boundary (quoted-printable and base64 never contain '=_')."""
    content_type = f'multipart/{subtype}; boundary="=_{uuid.uuid4().hex}"{parameters}'
    return _part({**(headers or {}), "Content-Type": content_type}, parts)


def _part(headers: dict[str, str], payload: str | list[EmailMessage]) -> EmailMessage:
    """A message (part) of checked header values and an encoded payload.

    set_raw stores a header as the parser does; `part[name] = value` would also build a header class
    in the registry on every call, only to count duplicates.
    """
    part = EmailMessage()
    for name, value in headers.items():
        part.set_raw(name, _EncodedHeader(name, value))
    part.set_payload(payload)
    return part


def _encoded_text(text: str) -> tuple[str, str]:
    """('7bit' | 'quoted-printable' | 'base64', body) for `text` with LF line ends."""
    lines = text.encode("utf-8").splitlines()
    body = b"\n".join(lines) + b"\n"
    if not _NOT_7BIT_TEXT.search(body) and max(map(len, lines), default=0) <= _MAX_BODY_LINE:
        return "7bit", body.decode("ascii")
    quoted = binascii.b2a_qp(body)
    if len(quoted) <= _base64_length(len(body)):
        return "quoted-printable", quoted.decode("ascii")
    return "base64", base64.encodebytes(body).decode("ascii")


def _base64_length(size: int) -> int:
    """How long `size` bytes are in base64 with 76-character lines (as base64.encodebytes writes them)."""
    return 4 * -(-size // 3) + -(-size // 57)
