"""Building MIME messages: parts, the inline QR image, and headers no name or address can break."""

from __future__ import annotations

import email
import email.policy

import pytest
from aiosmtplib.email import extract_recipients, flatten_message
from hypothesis import given, settings
from hypothesis import strategies as st

from notifications.email import QR_CID, InvalidRecipient, build_email
from notifications.errors import PermanentSendError
from notifications.render import RenderedMessage, Renderer, sample_context, single_line

SENDER = "Example Shop <referrals@shop.example.com>"
RENDERED = RenderedMessage(subject="Your code", text="Hi Ann,\nyour code is REF-1.", html="<p>Hi Ann</p>")


def round_trip(message) -> email.message.EmailMessage:
    """The message as a receiving mail server parses it."""
    return email.message_from_bytes(message.as_bytes(policy=email.policy.SMTP), policy=email.policy.default)


def header_lines(message) -> list[bytes]:
    """The header section as sent over SMTP, one line (without its CRLF) per item."""
    head, _, _ = flatten_message(message).partition(b"\r\n\r\n")
    return head.split(b"\r\n")


def content(part) -> str:
    """A part's text with its line endings back to LF."""
    return part.get_content().replace("\r\n", "\n").strip()


def build(**overrides):
    options = {"sender": SENDER, "recipient": "ann@example.com", "recipient_name": "Ann Lee", "qr_png": None}
    return build_email(RENDERED, **{**options, **overrides})


def test_the_email_carries_text_and_html_as_alternatives():
    parsed = round_trip(build())

    assert parsed.get_content_type() == "multipart/alternative"
    assert content(parsed.get_body(("plain",))) == RENDERED.text
    assert content(parsed.get_body(("html",))) == RENDERED.html
    assert parsed["Subject"] == "Your code"
    assert str(parsed["From"]) == SENDER


def test_the_qr_image_is_attached_inline_next_to_the_html_that_references_it(qr_png):
    rendered = Renderer().render("code_published", sample_context("code_published"))

    parsed = round_trip(
        build_email(rendered, sender=SENDER, recipient="ann@example.com", recipient_name="Ann", qr_png=qr_png)
    )

    related = parsed.get_payload()[1]
    html, image = related.get_payload()
    assert related.get_content_type() == "multipart/related"
    assert related.get_param("type") == "text/html"
    assert f'src="cid:{QR_CID}"' in html.get_content()
    assert image["Content-ID"] == f"<{QR_CID}>"
    assert image.get_content_disposition() == "inline"
    assert image.get_content() == qr_png


def test_a_name_with_a_line_break_cannot_add_a_bcc_header():
    parsed = round_trip(build(recipient_name="Eve\r\nBcc: x@evil.example"))

    assert parsed["Bcc"] is None
    assert [a.addr_spec for a in parsed["To"].addresses] == ["ann@example.com"]
    assert parsed["To"].addresses[0].display_name == "Eve Bcc: x@evil.example"


@pytest.mark.parametrize(
    "name",
    [
        'Ann "The Boss" Lee',
        "Lee, Ann <ann@evil.example>",
        "Jörg Müller",
        "李小龙",
        "",
        "=?utf-8?q?Admin?=",
        'Lee, Ann "the boss" (of everything) \\ with a name long enough to need folding',
        "x" * 120,
    ],
)
def test_names_with_quotes_commas_brackets_or_non_ascii_survive_the_round_trip(name):
    parsed = round_trip(build(recipient_name=name))

    (address,) = parsed["To"].addresses
    assert (address.display_name, address.addr_spec) == (name, "ann@example.com")


@given(st.text(max_size=80))
def test_no_display_name_can_add_a_header_or_a_recipient(name):
    parsed = round_trip(build(recipient_name=name))

    assert set(parsed.keys()) == {"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"}
    assert [a.addr_spec for a in parsed["To"].addresses] == ["ann@example.com"]


@pytest.mark.parametrize(
    "recipient",
    [
        "",
        "ann",
        "ann@",
        "@example.com",
        "ann@example.com\r\nBcc: x@evil.example",
        "ann@example.com, bob@example.com",
        "Ann <ann@example.com>",
        "jörg@example.com",
        "a" * 250 + "@example.com",
    ],
)
def test_an_invalid_recipient_is_a_permanent_error(recipient):
    with pytest.raises(InvalidRecipient):
        build(recipient=recipient)

    assert issubclass(InvalidRecipient, PermanentSendError)


def test_an_international_domain_is_written_in_its_ascii_form():
    parsed = round_trip(build(recipient="jan@bücher.de"))

    assert parsed["To"].addresses[0].addr_spec == "jan@xn--bcher-kva.de"


def test_an_unusable_sender_is_a_configuration_error():
    with pytest.raises(ValueError):
        build(sender="Example Shop")


def test_the_message_id_is_unique_and_uses_the_sender_domain_by_default():
    first, second = build(), build()

    assert first["Message-ID"] != second["Message-ID"]
    assert first["Message-ID"].endswith("@shop.example.com>")
    assert build(message_id_domain="mail.example.org")["Message-ID"].endswith("@mail.example.org>")


def test_a_message_key_gives_every_attempt_the_same_message_id():
    first, retry = build(message_key="dist_42"), build(message_key="dist_42")

    assert first["Message-ID"] == retry["Message-ID"] == "<dist_42@shop.example.com>"
    with pytest.raises(ValueError):
        build(message_key="dist 42\r\nBcc: x")


def test_the_unsubscribe_link_is_offered_in_a_list_unsubscribe_header():
    parsed = round_trip(build(unsubscribe_url="https://referrals.example.com/u/tok"))

    assert parsed["List-Unsubscribe"] == "<https://referrals.example.com/u/tok>"


def test_a_subject_with_line_breaks_stays_one_header():
    rendered = RenderedMessage(subject="Hi\r\nBcc: x@evil.example", text="t", html="<p>h</p>")

    parsed = round_trip(
        build_email(rendered, sender=SENDER, recipient="ann@example.com", recipient_name=None, qr_png=None)
    )

    assert parsed["Bcc"] is None
    assert parsed["Subject"] == "Hi Bcc: x@evil.example"


@pytest.mark.parametrize("name", ["Ann Lee", "Lee, Ann <ann@evil.example>", "Jörg Müller", "李小龙" * 30])
def test_the_smtp_envelope_goes_to_the_recipient_alone_whatever_the_name(name):
    message = build(recipient_name=name)

    assert extract_recipients(message) == ["ann@example.com"]


@pytest.mark.parametrize(
    "subject",
    [
        "Dein Empfehlungscode für Example Shop: REF-4821-KQZP",
        "A long subject about the referral code you just got from the shop, and über much more besides",
        "你的推荐码" * 20,
        "=?utf-8?b?SGk=?= is not an encoded word here",
    ],
)
def test_subjects_fold_to_78_columns_and_read_back_exactly(subject):
    message = build_email(
        RenderedMessage(subject=subject, text="t", html="<p>h</p>"),
        sender=SENDER,
        recipient="ann@example.com",
        recipient_name="Jörg Müller " * 6,
        qr_png=None,
    )

    assert all(len(line) <= 78 for line in header_lines(message))
    assert round_trip(message)["Subject"] == subject


def test_a_long_unsubscribe_link_is_sent_as_a_link_not_as_encoded_words():
    url = "https://referrals.example.com/unsubscribe/cust_01m8fz65gnkxmzansds6fqp3t2.926a6da3663b9ad357fffd249a357b89"

    message = build(unsubscribe_url=url)

    assert f"List-Unsubscribe: <{url}>".encode() in header_lines(message)
    assert round_trip(message)["List-Unsubscribe"] == f"<{url}>"


def test_spaces_non_ascii_and_angle_brackets_in_the_unsubscribe_link_are_percent_encoded():
    parsed = round_trip(build(unsubscribe_url="https://x.example/u/tök en>, <mailto:evil@example.com"))

    assert parsed["List-Unsubscribe"] == "<https://x.example/u/t%C3%B6k%20en%3E,%20%3Cmailto:evil@example.com>"


@settings(deadline=None)  # a parser round trip: slow examples on a loaded machine are not failures
@given(subject=st.text(max_size=120), url=st.text(max_size=80))
def test_no_subject_or_unsubscribe_link_can_add_a_header(subject, url):
    rendered = RenderedMessage(subject=subject, text="t", html="<p>h</p>")

    parsed = round_trip(
        build_email(
            rendered, sender=SENDER, recipient="ann@example.com", recipient_name=None, qr_png=None, unsubscribe_url=url
        )
    )

    expected = {"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"}
    assert set(parsed.keys()) == expected | ({"List-Unsubscribe"} if url else set())
    assert parsed["Subject"] == single_line(subject)


@settings(deadline=None)
@given(text=st.text(max_size=300))
def test_any_body_text_reads_back_exactly_with_lf_line_ends(text):
    rendered = RenderedMessage(subject="s", text=text, html=text)

    parsed = round_trip(
        build_email(rendered, sender=SENDER, recipient="ann@example.com", recipient_name=None, qr_png=None)
    )

    expected = "".join(line.decode() + "\n" for line in text.encode().splitlines()) or "\n"
    for subtype in ("plain", "html"):
        assert parsed.get_body((subtype,)).get_content().replace("\r\n", "\n") == expected


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Hi Ann,\nFrom here on, your code is:\n.\nREF-1", "7bit"),
        ("Hallo Jörg,\ndein Code für heute.", "quoted-printable"),
        ("x" * 200, "quoted-printable"),
        ("你的推荐码是 REF-1。" * 40, "base64"),
    ],
)
def test_a_text_part_is_7bit_when_it_can_be_else_the_shorter_of_quoted_printable_and_base64(text, encoding):
    message = build_email(
        RenderedMessage(subject="s", text=text, html="<p>h</p>"),
        sender=SENDER,
        recipient="ann@example.com",
        recipient_name=None,
        qr_png=None,
    )

    raw = flatten_message(message)
    plain = round_trip(message).get_body(("plain",))
    assert plain["Content-Transfer-Encoding"] == encoding
    assert content(plain) == text
    assert max(len(line) for line in raw.splitlines()) <= 78 and raw.isascii()
