"""The whole dashboard in a real browser (Debian's Chromium, JavaScript off), as an operator uses it: sign in, open
every tab of a campaign through its tab bar and every detail page, then do the issue's actions — pause and
activate, invite a referrer, import a CSV and read its report, roll back a reward, retry a failed job. Every page
gets a screenshot at desktop and phone width under tests/artifacts/dashboard/walk-*.png, must fit 375 px, and
axe-core must find no serious or critical violation on it."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from api.app import create_app
from db.models import Customer, FailedJob, InboundEvent, Redemption
from tests.api.test_operations import failed_event
from tests.dashboard.conftest import EMAIL, PASSWORD
from tests.dashboard.test_browser import ARTIFACTS, DESKTOP, PHONE, accessibility_violations, only_this_server
from tests.dashboard.test_history_pages import program  # noqa: F401 (a fixture)
from tests.dashboard.test_pipeline_pages_browser import WIDER_THAN_THE_SCREEN
from tests.docs.test_swagger_offline import chromium
from tests.support.counts import all_rows
from tests.support.faults import serving

TABS = ("Overview", "Settings", "Codes", "Rules", "Redemptions", "Referrers", "Referees", "Distributions", "Landing")
MORE_TABS = ("Metadata", "Rewards", "Activity")
IMPORT = "code,active\nWALK-0001,true\nWALK-0002,false\n,true\n"


@pytest.fixture
def walker(runtime, operator, client, program):  # noqa: F811
    """The program of the history pages, a failed job and an accepted event; the pages' ids by name."""
    failed_event(client, runtime)
    redemption = next(row for row in all_rows(runtime, Redemption) if row.status == "succeeded")
    referee = next(row for row in all_rows(runtime, Customer) if row.email == "ben@example.com")
    return {
        "campaign": program["id"],
        "code": program["code"],
        "redemption": redemption.id,
        "customer": referee.id,
        "job": all_rows(runtime, FailedJob)[0].id,
        "event": all_rows(runtime, InboundEvent)[0].id,
    }


@pytest.mark.skipif(chromium() is None, reason="Chromium not found: install Debian's `chromium` (scripts/test does)")
def test_an_operator_walks_every_page_and_does_the_daily_actions(runtime, walker, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    csv_file = tmp_path / "codes.csv"
    csv_file.write_text(IMPORT)
    with serving(create_app(runtime)) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium())
        context = browser.new_context(java_script_enabled=False, viewport=DESKTOP)
        refused = only_this_server(context, url)
        page = context.new_page()
        seen: list[str] = []
        answered: dict[str, str] = {}  # pages a POST answered (a GET there is not the same page)
        too_wide: list[str] = []

        def shot(name: str) -> None:
            """Screenshots at desktop and phone width; the page must not scroll sideways on the phone."""
            seen.append(page.url)
            page.screenshot(path=ARTIFACTS / f"walk-{len(seen):02}-{name}.png", full_page=True)
            page.set_viewport_size(PHONE)
            page.screenshot(path=ARTIFACTS / f"walk-{len(seen):02}-{name}-phone.png", full_page=True)
            if page.evaluate(WIDER_THAN_THE_SCREEN, PHONE["width"]):
                too_wide.append(urlsplit(page.url).path)
            page.set_viewport_size(DESKTOP)

        page.goto(f"{url}/campaigns/{walker['campaign']}")
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Spring", exact=True)).to_be_visible()

        sections = page.get_by_role("navigation", name="Campaign sections")
        for tab in TABS + MORE_TABS:
            sections.get_by_role("link", name=tab, exact=True).click()
            expect(sections.get_by_role("link", name=tab, exact=True)).to_have_attribute("aria-current", "page")
            shot(f"tab-{tab.lower()}")

        for name, path in (
            ("code", f"/codes/{walker['code']}"),
            ("redemption", f"/redemptions/{walker['redemption']}"),
            ("customer", f"/customers/{walker['customer']}"),
            ("failed-jobs", "/jobs/failed"),
            ("failed-job", f"/jobs/failed/{walker['job']}"),
            ("inbox", "/events"),
            ("event", f"/events/{walker['event']}"),
            ("campaigns", "/campaigns"),
        ):
            page.goto(url + path)
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            shot(name)

        campaign = f"{url}/campaigns/{walker['campaign']}"
        page.goto(campaign)
        page.get_by_role("button", name="Pause campaign").click()
        expect(page.get_by_role("status")).to_contain_text("is paused")
        page.get_by_role("button", name="Activate campaign").click()
        expect(page.get_by_role("status")).to_contain_text("is active")

        page.goto(f"{campaign}/referrers#invite")
        invite = page.locator("#invite")
        invite.get_by_label("Email").fill("dora@example.com")
        invite.get_by_label("Name").fill("Dora Mae")
        invite.get_by_role("button", name="Invite the referrer").click()
        expect(page.get_by_role("status")).to_contain_text("dora@example.com")
        expect(page.get_by_role("link", name="Dora Mae").first).to_be_visible()
        shot("referrer-invited")

        page.goto(f"{campaign}/codes#import")
        page.locator("#import").locator("input[type=file]").set_input_files(csv_file)
        page.get_by_role("button", name="Import codes").click()
        expect(page.get_by_role("heading", name="Import report: codes.csv")).to_be_visible()
        expect(page.locator(".figures")).to_contain_text("Created")
        shot("import-report")
        answered[seen.pop()] = page.content()

        page.goto(f"{campaign}/rewards")
        page.get_by_role("button", name="Roll back reward").first.click()
        expect(page.get_by_role("status")).to_contain_text("rolled back")
        shot("reward-rolled-back")

        page.goto(f"{url}/jobs/failed/{walker['job']}")
        page.get_by_role("button", name="Retry this job").click()
        expect(page.get_by_role("status")).to_contain_text("sent again")
        shot("job-retried")

        violations = accessibility_violations(browser, context, seen, answered)
        browser.close()
    assert refused == []
    assert violations == [], violations
    assert too_wide == [], too_wide
    assert len(seen) + len(answered) >= len(TABS + MORE_TABS) + 8
