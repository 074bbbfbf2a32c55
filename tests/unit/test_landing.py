"""Where a share link sends a visitor: {code} replaced, else ref=<CODE> appended; None for the built-in page."""

from domain.landing import share_target


def test_the_code_is_appended_as_ref_keeping_the_query_and_fragment():
    assert share_target("https://shop.example/?utm=x#top", "REF-1") == "https://shop.example/?utm=x&ref=REF-1#top"
    assert share_target("https://shop.example/friends", "REF-1") == "https://shop.example/friends?ref=REF-1"


def test_the_code_replaces_the_placeholder_escaped():
    assert share_target("https://shop.example/c/{code}", "A B/1") == "https://shop.example/c/A%20B%2F1"


def test_no_landing_url_means_the_built_in_page():
    assert share_target(None, "REF-1") is None and share_target("", "REF-1") is None
