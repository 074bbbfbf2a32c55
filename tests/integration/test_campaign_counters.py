"""The overview's trigger-maintained counters (campaign_referrers) agree with a straightforward recount of codes,
referrals and rewards after referrals, rollbacks, reward rollbacks and code changes, whoever makes the write."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import create_engine, delete, select, text, update
from sqlalchemy.orm import Session

from db.ids import new_id
from db.models import CampaignReferrer, Code, Customer, LedgerEntry, Redemption, Referral, Reward
from db.queries.campaigns import summary
from db.types import utcnow
from domain.codes import code_key
from tests.api.helpers import add_tier, create_campaign, invite, paid_order, send_event
from tests.support.databases import backend
from tests.support.pipeline import drain, native_event

LIVE_REWARDS = ("pending", "completed")
COUNTED_KEYS = (
    "available_codes",
    "customers_joined",
    "customers_with_codes",
    "referees",
    "rewards_assigned",
    "top_referrers",
)


def recount(session: Session, campaign_id: str) -> dict:
    """The overview's counts the slow, obvious way: from every code, referral and reward of the campaign."""
    codes = session.execute(
        select(Code.holder_id, Code.active, Code.deleted_at).where(Code.campaign_id == campaign_id)
    ).all()
    holders = {holder for holder, _, _ in codes if holder}
    live = session.execute(
        select(Referral.referrer_id, Referral.referee_id).where(
            Referral.campaign_id == campaign_id, Referral.status == "active"
        )
    ).all()
    per_referrer = Counter(referrer for referrer, _ in live)
    rewards = session.scalars(
        select(Reward.id).where(Reward.campaign_id == campaign_id, Reward.status.in_(LIVE_REWARDS))
    ).all()
    return {
        "available_codes": sum(1 for holder, active, deleted in codes if holder is None and active and deleted is None),
        "customers_joined": len(holders | {referee for _, referee in live}),
        "customers_with_codes": len(holders),
        "referees": len(live),
        "rewards_assigned": len(rewards),
        "top_referrers": sorted(per_referrer.items(), key=lambda item: (-item[1], item[0]))[:5],
    }


def overview(session: Session, campaign_id: str) -> dict:
    """The counted part of the real overview, with top referrers as (customer id, referees) pairs."""
    counted = {key: value for key, value in summary(session, campaign_id).items() if key in COUNTED_KEYS}
    return counted | {"top_referrers": [(row["customer_id"], row["referees"]) for row in counted["top_referrers"]]}


def expected_rows(session: Session) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    """(codes held, live referrals, live rewards, referred) per campaign and customer, recounted."""
    rows: dict[tuple[str, str], list[int]] = {}
    sources = [
        (0, select(Code.campaign_id, Code.holder_id).where(Code.holder_id.is_not(None))),
        (1, select(Referral.campaign_id, Referral.referrer_id).where(Referral.status == "active")),
        (2, select(Reward.campaign_id, Reward.customer_id).where(Reward.status.in_(LIVE_REWARDS))),
    ]
    for position, query in sources:
        for key in session.execute(query):
            rows.setdefault(tuple(key), [0, 0, 0, 0])[position] += 1
    for key in session.execute(select(Referral.campaign_id, Referral.referee_id).where(Referral.status == "active")):
        if tuple(key) in rows:
            rows[tuple(key)][3] += 1
    return {key: tuple(counts) for key, counts in rows.items()}


def stored_rows(session: Session) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    """The maintained rows, leaving out those every count has left (they stay behind at zero)."""
    rows = session.scalars(select(CampaignReferrer)).all()
    return {
        (row.campaign_id, row.customer_id): (row.codes_held, row.live_referrals, row.live_rewards, row.referred)
        for row in rows
        if (row.codes_held, row.live_referrals, row.live_rewards) != (0, 0, 0)
    }


def assert_counts_agree(runtime, campaign_id: str) -> dict:
    with runtime.session_factory() as session:
        assert stored_rows(session) == expected_rows(session)
        counted = overview(session, campaign_id)
        assert counted == recount(session, campaign_id)
        return counted


@pytest.fixture
def program(client, runtime, worker) -> dict:
    """A campaign with spare codes, an `each` tier and a two-friend milestone, and three referrers with referees."""
    campaign = create_campaign(client)
    client.post(f"/api/v1/campaigns/{campaign['id']}/codes", json={"count": 4})
    add_tier(client, campaign["id"])
    add_tier(
        client,
        campaign["id"],
        name="Two friends",
        kind="milestone",
        threshold=2,
        reward={"type": "points", "amount": 50},
    )
    referrers = {name: invite(client, campaign["id"], f"{name}@example.com") for name in ("ann", "bob", "cid")}
    for name, friends in (("ann", 3), ("bob", 2), ("cid", 1)):
        for number in range(friends):
            paid_order(
                client,
                runtime,
                referrers[name]["code"],
                order_id=f"o-{name}-{number}",
                email=f"{name}-friend{number}@example.com",
            )
    return {"campaign_id": campaign["id"], **referrers}


def test_counts_after_referrals_match_a_recount(runtime, program):
    counted = assert_counts_agree(runtime, program["campaign_id"])
    assert (counted["referees"], counted["customers_with_codes"], counted["customers_joined"]) == (6, 3, 9)
    assert counted["top_referrers"][0] == (program["ann"]["customer_id"], 3)


def test_counts_follow_rollbacks_reward_rollbacks_and_code_changes(client, runtime, program):
    campaign_id = program["campaign_id"]
    referee = invite(client, campaign_id, "ann-friend0@example.com")  # a referee who becomes a referrer joined once
    paid_order(client, runtime, referee["code"], order_id="o-second-level", email="second-level@example.com")
    latest = client.get(f"/api/v1/campaigns/{campaign_id}/redemptions").json()["data"][0]
    assert client.post(f"/api/v1/redemptions/{latest['id']}/rollback").status_code == 200
    refund = native_event(
        "evt-refund-bob",
        "order.refunded",
        order_id="o-bob-0",
        amount=12900,
        status="refunded",
        email="bob-friend0@example.com",
        source_id="src-bob-friend0@example.com",
    )
    assert send_event(client, refund).status_code == 202
    drain(runtime)
    reward = client.get(f"/api/v1/campaigns/{campaign_id}/rewards").json()["data"][0]
    assert client.post(f"/api/v1/rewards/{reward['id']}/rollback").status_code == 200
    assert client.delete(f"/api/v1/codes/{program['cid']['code']}").status_code == 204
    published = client.post(
        f"/api/v1/campaigns/{campaign_id}/referrers",
        json={"customer": {"email": "bob-friend1@example.com"}, "channel": "api"},
    )
    assert published.status_code == 201
    counted = assert_counts_agree(runtime, campaign_id)
    assert counted["referees"] == 5


def test_counts_follow_writes_made_straight_in_sql(runtime, program):
    """Triggers, not the application, keep the counts: a referral moved to another referrer, a reward and a
    published code deleted, a code unpublished and a referral brought back all count."""
    campaign_id, ann, bob = program["campaign_id"], program["ann"]["customer_id"], program["bob"]["customer_id"]
    with runtime.session_factory() as session, session.begin():
        moved = session.scalars(select(Referral.id).where(Referral.referrer_id == ann).limit(1)).one()
        session.execute(update(Referral).where(Referral.id == moved).values(referrer_id=bob))
        reward = session.scalars(select(Reward.id).where(Reward.customer_id == ann).limit(1)).one()
        session.execute(delete(LedgerEntry).where(LedgerEntry.reward_id == reward))
        session.execute(delete(Reward).where(Reward.id == reward))
        session.execute(update(Code).where(Code.code_key == code_key(program["cid"]["code"])).values(holder_id=None))
    assert_counts_agree(runtime, campaign_id)
    with runtime.session_factory() as session, session.begin():
        rolled = session.scalars(select(Referral).where(Referral.referrer_id == bob).limit(1)).one()
        rolled.status, rolled.live_key = "rolled_back", None
        session.flush()
        rolled.status, rolled.live_key = "active", f"{campaign_id}:{rolled.referee_id}"
        spare = session.scalars(
            select(Code)
            .where(Code.campaign_id == campaign_id, Code.holder_id.is_(None), Code.redeemed_count == 0)
            .limit(1)
        ).one()
        spare.holder_id = rolled.referee_id
    assert_counts_agree(runtime, campaign_id)
    with runtime.session_factory() as session, session.begin():
        session.execute(delete(Code).where(Code.holder_id == rolled.referee_id))
    assert_counts_agree(runtime, campaign_id)


def test_referrals_processed_concurrently_by_the_workers_are_each_counted(client, runtime, program):
    campaign_id = program["campaign_id"]
    for number in range(40):
        name = ("ann", "bob", "cid")[number % 3]
        event = native_event(
            f"evt-burst-{number}",
            "order.paid",
            order_id=f"o-burst-{number}",
            code=program[name]["code"],
            email=f"burst{number}@example.com",
            source_id=f"src-burst{number}",
            status="paid",
        )
        assert send_event(client, event).status_code == 202
    drain(runtime, timeout_s=120)
    counted = assert_counts_agree(runtime, campaign_id)
    assert counted["referees"] == 46


# --- PostgreSQL: a code published to someone while they are being referred, in either order ----------------


@pytest.mark.skipif(backend() != "postgresql", reason="concurrent writers need PostgreSQL (SQLite has one writer)")
@pytest.mark.parametrize("first", ["publish", "referral"])
def test_a_holder_referred_while_being_published_counts_once_whichever_commits_first(runtime, program, settings, first):
    campaign_id, ann = program["campaign_id"], program["ann"]
    newcomer, spare_code = _newcomer_and_spare_code(runtime, campaign_id)
    engine = create_engine(settings.database_url)
    writes = {
        "publish": lambda session: session.execute(
            update(Code).where(Code.id == spare_code).values(holder_id=newcomer)
        ),
        "referral": lambda session: _refer(session, campaign_id, ann["customer_id"], ann["code"], newcomer),
    }
    second = "referral" if first == "publish" else "publish"
    try:
        with Session(engine) as early, early.begin():
            writes[first](early)
            waiting = threading.Thread(target=_write_in_own_transaction, args=(engine, writes[second]))
            waiting.start()
            _wait_while_it_runs_unblocked(engine, waiting)
        waiting.join(timeout=30)
    finally:
        engine.dispose()
    with runtime.session_factory() as session:
        row = session.get(CampaignReferrer, (campaign_id, newcomer))
        assert (row.codes_held, row.referred) == (1, 1)
    counted = assert_counts_agree(runtime, campaign_id)
    assert counted["customers_joined"] == 10  # 3 referrers, 6 referees, and the newcomer counted once


def _newcomer_and_spare_code(runtime, campaign_id: str) -> tuple[str, str]:
    with runtime.session_factory() as session, session.begin():
        newcomer = Customer(
            id=new_id("cust"), email="newcomer@example.com", email_normalized="newcomer@example.com", meta={}
        )
        session.add(newcomer)
        spare = session.scalars(
            select(Code.id).where(Code.campaign_id == campaign_id, Code.holder_id.is_(None)).limit(1)
        ).one()
    return newcomer.id, spare


def _refer(session: Session, campaign_id: str, referrer_id: str, code: str, referee_id: str) -> None:
    """A referral written the way the worker writes it (a redemption, then its referral)."""
    code_row = session.scalars(select(Code).where(Code.code_key == code_key(code))).one()
    redemption = Redemption(
        id=new_id("red"),
        dedupe_key=new_id("dedupe"),
        campaign_id=campaign_id,
        code_id=code_row.id,
        code=code,
        customer_id=referee_id,
        result="success",
        status="succeeded",
        logs=[],
    )
    session.add(redemption)
    session.flush()
    session.add(
        Referral(
            id=new_id("rfl"),
            campaign_id=campaign_id,
            referrer_id=referrer_id,
            referee_id=referee_id,
            code_id=code_row.id,
            redemption_id=redemption.id,
            ordinal=99,
            status="active",
            live_key=f"{campaign_id}:{referee_id}",
            created_at=utcnow(),
        )
    )
    session.flush()


def _write_in_own_transaction(engine, write) -> None:
    with Session(engine) as session, session.begin():
        write(session)


def _wait_while_it_runs_unblocked(engine, writer: threading.Thread, timeout_s: float = 10.0) -> None:
    """Until the second writer waits on a lock (the counters' advisory lock), or finished without waiting."""
    with engine.connect() as connection:
        for _ in range(int(timeout_s / 0.01)):
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock'"
                )
            ).scalar()
            if waiting or not writer.is_alive():
                return
            connection.execute(text("SELECT pg_sleep(0.01)"))
        sessions = connection.execute(
            text(
                "SELECT pid, state, wait_event_type, wait_event, left(query, 80) FROM pg_stat_activity"
                " WHERE datname = current_database()"
            )
        ).all()
    raise TimeoutError(f"the second writer neither waited for the first nor finished; sessions: {sessions}")
