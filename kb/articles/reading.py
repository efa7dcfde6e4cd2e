"""Reading articles as a particular person: what they may see, lists, facets, rendered HTML."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from kb.articles.render import pipeline_key, render_markdown
from kb.auth.policy import can, require, visible_audiences
from kb.errors import NotFound
from kb.hooks import collect
from kb.models import Article, ArticleRevision, ArticleStatus, ArticleTag


@dataclass
class Page:
    items: list[Article]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def live_articles(user: Any) -> Select:
    """Published, not archived, in an audience this person may see."""
    return select(Article).where(
        Article.published_revision_id.is_not(None),
        Article.status != ArticleStatus.ARCHIVED.value,
        Article.audience.in_(visible_audiences(user)),
    )


def article_for(
    session: Session,
    slug: str,
    user: Any,
    action: str | None = None,
    *,
    with_revisions: bool = False,
) -> Article:
    """The article, or NotFound when it does not exist *for this person*. With ``action``,
    also Forbidden unless this person may do it to the article: views ask before they read the
    request's fields, so someone who may not act gets a 403, not a 422 about the fields.
    ``with_revisions`` loads its head and published revisions in the same query (the article
    page reads them)."""
    query = select(Article).where(Article.slug == slug)
    if with_revisions:
        query = query.options(
            joinedload(Article.head_revision), joinedload(Article.published_revision)
        )
    article = session.scalar(query)
    if article is None or not can(user, "article.read", article):
        raise NotFound(f"No article '{slug}'.")
    if action is not None:
        require(user, action, article)
    return article


def list_articles(
    session: Session,
    user: Any,
    *,
    category: str | None = None,
    service: str | None = None,
    tag: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> Page:
    query = live_articles(user)
    if category:
        query = query.where(Article.category == category)
    if service:
        query = query.where(Article.service == service)
    if tag:
        query = query.where(
            Article.id.in_(select(ArticleTag.article_id).where(ArticleTag.tag == tag.lower()))
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(1, page)
    if (page - 1) * per_page >= total:  # past the last page (maybe past any SQL integer)
        return Page([], total, page, per_page)
    items = session.scalars(
        query.options(selectinload(Article.tags))  # every row shows its tags: one query for all
        .order_by(Article.title)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(list(items), total, page, per_page)


def facet_counts(session: Session, user: Any) -> dict[str, list[tuple[str, int]]]:
    """Categories, services and tags of what this person can read, with counts."""
    live = live_articles(user).subquery()
    result: dict[str, list[tuple[str, int]]] = {}
    for name, column in (("category", live.c.category), ("service", live.c.service)):
        rows = session.execute(
            select(column, func.count()).where(column != "").group_by(column).order_by(column)
        ).all()
        result[name] = [(value, count) for value, count in rows]
    rows = session.execute(
        select(ArticleTag.tag, func.count())
        .join(live, live.c.id == ArticleTag.article_id)
        .group_by(ArticleTag.tag)
        .order_by(func.count().desc(), ArticleTag.tag)
    ).all()
    result["tag"] = [(value, count) for value, count in rows]
    return result


def most_used(session: Session, user: Any, limit: int = 8) -> list[Article]:
    """What people need most: reuse in resolved tickets first, then page views."""
    return list(
        session.scalars(
            live_articles(user)
            .order_by(Article.reuse_count.desc(), Article.view_count.desc(), Article.title)
            .limit(limit)
        )
    )


def recently_updated(session: Session, user: Any, limit: int = 8) -> list[Article]:
    return list(
        session.scalars(live_articles(user).order_by(Article.updated_at.desc()).limit(limit))
    )


def rendered(kb: Any, session: Session, revision: ArticleRevision) -> tuple[str, list[dict]]:
    """HTML and table of contents of a revision, cached on the revision per pipeline."""
    extensions = collect(kb.pm, "kb_markdown_extensions", kb=kb)
    key = pipeline_key(extensions)
    if revision.html is not None and revision.html_key == key:
        return revision.html, revision.toc or []
    result = render_markdown(revision.body, extensions)
    revision.html, revision.toc, revision.html_key = result.html, result.toc, key
    return result.html, result.toc


def reading_revision(article: Article, user: Any, want_draft: bool = False) -> ArticleRevision:
    """Readers see the live revision. Staff (or the proposer) see the head when the article is
    not live, or when they ask for the pending draft of a live one."""
    head = article.head_revision
    may_see_head = can(user, "article.read_head", article)
    if article.is_live and article.published_revision is not None:
        if want_draft and may_see_head and head is not None:
            return head
        return article.published_revision
    if head is None:
        raise NotFound(f"No article '{article.slug}'.")
    return head


def shown_status(article: Article, user: Any) -> str:
    """The status as this person may know it: a live article with a draft they may not see
    is simply published to them."""
    if article.is_live and not can(user, "article.read_head", article):
        return ArticleStatus.PUBLISHED.value
    return article.status
