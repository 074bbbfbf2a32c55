"""The Failed jobs and Inbox pages: lists filtered and paged, a page per job and per event, and their actions
(retry, purge, replay), signed in."""

from __future__ import annotations

from db.models import FailedJob, InboundEvent, Redemption
from tests.api.helpers import create_campaign, invite, paid_order
from tests.api.test_operations import failed_event, inbox_event, rejected_event
from tests.dashboard.conftest import csrf_of
from tests.integration.test_cli import add_failed_job
from tests.support.counts import all_rows
from tests.support.pipeline import drain, shopify_headers

SCRIPT = "<script>x</script>"


def test_failed_jobs_are_listed_with_their_step_and_error(signed_in, runtime):
    add_failed_job(runtime)
    page = signed_in.get("/jobs/failed").text
    assert "complete_reward" in page and "ValueError: boom" in page and "not yet" in page


def test_the_inbox_lists_events_and_filters_them_by_status(signed_in, client, runtime):
    body = b'{"id": 1, "total_price": "12.00", "line_items": [{"quantity": "<script>two</script>"}]}'
    client.post("/webhooks/shopify", content=body, headers=shopify_headers(body, webhook_id="bad-1"))
    page = signed_in.get("/events").text
    assert "shopify" in page and "Rejected" in page and "<script>two" not in page
    assert "Rejected" in signed_in.get("/events?status=rejected").text
    assert "No event with status processed yet." in signed_in.get("/events?status=processed").text
    assert signed_in.get("/events?status=<nonsense>").status_code == 200  # an unknown status is no filter
    [event] = all_rows(runtime, InboundEvent)
    detail = signed_in.get(f"/events/{event.id}").text
    assert "x-shopify-webhook-id" in detail and "bad-1" in detail and "Replay this event" in detail
    assert "<script>two" not in detail and "&lt;script&gt;two" in detail  # the raw body, escaped


# --- failed jobs: filter, inspect, retry, purge ------------------------------------------------------------------


def post_form(browser, path: str, data: dict | None = None):
    token = csrf_of(browser.get("/jobs/failed").text)
    return browser.post(path, data=(data or {}) | {"csrf_token": token})


def jobs(runtime) -> list[FailedJob]:
    return all_rows(runtime, FailedJob)


def test_failed_jobs_filter_by_actor_and_link_to_each_job(signed_in, client, runtime):
    failed_event(client, runtime)
    add_failed_job(runtime)
    by_actor = {job.actor: job for job in jobs(runtime)}
    page = signed_in.get("/jobs/failed", params={"actor": "process_event"}).text
    assert f'href="/jobs/failed/{by_actor["process_event"].id}"' in page
    assert f'href="/jobs/failed/{by_actor["complete_reward"].id}"' not in page
    assert 'value="process_event" selected' in page and "use the CLI" not in page
    assert "No failed job of send_distribution." in signed_in.get("/jobs/failed?actor=send_distribution").text
    assert signed_in.get("/jobs/failed?actor=<nope>").text.count('<th scope="row"') == 2  # unknown: no filter


def test_a_failed_job_page_shows_its_arguments_and_traceback(signed_in, client, runtime):
    event_id = failed_event(client, runtime)
    [job] = jobs(runtime)
    page = signed_in.get(f"/jobs/failed/{job.id}").text
    assert "process_event" in page and event_id in page and f'href="/events/{event_id}"' in page
    assert "<pre" in page and "Traceback" in page and "KeyError" in page and "not yet" in page
    assert signed_in.get("/jobs/failed/job_nothing").status_code == 404


def test_retrying_one_failed_job_sends_it_again_and_the_event_is_processed(signed_in, client, runtime, worker):
    event_id = failed_event(client, runtime)
    [job] = jobs(runtime)
    response = post_form(signed_in, f"/jobs/failed/{job.id}/retry")
    assert response.status_code == 303 and response.headers["location"] == f"/jobs/failed/{job.id}"
    assert f"Job {job.id} sent again." in signed_in.get(response.headers["location"]).text
    drain(runtime)
    assert jobs(runtime)[0].retried_at is not None
    assert (
        all_rows(runtime, InboundEvent)[0].status == "processed" and all_rows(runtime, InboundEvent)[0].id == event_id
    )
    assert post_form(signed_in, "/jobs/failed/job_nothing/retry").status_code == 404


def test_retry_all_or_one_actors_jobs_says_how_many(signed_in, client, runtime):
    failed_event(client, runtime)
    none = post_form(signed_in, "/jobs/failed/retry", {"actor": "send_distribution"})
    assert (
        none.status_code == 303 and "No failed job of send_distribution to retry." in signed_in.get("/jobs/failed").text
    )
    assert jobs(runtime)[0].retried_at is None
    post_form(signed_in, "/jobs/failed/retry", {"actor": ""})
    assert "1 failed job(s) sent again." in signed_in.get("/jobs/failed").text
    assert jobs(runtime)[0].retried_at is not None


def test_purging_one_job_or_old_jobs_and_a_bad_age_changes_nothing(signed_in, client, runtime):
    failed_event(client, runtime)
    add_failed_job(runtime)
    for bad in ("", "ten", "-1", "1e9"):
        response = post_form(signed_in, "/jobs/failed/purge", {"older_than_days": bad})
        assert response.status_code == 303
        assert "Nothing was purged" in signed_in.get("/jobs/failed").text, bad
    assert len(jobs(runtime)) == 2
    post_form(signed_in, "/jobs/failed/purge", {"older_than_days": "1"})
    assert "0 failed job(s) older than 1 day(s) purged." in signed_in.get("/jobs/failed").text
    post_form(signed_in, "/jobs/failed/purge", {"older_than_days": "0", "actor": "complete_reward"})
    assert [job.actor for job in jobs(runtime)] == ["process_event"]
    [job] = jobs(runtime)
    deleted = post_form(signed_in, f"/jobs/failed/{job.id}/delete")
    assert deleted.headers["location"] == "/jobs/failed" and jobs(runtime) == []
    assert f"Job {job.id} purged." in signed_in.get("/jobs/failed").text
    assert post_form(signed_in, f"/jobs/failed/{job.id}/delete").status_code == 404


# --- inbox: filter by status and source, inspect, replay ---------------------------------------------------------


def test_the_inbox_filters_by_status_and_source_together(signed_in, client, runtime):
    rejected = rejected_event(client)
    received = inbox_event(runtime, "received")
    page = signed_in.get("/events", params={"source": "events"}).text
    assert rejected in page and received in page
    only = signed_in.get("/events", params={"source": "events", "status": "rejected"}).text
    assert rejected in only and received not in only and 'value="events" selected' in only
    assert "No event from shopify yet." in signed_in.get("/events", params={"source": "shopify"}).text
    older = signed_in.get("/events", params={"cursor": received}).text  # the page after the newest
    assert rejected in older and received not in older


def test_an_event_page_shows_its_headers_body_and_what_it_produced(signed_in, client, runtime, worker):
    campaign = create_campaign(client)
    referrer = invite(client, campaign["id"], "ann@example.com")
    paid_order(client, runtime, referrer["code"], order_id="o-1", email=f"ben{SCRIPT}@example.com")
    [event] = all_rows(runtime, InboundEvent)
    [redemption] = all_rows(runtime, Redemption)
    page = signed_in.get(f"/events/{event.id}").text
    assert "Processed" in page and event.external_id in page and "order.paid" in page
    assert f'href="/redemptions/{redemption.id}"' in page and "Replay this event" not in page
    assert '<pre class="payload">{\n  &#34;' in page or '<pre class="payload">{\n  &quot;' in page  # indented JSON
    assert SCRIPT not in page and "&lt;script&gt;" in page
    assert signed_in.get("/events/evt_nothing").status_code == 404


def test_replaying_an_event_from_its_page(signed_in, client, runtime, worker):
    event_id = failed_event(client, runtime)
    response = post_form(signed_in, f"/events/{event_id}/replay")
    assert response.status_code == 303 and response.headers["location"] == f"/events/{event_id}"
    assert f"Event {event_id} replayed" in signed_in.get(response.headers["location"]).text
    drain(runtime)
    assert all_rows(runtime, InboundEvent)[0].status == "processed"
    again = post_form(signed_in, f"/events/{event_id}/replay")
    assert "replaying it would apply it twice" in signed_in.get(again.headers["location"]).text
    rejected = rejected_event(client)
    post_form(signed_in, f"/events/{rejected}/replay")
    assert 'class="flash flash-error"' in signed_in.get(f"/events/{rejected}").text  # still cannot be parsed
