"""search log: a reference made when the search is answered

Searches are logged in batches (kb/search/search_log.py), so a search's row has no id yet when
its result links are made; the links carry ``ref`` instead, a random reference the row is
written with. Rows logged before have none (their links carry the id).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 23:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("search_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ref", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_search_log_ref"), ["ref"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("search_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_log_ref"))
        batch_op.drop_column("ref")
