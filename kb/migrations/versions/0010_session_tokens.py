"""session tokens: a per-user secret in every session and remember cookie, rotated to end them

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 15:20:00.000000
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))

    # Every existing account gets its own token; sessions signed in before this upgrade end.
    users = sa.table("users", sa.column("id", sa.Integer()), sa.column("session_token"))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(session_token=secrets.token_urlsafe(32))
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("session_token", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index(batch_op.f("ix_users_session_token"), ["session_token"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_session_token"))
        batch_op.drop_column("session_token")
