"""What article hooks receive: a plain, detached picture of an article after a commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from kb.models import Article


@dataclass(frozen=True)
class ArticleSnapshot:
    id: int
    slug: str
    status: str
    live: bool
    revision_id: int | None
    revision_number: int | None
    title: str
    summary: str
    body: str
    tags: list[str] = field(default_factory=list)
    category: str = ""
    service: str = ""
    audience: str = "public"
    owner: str = ""
    review_by: date | None = None
    updated_at: datetime | None = None
    previous_slug: str | None = None


def snapshot(article: Article, previous_slug: str | None = None) -> ArticleSnapshot:
    """Snapshot the article as readers will see it (the live revision, else the head)."""
    revision = article.visible_revision
    return ArticleSnapshot(
        id=article.id,
        slug=article.slug,
        status=article.status,
        live=article.is_live,
        revision_id=revision.id if revision else None,
        revision_number=revision.number if revision else None,
        title=revision.title if revision else article.title,
        summary=revision.summary if revision else "",
        body=revision.body if revision else "",
        tags=list(revision.tags or []) if revision else [],
        category=revision.category if revision else "",
        service=revision.service if revision else "",
        audience=revision.audience if revision else article.audience,
        owner=revision.owner if revision else "",
        review_by=revision.review_by if revision else None,
        updated_at=article.updated_at,
        previous_slug=previous_slug,
    )
