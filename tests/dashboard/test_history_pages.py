"""The campaign's pipeline tabs (redemptions, rewards, distributions, activity), the redemption page, and the
operator's corrections on them (roll back, complete, resend), signed in."""

from __future__ import annotations

import re

import pytest

from db.ids import new_id
from db.models import Activity, Distribution, LedgerEntry, Redemption, Reward
from db.types import utcnow
from tests.api.helpers import add_tier, create_campaign, invite, paid_order
from tests.dashboard.conftest import csrf_of
from tests.support.counts import all_rows

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def program(client, runtime, worker):
    """A campaign with a material tier (its rewards wait for an operator), a referrer called <script>…, one
    succeeded redemption (Ben) and one failed (Cy, his second use of the code as join-once refuses it)."""
    campaign = create_campaign(client, name="Spring")
    add_tier(client, campaign["id"], reward={"type": "material", "description": "A T-shirt"})
    referrer = client.post(
        f"/api/v1/campaigns/{campaign['id']}/referrers",
        json={"customer": {"email": "ann@example.com", "name": f"Ann {SCRIPT}"}},
    ).json()
    paid_order(client, runtime, referrer["code"], order_id="o-1", email="ben@example.com", amount=12900)
    paid_order(client, runtime, referrer["code"], order_id="o-2", email="ann@example.com", amount=5000)
    return {"campaign": campaign, "id": campaign["id"], "code": referrer["code"]}


def post_form(browser, path: str, data: dict | None = None):
    token = csrf_of(browser.get("/campaigns").text)
    return browser.post(path, data=(data or {}) | {"csrf_token": token})


def redemptions_by_status(runtime) -> dict[str, Redemption]:
    return {row.status: row for row in all_rows(runtime, Redemption)}


def test_the_redemptions_tab_lists_them_with_customer_code_order_and_failure(signed_in, runtime, program):
    page = signed_in.get(f"/campaigns/{program['id']}/redemptions").text
    by_status = redemptions_by_status(runtime)
    ok, failed = by_status["succeeded"], by_status["failed"]
    assert page.index(failed.id) < page.index(ok.id)  # newest first
    assert f'href="/redemptions/{ok.id}"' in page and f'href="/codes/{program["code"]}"' in page
    assert f'href="/customers/{ok.customer_id}"' in page and "ben@example.com" in page
    assert "o-1" in page and "129.00 USD" in page and failed.failure_code in page
    assert SCRIPT not in page and "Ann &lt;script&gt;" in page  # the self-referral was refused: Ann is its customer


def test_the_redemptions_tab_filters_by_status_and_day_and_pages(signed_in, runtime, program):
    path = f"/campaigns/{program['id']}/redemptions"
    by_status = redemptions_by_status(runtime)
    failed_only = signed_in.get(path, params={"status": "failed"}).text
    assert by_status["failed"].id in failed_only and by_status["succeeded"].id not in failed_only
    assert 'value="failed" selected' in failed_only
    assert "Nothing matches these filters" in signed_in.get(path, params={"end": "2000-01-01"}).text
    today = utcnow().strftime("%Y-%m-%d")
    assert by_status["failed"].id in signed_in.get(path, params={"start": today, "end": today}).text
    assert signed_in.get(path, params={"status": "<bogus>", "start": "nope"}).status_code == 200  # no filter
    first = signed_in.get(path, params={"cursor": by_status["failed"].id}).text  # the page after the newest
    assert by_status["succeeded"].id in first and by_status["failed"].id not in first


def test_the_redemptions_csv_is_the_apis_export_with_the_same_filters(signed_in, client, runtime, program):
    path = f"/campaigns/{program['id']}/redemptions.csv"
    response = signed_in.get(path, params={"status": "succeeded"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    api = client.get(f"/api/v1/campaigns/{program['id']}/redemptions", params={"status": "succeeded", "format": "csv"})
    assert response.text == api.text and response.text.count("\n") == 2
    assert 'href="' + path + '?status=failed"' in signed_in.get(path[:-4], params={"status": "failed"}).text
    assert signed_in.get("/campaigns/cmp_nothing/redemptions.csv").status_code == 404


def test_the_redemption_page_explains_a_failure_and_shows_what_a_success_produced(signed_in, runtime, program):
    by_status = redemptions_by_status(runtime)
    failed = signed_in.get(f"/redemptions/{by_status['failed'].id}").text
    assert by_status["failed"].failure_code in failed and "Roll back this redemption" not in failed
    ok = by_status["succeeded"]
    page = signed_in.get(f"/redemptions/{ok.id}").text
    assert "Spring" in page and program["code"] in page and "ben@example.com" in page
    assert "Ann &lt;script&gt;" in page and SCRIPT not in page  # the referrer, escaped
    assert "o-1 · 129.00 USD" in page and "Roll back this redemption" in page
    [reward] = all_rows(runtime, Reward)
    assert reward.id in page and f'href="/campaigns/{program["id"]}/rewards"' in page
    assert "Customer redemption succeeded" in page
    assert signed_in.get("/redemptions/red_nothing").status_code == 404


def test_the_rule_logs_of_a_redemption_are_shown_passed_and_failed(signed_in, runtime, program):
    with runtime.session_factory() as session, session.begin():
        row = session.get(Redemption, redemptions_by_status(runtime)["failed"].id)
        row.logs = [
            {"rule": "Big orders", "passed": False, "detail": f"order.amount 5000 >= 10000 {SCRIPT}"},
            {"rule": "Any customer", "passed": True, "detail": "customer.email set"},
        ]
    page = signed_in.get(f"/redemptions/{row.id}").text
    assert "Big orders" in page and "order.amount 5000 &gt;= 10000" in page and SCRIPT not in page
    assert "badge-failed" in page and "badge-passed" in page


def test_rolling_back_a_redemption_from_its_page(signed_in, runtime, program):
    ok = redemptions_by_status(runtime)["succeeded"]
    response = post_form(signed_in, f"/redemptions/{ok.id}/rollback")
    assert response.status_code == 303 and response.headers["location"] == f"/redemptions/{ok.id}"
    assert "is rolled back" in signed_in.get(response.headers["location"]).text
    assert redemptions_by_status(runtime)["rolled_back"].id == ok.id
    again = post_form(signed_in, f"/redemptions/{ok.id}/rollback")
    assert again.status_code == 303 and "only a succeeded redemption" in signed_in.get(again.headers["location"]).text


def test_the_rewards_tab_shows_the_referrer_and_filters_by_status_and_type(signed_in, runtime, program):
    path = f"/campaigns/{program['id']}/rewards"
    page = signed_in.get(path).text
    [reward] = all_rows(runtime, Reward)
    assert "Ann &lt;script&gt;" in page and "ann@example.com" in page and SCRIPT not in page
    assert f'href="/customers/{reward.customer_id}"' in page
    assert "Material · A T-shirt" in page and "Each friend" in page and "Complete reward" in page
    assert reward.id not in signed_in.get(path, params={"status": "completed"}).text
    assert "Nothing matches" in signed_in.get(path, params={"type": "credits"}).text
    assert "Complete reward" in signed_in.get(path, params={"status": "pending", "type": "material"}).text


def test_completing_and_rolling_back_a_reward_come_back_to_the_filtered_tab(signed_in, runtime, program):
    [reward] = all_rows(runtime, Reward)
    back = f"/campaigns/{program['id']}/rewards?status=pending"
    done = post_form(signed_in, f"/rewards/{reward.id}/complete", {"back": back})
    assert done.status_code == 303 and done.headers["location"] == back
    assert f"Reward {reward.id} is completed." in signed_in.get(back).text
    assert all_rows(runtime, Reward)[0].status == "completed"
    refused = post_form(signed_in, f"/rewards/{reward.id}/complete", {"back": back})
    assert "only a pending reward can be completed" in signed_in.get(refused.headers["location"]).text
    assert all_rows(runtime, Reward)[0].status == "completed"  # nothing changed
    rolled = post_form(signed_in, f"/rewards/{reward.id}/rollback", {"back": back})
    assert rolled.headers["location"] == back and all_rows(runtime, Reward)[0].status == "rolled_back"
    assert post_form(signed_in, "/rewards/rwd_nothing/rollback").status_code == 404


def failed_distribution(runtime, campaign_id: str, customer_id: str, recipient: str) -> str:
    distribution_id = new_id("dst")
    with runtime.session_factory() as session, session.begin():
        session.add(
            Distribution(
                id=distribution_id,
                dedupe_key=distribution_id,
                campaign_id=campaign_id,
                customer_id=customer_id,
                trigger="code_published",
                channel="email",
                recipient=recipient,
                template="code_published",
                status="failed",
                attempts=3,
                last_error=f"550 Mailbox full {SCRIPT}",
                context={},
                created_at=utcnow(),
            )
        )
    return distribution_id


def test_the_distributions_tab_filters_and_resends_a_failed_notification(signed_in, runtime, program):
    reward = all_rows(runtime, Reward)[0]
    distribution_id = failed_distribution(runtime, program["id"], reward.customer_id, "ann@example.com")
    path = f"/campaigns/{program['id']}/distributions"
    page = signed_in.get(path, params={"status": "failed", "channel": "email", "trigger": "code_published"}).text
    assert "Code published" in page and "550 Mailbox full" in page and SCRIPT not in page
    assert "Ann &lt;script&gt;" in page and "Resend notification" in page
    assert "Nothing matches" in signed_in.get(path, params={"channel": "webhook"}).text
    back = f"{path}?status=failed"
    response = post_form(signed_in, f"/distributions/{distribution_id}/resend", {"back": back})
    assert response.status_code == 303 and response.headers["location"] == back
    assert "queued to be sent again" in signed_in.get(back).text
    [row] = [row for row in all_rows(runtime, Distribution) if row.id == distribution_id]
    assert row.status != "failed"  # queued again (the running worker may have sent it already)
    refused = post_form(signed_in, f"/distributions/{distribution_id}/resend", {"back": back})
    assert 'class="flash flash-error"' in signed_in.get(refused.headers["location"]).text


def activity_types_shown(page: str) -> list[str]:
    """The type of each activity row of the page, top to bottom."""
    return re.findall(r"<code>([a-z_.]+)</code></small></td>", page)


def test_the_activity_tab_is_readable_and_filters_by_category_type_and_day(signed_in, runtime, program):
    path = f"/campaigns/{program['id']}/activity"
    page = signed_in.get(path).text
    ok = redemptions_by_status(runtime)["succeeded"]
    assert "Customer redemption succeeded<br>" in page and f'href="/redemptions/{ok.id}"' in page
    assert "order id: o-1" in page and "ben@example.com" in page and SCRIPT not in page
    assert activity_types_shown(page)[-1] == "campaign.created"  # newest first: the campaign's creation is oldest
    redemption_rows = activity_types_shown(signed_in.get(path, params={"category": "redemption"}).text)
    assert set(redemption_rows) == {"customer.redemption.succeeded", "customer.redemption.failed"}
    only = signed_in.get(path, params={"type": "campaign.created"}).text
    assert activity_types_shown(only) == ["campaign.created"] and 'value="campaign.created" selected' in only
    assert "Nothing matches" in signed_in.get(path, params={"end": "2000-01-01"}).text


def test_activity_pages_with_the_cursor_keeping_the_filters(signed_in, client, runtime):
    campaign = create_campaign(client, name="Busy")
    with runtime.session_factory() as session, session.begin():
        for number in range(52):
            session.add(
                Activity(
                    id=new_id("act"),
                    type="customer.email.sent",
                    category="notification",
                    campaign_id=campaign["id"],
                    data={"channel": "email", "number": number},
                    created_at=utcnow(),
                )
            )
    path = f"/campaigns/{campaign['id']}/activity"
    first = signed_in.get(path, params={"category": "notification"}).text
    assert first.count('<th scope="row"') == 50 and "campaign.created" not in activity_types_shown(first)
    older = re.search(r'href="(/campaigns/[^"]+cursor=[^"]+)">Older', first).group(1).replace("&amp;", "&")
    assert "category=notification" in older
    second = signed_in.get(older).text
    assert second.count('<th scope="row"') == 2 and "Newest" in second and "Older" not in second


def test_every_tab_of_an_unknown_campaign_is_a_404(signed_in):
    for tab in ("redemptions", "rewards", "distributions", "activity"):
        assert signed_in.get(f"/campaigns/cmp_nothing/{tab}").status_code == 404, tab
    assert post_form(signed_in, "/distributions/dst_nothing/resend").status_code == 404


def test_a_reward_rollback_reverses_a_completed_credit(signed_in, client, runtime, worker):
    campaign = create_campaign(client, name="Credits")
    add_tier(client, campaign["id"])
    referrer = invite(client, campaign["id"], "ann@example.com")
    paid_order(client, runtime, referrer["code"], order_id="o-1", email="ben@example.com")
    [reward] = all_rows(runtime, Reward)
    page = signed_in.get(f"/campaigns/{campaign['id']}/rewards?status=completed").text
    assert "Credits · 10.00 USD" in page and "Complete reward" not in page
    post_form(signed_in, f"/rewards/{reward.id}/rollback")
    assert sum(entry.amount for entry in all_rows(runtime, LedgerEntry)) == 0
