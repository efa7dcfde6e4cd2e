"""escalation: escalations, outbox, tickets, follow-ups

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 08:35:42.616206
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_kind"), ["kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_outbox_next_attempt_at"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_outbox_status"), ["status"], unique=False)

    op.create_table(
        "webhook_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("delivery_id", sa.String(length=120), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_receipts")),
        sa.UniqueConstraint("source", "delivery_id", name="uq_receipt_delivery"),
    )
    with op.batch_alter_table("webhook_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_receipts_received_at"), ["received_at"], unique=False
        )

    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("service", sa.String(length=100), nullable=False),
        sa.Column("group", sa.String(length=60), nullable=False),
        sa.Column("impact", sa.String(length=10), nullable=False),
        sa.Column("urgency", sa.String(length=10), nullable=False),
        sa.Column("priority", sa.String(length=4), nullable=False),
        sa.Column("response_due", sa.DateTime(), nullable=False),
        sa.Column("resolve_due", sa.DateTime(), nullable=False),
        sa.Column("first_response_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("reopened_at", sa.DateTime(), nullable=True),
        sa.Column("requester_name", sa.String(length=200), nullable=False),
        sa.Column("requester_email", sa.String(length=254), nullable=False),
        sa.Column("requester_phone", sa.String(length=50), nullable=False),
        sa.Column("requester_location", sa.String(length=200), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=True),
        sa.Column("session_token", sa.String(length=64), nullable=True),
        sa.Column("tree_id", sa.String(length=120), nullable=True),
        sa.Column("tree_revision_id", sa.Integer(), nullable=True),
        sa.Column("node_id", sa.String(length=120), nullable=True),
        sa.Column("transcript", sa.JSON(), nullable=False),
        sa.Column("transcript_text", sa.Text(), nullable=False),
        sa.Column("answers_to_ask", sa.JSON(), nullable=False),
        sa.Column("articles_viewed", sa.JSON(), nullable=False),
        sa.Column("checks_run", sa.JSON(), nullable=False),
        sa.Column("ticket_system", sa.String(length=40), nullable=True),
        sa.Column("ticket_ref", sa.String(length=120), nullable=True),
        sa.Column("ticket_url", sa.String(length=500), nullable=True),
        sa.Column("ticket_status", sa.String(length=40), nullable=False),
        sa.Column("resolution_text", sa.Text(), nullable=False),
        sa.Column("resolved_by", sa.String(length=254), nullable=False),
        sa.Column("resolution_articles", sa.JSON(), nullable=False),
        sa.Column("outage_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["users.id"],
            name=op.f("fk_escalations_requester_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
    )
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_escalations_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_escalations_group"), ["group"], unique=False)
        batch_op.create_index(batch_op.f("ix_escalations_outage_id"), ["outage_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_escalations_priority"), ["priority"], unique=False)
        batch_op.create_index(batch_op.f("ix_escalations_public_id"), ["public_id"], unique=True)
        batch_op.create_index(batch_op.f("ix_escalations_service"), ["service"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_escalations_session_token"), ["session_token"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_escalations_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_escalations_ticket_ref"), ["ticket_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_escalations_tree_id"), ["tree_id"], unique=False)

    op.create_table(
        "followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=True),
        sa.Column("session_token", sa.String(length=64), nullable=True),
        sa.Column("tree_id", sa.String(length=120), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("requester_email", sa.String(length=254), nullable=False),
        sa.Column("requester_name", sa.String(length=200), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("notified_at", sa.DateTime(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answer_comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_followups_escalation_id_escalations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followups")),
    )
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_followups_due_at"), ["due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_followups_escalation_id"), ["escalation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_followups_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_followups_token"), ["token"], unique=True)

    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_tickets_assignee_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_tickets_escalation_id_escalations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("escalation_id", name=op.f("uq_tickets_escalation_id")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_tickets_idempotency_key")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tickets_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_status"), ["status"], unique=False)

    op.create_table(
        "ticket_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=254), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_ticket_notes_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_notes_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_notes")),
    )
    with op.batch_alter_table("ticket_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_notes_ticket_id"), ["ticket_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ticket_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_notes_ticket_id"))

    op.drop_table("ticket_notes")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_status"))
        batch_op.drop_index(batch_op.f("ix_tickets_assignee_id"))

    op.drop_table("tickets")
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_followups_token"))
        batch_op.drop_index(batch_op.f("ix_followups_status"))
        batch_op.drop_index(batch_op.f("ix_followups_escalation_id"))
        batch_op.drop_index(batch_op.f("ix_followups_due_at"))

    op.drop_table("followups")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalations_tree_id"))
        batch_op.drop_index(batch_op.f("ix_escalations_ticket_ref"))
        batch_op.drop_index(batch_op.f("ix_escalations_status"))
        batch_op.drop_index(batch_op.f("ix_escalations_session_token"))
        batch_op.drop_index(batch_op.f("ix_escalations_service"))
        batch_op.drop_index(batch_op.f("ix_escalations_public_id"))
        batch_op.drop_index(batch_op.f("ix_escalations_priority"))
        batch_op.drop_index(batch_op.f("ix_escalations_outage_id"))
        batch_op.drop_index(batch_op.f("ix_escalations_group"))
        batch_op.drop_index(batch_op.f("ix_escalations_created_at"))

    op.drop_table("escalations")
    with op.batch_alter_table("webhook_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_receipts_received_at"))

    op.drop_table("webhook_receipts")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_status"))
        batch_op.drop_index(batch_op.f("ix_outbox_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_outbox_kind"))

    op.drop_table("outbox")
