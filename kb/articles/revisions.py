"""Writing article revisions: every change is a new revision; the article row points at the
head (latest) and the live (published) one and keeps a listing copy of the visible one."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.articles import resolutions
from kb.articles.document import ArticleDoc
from kb.articles.snapshot import snapshot
from kb.changes import record_change
from kb.db import queue_event
from kb.documents import revisions
from kb.models import Article, ArticleRevision, ArticleStatus, ArticleTag, User, utcnow

# Front matter key that held the resolution log before it moved to its own table
# (kb.articles.resolutions); never kept in new revisions, logged to the table when imported.
RESOLUTION_LOG = "resolution_log"


def get_article(session: Session, slug: str) -> Article | None:
    return session.scalar(select(Article).where(Article.slug == slug))


def doc_from_revision(revision: ArticleRevision, status: str) -> ArticleDoc:
    return ArticleDoc(
        title=revision.title,
        slug=revision.slug,
        body=revision.body,
        summary=revision.summary,
        tags=list(revision.tags or []),
        category=revision.category,
        service=revision.service,
        audience=revision.audience,
        status=status,
        owner=revision.owner,
        review_by=revision.review_by,
        extra={k: v for k, v in (revision.extra or {}).items() if k != RESOLUTION_LOG},
    )


def add_revision(
    session: Session,
    doc: ArticleDoc,
    *,
    article: Article | None = None,
    author: User | None = None,
    author_name: str = "",
    message: str = "",
    base_revision_id: int | None = None,
) -> ArticleRevision:
    """Append a revision made from ``doc`` (creating the article when ``article`` is None).

    The new revision becomes the head; whether it goes live is the workflow's decision.
    """
    expected_head = article.head_revision_id if article is not None else None
    legacy_log = doc.extra.get(RESOLUTION_LOG)
    if legacy_log is not None:  # an older export: the log goes to the article, not the text
        doc = replace(doc, extra={k: v for k, v in doc.extra.items() if k != RESOLUTION_LOG})
    article, number = revisions.begin(
        session,
        ArticleRevision,
        article,
        lambda: Article(slug=doc.slug, status=ArticleStatus.DRAFT.value),
    )
    fields = dict(
        number=number,
        base_revision_id=base_revision_id,
        title=doc.title,
        slug=doc.slug,
        summary=doc.summary,
        tags=list(doc.tags),
        category=doc.category,
        service=doc.service,
        audience=doc.audience,
        owner=doc.owner,
        review_by=doc.review_by,
        extra=dict(doc.extra),
        body=doc.body,
        content_hash=doc.content_hash(),
        author=author,
        author_name=author_name or (author.email if author else "system"),
        message=message,
    )
    revision = revisions.insert(
        session, article, lambda: ArticleRevision(article=article, **fields)
    )
    revisions.move_head(session, article, revision, expected_head)
    if article.slug != doc.slug and article.published_revision_id is None:
        article.slug = doc.slug
    sync_listing(article)
    if isinstance(legacy_log, list):
        for entry in legacy_log:
            if isinstance(entry, dict):
                resolutions.log(session, article, entry, revision.author_name, count_reuse=False)
    return revision


def publish(session: Session, article: Article, revision: ArticleRevision) -> None:
    """Make ``revision`` the live one; readers see it from the next request on."""
    previous_slug = article.slug
    article.published_revision = revision
    article.status = ArticleStatus.PUBLISHED.value
    article.slug = revision.slug
    article.updated_at = utcnow()
    sync_listing(article)
    session.flush()
    changed(session, article, previous_slug=previous_slug)
    queue_event(session, "kb_article_published", article=snapshot(article))


def changed(session: Session, article: Article, previous_slug: str | None = None) -> None:
    """Tell plugins (after commit) that the article changed."""
    session.flush()
    slug_before = previous_slug if previous_slug and previous_slug != article.slug else None
    record_change(session, "article", article.slug)
    if slug_before:
        record_change(session, "article", slug_before)
    queue_event(session, "kb_article_changed", article=snapshot(article, slug_before))


def sync_listing(article: Article) -> None:
    """Copy the visible revision's listing fields and tags onto the article row."""
    revision = article.visible_revision
    if revision is None:
        return
    article.title = revision.title
    article.summary = revision.summary
    article.category = revision.category
    article.service = revision.service
    article.audience = revision.audience
    article.owner = revision.owner
    article.review_by = revision.review_by
    wanted = list(dict.fromkeys(revision.tags or []))
    current = {tag.tag: tag for tag in article.tags}
    for name in list(current):
        if name not in wanted:
            article.tags.remove(current[name])
    for name in wanted:
        if name not in current:
            article.tags.append(ArticleTag(tag=name))
