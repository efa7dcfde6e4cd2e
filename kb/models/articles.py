"""Articles and their revisions. The revision is the source of truth; the article row carries
the pointers (head, live) and a copy of the visible revision's listing fields for queries."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.models.base import Base, UTCDateTime, utcnow
from kb.models.documents import DocumentEvent, DocumentRevision, DocumentStatus, ReviewedDocument
from kb.models.users import User

# Articles follow the KCS lifecycle shared by every reviewed document.
ArticleStatus = DocumentStatus


class Audience(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"


class Article(ReviewedDocument, Base):
    __tablename__ = "articles"
    document_kind = "article"
    revision_class = "ArticleRevision"
    revision_table = "article_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True, index=True)
    view_count: Mapped[int] = mapped_column(Integer, default=0)
    reuse_count: Mapped[int] = mapped_column(Integer, default=0)
    # A technician's proposal: they may see and comment on it until it is published.
    proposed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    # Listing copy of the visible revision (live one if published, else head).
    title: Mapped[str] = mapped_column(String(300), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(100), default="", index=True)
    service: Mapped[str] = mapped_column(String(100), default="", index=True)
    audience: Mapped[str] = mapped_column(String(20), default=Audience.PUBLIC.value, index=True)
    owner: Mapped[str] = mapped_column(String(254), default="")
    review_by: Mapped[date | None] = mapped_column(Date, nullable=True)

    tags: Mapped[list[ArticleTag]] = relationship(
        cascade="all, delete-orphan", order_by="ArticleTag.tag"
    )

    @property
    def label(self) -> str:
        return self.slug

    def __repr__(self) -> str:
        return f"<Article {self.slug} {self.status}>"


class ArticleRevision(DocumentRevision, Base):
    """One saved state of an article: front matter, Markdown body, who, when and why."""

    __tablename__ = "article_revisions"
    __table_args__ = (UniqueConstraint("article_id", "number", name="uq_revision_number"),)
    document_kind = "article"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )

    title: Mapped[str] = mapped_column(String(300))
    slug: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    category: Mapped[str] = mapped_column(String(100), default="")
    service: Mapped[str] = mapped_column(String(100), default="")
    audience: Mapped[str] = mapped_column(String(20), default=Audience.PUBLIC.value)
    owner: Mapped[str] = mapped_column(String(254), default="")
    review_by: Mapped[date | None] = mapped_column(Date, nullable=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    body: Mapped[str] = mapped_column(Text, default="")

    # Rendered HTML cache, valid while html_key matches the rendering pipeline's fingerprint.
    html: Mapped[str | None] = mapped_column(Text, nullable=True)
    html_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    toc: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)

    article: Mapped[Article] = relationship(back_populates="revisions", foreign_keys=[article_id])

    def __repr__(self) -> str:
        return f"<ArticleRevision {self.slug} #{self.number}>"


class ArticleTag(Base):
    """Tags of an article's visible revision, for browsing and filters."""

    __tablename__ = "article_tags"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(60), primary_key=True, index=True)


class ArticleEvent(DocumentEvent, Base):
    """One workflow step on an article (see DocumentEvent)."""

    __tablename__ = "article_events"
    document_kind = "article"
    revision_class = "ArticleRevision"
    revision_table = "article_revisions"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ArticleResolution(Base):
    """One resolved ticket this article was used for: the article's resolution log. It belongs
    to the article, not to a revision, so edits and restores never drop entries."""

    __tablename__ = "article_resolutions"
    __table_args__ = (
        UniqueConstraint("article_id", "digest", name="uq_article_resolutions_article_digest"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    ticket: Mapped[str] = mapped_column(String(200))
    resolved_on: Mapped[str] = mapped_column(String(10), default="")  # ISO date, as logged
    resolver: Mapped[str] = mapped_column(String(254), default="")
    resolution: Mapped[str] = mapped_column(Text, default="")
    # sha256 of ticket and resolution: the same resolution of the same ticket is logged once
    digest: Mapped[str] = mapped_column(String(64))
    logged_by: Mapped[str] = mapped_column(String(254), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def to_entry(self) -> dict[str, str]:
        return {
            "ticket": self.ticket,
            "date": self.resolved_on,
            "resolver": self.resolver,
            "resolution": self.resolution,
        }


class ArticleFeedback(Base):
    """ "Was this helpful?" One vote per signed-in person per article (they may change it)."""

    __tablename__ = "article_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("article_revisions.id", ondelete="SET NULL"), nullable=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    helpful: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Anonymous votes: a keyed digest of the client's address (never the address), so one
    # client has one vote per article.
    voter: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)


class FlagReason(StrEnum):
    OUTDATED = "outdated"
    WRONG = "wrong"
    UNCLEAR = "unclear"


class ArticleFlag(Base):
    """ "This article is wrong": stays open on the owner's and reviewers' lists until resolved."""

    __tablename__ = "article_flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    reason: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    resolution: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
