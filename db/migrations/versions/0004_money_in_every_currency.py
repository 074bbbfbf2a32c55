"""money in every currency

- `campaigns.currency` (ISO 4217): an existing campaign whose redeemed orders all stated one currency gets that
  currency (a EUR shop upgrading with the default setting keeps comparing its rules in euros); any other gets
  REFERRALS_DEFAULT_CURRENCY as it is when the migration runs (read through the same Settings as the application,
  so `referrals migrate` and the app agree).
- `customers.orders_amounts` (currency → minor units) replaces `customers.orders_amount`, which added every
  currency together: it is rebuilt from the orders themselves (each counted order's `counted_amount` under its
  currency; "" for orders that stated none).
- `exchange_rates`: operator-maintained rates, one per pair and date.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 09:00:00

"""

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import db.types
from config.settings import Settings

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
customers = sa.table(
    "customers",
    sa.column("id", sa.String),
    sa.column("orders_amounts", JSON),
    sa.column("orders_amount", sa.BigInteger),
)
campaigns = sa.table("campaigns", sa.column("id", sa.String), sa.column("currency", sa.String))
redemptions = sa.table("redemptions", sa.column("campaign_id", sa.String), sa.column("order_id", sa.String))
orders = sa.table(
    "orders",
    sa.column("id", sa.String),
    sa.column("customer_id", sa.String),
    sa.column("currency", sa.String),
    sa.column("counted_amount", sa.BigInteger),
)


def upgrade() -> None:
    default_currency = Settings().default_currency
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("currency", sa.String(length=3), server_default=default_currency, nullable=False))
    _currencies_from_orders()
    op.add_column("customers", sa.Column("orders_amounts", JSON, server_default=sa.text("'{}'"), nullable=False))
    _rebuild_totals()
    op.drop_column("customers", "orders_amount")  # SQLite ≥ 3.35 drops a column in place
    op.create_table(
        "exchange_rates",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("base", sa.String(length=3), nullable=False),
        sa.Column("quote", sa.String(length=3), nullable=False),
        sa.Column("rate", sa.String(length=40), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("base", "quote", "date"),
    )
    op.create_index(op.f("ix_exchange_rates_created_at"), "exchange_rates", ["created_at"], unique=False)


def _currencies_from_orders() -> None:
    """A campaign whose redeemed orders all stated the same currency is in that currency."""
    currency = sa.func.upper(orders.c.currency)
    query = (
        sa.select(redemptions.c.campaign_id, sa.func.min(currency))
        .join(orders, orders.c.id == redemptions.c.order_id)
        .where(redemptions.c.campaign_id.is_not(None), orders.c.currency.is_not(None), orders.c.currency != "")
        .group_by(redemptions.c.campaign_id)
        .having(sa.func.count(sa.distinct(currency)) == 1)
    )
    connection = op.get_bind()
    for campaign_id, code in connection.execute(query).all():
        if len(code) == 3 and code.isalpha():
            connection.execute(campaigns.update().where(campaigns.c.id == campaign_id).values(currency=code))


def _rebuild_totals() -> None:
    """Each customer's counted orders summed per currency (orders are the source of truth for the totals)."""
    currency = sa.func.upper(sa.func.coalesce(orders.c.currency, ""))
    query = (
        sa.select(orders.c.customer_id, currency, sa.func.sum(orders.c.counted_amount))
        .where(orders.c.customer_id.is_not(None), orders.c.counted_amount.is_not(None))
        .group_by(orders.c.customer_id, currency)
    )
    totals: dict[str, dict[str, int]] = defaultdict(dict)
    connection = op.get_bind()
    for customer_id, code, amount in connection.execute(query):
        totals[customer_id][code] = int(amount or 0)
    statement = (
        customers.update()
        .where(customers.c.id == sa.bindparam("customer_id"))
        .values(orders_amounts=sa.bindparam("amounts"))
    )
    rows = [{"customer_id": customer_id, "amounts": amounts} for customer_id, amounts in totals.items()]
    for start in range(0, len(rows), 1000):
        connection.execute(statement, rows[start : start + 1000])


def downgrade() -> None:
    op.drop_index(op.f("ix_exchange_rates_created_at"), table_name="exchange_rates")
    op.drop_table("exchange_rates")
    op.add_column("customers", sa.Column("orders_amount", sa.BigInteger(), server_default="0", nullable=False))
    connection = op.get_bind()
    rows = [
        {"customer_id": customer_id, "amount": sum((amounts or {}).values())}
        for customer_id, amounts in connection.execute(sa.select(customers.c.id, customers.c.orders_amounts))
    ]
    statement = (
        customers.update()
        .where(customers.c.id == sa.bindparam("customer_id"))
        .values(orders_amount=sa.bindparam("amount"))
    )
    if rows:
        connection.execute(statement, rows)
    op.drop_column("customers", "orders_amounts")
    op.drop_column("campaigns", "currency")  # in place: a batch copy of campaigns would trip 0003's triggers on SQLite
