"""/docs renders Swagger UI in a real browser (Debian's Chromium) with every request to another host refused."""

from __future__ import annotations

import shutil
from urllib.parse import urlsplit

import pytest

from api.app import create_app
from tests.support.faults import serving


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(chromium() is None, reason="Chromium not found: install Debian's `chromium` (scripts/test does)")
def test_the_docs_render_with_no_request_leaving_the_machine(runtime):
    from playwright.sync_api import sync_playwright

    with serving(create_app(runtime)) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium())
        context = browser.new_context()
        here, refused, served = urlsplit(url).netloc, [], []

        def only_this_server(route) -> None:
            address = urlsplit(route.request.url)
            if address.scheme in ("http", "https", "ws", "wss") and address.netloc != here:
                refused.append(route.request.url)
                route.abort()
            else:
                served.append(route.request.url)
                route.continue_()

        context.route("**/*", only_this_server)
        page = context.new_page()
        page.goto(f"{url}/docs")
        page.locator(".opblock-summary-path", has_text="/api/v1/campaigns").first.wait_for(
            state="visible", timeout=30_000
        )
        assert page.locator(".opblock").count() > 20
        assert page.get_by_text("Referral Pipeline").first.is_visible()
        browser.close()
    assert refused == []
    assert f"{url}/openapi.json" in served and any(path.endswith("/swagger-ui-bundle.js") for path in served)
