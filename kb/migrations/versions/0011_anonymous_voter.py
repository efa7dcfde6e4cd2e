"""anonymous voter: one anonymous vote per client per article

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 15:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("article_feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("voter", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_article_feedback_voter"), ["voter"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("article_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_feedback_voter"))
        batch_op.drop_column("voter")
