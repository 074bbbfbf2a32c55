"""The pipeline pages in Chromium: each tab, the redemption page, a failed job and an inbox event render with
JavaScript off, fit a 375 px screen, and axe-core finds no serious or critical violation on them."""

from __future__ import annotations

import pytest

from api.app import create_app
from db.models import FailedJob, InboundEvent, Redemption, Reward
from tests.api.test_operations import failed_event
from tests.dashboard.conftest import EMAIL, PASSWORD
from tests.dashboard.test_browser import ARTIFACTS, DESKTOP, PHONE, accessibility_violations, only_this_server
from tests.dashboard.test_history_pages import failed_distribution, program  # noqa: F401 (a fixture)
from tests.docs.test_swagger_offline import chromium
from tests.support.counts import all_rows
from tests.support.faults import serving

# the page scrolls sideways, or a table's box does (its cells would be cut off on a phone); the overview's chart is
# the one box meant to scroll sideways on a phone (a keyboard-scrollable region; its numbers are also a table)
WIDER_THAN_THE_SCREEN = """width => document.documentElement.scrollWidth > width ||
    [...document.querySelectorAll('.overflow-auto:not(.chart-scroll)')]
        .some(box => box.scrollWidth > box.clientWidth + 1)"""


@pytest.mark.skipif(chromium() is None, reason="Chromium not found: install Debian's `chromium` (scripts/test does)")
def test_the_pipeline_pages_are_accessible_and_fit_a_phone(runtime, operator, client, program):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    reward = all_rows(runtime, Reward)[0]
    failed_distribution(runtime, program["id"], reward.customer_id, "ann@example.com")
    failed_event(client, runtime)
    redemption = next(row for row in all_rows(runtime, Redemption) if row.status == "succeeded")
    job = all_rows(runtime, FailedJob)[0]
    event = all_rows(runtime, InboundEvent)[0]
    base = f"/campaigns/{program['id']}"
    paths = [
        f"{base}/redemptions",
        f"/redemptions/{redemption.id}",
        f"{base}/rewards",
        f"{base}/distributions",
        f"{base}/activity",
        "/jobs/failed",
        f"/jobs/failed/{job.id}",
        "/events",
        f"/events/{event.id}",
    ]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with serving(create_app(runtime)) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium())
        context = browser.new_context(java_script_enabled=False, viewport=DESKTOP)
        refused = only_this_server(context, url)
        page = context.new_page()
        page.goto(f"{url}/login")
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Campaigns", exact=True)).to_be_visible()
        too_wide = []
        for number, path in enumerate(paths, start=1):
            for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                page.set_viewport_size(viewport)
                page.goto(url + path)
                page.screenshot(path=ARTIFACTS / f"pipeline-{number:02}-{size}.png", full_page=True)
                if page.evaluate(WIDER_THAN_THE_SCREEN, viewport["width"]):
                    too_wide.append(f"{path} ({size})")
        page.set_viewport_size(DESKTOP)
        page.goto(f"{url}{base}/rewards")
        page.get_by_role("button", name="Complete reward").click()
        expect(page.get_by_role("status")).to_contain_text("is completed")
        violations = accessibility_violations(browser, context, [url + path for path in paths])
        browser.close()
    assert refused == []
    assert violations == [], violations
    assert too_wide == [], too_wide
