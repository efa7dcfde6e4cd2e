"""article resolution log

The resolution log moves out of revisions' front matter (``resolution_log`` in ``extra``) into
its own table, owned by the article. Every entry found in any revision is kept once, so entries
an earlier restore dropped from the head come back.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 15:20:00.000000
"""

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _digest(ticket: str, resolution: str) -> str:
    return hashlib.sha256(f"{ticket}\n{resolution}".encode()).hexdigest()


def upgrade() -> None:
    op.create_table(
        "article_resolutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("ticket", sa.String(length=200), nullable=False),
        sa.Column("resolved_on", sa.String(length=10), nullable=False),
        sa.Column("resolver", sa.String(length=254), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("logged_by", sa.String(length=254), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_resolutions_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_resolutions")),
        sa.UniqueConstraint("article_id", "digest", name="uq_article_resolutions_article_digest"),
    )
    with op.batch_alter_table("article_resolutions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_article_resolutions_article_id"), ["article_id"], unique=False
        )

    revisions = sa.table(
        "article_revisions",
        sa.column("article_id", sa.Integer()),
        sa.column("number", sa.Integer()),
        sa.column("extra", sa.JSON()),
        sa.column("author_name", sa.String()),
        sa.column("created_at", sa.DateTime()),
    )
    resolutions = sa.table(
        "article_resolutions",
        sa.column("article_id", sa.Integer()),
        sa.column("ticket", sa.String()),
        sa.column("resolved_on", sa.String()),
        sa.column("resolver", sa.String()),
        sa.column("resolution", sa.Text()),
        sa.column("digest", sa.String()),
        sa.column("logged_by", sa.String()),
        sa.column("at", sa.DateTime()),
    )
    bind = op.get_bind()
    seen: set[tuple[int, str]] = set()
    rows = []
    now = datetime.now(UTC).replace(tzinfo=None)
    for article_id, _number, extra, author_name, created_at in bind.execute(
        sa.select(revisions).order_by(revisions.c.article_id, revisions.c.number)
    ):
        entries = (extra or {}).get("resolution_log") if isinstance(extra, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            ticket = str(entry.get("ticket") or "")[:200]
            text = str(entry.get("resolution") or "")
            digest = _digest(ticket, text)
            if (article_id, digest) in seen:
                continue
            seen.add((article_id, digest))
            rows.append(
                {
                    "article_id": article_id,
                    "ticket": ticket,
                    "resolved_on": str(entry.get("date") or "")[:10],
                    "resolver": str(entry.get("resolver") or "")[:254],
                    "resolution": text,
                    "digest": digest,
                    "logged_by": str(author_name or "")[:254],
                    "at": created_at or now,
                }
            )
    if rows:
        op.bulk_insert(resolutions, rows)


def downgrade() -> None:
    with op.batch_alter_table("article_resolutions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_resolutions_article_id"))

    op.drop_table("article_resolutions")
