"""Seed a migrated PostgreSQL database for the read benchmark, in SQL on the server (INSERT … SELECT generate_series).

    python -m bench.seed_reads postgresql+psycopg://postgres@127.0.0.1:5432/mydb [--redemptions 1000000] [--activities 5000000]

Five campaigns of unequal size (40/25/15/12/8 %), one referrer code per 50 redemptions with a heavy head (a few
referrers bring most referees), a new referee customer per redemption with its paid order (12900 USD; the
rolled-back ones refunded in full), 90 % succeeded / 8 % failed / 2 % rolled back, a referral per redemption that succeeded or was rolled back and an `each` reward per live referral, and activity
rows over five categories, all spread over the last 365 days with time-sortable ids. Foreign-key triggers are off
while loading (session_replication_role = replica) and the secondary indexes of the big tables are dropped and built
again afterwards (the same definitions, read from pg_indexes); the trigger-maintained counters (campaign_referrers)
are then filled by their migration's backfill, and VACUUM ANALYZE runs at the end.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, text

from db.migrate import alembic_config, upgrade

CAMPAIGN_WEIGHTS = (0.40, 0.25, 0.15, 0.12, 0.08)
REDEMPTIONS_PER_CODE = 50
DAYS = 365
COUNTERS_REVISION = "0002"  # campaign_referrers
BIG_TABLES = ("customers", "orders", "redemptions", "referrals", "reward_redemptions", "activities")
SECONDARY_INDEXES = """
    SELECT indexname, indexdef FROM pg_indexes i
    WHERE schemaname = current_schema() AND tablename = ANY(:tables)
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"""


@dataclass(frozen=True)
class Plan:
    redemptions: int
    activities: int

    @property
    def codes(self) -> int:
        return max(len(CAMPAIGN_WEIGHTS), self.redemptions // REDEMPTIONS_PER_CODE)

    def parameters(self) -> dict[str, int]:
        return {"redemptions": self.redemptions, "activities": self.activities, "codes": self.codes, "days": DAYS}


# A time-sortable id like the product's: prefix, 12 hex digits of epoch milliseconds, 14 more of a hash.
def _id(prefix: str, moment: str, salt: str) -> str:
    return (
        f"'{prefix}_' || lpad(to_hex((extract(epoch from {moment}) * 1000)::bigint), 12, '0')"
        f" || substr(md5({salt}), 1, 14)"
    )


# Row n of `total`, spread evenly over the last DAYS days (oldest first).
def _moment(n: str, total: str) -> str:
    return f"(now() - make_interval(days => :days) * (1 - {n}::float8 / ({total})))"


STEPS: tuple[tuple[str, str], ...] = (
    (
        "campaign table",
        """
        CREATE TEMP TABLE seed_campaigns AS
        SELECT c, 'camp_seed' || c AS id, lo, hi,
               floor(lo * :codes)::int + 1 AS code_lo, greatest(floor(hi * :codes)::int, floor(lo * :codes)::int + 1) AS code_hi
        FROM (VALUES (0, 0.0, 0.40), (1, 0.40, 0.65), (2, 0.65, 0.80), (3, 0.80, 0.92), (4, 0.92, 1.0001)) AS w(c, lo, hi)""",
    ),
    (
        "campaigns",
        """
        INSERT INTO campaigns (id, name, active, join_once, code_config, conversion, reward_hold_days, metadata,
                               notifications, templates, created_at, updated_at)
        SELECT id, 'Seeded campaign ' || c, true, true, '{"pattern": "SEED-#####"}', 'order.paid', 0, '{}', '{}', '{}',
               now() - make_interval(days => :days + 1), now()
        FROM seed_campaigns""",
    ),
    (
        "tiers",
        """
        INSERT INTO referral_tiers (id, campaign_id, name, kind, threshold, reward, created_at)
        SELECT 'tier_seed' || c || k, id, k, k, CASE k WHEN 'each' THEN 1 ELSE 5 END,
               CASE k WHEN 'each' THEN '{"type": "credits", "amount": 1000}'::jsonb ELSE '{"type": "points", "amount": 500}'::jsonb END,
               now() - make_interval(days => :days + 1)
        FROM seed_campaigns CROSS JOIN (VALUES ('each'), ('milestone')) AS kinds(k)""",
    ),
    (
        "customers",
        f"""
        INSERT INTO customers (id, source_id, email, email_normalized, name, metadata, orders_count, orders_amounts,
                               created_at, updated_at)
        SELECT 'cust_seed' || lpad(n::text, 21, '0'), 'seed-' || n, 'c' || n || '@example.com', 'c' || n || '@example.com',
               'Customer ' || n, '{{}}', CASE WHEN n > :codes THEN 1 ELSE 0 END, CASE WHEN n > :codes THEN '{{"USD": 12900}}'::jsonb ELSE '{{}}'::jsonb END,
               {_moment("n", ":codes + :redemptions")}, now()
        FROM generate_series(1, :codes + :redemptions) AS n""",
    ),
    (
        "codes",
        f"""
        INSERT INTO codes (id, code, code_key, campaign_id, active, holder_id, published_at, publish_channel,
                           redeemed_count, metadata, created_at)
        SELECT 'code_seed' || lpad(n::text, 21, '0'), 'SEED-' || n, 'SEED-' || n, s.id, true,
               CASE WHEN n % 10 < 8 THEN 'cust_seed' || lpad(n::text, 21, '0') END,
               CASE WHEN n % 10 < 8 THEN {_moment("n", ":codes")} END, CASE WHEN n % 10 < 8 THEN 'api' END,
               0, '{{}}', {_moment("n", ":codes")}
        FROM generate_series(1, :codes) AS n JOIN seed_campaigns s ON n >= s.code_lo AND n <= s.code_hi""",
    ),
    (
        "redemptions",
        f"""
        INSERT INTO redemptions (id, dedupe_key, campaign_id, code_id, code, customer_id, order_id, order_external_id,
                                 amount, result, status, failure_code, failure_message, logs, created_at, rolled_back_at)
        SELECT {_id("red", "at", "n::text")}, 'seed:' || n, s.id, 'code_seed' || lpad(k::text, 21, '0'), 'SEED-' || k,
               'cust_seed' || lpad((:codes + n)::text, 21, '0'), 'ord_seed' || lpad(n::text, 22, '0'), 'o' || n, 12900,
               CASE WHEN roll < 0.92 THEN 'success' ELSE 'failure' END,
               CASE WHEN roll < 0.90 THEN 'succeeded' WHEN roll < 0.92 THEN 'rolled_back' ELSE 'failed' END,
               CASE WHEN roll >= 0.92 THEN 'rule_violated' END, CASE WHEN roll >= 0.92 THEN 'order amount too low' END,
               '[]', at, CASE WHEN roll >= 0.90 AND roll < 0.92 THEN at + interval '1 day' END
        FROM (SELECT n, random() AS u, random() AS r, random() AS roll, {_moment("n", ":redemptions")} AS at
              FROM generate_series(1, :redemptions) AS n) AS g
        JOIN seed_campaigns s ON g.u >= s.lo AND g.u < s.hi
        CROSS JOIN LATERAL (SELECT s.code_lo + floor((s.code_hi - s.code_lo + 1) * g.r ^ 3)::int AS k) AS pick""",
    ),
    (
        "orders",
        """
        INSERT INTO orders (id, source, external_id, customer_id, amount, currency, items, metadata, codes, status, facts,
                            paid_at, refunded_amount, counted_amount, created_at, updated_at)
        SELECT r.order_id, 'seed', r.order_external_id, r.customer_id, 12900, 'USD', '[]', '{}', jsonb_build_array(r.code),
               CASE WHEN r.status = 'rolled_back' THEN 'refunded' ELSE 'paid' END, '{}', r.created_at,
               CASE WHEN r.status = 'rolled_back' THEN 12900 ELSE 0 END,
               CASE WHEN r.status = 'rolled_back' THEN NULL ELSE 12900 END, r.created_at, r.created_at
        FROM redemptions r""",
    ),
    (
        "referrals",
        f"""
        INSERT INTO referrals (id, campaign_id, referrer_id, referee_id, code_id, redemption_id, ordinal, status,
                               live_key, settled_at, created_at, rolled_back_at)
        SELECT {_id("rfl", "r.created_at", "r.id")}, r.campaign_id, 'cust_seed' || substr(r.code_id, 10), r.customer_id,
               r.code_id, r.id, row_number() OVER (PARTITION BY r.code_id ORDER BY r.id),
               CASE r.status WHEN 'succeeded' THEN 'active' ELSE 'rolled_back' END,
               CASE r.status WHEN 'succeeded' THEN r.campaign_id || ':' || r.customer_id END,
               r.created_at, r.created_at, r.rolled_back_at
        FROM redemptions r WHERE r.result = 'success'""",
    ),
    (
        "rewards",
        f"""
        INSERT INTO reward_redemptions (id, campaign_id, tier_id, customer_id, referral_id, type, amount, status,
                                        live_key, details, created_at, completed_at)
        SELECT {_id("rwd", "f.created_at", "f.id")}, f.campaign_id, t.id, f.referrer_id, f.id, 'credits', 1000, 'completed',
               'each:' || t.id || ':' || f.id, '{{}}', f.created_at, f.created_at
        FROM referrals f JOIN referral_tiers t ON t.campaign_id = f.campaign_id AND t.kind = 'each'
        WHERE f.status = 'active'""",
    ),
    (
        "activities",
        f"""
        INSERT INTO activities (id, dedupe_key, type, category, campaign_id, customer_id, data, created_at)
        SELECT {_id("act", "at", "n::text")}, 'seed:' || n, kind.type, kind.category,
               CASE WHEN kind.category = 'order' THEN NULL ELSE s.id END,
               'cust_seed' || lpad((1 + floor(random() * (:codes + :redemptions)))::int::text, 21, '0'),
               jsonb_build_object('redemption_id', 'red_' || n, 'code', 'SEED-' || n % 997, 'order_id', 'o' || n,
                                  'event_id', 'evt_' || n, 'result', 'success', 'amount', 12900),
               at
        FROM (SELECT n, random() AS u, random() AS v, {_moment("n", ":activities")} AS at
              FROM generate_series(1, :activities) AS n) AS g
        JOIN seed_campaigns s ON g.u >= s.lo AND g.u < s.hi
        JOIN (VALUES (0.00, 0.20, 'customer.order.paid', 'order'),
                     (0.20, 0.40, 'customer.redemption.succeeded', 'redemption'),
                     (0.40, 0.55, 'customer.referred', 'referral'),
                     (0.55, 0.85, 'customer.reward_redemptions.created', 'reward'),
                     (0.85, 1.01, 'customer.email.sent', 'notification')) AS kind(lo, hi, type, category)
          ON g.v >= kind.lo AND g.v < kind.hi""",
    ),
)


def seed(engine: Engine, plan: Plan, *, echo: Callable[[str], None] = print) -> dict[str, float]:
    """Load everything in one transaction, then VACUUM ANALYZE; returns the seconds each step took."""
    timings = {}
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        connection.execute(text("SELECT setseed(0.42)"))
        indexes = _drop_secondary_indexes(connection)
        for name, sql in STEPS:
            timings[name] = _timed(name, echo, lambda sql=sql: connection.execute(text(sql), plan.parameters()))
        timings["indexes"] = _timed("indexes", echo, lambda: [connection.execute(text(ddl)) for ddl in indexes])
        timings["counters"] = _timed("counters", echo, lambda: _recount(connection))
    timings["vacuum analyze"] = _timed("vacuum analyze", echo, lambda: _vacuum_analyze(engine))
    return timings


def _drop_secondary_indexes(connection: Connection) -> list[str]:
    """Drop the big tables' plain indexes (not keys or unique constraints); returns their CREATE statements."""
    indexes = connection.execute(text(SECONDARY_INDEXES), {"tables": list(BIG_TABLES)}).all()
    for name, _ in indexes:
        connection.execute(text(f'DROP INDEX "{name}"'))
    return [definition for _, definition in indexes]


def _recount(connection: Connection) -> None:
    """Fill the trigger-maintained counters (the triggers are off while loading) with their migration's own backfill."""
    script = ScriptDirectory.from_config(alembic_config(str(connection.engine.url))).get_revision(COUNTERS_REVISION)
    script.module.backfill(connection)


def _vacuum_analyze(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def _timed(name: str, echo: Callable[[str], None], work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    seconds = round(time.perf_counter() - started, 2)
    echo(f"  seeded {name} in {seconds} s")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("--redemptions", type=int, default=1_000_000)
    parser.add_argument("--activities", type=int, default=5_000_000)
    parser.add_argument("--migrate", action="store_true", help="apply the migrations first")
    args = parser.parse_args()
    engine = create_engine(args.database_url)
    if args.migrate:
        upgrade(engine)
    seed(engine, Plan(args.redemptions, args.activities))
    engine.dispose()


if __name__ == "__main__":
    main()
