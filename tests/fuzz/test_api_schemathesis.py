"""Schemathesis against the app's own OpenAPI document: every /api/v1 operation that exists, with the bearer token,
answers without a 500 and conforms to the schema it publishes.

The document is read at collection time from an app on a throwaway in-memory runtime (schemathesis makes one test
per operation); each test then calls a fresh app whose database holds a campaign that has processed an order, so
that path parameters are sometimes real ids (a redemption, a reward, a customer, an event, a failed job) and the
handlers behind the 404s are reached too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from dramatiq import Worker
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from api.app import create_app
from bootstrap.runtime import Runtime, build_runtime
from config.settings import Settings
from db.ids import new_id
from db.models import Customer, FailedJob, InboundEvent, Redemption, Reward, ValidationRule
from db.types import utcnow
from tests.conftest import empty_database, make_settings
from tests.support.pipeline import API_TOKEN, body_of, drain, native_event, native_headers
from tests.support.seed import seed_campaign

pytestmark = pytest.mark.slow


def _openapi_document() -> dict:
    runtime = build_runtime(Settings(_env_file=None, database_url="sqlite://", redis_url=None))
    try:
        return create_app(runtime).openapi()
    finally:
        runtime.close()


schema = schemathesis.openapi.from_dict(_openapi_document()).include(path_regex=r"^/api/v1/")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
SEEDED: dict[str, str] = {}


@schema.hook
def flatmap_path_parameters(context, path_parameters: dict) -> st.SearchStrategy:
    """Half the time, a path parameter names a row that exists."""
    if not isinstance(path_parameters, dict):  # negative testing may generate anything
        return st.just(path_parameters)
    return st.fixed_dictionaries(
        {
            name: st.sampled_from([value, SEEDED[name]]) if name in SEEDED else st.just(value)
            for name, value in path_parameters.items()
        }
    )


@pytest.fixture(scope="module")
def pipeline_runtime(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """One order processed end to end (redemption, referral, reward, mail, activity) and one failed job, once."""
    runtime = build_runtime(make_settings(database_url, tmp_path_factory.mktemp("schemathesis")))
    empty_database(runtime)
    seeded = seed_campaign(runtime, code="REF-SEED-0001")
    body = body_of(
        native_event(
            "evt-seed-1",
            "order.paid",
            order_id="o-seed-1",
            code=seeded.code,
            email="friend@example.com",
            source_id="c-seed-1",
            status="paid",
        )
    )
    worker = Worker(runtime.broker, worker_threads=2, worker_timeout=50)
    worker.start()
    with TestClient(create_app(runtime)) as client:
        assert client.post("/webhooks/events", content=body, headers=native_headers(body)).status_code == 202
    drain(runtime)
    worker.stop(timeout=10_000)
    with runtime.session_factory() as session, session.begin():
        session.add(
            FailedJob(
                id=new_id("job"),
                message_id=new_id("msg"),
                queue="referrals",
                actor="process_event",
                args=["evt_missing"],
                kwargs={},
                options={},
                error="KeyError: 'type'",
                traceback="Traceback ...",
                failed_at=utcnow(),
            )
        )
        first = lambda model, *where: session.scalars(select(model.id).where(*where)).first()  # noqa: E731
        SEEDED.update(
            {
                "redemption_id": first(Redemption),
                "reward_id": first(Reward),
                "event_id": first(InboundEvent),
                "customer_id": first(Customer, Customer.id != seeded.referrer_id),
                "job_id": first(FailedJob),
            }
        )
    yield runtime
    runtime.close()


@pytest.fixture
def seeded_app(pipeline_runtime: Runtime):
    """The app, with a fresh campaign (a code, tiers, a rule) for this operation: another may have deleted the last."""
    suffix = new_id("c")[-8:]
    seeded = seed_campaign(
        pipeline_runtime,
        code=f"REF-{suffix.upper()}",
        referrer_email=f"ann.{suffix}@example.com",
        rules=[{"name": "Over $80", "conditions": {"order.amount": {"$gt": 8000}}, "error_message": "Too small"}],
    )
    with pipeline_runtime.session_factory() as session:
        rule_id = session.scalar(select(ValidationRule.id).where(ValidationRule.campaign_id == seeded.campaign_id))
    SEEDED.update(
        {
            "campaign_id": seeded.campaign_id,
            "code": seeded.code,
            "tier_id": seeded.tier_ids[0],
            "rule_id": rule_id,
            "trigger": "customer_rewarded",
            "part": "subject.txt",
        }
    )
    assert all(SEEDED.values()), SEEDED
    return create_app(pipeline_runtime)


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_api_operation_answers_without_a_server_error_and_as_its_schema_says(case, seeded_app):
    case.call_and_validate(headers={"Authorization": f"Bearer {API_TOKEN}"}, checks=CHECKS, app=seeded_app)
