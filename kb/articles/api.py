"""JSON twins of the article pages under /api/v1. Errors come back as JSON with a message
(kb.errors)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask_login import current_user, login_required

from kb.api.docs import (
    BOOLEAN,
    DATE_TIME,
    INTEGER,
    NULLABLE_INT,
    STRING,
    api_doc,
    array,
    obj,
)
from kb.articles import feedback, reading, workflow
from kb.articles.revisions import doc_from_revision
from kb.articles.schemas import (
    ArticleCreate,
    ArticleDetail,
    ArticleEdit,
    ArticleList,
    ArticleListQuery,
    ArticleQuery,
    ArticleSummary,
    DiffQuery,
    Feedback,
    Flag,
    HistoryEntry,
    Restore,
    Transition,
)
from kb.auth.policy import can_transition, require
from kb.db import get_db
from kb.documents.diffing import diff_texts, unified
from kb.extensions import kb_state
from kb.models import Article, ArticleRevision
from kb.schemas import from_json, from_query
from kb.throttle import client_fingerprint

bp = Blueprint("articles_api", __name__, url_prefix="/api/v1")


def article_summary(article: Article, viewer: Any) -> ArticleSummary:
    return ArticleSummary(
        slug=article.slug,
        title=article.title,
        summary=article.summary,
        category=article.category,
        service=article.service,
        audience=article.audience,
        tags=[t.tag for t in article.tags],
        status=reading.shown_status(article, viewer),
        updated_at=article.updated_at.isoformat(),
        url=f"/articles/{article.slug}",
    )


def article_detail(
    article: Article, revision: ArticleRevision, html: str, viewer: Any
) -> dict[str, Any]:
    """The revision shown; ``head_revision_id`` (the base for an edit) only for people who may
    edit the head, so public JSON never tells that an unpublished draft exists."""
    shown = {
        "title": revision.title,
        "summary": revision.summary,
        "tags": list(revision.tags or []),
        "category": revision.category,
        "service": revision.service,
        "audience": revision.audience,
    }
    if can_transition(viewer, "edit", article):
        shown["head_revision_id"] = article.head_revision_id
    return ArticleDetail(
        **{**article_summary(article, viewer).model_dump(), **shown},
        owner=revision.owner,
        review_by=revision.review_by.isoformat() if revision.review_by else None,
        revision=revision.number,
        revision_id=revision.id,
        live=article.is_live,
        markdown=revision.body,
        html=html,
    ).answer()


@bp.get("/articles")
@api_doc(
    query=ArticleListQuery,
    response=ArticleList,
)
def list_articles():
    session = get_db()
    query = from_query(ArticleListQuery)
    page = reading.list_articles(
        session,
        current_user,
        category=query.category,
        service=query.service,
        tag=query.tag,
        page=query.page,
        per_page=query.per_page or kb_state().config["ITEMS_PER_PAGE"],
    )
    return jsonify(
        {
            "items": [article_summary(a, current_user).answer() for a in page.items],
            "total": page.total,
            "page": page.page,
            "per_page": page.per_page,
        }
    )


@bp.get("/articles/<slug>")
@api_doc(query=ArticleQuery, response=ArticleDetail)
def get_article(slug: str):
    session = get_db()
    article = reading.article_for(session, slug, current_user)
    draft = bool(from_query(ArticleQuery).draft)
    revision = reading.reading_revision(article, current_user, draft)
    html, _toc = reading.rendered(kb_state(), session, revision)
    session.commit()
    return jsonify(article_detail(article, revision, html, current_user))


# --- authoring (JSON twins of the editor and workflow pages) ---------------------------------


def _history_entry(revision: ArticleRevision) -> dict[str, Any]:
    return HistoryEntry(
        number=revision.number,
        id=revision.id,
        author=revision.author_name,
        message=revision.message,
        created_at=revision.created_at.isoformat(),
        content_hash=revision.content_hash,
    ).answer()


@bp.post("/articles")
@api_doc(body=ArticleCreate, response=ArticleDetail, status=201)
@login_required
def create_article():
    session = get_db()
    require(current_user, "article.propose")  # before the fields: a requester gets a 403
    values = from_json(ArticleCreate)
    doc = workflow.doc_from_fields(values.document_fields())
    article = workflow.create_article(session, doc, current_user, values.message)
    if values.submit and article.status == "draft":
        workflow.transition(session, article, "submit", current_user)
    session.commit()
    revision = article.head_revision
    return jsonify(article_detail(article, revision, "", current_user)), 201


@bp.put("/articles/<slug>")
@api_doc(body=ArticleEdit, response=ArticleDetail)
@login_required
def update_article(slug: str):
    session = get_db()
    article = workflow.editable_article(session, slug, current_user, "edit")
    values = from_json(ArticleEdit)
    doc = workflow.doc_from_fields(values.document_fields())
    revision = workflow.save_edit(
        session, article, doc, current_user, values.base_revision_id, values.message
    )
    if values.submit and article.status == "draft":
        workflow.transition(session, article, "submit", current_user)
    session.commit()
    return jsonify(article_detail(article, revision, "", current_user))


@bp.post(
    "/articles/<slug>/<any(submit, approve, request_changes, publish, archive, unarchive):action>"
)
@api_doc(
    body=Transition,
    response=obj(
        {"slug": STRING, "status": STRING, "live": BOOLEAN}, required=["slug", "status", "live"]
    ),
)
@login_required
def article_transition(slug: str, action: str):
    session = get_db()
    comment = from_json(Transition).comment
    article = workflow.editable_article(session, slug, current_user)
    workflow.transition(session, article, action, current_user, comment)
    session.commit()
    return jsonify({"slug": article.slug, "status": article.status, "live": article.is_live})


@bp.post("/articles/<slug>/restore/<int:number>")
@api_doc(body=Restore, response=HistoryEntry)
@login_required
def article_restore(slug: str, number: int):
    session = get_db()
    base = from_json(Restore).base_revision_id
    article = workflow.editable_article(session, slug, current_user)
    revision = workflow.restore(session, article, number, current_user, base)
    session.commit()
    return jsonify(_history_entry(revision))


@bp.get("/articles/<slug>/history")
@api_doc(
    response=obj(
        {
            "slug": STRING,
            "status": STRING,
            "head_revision": NULLABLE_INT,
            "published_revision": NULLABLE_INT,
            "revisions": array(HistoryEntry),
            "events": array(obj({"action": STRING, "at": DATE_TIME}, required=["action"])),
        },
        required=["slug", "status", "revisions", "events"],
    )
)
@login_required
def article_history(slug: str):
    session = get_db()
    article = workflow.editable_article(session, slug, current_user)
    require(current_user, "article.history", article)
    return jsonify(
        {
            "slug": article.slug,
            "status": article.status,
            "head_revision": article.head_revision.number if article.head_revision else None,
            "published_revision": article.published_revision.number
            if article.published_revision
            else None,
            "revisions": [_history_entry(r) for r in reversed(article.revisions)],
            "events": [
                {
                    "action": e.action,
                    "from": e.from_status,
                    "to": e.to_status,
                    "by": e.actor_name,
                    "comment": e.comment,
                    "at": e.at.isoformat(),
                    "revision": e.revision.number if e.revision else None,
                }
                for e in workflow.events(session, article)
            ],
        }
    )


@bp.get("/articles/<slug>/diff")
@api_doc(
    query=DiffQuery,
    response=obj(
        {
            "from": INTEGER,
            "to": INTEGER,
            "added": INTEGER,
            "removed": INTEGER,
            "unified": STRING,
        },
        required=["from", "to", "unified"],
    ),
)
@login_required
def article_diff(slug: str):
    session = get_db()
    article = workflow.editable_article(session, slug, current_user)
    require(current_user, "article.history", article)
    query = from_query(DiffQuery)
    new_number = query.to or (article.head_revision.number if article.head_revision else 1)
    old_number = query.from_ or max(1, new_number - 1)
    old = workflow.revision_by_number(session, article, old_number)
    new = workflow.revision_by_number(session, article, new_number)
    old_text = doc_from_revision(old, "").to_text()
    new_text = doc_from_revision(new, "").to_text()
    result = diff_texts(old_text, new_text)
    return jsonify(
        {
            "from": old_number,
            "to": new_number,
            "added": result.added,
            "removed": result.removed,
            "unified": unified(
                old_text, new_text, f"revision {old_number}", f"revision {new_number}"
            ),
        }
    )


@bp.post("/articles/<slug>/feedback")
@api_doc(
    body=Feedback,
    response=obj({"helpful": INTEGER, "not_helpful": INTEGER}, required=["helpful", "not_helpful"]),
    status=201,
)
def article_feedback(slug: str):
    session = get_db()
    article = reading.article_for(session, slug, current_user, "article.feedback")
    values = from_json(Feedback)
    user = current_user if current_user.is_authenticated else None
    feedback.record_feedback(
        session, article, user, values.helpful, values.comment, voter=client_fingerprint()
    )
    session.commit()
    counts = feedback.counts(session, article)
    return jsonify({"helpful": counts.helpful, "not_helpful": counts.not_helpful}), 201


@bp.post("/articles/<slug>/flag")
@api_doc(
    body=Flag,
    response=obj({"id": INTEGER, "reason": STRING}, required=["id", "reason"]),
    status=201,
)
@login_required
def article_flag(slug: str):
    session = get_db()
    article = reading.article_for(session, slug, current_user, "article.flag")
    require(current_user, "article.feedback", article)  # a refusal is a 403, not a 422
    values = from_json(Flag)
    flag = feedback.flag_article(session, article, current_user, values.reason, values.comment)
    session.commit()
    return jsonify({"id": flag.id, "reason": flag.reason}), 201
