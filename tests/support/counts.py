"""Row counts and lookups for assertions."""

from __future__ import annotations

from sqlalchemy import func, select

from db.models import Activity, Distribution, InboundEvent, LedgerEntry, Redemption, Referral, Reward

COUNTED = {
    "events": InboundEvent,
    "redemptions": Redemption,
    "referrals": Referral,
    "rewards": Reward,
    "ledger": LedgerEntry,
    "distributions": Distribution,
    "activities": Activity,
}


def row_counts(runtime) -> dict[str, int]:
    with runtime.session_factory() as session:
        return {name: session.scalar(select(func.count()).select_from(model)) for name, model in COUNTED.items()}


def all_rows(runtime, model, *where):
    with runtime.session_factory() as session:
        return list(session.scalars(select(model).where(*where).order_by(model.id)))
