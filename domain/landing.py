"""Where a share link `/r/{code}` sends a visitor (SPEC §5.1): the campaign's landing URL with the code put in
place of `{code}`, or appended as `ref=<CODE>`; no landing URL means the built-in landing page."""

from __future__ import annotations

from urllib.parse import quote, urlencode, urlsplit, urlunsplit

CODE_PLACEHOLDER = "{code}"


def share_target(landing_url: str | None, code: str) -> str | None:
    """The URL a visitor of `code`'s share link is sent to, or None for the built-in landing page."""
    if not landing_url:
        return None
    if CODE_PLACEHOLDER in landing_url:
        return landing_url.replace(CODE_PLACEHOLDER, quote(code, safe=""))
    parts = urlsplit(landing_url)
    query = "&".join(part for part in (parts.query, urlencode({"ref": code})) if part)
    return urlunsplit(parts._replace(query=query))
