from dramatiq.middleware import Retries
from workers.middleware import FailedJobs
from tests.api.test_operations import *  # noqa


def test_after_fix(client, runtime):
    mw = runtime.broker.middleware
    fj = next(m for m in mw if isinstance(m, FailedJobs))
    mw.remove(fj)
    mw.insert(next(i for i, m in enumerate(mw) if isinstance(m, Retries)), fj)
    from dramatiq import Worker
    w = Worker(runtime.broker, worker_threads=2); w.start()
    try:
        event_id = send_event(client, native_event("evt-1", "order.paid", order_id="o-1", email="ben@example.com")).json()["event_id"]
        drain(runtime)
        set_event(runtime, event_id, status="received", normalized={"broken": True})
        runtime.enqueue(followups.process(event_id))
        drain(runtime)
        assert [job["args"] for job in client.get("/api/v1/jobs/failed").json()["data"]] == [[event_id]]
        assert client.get(f"/api/v1/events/{event_id}").json()["status"] == "failed"
    finally:
        w.stop()
