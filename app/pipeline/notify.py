"""Sending one distribution: claim the row, render, deliver (email or signed webhook), record the outcome.

A distribution is claimed (`queued` → `sending`) in its own transaction before anything leaves the
process, so a message delivered twice sends once. The remaining window is SMTP's: if the worker dies
after the server accepted the message but before `sent` is committed, the claim expires after
REFERRALS_SEND_CLAIM_TIMEOUT_SECONDS (5 minutes) and the reconciler sends it again (at-least-once for that crash only).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import Row, bindparam, func, update
from sqlalchemy.orm import Session

from app.errors import is_transient
from app.pipeline.notify_context import load_context
from app.unit_of_work import UnitOfWork, UnitsOfWork
from config.settings import Settings
from db.models import Campaign, Distribution
from db.types import utcnow
from domain import activity
from domain.model import DistributionStatus
from notifications.email import build_email
from notifications.errors import PermanentSendError, TransientSendError
from notifications.render import Renderer, TemplateError
from notifications.senders import OutboxSender, SmtpConfig, SmtpSender, WebhookSender

log = structlog.get_logger("referrals.notify")

FINISH_ATTEMPTS = 6
SENT_ACTIVITY = {"email": activity.EMAIL_SENT, "webhook": activity.WEBHOOK_SENT}
FAILED_ACTIVITY = {"email": activity.EMAIL_FAILED, "webhook": activity.WEBHOOK_FAILED}


@dataclass(frozen=True)
class Prepared:
    """A claimed distribution, rendered and ready to leave."""

    id: str
    channel: str
    recipient: str
    payload: Any


class Notifier:
    """Delivers distributions through the mailer (SMTP or file outbox) or the outgoing-webhook sender."""

    def __init__(self, units: UnitsOfWork, settings: Settings, mailer: Any, webhooks: WebhookSender) -> None:
        self.units, self.settings, self.mailer, self.webhooks = units, settings, mailer, webhooks
        self._renderers: dict[tuple, Renderer] = {}

    def renderer(self, overrides: dict[str, str]) -> Renderer:
        """One Renderer per distinct set of campaign overrides (building one costs far more than rendering)."""
        key = tuple(sorted(overrides.items()))
        if key not in self._renderers:
            self._renderers = dict(list(self._renderers.items())[-63:]) | {key: Renderer(overrides=overrides)}
        return self._renderers[key]

    async def send(self, distribution_id: str) -> None:
        """The async actor body: claim, deliver, record; transient failures re-raise so dramatiq retries."""
        prepared = await asyncio.to_thread(self.units.run, self._claim, distribution_id)
        if prepared is None:
            return
        try:
            reply = await self._deliver(prepared)
        except PermanentSendError as error:
            await asyncio.to_thread(self.units.run, self._finish, prepared, DistributionStatus.FAILED, str(error))
            return
        except TransientSendError as error:
            await asyncio.to_thread(self.units.run, self._finish, prepared, DistributionStatus.QUEUED, str(error))
            raise
        await self._record_sent(prepared, reply)

    async def _record_sent(self, prepared: Prepared, reply: str) -> None:
        """The email is out: record it, retrying here on a database hiccup, since a dramatiq retry
        would find the row still claimed and do nothing until the claim expired (then send it again)."""
        for attempt in range(FINISH_ATTEMPTS):
            try:
                await asyncio.to_thread(self.units.run, self._finish, prepared, DistributionStatus.SENT, reply)
                return
            except Exception as error:
                if attempt == FINISH_ATTEMPTS - 1 or not is_transient(error):
                    raise
                await asyncio.sleep(0.2 * 2**attempt)

    def _claim(self, uow: UnitOfWork, distribution_id: str) -> Prepared | None:
        """`queued` (or a `sending` claim that expired) → `sending`, in one conditional UPDATE … RETURNING."""
        session, now = uow.session, utcnow()
        expired = now - timedelta(seconds=self.settings.send_claim_timeout_seconds)
        row = session.execute(
            _CLAIM, {"distribution_id": distribution_id, "now": now, "expired": expired}
        ).one_or_none()
        if row is None:
            return None
        prepared = Prepared(row.id, row.channel, row.recipient, None)
        try:
            loaded = load_context(session, self.settings, row)
            if loaded.stale_reason is not None:  # what it announces was rolled back while it waited
                _skip(session, row, loaded.stale_reason)
                return None
            return replace(prepared, payload=self._payload(session, row, loaded.context))
        except (TemplateError, PermanentSendError) as error:
            self._finish(uow, prepared, DistributionStatus.FAILED, str(error))
            return None

    def _payload(self, session: Session, row: Row, context: dict[str, Any]) -> Any:
        if row.channel == "webhook":
            return _webhook_payload(row, context)
        rendered = self.renderer(_campaign_templates(session, row)).render(row.trigger, context)
        return build_email(
            rendered,
            sender=self.settings.mail_from,
            recipient=row.recipient,
            recipient_name=context["customer"]["name"],
            qr_png=context["qr_png"],
            message_key=row.id,
            unsubscribe_url=context["unsubscribe_url"],
        )

    async def _deliver(self, prepared: Prepared) -> str:
        if prepared.channel == "webhook":
            status = await self.webhooks.post(prepared.recipient, prepared.payload)
            return f"HTTP {status}"
        return await self.mailer.send(prepared.payload)

    def _finish(self, uow: UnitOfWork, prepared: Prepared, status: DistributionStatus, detail: str) -> None:
        """Record the outcome of a send, if the row is still ours (`sending`)."""
        sent = status == DistributionStatus.SENT
        row = uow.session.execute(
            _FINISH,
            {
                "distribution_id": prepared.id,
                "new_status": status,
                "new_last_error": None if sent else detail[:2000],
                "new_sent_at": utcnow() if sent else None,
            },
        ).one_or_none()
        if row is not None:
            _record_outcome_activity(uow, row, status, detail)


# Core UPDATE … RETURNING, built once: the ORM's bulk-update machinery, and building the statement per send,
# cost more than the round trip.
_DISTRIBUTIONS = Distribution.__table__
_CLAIM = (
    update(_DISTRIBUTIONS)
    .where(
        _DISTRIBUTIONS.c.id == bindparam("distribution_id"),
        (_DISTRIBUTIONS.c.status == DistributionStatus.QUEUED)  # or a claim that expired (its worker died mid-send)
        | (
            (_DISTRIBUTIONS.c.status == DistributionStatus.SENDING)
            & (_DISTRIBUTIONS.c.claimed_at < bindparam("expired"))
        ),
    )
    .values(
        status=DistributionStatus.SENDING,
        claimed_at=bindparam("now", type_=_DISTRIBUTIONS.c.claimed_at.type),
        attempts=_DISTRIBUTIONS.c.attempts + 1,
    )
    .returning(*_DISTRIBUTIONS.c)
)
_FINISH = (
    update(_DISTRIBUTIONS)
    .where(
        _DISTRIBUTIONS.c.id == bindparam("distribution_id"),
        _DISTRIBUTIONS.c.status == DistributionStatus.SENDING,  # still ours
    )
    .values(
        status=bindparam("new_status", type_=_DISTRIBUTIONS.c.status.type),
        last_error=bindparam("new_last_error", type_=_DISTRIBUTIONS.c.last_error.type),
        sent_at=func.coalesce(bindparam("new_sent_at", type_=_DISTRIBUTIONS.c.sent_at.type), _DISTRIBUTIONS.c.sent_at),
    )
    .returning(*_DISTRIBUTIONS.c)
)
_SKIP = (
    update(_DISTRIBUTIONS)
    .where(
        _DISTRIBUTIONS.c.id == bindparam("distribution_id"),
        _DISTRIBUTIONS.c.status == DistributionStatus.SENDING,
    )
    .values(
        status=DistributionStatus.SKIPPED,
        last_error=bindparam("reason", type_=_DISTRIBUTIONS.c.last_error.type),
        attempts=_DISTRIBUTIONS.c.attempts - 1,
    )
)


def _skip(session: Session, row: Row, reason: str) -> None:
    """Give up a claimed distribution without sending it: `skipped` with the reason, the claim's attempt not counted
    (nothing was attempted). SPEC's activity types name no skip; the rollback that caused it is in the activity."""
    session.execute(_SKIP, {"distribution_id": row.id, "reason": reason})
    log.info("notification_skipped", distribution_id=row.id, trigger=row.trigger, channel=row.channel, reason=reason)


def _record_outcome_activity(uow: UnitOfWork, row: Row, status: DistributionStatus, detail: str) -> None:
    kind = SENT_ACTIVITY if status == DistributionStatus.SENT else FAILED_ACTIVITY
    uow.record(
        kind[row.channel],
        campaign_id=row.campaign_id,
        customer_id=row.customer_id,
        key=f"{row.id}:{row.attempts}",
        data={
            "distribution_id": row.id,
            "trigger": row.trigger,
            "recipient": row.recipient,
            "attempt": row.attempts,
            "will_retry": status == DistributionStatus.QUEUED,
            "detail": detail[:500],
        },
    )


def _campaign_templates(session: Session, row: Row) -> dict[str, str]:
    campaign = session.get(Campaign, row.campaign_id)
    return dict(campaign.templates or {}) if campaign else {}


def _webhook_payload(row: Row, context: dict) -> dict:
    data = {key: value for key, value in context.items() if key not in ("qr_png", "unsubscribe_url", "brand")}
    return {"id": row.id, "type": row.trigger, "created_at": row.created_at.isoformat(), "data": data}


def build_notifier(settings: Settings, units: UnitsOfWork) -> Notifier:
    """SMTP when a host is configured, the `.eml` outbox otherwise; webhooks signed with our secret."""
    if settings.smtp_host:
        mailer: Any = SmtpSender(
            SmtpConfig(
                host=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=settings.smtp_password,
                tls=settings.smtp_tls,
                timeout=settings.smtp_timeout,
            )
        )
    else:
        mailer = OutboxSender(settings.outbox_dir)
    secret = settings.outgoing_webhook_secret or settings.events_secret or settings.signing_key
    return Notifier(units, settings, mailer, WebhookSender(secret=secret, timeout=settings.smtp_timeout))
