"""JSON twins of the article pages. Errors come back as JSON with a message (kb.errors)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_login import current_user

from kb.articles import reading
from kb.db import get_db
from kb.errors import Invalid
from kb.extensions import kb_state
from kb.models import Article, ArticleRevision

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _int_arg(name: str, default: int, minimum: int = 1, maximum: int = 10_000) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Invalid(f"{name} must be a whole number.", fields={name: "not a number"}) from None
    if not minimum <= value <= maximum:
        raise Invalid(f"{name} must be between {minimum} and {maximum}.", fields={name: "range"})
    return value


def article_summary(article: Article) -> dict[str, Any]:
    return {
        "slug": article.slug,
        "title": article.title,
        "summary": article.summary,
        "category": article.category,
        "service": article.service,
        "audience": article.audience,
        "tags": [t.tag for t in article.tags],
        "status": article.status,
        "updated_at": article.updated_at.isoformat(),
        "url": f"/articles/{article.slug}",
    }


def article_detail(article: Article, revision: ArticleRevision, html: str) -> dict[str, Any]:
    return {
        **article_summary(article),
        "title": revision.title,
        "summary": revision.summary,
        "tags": list(revision.tags or []),
        "category": revision.category,
        "service": revision.service,
        "audience": revision.audience,
        "owner": revision.owner,
        "review_by": revision.review_by.isoformat() if revision.review_by else None,
        "revision": revision.number,
        "revision_id": revision.id,
        "markdown": revision.body,
        "html": html,
    }


@bp.get("/articles")
def list_articles():
    session = get_db()
    per_page = _int_arg("per_page", kb_state().config["ITEMS_PER_PAGE"], maximum=200)
    page = reading.list_articles(
        session,
        current_user,
        category=request.args.get("category"),
        service=request.args.get("service"),
        tag=request.args.get("tag"),
        page=_int_arg("page", 1),
        per_page=per_page,
    )
    return jsonify(
        {
            "items": [article_summary(a) for a in page.items],
            "total": page.total,
            "page": page.page,
            "per_page": page.per_page,
        }
    )


@bp.get("/articles/<slug>")
def get_article(slug: str):
    session = get_db()
    article = reading.article_for(session, slug, current_user)
    revision = reading.reading_revision(article, current_user)
    html, _toc = reading.rendered(kb_state(), session, revision)
    session.commit()
    return jsonify(article_detail(article, revision, html))
