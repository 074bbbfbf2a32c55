"""campaign referrer counters

Maintained counts behind the campaign overview (SPEC §5, §8): `campaign_referrers` holds, per campaign and customer,
the codes they hold, their live referrals as referrer, their live rewards, and whether they are a live referee.
The overview then sums one row per referrer instead of counting the referrals and reward tables on every request.

Why triggers: codes, referrals and reward_redemptions are written by the workers, the API's operator actions, the CSV
import and the CLI; a trigger keeps the counts exact for all of them (and for rollbacks, since it runs in the
writer's transaction). Why per-referrer rows and not one row per campaign: work for one referrer is already
serialised, so a per-referrer row adds no contention, whereas a campaign row would serialise every worker.

`referred` is only tracked on rows that exist: it is computed from the referrals table when a row is created, and
referrals of an existing row's customer update it. On PostgreSQL both take a transaction-scoped advisory lock on
(campaign, customer), so a code published to someone at the very moment they are referred is counted once either way.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 02:11:04.217989

"""

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = "campaign_id, customer_id, codes_held, live_referrals, live_rewards, referred"
ROW_LOCK = "pg_advisory_xact_lock(hashtextextended('campaign_referrers:' || p_campaign || ':' || p_customer, 0))"


def _referred(campaign: str, customer: str) -> str:
    """Live referrals of `customer` as a referee in `campaign` (0 or 1)."""
    return (
        f"(SELECT count(*) FROM referrals f WHERE f.campaign_id = {campaign} AND f.status = 'active'"
        f" AND f.referee_id = {customer})"
    )


@dataclass(frozen=True)
class Counted:
    """A table whose live rows feed one counter column of the row of (campaign_id, `customer`)."""

    table: str
    customer: str
    counter: str
    live: str  # SQL condition on the row, written with {row}
    watched: tuple[str, ...]

    def is_live(self, row: str) -> str:
        return self.live.format(row=row)

    def changed(self) -> str:
        """The UPDATE trigger's condition: the row's contribution moved."""
        moved = [f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in self.watched]
        return " OR ".join([f"({self.is_live('OLD')}) IS DISTINCT FROM ({self.is_live('NEW')})", *moved])

    def deltas(self, delta: str) -> str:
        """codes, referrals, rewards arguments of campaign_referrers_add with `delta` in this table's place."""
        return ", ".join(
            delta if counter == self.counter else "0" for counter in ("codes_held", "live_referrals", "live_rewards")
        )


CODES = Counted("codes", "holder_id", "codes_held", "{row}.holder_id IS NOT NULL", ("campaign_id", "holder_id"))
REFERRALS = Counted(
    "referrals",
    "referrer_id",
    "live_referrals",
    "{row}.status = 'active'",
    ("campaign_id", "referrer_id", "referee_id"),
)
REWARDS = Counted(
    "reward_redemptions",
    "customer_id",
    "live_rewards",
    "{row}.status IN ('pending', 'completed')",
    ("campaign_id", "customer_id"),
)
COUNTED = (CODES, REFERRALS, REWARDS)

BACKFILL = f"""
    INSERT INTO campaign_referrers ({COLUMNS})
    SELECT p.campaign_id, p.customer_id, sum(p.codes), sum(p.referrals), sum(p.rewards),
           {_referred("p.campaign_id", "p.customer_id")}
    FROM (SELECT campaign_id, holder_id AS customer_id, count(*) AS codes, 0 AS referrals, 0 AS rewards
          FROM codes WHERE holder_id IS NOT NULL GROUP BY campaign_id, holder_id
          UNION ALL
          SELECT campaign_id, referrer_id, 0, count(*), 0
          FROM referrals WHERE status = 'active' GROUP BY campaign_id, referrer_id
          UNION ALL
          SELECT campaign_id, customer_id, 0, 0, count(*)
          FROM reward_redemptions WHERE status IN ('pending', 'completed') GROUP BY campaign_id, customer_id) AS p
    GROUP BY p.campaign_id, p.customer_id"""


def upgrade() -> None:
    """Create the table, the triggers (which lock the counted tables against writes until commit), then backfill."""
    op.create_table(
        "campaign_referrers",
        sa.Column("campaign_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("codes_held", sa.Integer(), nullable=False),
        sa.Column("referred", sa.Integer(), nullable=False),
        sa.Column("live_referrals", sa.Integer(), nullable=False),
        sa.Column("live_rewards", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
        ),
        sa.PrimaryKeyConstraint("campaign_id", "customer_id"),
    )
    with op.batch_alter_table("campaign_referrers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_campaign_referrers_top", ["campaign_id", "live_referrals", "customer_id"], unique=False
        )
    statements = _postgresql_triggers() if op.get_bind().dialect.name == "postgresql" else _sqlite_triggers()
    for statement in statements:
        op.execute(statement)
    backfill(op.get_bind())


def backfill(connection: sa.Connection) -> None:
    """Recount every row from the counted tables (also run by the read benchmark's seed, which loads with triggers off)."""
    connection.execute(sa.text("DELETE FROM campaign_referrers"))
    connection.execute(sa.text(BACKFILL))


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for counted in COUNTED:
        for operation in ("insert", "update", "delete"):
            op.execute(
                f"DROP TRIGGER IF EXISTS {counted.table}_count_{operation}"
                + (f" ON {counted.table}" if postgresql else "")
            )
        if postgresql:
            op.execute(f"DROP FUNCTION IF EXISTS {counted.table}_count()")
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS campaign_referrers_add(varchar, varchar, integer, integer, integer)")
        op.execute("DROP FUNCTION IF EXISTS campaign_referrers_refer(varchar, varchar, integer)")
    with op.batch_alter_table("campaign_referrers", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_referrers_top")
    op.drop_table("campaign_referrers")


# --- PostgreSQL: two plpgsql helpers and one trigger function per counted table --------------------------


POSTGRESQL_HELPERS = (
    f"""
    CREATE FUNCTION campaign_referrers_add(p_campaign varchar, p_customer varchar, p_codes integer, p_referrals integer,
                                           p_rewards integer) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE campaign_referrers SET codes_held = codes_held + p_codes, live_referrals = live_referrals + p_referrals,
                                      live_rewards = live_rewards + p_rewards
         WHERE campaign_id = p_campaign AND customer_id = p_customer;
        IF FOUND OR p_codes + p_referrals + p_rewards <= 0 THEN
            RETURN;
        END IF;
        PERFORM {ROW_LOCK};
        INSERT INTO campaign_referrers AS r ({COLUMNS})
        VALUES (p_campaign, p_customer, p_codes, p_referrals, p_rewards, {_referred("p_campaign", "p_customer")})
        ON CONFLICT (campaign_id, customer_id) DO UPDATE
           SET codes_held = r.codes_held + p_codes, live_referrals = r.live_referrals + p_referrals,
               live_rewards = r.live_rewards + p_rewards;
    END $$""",
    f"""
    CREATE FUNCTION campaign_referrers_refer(p_campaign varchar, p_customer varchar, p_delta integer)
    RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM {ROW_LOCK};
        UPDATE campaign_referrers SET referred = referred + p_delta WHERE campaign_id = p_campaign AND customer_id = p_customer;
    END $$""",
)


def _postgresql_triggers() -> list[str]:
    statements = list(POSTGRESQL_HELPERS)
    for counted in COUNTED:
        statements.append(_postgresql_function(counted))
        statements += [
            f"CREATE TRIGGER {counted.table}_count_insert AFTER INSERT ON {counted.table} FOR EACH ROW"
            f" WHEN ({counted.is_live('NEW')}) EXECUTE FUNCTION {counted.table}_count()",
            f"CREATE TRIGGER {counted.table}_count_update AFTER UPDATE ON {counted.table} FOR EACH ROW"
            f" WHEN ({counted.changed()}) EXECUTE FUNCTION {counted.table}_count()",
            f"CREATE TRIGGER {counted.table}_count_delete AFTER DELETE ON {counted.table} FOR EACH ROW"
            f" WHEN ({counted.is_live('OLD')}) EXECUTE FUNCTION {counted.table}_count()",
        ]
    return statements


def _postgresql_function(counted: Counted) -> str:
    """Take out the old row's contribution, then add the new row's (a referral also marks its referee)."""

    def moves(row: str, delta: str) -> str:
        referee = (
            f"PERFORM campaign_referrers_refer({row}.campaign_id, {row}.referee_id, {delta});"
            if counted is REFERRALS
            else ""
        )
        return f"{referee} PERFORM campaign_referrers_add({row}.campaign_id, {row}.{counted.customer}, {counted.deltas(delta)});"

    return f"""
    CREATE FUNCTION {counted.table}_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' AND {counted.is_live("OLD")} THEN {moves("OLD", "-1")} END IF;
        IF TG_OP <> 'DELETE' AND {counted.is_live("NEW")} THEN {moves("NEW", "1")} END IF;
        RETURN NULL;
    END $$"""


# --- SQLite: plain triggers (writers are serialised by the database lock, so no locking is needed) ----------


def _sqlite_triggers() -> list[str]:
    statements = []
    for counted in COUNTED:
        columns = ", ".join(counted.watched + (("status",) if "status" in counted.live else ()))
        statements += [
            f"CREATE TRIGGER {counted.table}_count_insert AFTER INSERT ON {counted.table}"
            f" WHEN {counted.is_live('NEW')} BEGIN {_sqlite_moves(counted, 'NEW', 1)} END",
            f"CREATE TRIGGER {counted.table}_count_update AFTER UPDATE OF {columns} ON {counted.table}"
            f" WHEN {_sqlite_changed(counted)} BEGIN {_sqlite_moves(counted, 'OLD', -1)} {_sqlite_moves(counted, 'NEW', 1)} END",
            f"CREATE TRIGGER {counted.table}_count_delete AFTER DELETE ON {counted.table}"
            f" WHEN {counted.is_live('OLD')} BEGIN {_sqlite_moves(counted, 'OLD', -1)} END",
        ]
    return statements


def _sqlite_changed(counted: Counted) -> str:
    return counted.changed().replace("IS DISTINCT FROM", "IS NOT")


def _sqlite_moves(counted: Counted, row: str, delta: int) -> str:
    """The statements moving `row`'s contribution by `delta`, each guarded by the row being live."""
    live = counted.is_live(row)
    referee = (
        f"UPDATE campaign_referrers SET referred = referred + ({delta}) WHERE campaign_id = {row}.campaign_id"
        f" AND customer_id = {row}.referee_id AND {live};"
        if counted is REFERRALS
        else ""
    )
    if delta < 0:
        return (
            f"{referee} UPDATE campaign_referrers SET {counted.counter} = {counted.counter} - 1"
            f" WHERE campaign_id = {row}.campaign_id AND customer_id = {row}.{counted.customer} AND {live};"
        )
    return (
        f"{referee} INSERT INTO campaign_referrers ({COLUMNS})"
        f" SELECT {row}.campaign_id, {row}.{counted.customer}, {counted.deltas('1')},"
        f" {_referred(f'{row}.campaign_id', f'{row}.{counted.customer}')} WHERE {live}"
        f" ON CONFLICT (campaign_id, customer_id) DO UPDATE SET {counted.counter} = {counted.counter} + 1;"
    )
