"""sign_payload and verify_signature: the X-Referrals-Signature scheme."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from notifications.signing import sign_payload, verify_signature

SECRET = "whsec_test"
BODY = b'{"id":"evt_0001","type":"order.paid"}'
NOW = 1_790_000_000


def test_the_signature_is_a_timestamp_and_the_hex_hmac_of_timestamp_dot_body():
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()

    assert sign_payload(SECRET, BODY, NOW) == f"t={NOW},v1={expected}"


def test_a_fresh_signature_verifies():
    assert verify_signature(SECRET, sign_payload(SECRET, BODY, NOW), BODY, now=NOW + 299)


def test_a_tampered_body_does_not_verify():
    assert not verify_signature(SECRET, sign_payload(SECRET, BODY, NOW), BODY + b" ", now=NOW)


def test_another_secret_does_not_verify():
    assert not verify_signature("other", sign_payload(SECRET, BODY, NOW), BODY, now=NOW)


def test_a_signature_older_than_the_tolerance_does_not_verify():
    header = sign_payload(SECRET, BODY, NOW)

    assert not verify_signature(SECRET, header, BODY, now=NOW + 301)
    assert verify_signature(SECRET, header, BODY, now=NOW + 301, tolerance=600)


def test_a_signature_from_the_far_future_does_not_verify():
    assert not verify_signature(SECRET, sign_payload(SECRET, BODY, NOW + 3600), BODY, now=NOW)


def test_a_replayed_signature_with_a_new_timestamp_does_not_verify():
    signature = sign_payload(SECRET, BODY, NOW).split(",")[1]

    assert not verify_signature(SECRET, f"t={NOW + 60},{signature}", BODY, now=NOW + 60)


def test_any_of_several_v1_signatures_may_match_during_secret_rotation():
    old = sign_payload("old-secret", BODY, NOW).split(",")[1]
    header = f"{sign_payload(SECRET, BODY, NOW)},{old}"

    assert verify_signature(SECRET, header, BODY, now=NOW)
    assert verify_signature("old-secret", header, BODY, now=NOW)


def test_malformed_headers_do_not_verify():
    for header in (
        None,
        "",
        "t=,v1=",
        f"v1={'0' * 64}",
        f"t={NOW}",
        f"t=abc,v1={'0' * 64}",
        f"t={NOW},v1=é",
        "garbage",
        "t=١٢٣,v1=00",
        "x" * 5000,
    ):
        assert not verify_signature(SECRET, header, BODY, now=NOW)


@given(secret=st.text(min_size=1), body=st.binary(), timestamp=st.integers(0, 2**40), skew=st.integers(-300, 300))
def test_whatever_is_signed_verifies_within_the_tolerance(secret, body, timestamp, skew):
    assert verify_signature(secret, sign_payload(secret, body, timestamp), body, now=timestamp + skew)
