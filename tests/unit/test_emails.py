import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.emails import normalize_email


def test_lower_cases_and_strips():
    assert normalize_email("  A@Example.com ") == "a@example.com"


def test_removes_a_plus_tag():
    assert normalize_email("ann+shop@example.com") == "ann@example.com"


def test_keeps_dots_outside_gmail():
    assert normalize_email("ann.lee@example.com") == "ann.lee@example.com"


def test_removes_dots_and_tag_for_gmail():
    assert normalize_email("a.b+x@gmail.com") == normalize_email("ab@gmail.com") == "ab@gmail.com"


def test_googlemail_is_gmail():
    assert normalize_email("A.B@GoogleMail.com") == "ab@gmail.com"


def test_ignores_a_trailing_dot_in_the_domain():
    assert normalize_email("ann@example.com.") == "ann@example.com"


def test_keeps_a_local_part_that_is_only_a_tag():
    assert normalize_email("+shop@example.com") == "+shop@example.com"


@pytest.mark.parametrize(
    "email", [None, "", "   ", "ann", "@example.com", "ann@", "an n@example.com", "ann@exa mple.com"]
)
def test_returns_none_for_missing_or_invalid_addresses(email):
    assert normalize_email(email) is None


emails = st.builds(
    "{}@{}".format,
    st.text(alphabet="abAB.+-_1", min_size=1, max_size=12),
    st.sampled_from(["gmail.com", "GoogleMail.com", "example.com", "Example.org."]),
)


@given(emails)
def test_normalising_twice_changes_nothing(email):
    once = normalize_email(email)
    assert normalize_email(once) == once


@given(st.text(max_size=30))
def test_any_text_normalises_idempotently(text):
    once = normalize_email(text)
    assert once is None or normalize_email(once) == once


@given(st.text(alphabet="abc", min_size=1, max_size=6), st.text(alphabet="xyz", max_size=4))
def test_a_gmail_alias_matches_its_owner(name, tag):
    dotted = ".".join(name) + (f"+{tag}" if tag else "")
    assert normalize_email(f"{dotted}@googlemail.com") == normalize_email(f"{name}@gmail.com")
