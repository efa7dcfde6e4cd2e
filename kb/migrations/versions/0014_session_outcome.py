"""session outcome: whether a diagnostic ended in a real fix

A session that reaches a resolution is ``unconfirmed`` until the person answers "Did this fix
it?": ``fixed``, ``workaround`` (a workaround ending got them working) or ``not_fixed``.
Escalated sessions are ``not_fixed``. Existing sessions: resolved ones are unconfirmed (nobody
was asked), escalated ones not fixed.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 18:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tree_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("outcome", sa.String(length=20), nullable=False, server_default="")
        )
        batch_op.create_index(batch_op.f("ix_tree_sessions_outcome"), ["outcome"], unique=False)
    sessions = sa.table("tree_sessions", sa.column("status"), sa.column("outcome"))
    op.execute(
        sessions.update().where(sessions.c.status == "resolved").values(outcome="unconfirmed")
    )
    op.execute(
        sessions.update().where(sessions.c.status == "escalated").values(outcome="not_fixed")
    )


def downgrade() -> None:
    with op.batch_alter_table("tree_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tree_sessions_outcome"))
        batch_op.drop_column("outcome")
