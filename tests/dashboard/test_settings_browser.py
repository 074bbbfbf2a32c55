"""The settings tabs in a real browser (Chromium, JavaScript off): filled with tiers, rules, a code-level
override and metadata, each tab and the delete confirmation have no serious or critical axe-core violation and
fit a 375 px wide screen; the edit form and a tier form work by mouse and keyboard alone."""

from __future__ import annotations

import pytest

from api.app import create_app
from app import campaigns, codes
from domain.events import CustomerData
from tests.dashboard.conftest import EMAIL, PASSWORD
from tests.dashboard.test_browser import ARTIFACTS, DESKTOP, PHONE, accessibility_violations, only_this_server
from tests.docs.test_swagger_offline import chromium
from tests.support.faults import serving

TABS = ("settings", "rules", "metadata", "landing")


def seed(uow) -> str:
    campaign = campaigns.create(
        uow,
        {
            "name": "Summer <friends>",
            "currency": "EUR",
            "metadata": {"team": "growth", "budget": 500},
            "landing_url": "https://shop.example.com/i/{code}",
            "notifications": {"code_published": ["email"]},
        },
    )
    uow.session.flush()
    campaigns.add_tier(uow, campaign.id, {"name": "Each friend", "kind": "each", "threshold": 1,
                                          "reward": {"type": "credits", "amount": 500}})  # fmt: skip
    campaigns.add_rule(uow, campaign.id, {"name": "Big orders", "conditions": {"order.amount": {"$gte": 5000}}})
    code, _ = codes.invite(uow, campaign.id, CustomerData(email="ann@example.com", name="Ann Lee"), "api")
    uow.session.flush()
    campaigns.add_code_rule(uow, code.code, {"name": "New only", "conditions": {"customer.orders_count": {"$eq": 0}}})
    return campaign.id


@pytest.mark.skipif(chromium() is None, reason="Chromium not found: install Debian's `chromium` (scripts/test does)")
def test_the_settings_tabs_are_accessible_and_fit_a_phone(runtime, operator):
    from playwright.sync_api import expect, sync_playwright

    campaign_id = runtime.units.run(seed)
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
        base = f"{url}/campaigns/{campaign_id}"

        page.goto(f"{base}/settings")
        page.locator("#name").fill("Summer friends")
        page.get_by_role("button", name="Save campaign").click()
        expect(page.get_by_role("status")).to_contain_text("Campaign “Summer friends” saved.")
        page.get_by_text("Add a tier").click()
        page.locator("#new-tier-name").fill("Five friends")
        page.locator("#new-tier-kind").select_option("milestone")
        page.locator("#new-tier-threshold").fill("5")
        page.locator("#new-tier-amount").fill("20.00")
        page.get_by_role("button", name="Add tier").click()
        expect(page.get_by_role("row", name="Five friends")).to_contain_text("20.00 EUR in credits")
        page.screenshot(path=ARTIFACTS / "settings-01-settings.png", full_page=True)

        page.get_by_role("button", name="Delete campaign…").click()
        expect(page.get_by_role("heading", name="Delete “Summer friends”?")).to_be_visible()
        page.screenshot(path=ARTIFACTS / "settings-02-confirm-delete.png", full_page=True)

        visited = [f"{base}/{tab}" for tab in TABS]
        page.set_viewport_size(PHONE)
        for number, address in enumerate(visited, start=3):
            page.goto(address)
            page.screenshot(
                path=ARTIFACTS / f"settings-{number:02}-phone-{address.rsplit('/', 1)[1]}.png", full_page=True
            )
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], address
        violations = accessibility_violations(browser, context, visited)
        browser.close()
    assert refused == []
    assert violations == []
