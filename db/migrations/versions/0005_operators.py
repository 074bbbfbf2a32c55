"""operators

`operators`: who signs in to the dashboard (email, argon2 password hash, active flag). Created with
`referrals operators create`; `referrals up` creates a demo operator.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 00:05:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    op.create_index(op.f("ix_operators_created_at"), "operators", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_operators_created_at"), table_name="operators")
    op.drop_table("operators")
