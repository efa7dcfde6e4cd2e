"""tree sessions: one name for decision trees, also in the schema

The table of a tree's runs was called ``diagnostic_sessions`` while the code, the URLs and
every other table say "tree". Renamed with its indexes; constraint names keep their history.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 17:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "revision_id": False,
    "started_at": False,
    "status": False,
    "token": True,
    "tree_id": False,
    "user_id": False,
}


def _rename(old: str, new: str) -> None:
    for column in INDEXES:
        op.drop_index(f"ix_{old}_{column}", table_name=old)
    op.rename_table(old, new)
    for column, unique in INDEXES.items():
        op.create_index(f"ix_{new}_{column}", new, [column], unique=unique)


def upgrade() -> None:
    _rename("diagnostic_sessions", "tree_sessions")


def downgrade() -> None:
    _rename("tree_sessions", "diagnostic_sessions")
