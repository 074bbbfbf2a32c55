"""Prometheus metrics (prefix `referrals_`): intake counters in the api process, plus pipeline state read
from the database and the broker at scrape time, so every api replica reports the same cluster-wide view.
Labels stay bounded: source, outcome, status, result, failure code, type, channel, queue."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from db.models import Distribution, FailedJob, InboundEvent, Redemption, Reward
from db.types import utcnow
from domain.model import EventStatus
from workers.actors import NOTIFICATIONS_QUEUE, PIPELINE_QUEUE
from workers.broker import dead_letters, queue_depth

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


@dataclass
class Metrics:
    registry: CollectorRegistry
    webhooks: Counter
    intake_latency: Histogram

    def observe_webhook(self, source: str, outcome: str, started: float) -> None:
        self.webhooks.labels(source, outcome).inc()
        self.intake_latency.labels(source).observe(time.perf_counter() - started)


def build_metrics(runtime) -> Metrics:
    """A private registry (no global state) with the intake metrics and the pipeline-state collector."""
    registry = CollectorRegistry()
    webhooks = Counter(
        "referrals_webhooks_received",
        "Webhooks received, by source and outcome",
        ["source", "outcome"],
        registry=registry,
    )
    latency = Histogram(
        "referrals_intake_latency_seconds",
        "Webhook intake latency",
        ["source"],
        buckets=LATENCY_BUCKETS,
        registry=registry,
    )
    registry.register(PipelineStateCollector(runtime))
    return Metrics(registry, webhooks, latency)


class PipelineStateCollector(Collector):
    """Inbox backlog, outcomes, failed jobs and queue depth, read when Prometheus scrapes."""

    def __init__(self, runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self.runtime.session_factory() as session:
            yield _grouped(
                session, "referrals_inbox_events", "Inbox events by status", InboundEvent.status, labels=["status"]
            )
            yield _oldest_unprocessed(session)
            yield _grouped(
                session,
                "referrals_redemptions",
                "Redemptions by result and failure code",
                Redemption.result,
                func.coalesce(Redemption.failure_code, ""),
                labels=["result", "failure_code"],
            )
            yield _grouped(
                session,
                "referrals_rewards",
                "Reward redemptions by type and status",
                Reward.type,
                Reward.status,
                labels=["type", "status"],
            )
            yield _grouped(
                session,
                "referrals_notifications",
                "Distributions by channel and status",
                Distribution.channel,
                Distribution.status,
                labels=["channel", "status"],
            )
            yield _grouped(
                session,
                "referrals_failed_jobs",
                "Failed jobs kept for retry, by actor",
                FailedJob.actor,
                labels=["actor"],
                where=FailedJob.retried_at.is_(None),
            )
        yield from _queue_depths(self.runtime.broker)


def _grouped(session, name: str, documentation: str, *columns, labels: list[str], where=None) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=labels)
    query = select(*columns, func.count()).group_by(*columns)
    for row in session.execute(query if where is None else query.where(where)):
        family.add_metric([str(value) for value in row[:-1]], row[-1])
    return family


def _oldest_unprocessed(session) -> GaugeMetricFamily:
    oldest = session.scalar(
        select(func.min(InboundEvent.received_at)).where(
            InboundEvent.status.in_([EventStatus.RECEIVED, EventStatus.ENQUEUED])
        )
    )
    family = GaugeMetricFamily(
        "referrals_inbox_oldest_unprocessed_age_seconds", "Age of the oldest event not yet processed"
    )
    family.add_metric([], (utcnow() - oldest).total_seconds() if oldest else 0.0)
    return family


def _queue_depths(broker) -> Iterator[GaugeMetricFamily]:
    depth = GaugeMetricFamily(
        "referrals_queue_depth", "Messages queued or in flight (delayed included)", labels=["queue"]
    )
    dead = GaugeMetricFamily("referrals_dead_letters", "Messages in the dead-letter queue", labels=["queue"])
    for queue in (PIPELINE_QUEUE, NOTIFICATIONS_QUEUE):
        depth.add_metric([queue], queue_depth(broker, queue))
        dead.add_metric([queue], dead_letters(broker, queue))
    yield depth
    yield dead


def metrics_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics(request: Request) -> Response:
        body = await run_in_threadpool(generate_latest, request.app.state.metrics.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router
