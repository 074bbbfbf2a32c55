"""program figures indexes

Indexes for the program figures (db/queries/analytics.py, `GET /api/v1/campaigns/{id}/analytics` and the
dashboard overview), each a range of one campaign's rows over the window's timestamps, so a 30-day window of a
campaign with 400,000 redemptions reads about 30,000 index entries per figure instead of the campaign's rows:

- ix_redemptions_campaign_created (campaign_id, created_at, status): succeeded and failed redemptions per day, an
  index-only scan (status is in the index);
- ix_referrals_campaign_status_created (campaign_id, status, created_at): live referrals (referees) per day;
- ix_rewards_campaign_created / _completed / _rolled_back (campaign_id, created_at | completed_at | rolled_back_at):
  rewards created, completed and rolled back per day, each on the day it happened;
- ix_codes_campaign_published (campaign_id, published_at): activation (referrers given a code in the window) and
  the K-factor's divisor (referrers holding a code at the window's start);
- ix_orders_paid_at (paid_at): referral and attributed revenue (orders paid in the window, then checked against
  the campaign's referees and redemptions through their existing indexes).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 02:00:00

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_redemptions_campaign_created", "redemptions", ["campaign_id", "created_at", "status"]),
    ("ix_referrals_campaign_status_created", "referrals", ["campaign_id", "status", "created_at"]),
    ("ix_rewards_campaign_created", "reward_redemptions", ["campaign_id", "created_at"]),
    ("ix_rewards_campaign_completed", "reward_redemptions", ["campaign_id", "completed_at"]),
    ("ix_rewards_campaign_rolled_back", "reward_redemptions", ["campaign_id", "rolled_back_at"]),
    ("ix_codes_campaign_published", "codes", ["campaign_id", "published_at"]),
    ("ix_orders_paid_at", "orders", ["paid_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
