"""tree revision motivation: the resolved escalations a revision was built from

A revision made with "Turn into a branch" (a group of resolved escalations that the same fix
solved) keeps which escalations motivated it, so the tree's history and diff pages can show the
tickets behind the change. Older revisions have none (NULL).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tree_revisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("motivated_by", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tree_revisions", schema=None) as batch_op:
        batch_op.drop_column("motivated_by")
