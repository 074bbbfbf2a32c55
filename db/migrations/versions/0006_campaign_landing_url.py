"""campaign landing_url

`campaigns.landing_url`: where a share link (`/r/{code}`) sends a visitor, with the code appended as `ref=<CODE>`
or put in place of `{code}` (SPEC §5.1); empty: the built-in landing page.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 01:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("campaigns", sa.Column("landing_url", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("landing_url")
