"""campaign config version

`campaigns.config_version` goes up by one in the same transaction as any change to the campaign's tiers or
validation rules (triggers on referral_tiers and validation_rules, whoever writes them: API, CLI, raw SQL).
Workers keep each campaign's tiers and rules in memory keyed by (campaign id, config_version), and read the
version with the campaign they already load for every order: the two queries per referral order that read
tiers and rules are skipped while nothing changed, and a change is seen by the next transaction that starts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 05:45:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONFIG_TABLES = ("referral_tiers", "validation_rules")
OPERATIONS = ("insert", "update", "delete")


def _bump(*rows: str) -> str:
    """Raise the version of the campaigns these rows belong to, once each."""
    return f"UPDATE campaigns SET config_version = config_version + 1 WHERE id IN ({', '.join(f'{row}.campaign_id' for row in rows)});"


POSTGRESQL_FUNCTION = f"""
CREATE FUNCTION campaigns_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN {_bump("NEW")}
    ELSIF TG_OP = 'UPDATE' THEN {_bump("OLD", "NEW")}
    ELSE {_bump("OLD")}
    END IF;
    RETURN NULL;
END $$"""


def _sqlite_trigger(table: str, operation: str) -> str:
    rows = {"insert": ("NEW",), "update": ("OLD", "NEW"), "delete": ("OLD",)}[operation]
    return f"CREATE TRIGGER {table}_config_{operation} AFTER {operation.upper()} ON {table} BEGIN {_bump(*rows)} END"


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("config_version", sa.Integer(), server_default="0", nullable=False))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
        for table in CONFIG_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_config AFTER INSERT OR UPDATE OR DELETE ON {table}"
                f" FOR EACH ROW EXECUTE FUNCTION campaigns_config_changed()"
            )
    else:
        for table in CONFIG_TABLES:
            for operation in OPERATIONS:
                op.execute(_sqlite_trigger(table, operation))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in CONFIG_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_config ON {table}")
        op.execute("DROP FUNCTION IF EXISTS campaigns_config_changed()")
    else:
        for table in CONFIG_TABLES:
            for operation in OPERATIONS:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_config_{operation}")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("config_version")
