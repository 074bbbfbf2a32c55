"""The dashboard in a real browser (Debian's Chromium) with JavaScript off: sign in, see the campaigns, create
one, pause and activate it; a screenshot of each page under tests/artifacts/dashboard/, axe-core run on each
(with JavaScript, in a second context with the same session) and no serious or critical violation allowed."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from api.app import create_app
from app import campaigns
from db.ids import new_id
from db.models import InboundEvent
from tests.dashboard.conftest import EMAIL, PASSWORD
from tests.docs.test_swagger_offline import chromium
from tests.integration.test_cli import add_failed_job
from tests.support.faults import serving

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "dashboard"
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 375, "height": 812}


def seed(uow) -> None:
    campaigns.create(uow, {"name": "Summer friends", "currency": "EUR", "referee_reward": "€10 off"})
    campaigns.create(uow, {"name": "Winter VIP", "currency": "USD", "active": False})
    for number, status, error in ((1, "processed", None), (2, "rejected", "line_items.0.quantity: not a number")):
        uow.session.add(
            InboundEvent(
                id=new_id("evt"),
                source="shopify",
                external_id=f"webhook-{number}",
                topic="orders/paid",
                body="{}",
                headers={},
                status=status,
                error=error,
            )
        )


@pytest.mark.skipif(chromium() is None, reason="Chromium not found: install Debian's `chromium` (scripts/test does)")
def test_an_operator_signs_in_creates_a_campaign_pauses_and_activates_it(runtime, operator):
    from playwright.sync_api import expect, sync_playwright

    runtime.units.run(seed)
    add_failed_job(runtime)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with serving(create_app(runtime)) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium())
        context = browser.new_context(java_script_enabled=False, viewport=DESKTOP)
        refused = only_this_server(context, url)
        page = context.new_page()
        visited = []

        def shot(name: str) -> None:
            page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
            visited.append(page.url)

        page.goto(f"{url}/campaigns")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        shot("01-login")
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()

        expect(page.get_by_role("heading", name="Campaigns", exact=True)).to_be_visible()
        expect(page.get_by_role("row", name="Winter VIP")).to_contain_text("Paused")
        shot("02-campaigns")

        page.get_by_label("Name").fill("")
        page.get_by_role("button", name="Create campaign").click()
        expect(page.get_by_role("alert")).to_contain_text("The campaign was not created")
        shot("03-new-campaign-errors")

        page.get_by_label("Name").fill("Friends get 10%")
        page.get_by_label("What the friend gets").fill("10% off the first order")
        page.get_by_label("Currency").fill("EUR")
        page.get_by_label("Ends").fill("2027-06-30")
        page.get_by_role("button", name="Create campaign").click()
        expect(page.get_by_role("status")).to_contain_text("Campaign “Friends get 10%” created.")
        expect(page.get_by_role("heading", name="Friends get 10%")).to_be_visible()
        shot("04-campaign-created")

        page.get_by_role("button", name="Pause campaign").click()
        expect(page.get_by_role("status")).to_contain_text("is paused")
        shot("05-campaign-paused")
        page.get_by_role("button", name="Activate campaign").click()
        expect(page.get_by_role("status")).to_contain_text("is active")
        expect(page.get_by_role("button", name="Pause campaign")).to_be_visible()
        shot("06-campaign-active")

        page.get_by_role("link", name="Failed jobs").click()
        expect(page.get_by_role("row", name="complete_reward")).to_contain_text("ValueError: boom")
        shot("07-failed-jobs")
        page.get_by_role("link", name="Inbox").click()
        page.get_by_role("link", name="Rejected").click()
        expect(page.get_by_role("row", name="webhook-2")).to_contain_text("not a number")
        shot("08-inbox-rejected")

        page.set_viewport_size(PHONE)
        for name, address in (("09-phone-campaigns", f"{url}/campaigns"), ("10-phone-campaign", visited[5])):
            page.goto(address)
            shot(name)
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name

        violations = accessibility_violations(browser, context, visited)
        browser.close()
    assert refused == []
    assert violations == []


def only_this_server(context, url: str) -> list[str]:
    """Refuse every request to another host (the dashboard needs no CDN); the refused URLs are returned."""
    here, refused = urlsplit(url).netloc, []

    def route(request_route) -> None:
        if urlsplit(request_route.request.url).netloc != here:
            refused.append(request_route.request.url)
            request_route.abort()
        else:
            request_route.continue_()

    context.route("**/*", route)
    return refused


def accessibility_violations(
    browser, signed_in_context, urls: list[str], documents: dict[str, str] | None = None
) -> list[str]:
    """axe-core's serious and critical violations on each page, read with the same session (GETs only); and on
    each of `documents` (URL → the HTML a POST answered there), loaded at that URL so its styles apply."""
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(storage_state=signed_in_context.storage_state(), viewport=DESKTOP)
    page, axe, found = context.new_page(), Axe(), []
    pages = [(url, None) for url in dict.fromkeys(urls)] + list((documents or {}).items())
    for url, html in pages:
        page.goto(url if html is None else url.rsplit("/", 1)[0])
        if html is not None:
            page.set_content(html)
        for violation in axe.run(page).response["violations"]:
            if violation["impact"] in ("serious", "critical"):
                found.append(f"{url}: {violation['id']} ({violation['impact']}): {violation['help']}")
    context.close()
    return found
