"""request types: an escalation's kind, request type and answers; request approvals

A request made through a request type's form is an escalation of kind ``request`` carrying its
type's key and the answers given; one that needs approval has a ``request_approvals`` row with
the approver, the hash of the single-use link and the decision. Existing escalations are
incidents.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 20:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "request_approvals"


def upgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), server_default="incident", nullable=False)
        )
        batch_op.add_column(sa.Column("request_type", sa.String(length=60), nullable=True))
        batch_op.add_column(
            sa.Column("request_answers", sa.JSON(), server_default="[]", nullable=False)
        )
        batch_op.create_index(
            batch_op.f("ix_escalations_request_type"), ["request_type"], unique=False
        )
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("approver_email", sa.String(length=254), nullable=False),
        sa.Column("approver_role", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=254), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f(f"fk_{TABLE}_escalation_id_escalations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{TABLE}")),
        sa.UniqueConstraint("escalation_id", name=op.f(f"uq_{TABLE}_escalation_id")),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{TABLE}_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f(f"ix_{TABLE}_status"))
    op.drop_table(TABLE)
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalations_request_type"))
        batch_op.drop_column("request_answers")
        batch_op.drop_column("request_type")
        batch_op.drop_column("kind")
