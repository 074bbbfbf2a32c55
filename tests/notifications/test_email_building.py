"""Building MIME messages: parts, the inline QR image, and headers no name or address can break."""

from __future__ import annotations

import email
import email.policy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifications.email import QR_CID, InvalidRecipient, build_email
from notifications.errors import PermanentSendError
from notifications.render import RenderedMessage, Renderer, sample_context

SENDER = "Example Shop <referrals@shop.example.com>"
RENDERED = RenderedMessage(subject="Your code", text="Hi Ann,\nyour code is REF-1.", html="<p>Hi Ann</p>")


def round_trip(message) -> email.message.EmailMessage:
    """The message as a receiving mail server parses it."""
    return email.message_from_bytes(message.as_bytes(policy=email.policy.SMTP), policy=email.policy.default)


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

    parsed = round_trip(build_email(rendered, sender=SENDER, recipient="ann@example.com",
                                    recipient_name="Ann", qr_png=qr_png))

    related = parsed.get_payload()[1]
    html, image = related.get_payload()
    assert related.get_content_type() == "multipart/related"
    assert f'src="cid:{QR_CID}"' in html.get_content()
    assert image["Content-ID"] == f"<{QR_CID}>"
    assert image.get_content_disposition() == "inline"
    assert image.get_content() == qr_png


def test_a_name_with_a_line_break_cannot_add_a_bcc_header():
    parsed = round_trip(build(recipient_name="Eve\r\nBcc: x@evil.example"))

    assert parsed["Bcc"] is None
    assert [a.addr_spec for a in parsed["To"].addresses] == ["ann@example.com"]
    assert parsed["To"].addresses[0].display_name == "Eve Bcc: x@evil.example"


@pytest.mark.parametrize("name", ['Ann "The Boss" Lee', "Lee, Ann <ann@evil.example>", "Jörg Müller", "李小龙", ""])
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
    ["", "ann", "ann@", "@example.com", "ann@example.com\r\nBcc: x@evil.example", "ann@example.com, bob@example.com",
     "Ann <ann@example.com>", "jörg@example.com", "a" * 250 + "@example.com"],
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

    parsed = round_trip(build_email(rendered, sender=SENDER, recipient="ann@example.com",
                                    recipient_name=None, qr_png=None))

    assert parsed["Bcc"] is None
    assert parsed["Subject"] == "Hi Bcc: x@evil.example"
