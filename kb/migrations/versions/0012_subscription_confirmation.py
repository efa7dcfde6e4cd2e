"""subscription confirmation: outage mail only to addresses that confirmed

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outage_subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(), nullable=True))
    # Subscriptions made before confirmation existed keep their mail mid-outage.
    op.execute("UPDATE outage_subscriptions SET confirmed_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("outage_subscriptions", schema=None) as batch_op:
        batch_op.drop_column("confirmed_at")
