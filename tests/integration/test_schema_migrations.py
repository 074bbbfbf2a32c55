"""The migrations build the models' schema; the counters migration (0002) backfills what was there before it."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, Table, inspect, select
from sqlalchemy.orm import Session

from db.engine import build_engine
from db.ids import new_id
from db.migrate import alembic_config, upgrade
from db.models import Base, CampaignReferrer, Code, Customer, Redemption, Referral, Reward, Tier
from db.types import utcnow
from tests.support.databases import throwaway_database

COUNTERS = "0002"


def test_the_migrated_schema_is_the_models_schema(database_url):
    engine = build_engine(database_url)
    try:
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        engine.dispose()


def test_the_counters_migration_recounts_existing_rows_and_its_downgrade_removes_table_and_triggers(tmp_path):
    with throwaway_database(tmp_path) as url:
        engine = build_engine(url)
        try:
            upgrade(engine, "0001")
            ids = _one_referral_with_a_referred_holder(engine)
            upgrade(engine, COUNTERS)
            assert _counters(engine) == {
                (ids["campaign"], ids["ann"]): (1, 1, 1, 0),
                (ids["campaign"], ids["ben"]): (1, 0, 0, 1),
            }
            _downgrade(engine, "0001")
            assert "campaign_referrers" not in inspect(engine).get_table_names()
            _one_referral_with_a_referred_holder(engine)  # no trigger left behind to write to the dropped table
        finally:
            engine.dispose()


def _downgrade(engine, revision: str) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _one_referral_with_a_referred_holder(engine) -> dict[str, str]:
    """Ann holds a code and referred Ben (with a pending reward); Ben then got a code of his own."""
    ids = {"campaign": new_id("camp"), "ann": new_id("cust"), "ben": new_id("cust"), "tier": new_id("tier")}
    codes = {name: new_id("code") for name in ("ann", "ben")}
    with Session(engine) as session, session.begin():
        _add_campaign_as_of_0001(session, ids["campaign"])
        _add_customers_as_of_0001(session, [ids["ann"], ids["ben"]])
        session.add(Tier(id=ids["tier"], campaign_id=ids["campaign"], name="Each", kind="each", threshold=1, reward={}))
        session.flush()
        session.add_all(
            [
                Code(
                    id=codes[name],
                    code=codes[name],
                    code_key=codes[name],
                    campaign_id=ids["campaign"],
                    holder_id=ids[name],
                    meta={},
                )
                for name in ("ann", "ben")
            ]
        )
        redemption = Redemption(
            id=new_id("red"),
            dedupe_key=new_id("key"),
            campaign_id=ids["campaign"],
            code_id=codes["ann"],
            code=codes["ann"],
            customer_id=ids["ben"],
            result="success",
            status="succeeded",
            logs=[],
        )
        session.add(redemption)
        session.flush()
        referral = Referral(
            id=new_id("rfl"),
            campaign_id=ids["campaign"],
            referrer_id=ids["ann"],
            referee_id=ids["ben"],
            code_id=codes["ann"],
            redemption_id=redemption.id,
            ordinal=1,
            status="active",
            created_at=utcnow(),
        )
        session.add(referral)
        session.flush()
        session.add(
            Reward(
                id=new_id("rwd"),
                campaign_id=ids["campaign"],
                tier_id=ids["tier"],
                customer_id=ids["ann"],
                referral_id=referral.id,
                type="credits",
                amount=100,
                status="pending",
                details={},
            )
        )
    return ids


def _add_campaign_as_of_0001(session: Session, campaign_id: str) -> None:
    """Through the table as the database has it: the model has columns that later revisions added."""
    campaigns = Table("campaigns", MetaData(), autoload_with=session.connection())
    now = utcnow()
    session.execute(
        campaigns.insert().values(
            id=campaign_id,
            name="Counters",
            active=True,
            join_once=True,
            code_config={},
            conversion="order.paid",
            reward_hold_days=0,
            metadata={},
            notifications={},
            templates={},
            created_at=now,
            updated_at=now,
        )
    )


def _add_customers_as_of_0001(session: Session, customer_ids: list[str]) -> None:
    customers = Table("customers", MetaData(), autoload_with=session.connection())
    now = utcnow()
    session.execute(
        customers.insert(),
        [
            {
                "id": customer_id,
                "metadata": {},
                "orders_count": 0,
                "orders_amount": 0,
                "created_at": now,
                "updated_at": now,
            }
            for customer_id in customer_ids
        ],
    )


def _counters(engine) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    with Session(engine) as session:
        return {
            (row.campaign_id, row.customer_id): (row.codes_held, row.live_referrals, row.live_rewards, row.referred)
            for row in session.scalars(select(CampaignReferrer))
        }


def test_the_money_migration_fills_campaign_currencies_from_the_setting_and_rebuilds_totals_per_currency(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("REFERRALS_DEFAULT_CURRENCY", "EUR")
    with throwaway_database(tmp_path) as url:
        engine = build_engine(url)
        try:
            upgrade(engine, "0003")
            with Session(engine) as session, session.begin():
                _add_campaign_as_of_0001(session, "camp_money")
                _add_customers_as_of_0001(session, ["cust_money"])
                orders = Table("orders", MetaData(), autoload_with=session.connection())
                now = utcnow()
                session.execute(
                    orders.insert(),
                    [
                        {
                            "id": f"ord_{n}",
                            "source": "shopify",
                            "external_id": str(n),
                            "customer_id": "cust_money",
                            "amount": amount,
                            "currency": currency,
                            "items": [],
                            "metadata": {},
                            "codes": [],
                            "status": "paid",
                            "facts": {},
                            "refunded_amount": 0,
                            "counted_amount": counted,
                            "created_at": now,
                            "updated_at": now,
                        }
                        for n, (currency, amount, counted) in enumerate(
                            [
                                ("USD", 12900, 12900),
                                ("HKD", 18690, 18690),
                                ("usd", 5000, 4000),
                                (None, 700, 700),
                                ("JPY", 100, None),
                            ]
                        )
                    ],
                )
            upgrade(engine, "0004")
            with Session(engine) as session:
                assert (
                    session.scalar(
                        select(Table("campaigns", MetaData(), autoload_with=session.connection()).c.currency)
                    )
                    == "EUR"
                )
                assert session.get(Customer, "cust_money").orders_amounts == {"USD": 16900, "HKD": 18690, "": 700}
            _downgrade(engine, "0003")
            with Session(engine) as session:
                customers = Table("customers", MetaData(), autoload_with=session.connection())
                assert session.scalar(select(customers.c.orders_amount)) == 16900 + 18690 + 700
        finally:
            engine.dispose()


def test_the_money_migration_gives_a_campaign_the_one_currency_its_redeemed_orders_stated(tmp_path, monkeypatch):
    monkeypatch.setenv("REFERRALS_DEFAULT_CURRENCY", "USD")
    with throwaway_database(tmp_path) as url:
        engine = build_engine(url)
        try:
            upgrade(engine, "0003")
            with Session(engine) as session, session.begin():
                for campaign_id in ("camp_yen", "camp_mixed", "camp_quiet"):
                    _add_campaign_as_of_0001(session, campaign_id)
                tables = {
                    name: Table(name, MetaData(), autoload_with=session.connection())
                    for name in ("orders", "redemptions")
                }
                now = utcnow()
                redeemed = [("camp_yen", "JPY"), ("camp_yen", "jpy"), ("camp_mixed", "USD"), ("camp_mixed", "HKD")]
                for n, (campaign_id, currency) in enumerate(redeemed):
                    session.execute(
                        tables["orders"]
                        .insert()
                        .values(
                            id=f"ord_{n}",
                            source="shopify",
                            external_id=str(n),
                            amount=100,
                            currency=currency,
                            items=[],
                            metadata={},
                            codes=[],
                            status="paid",
                            facts={},
                            refunded_amount=0,
                            created_at=now,
                            updated_at=now,
                        )
                    )
                    session.execute(
                        tables["redemptions"]
                        .insert()
                        .values(
                            id=f"red_{n}",
                            dedupe_key=f"k{n}",
                            campaign_id=campaign_id,
                            code=f"C{n}",
                            order_id=f"ord_{n}",
                            result="SUCCESS",
                            status="succeeded",
                            logs=[],
                            created_at=now,
                        )
                    )
            upgrade(engine, "0004")
            with Session(engine) as session:
                campaigns = Table("campaigns", MetaData(), autoload_with=session.connection())
                currencies = dict(session.execute(select(campaigns.c.id, campaigns.c.currency)).all())
            assert currencies == {"camp_yen": "JPY", "camp_mixed": "USD", "camp_quiet": "USD"}
        finally:
            engine.dispose()
