"""The Failed jobs and Inbox pages: newest first, escaped, the inbox filterable by status."""

from __future__ import annotations

from tests.integration.test_cli import add_failed_job
from tests.support.pipeline import shopify_headers


def test_failed_jobs_are_listed_with_their_step_and_error(signed_in, runtime):
    add_failed_job(runtime)
    page = signed_in.get("/jobs/failed").text
    assert "complete_reward" in page and "ValueError: boom" in page and "not yet" in page


def test_the_inbox_lists_events_and_filters_them_by_status(signed_in, client):
    body = b'{"id": 1, "total_price": "12.00", "line_items": [{"quantity": "<script>two</script>"}]}'
    client.post("/webhooks/shopify", content=body, headers=shopify_headers(body, webhook_id="bad-1"))
    page = signed_in.get("/events").text
    assert "shopify" in page and "Rejected" in page and "<script>two" not in page
    assert "Rejected" in signed_in.get("/events?status=rejected").text
    assert "No event with status processed yet." in signed_in.get("/events?status=processed").text
    assert signed_in.get("/events?status=<nonsense>").status_code == 200  # an unknown status is no filter
