"""The inbox (list, inspect, replay) and failed jobs (list, inspect, retry, purge)."""

from __future__ import annotations

import json
import traceback

import pytest
from dramatiq.broker import MessageProxy
from sqlalchemy import update

from app import followups
from db.ids import new_id
from db.models import InboundEvent
from db.types import utcnow
from domain.platforms import native
from tests.api.helpers import create_campaign, invite, send_event
from tests.support.pipeline import body_of, drain, native_event
from workers.middleware import FailedJobs

EVENT_FIELDS = {"id", "source", "external_id", "topic", "status", "error", "received_at", "processed_at"}


def set_event(runtime, event_id: str, **values) -> None:
    with runtime.session_factory() as session, session.begin():
        session.execute(update(InboundEvent).where(InboundEvent.id == event_id).values(**values))


def rejected_event(client) -> str:
    """A signed native event the parser refuses (its order has no id): stored as rejected."""
    response = send_event(
        client,
        native_event("evt-bad", "order.paid", order_id=None, email="ben@example.com")
        | {"data": {"order": {"amount": 12900}, "customer": {"email": "ben@example.com"}}},
    )
    assert response.status_code == 422
    return response.json()["event_id"]


def inbox_event(runtime, status: str) -> str:
    """An accepted event stored in the inbox whose processing never committed (lost message, failed job)."""
    body = body_of(native_event("evt-1", "order.paid", order_id="o-1", email="ben@example.com"))
    parsed = native.parse(body, {})
    event_id = new_id("evt")
    with runtime.session_factory() as session, session.begin():
        session.add(
            InboundEvent(
                id=event_id,
                source="events",
                external_id=parsed.external_id,
                topic=parsed.topic,
                body=body.decode(),
                headers={},
                normalized=parsed.event.to_dict(),
                status=status,
                attempts=0,
                received_at=utcnow(),
            )
        )
    return event_id


def failed_event(client, runtime) -> str:
    """An accepted event whose processing job failed for good."""
    event_id = inbox_event(runtime, "enqueued")
    give_up(runtime, "process_event", event_id)
    return event_id


def give_up(runtime, actor: str, *args) -> None:
    """What the broker does once a job failed for good: Retries marks the message failed, FailedJobs keeps it."""
    message = MessageProxy(runtime.actors[actor].message_with_options(args=args))
    try:
        raise KeyError("type")
    except KeyError as error:
        message.options["traceback"] = traceback.format_exc()
        message.fail()
        failed_jobs = next(m for m in runtime.broker.middleware if isinstance(m, FailedJobs))
        failed_jobs.after_process_message(runtime.broker, message, exception=error)


def test_events_are_listed_newest_first_with_status_and_source_filters(client):
    accepted = send_event(client, native_event("evt-1", "order.paid", order_id="o-1", email="ben@example.com")).json()[
        "event_id"
    ]
    rejected = rejected_event(client)
    rows = client.get("/api/v1/events").json()["data"]
    assert [row["id"] for row in rows] == [rejected, accepted]
    assert set(rows[0]) == EVENT_FIELDS
    assert [row["id"] for row in client.get("/api/v1/events", params={"status": "rejected"}).json()["data"]] == [
        rejected
    ]
    assert client.get("/api/v1/events", params={"source": "shopify"}).json()["data"] == []


def test_one_event_shows_its_body_and_normalised_form(client):
    event_id = send_event(client, native_event("evt-1", "order.paid", order_id="o-1", email="ben@example.com")).json()[
        "event_id"
    ]
    body = client.get(f"/api/v1/events/{event_id}").json()
    assert (body["external_id"], body["topic"], body["status"]) == ("evt-1", "order.paid", "enqueued")
    assert json.loads(body["body"])["id"] == "evt-1"
    assert body["normalized"]["order"]["id"] == "o-1"
    assert client.get("/api/v1/events/evt_nope").status_code == 404


def test_replaying_a_rejected_event_that_still_cannot_be_parsed_is_a_409(client):
    event_id = rejected_event(client)
    response = client.post(f"/api/v1/events/{event_id}/replay")
    assert response.status_code == 409
    assert "data.order.id is required" in response.json()["error"]["message"]
    assert client.get(f"/api/v1/events/{event_id}").json()["status"] == "rejected"


def test_a_rejected_event_that_now_parses_is_replayed_and_processed(client, runtime, worker):
    campaign = create_campaign(client)
    referrer = invite(client, campaign["id"], "ann@example.com")
    event_id = rejected_event(client)
    fixed = native_event("evt-bad", "order.paid", order_id="o-9", code=referrer["code"], email="ben@example.com")
    set_event(runtime, event_id, body=json.dumps(fixed))  # the body as the fixed integration would have sent it
    response = client.post(f"/api/v1/events/{event_id}/replay")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["external_id"], response.json()["error"]) == (
        "received",
        "evt-bad",
        None,
    )
    drain(runtime)
    assert client.get(f"/api/v1/events/{event_id}").json()["status"] == "processed"
    [redemption] = client.get("/api/v1/redemptions").json()["data"]
    assert (redemption["order_id"], redemption["status"]) == ("o-9", "succeeded")


def test_a_failed_event_is_reopened_and_processed_on_replay(client, runtime, worker):
    event_id = failed_event(client, runtime)
    assert client.get(f"/api/v1/events/{event_id}").json()["status"] == "failed"
    assert client.post(f"/api/v1/events/{event_id}/replay").json()["status"] == "received"
    drain(runtime)
    assert client.get(f"/api/v1/events/{event_id}").json()["status"] == "processed"


def test_replaying_a_processed_event_is_a_409(client, runtime, worker):
    event_id = send_event(client, native_event("evt-1", "order.paid", order_id="o-1", email="ben@example.com")).json()[
        "event_id"
    ]
    drain(runtime)
    assert client.post(f"/api/v1/events/{event_id}/replay").status_code == 409
    assert client.post("/api/v1/events/evt_nope/replay").status_code == 404


def test_a_failed_job_is_listed_and_shows_its_traceback(client, runtime, worker):
    event_id = failed_event(client, runtime)
    [job] = client.get("/api/v1/jobs/failed").json()["data"]
    assert (job["actor"], job["args"], job["retried_at"]) == ("process_event", [event_id], None)
    assert "KeyError" in job["error"]
    detail = client.get(f"/api/v1/jobs/failed/{job['id']}").json()
    assert "Traceback" in detail["traceback"]
    assert client.get("/api/v1/jobs/failed", params={"actor": "send_distribution"}).json()["data"] == []
    assert client.get("/api/v1/jobs/failed/job_nope").status_code == 404


def test_retrying_a_failed_job_sends_it_again_and_it_acts(client, runtime, worker):
    event_id = failed_event(client, runtime)
    [job] = client.get("/api/v1/jobs/failed").json()["data"]
    retried = client.post(f"/api/v1/jobs/failed/{job['id']}/retry")
    assert retried.status_code == 200
    assert retried.json()["retried_at"] is not None and retried.json()["retry_message_id"]
    drain(runtime)
    assert client.get(f"/api/v1/events/{event_id}").json()["status"] == "processed"
    assert client.post("/api/v1/jobs/failed/job_nope/retry").status_code == 404


def test_retry_all_sends_every_job_not_retried_yet_of_the_actor(client, runtime, worker):
    event_id = failed_event(client, runtime)
    assert client.post("/api/v1/jobs/failed/retry", params={"actor": "send_distribution"}).json()["retried"] == 0
    assert client.post("/api/v1/jobs/failed/retry").json()["retried"] == 1
    assert client.post("/api/v1/jobs/failed/retry").json()["retried"] == 0
    drain(runtime)
    assert client.get(f"/api/v1/events/{event_id}").json()["status"] == "processed"


def test_failed_jobs_are_purged_one_by_one_or_before_a_time(client, runtime, worker):
    failed_event(client, runtime)
    [job] = client.get("/api/v1/jobs/failed").json()["data"]
    assert client.delete("/api/v1/jobs/failed", params={"before": "2000-01-01T00:00:00Z"}).json() == {"deleted": 0}
    assert client.delete(f"/api/v1/jobs/failed/{job['id']}").status_code == 204
    assert client.delete(f"/api/v1/jobs/failed/{job['id']}").status_code == 404
    assert client.delete("/api/v1/jobs/failed", params={"before": "2999-01-01T00:00:00Z"}).json() == {"deleted": 0}


def test_purging_everything_before_now_empties_the_table(client, runtime, worker):
    failed_event(client, runtime)
    assert client.delete("/api/v1/jobs/failed", params={"before": "2999-01-01T00:00:00Z"}).json() == {"deleted": 1}
    assert client.get("/api/v1/jobs/failed").json()["data"] == []
    assert client.delete("/api/v1/jobs/failed").status_code == 422
    assert client.delete("/api/v1/jobs/failed", params={"before": "2999-01-01T00:00:00"}).status_code == 422


@pytest.mark.parametrize("status", ["received", "enqueued"])
def test_a_stuck_event_is_enqueued_again_on_replay(client, runtime, worker, status):
    event_id = inbox_event(runtime, status)
    assert client.post(f"/api/v1/events/{event_id}/replay").json()["status"] == status
    drain(runtime)
    assert client.get(f"/api/v1/events/{event_id}").json()["status"] == "processed"


def test_a_job_that_fails_for_good_in_the_worker_is_kept_in_failed_jobs(client, runtime, worker):
    event_id = send_event(client, native_event("evt-1", "order.paid", order_id="o-1", email="ben@example.com")).json()[
        "event_id"
    ]
    drain(runtime)
    set_event(runtime, event_id, status="received", normalized={"broken": True})
    runtime.enqueue(followups.process(event_id))
    drain(runtime)
    assert [job["args"] for job in client.get("/api/v1/jobs/failed").json()["data"]] == [[event_id]]
    assert client.get(f"/api/v1/events/{event_id}").json()["status"] == "failed"
