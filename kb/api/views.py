"""JSON twins of the article pages. Errors come back as JSON with a message (kb.errors)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_login import current_user, login_required

from kb.api import json_object
from kb.api.docs import (
    ANY_OBJECT,
    BOOLEAN,
    DATE_TIME,
    FILTER,
    INTEGER,
    NULLABLE_INT,
    NULLABLE_STRING,
    SLUG,
    STRING,
    TAG,
    api_doc,
    array,
    body,
    obj,
    one_of,
    text,
    whole,
    words,
)
from kb.articles import feedback, reading, workflow
from kb.articles.revisions import doc_from_revision
from kb.auth.policy import can_transition, require
from kb.config import Defaults
from kb.db import get_db
from kb.documents.diffing import diff_texts, unified
from kb.errors import Invalid
from kb.extensions import kb_state
from kb.models import Article, ArticleRevision
from kb.throttle import client_fingerprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

SUMMARY = obj(
    {
        "slug": STRING,
        "title": STRING,
        "summary": STRING,
        "category": STRING,
        "service": STRING,
        "audience": one_of("public", "internal"),
        "tags": array(STRING),
        "status": STRING,
        "updated_at": DATE_TIME,
        "url": STRING,
    },
    required=["slug", "title", "status", "url"],
)
DETAIL = obj(
    {
        **SUMMARY["properties"],
        "owner": STRING,
        "review_by": NULLABLE_STRING,
        "revision": INTEGER,
        "revision_id": INTEGER,
        "live": BOOLEAN,
        "markdown": STRING,
        "html": STRING,
        "head_revision_id": NULLABLE_INT,
    },
    required=["slug", "title", "revision", "revision_id", "markdown", "html"],
)
# What the editor checks (kb.articles.document.validate_fields); the slug is required here
# although kb makes one from the title when it is left out, since not every title gives one.
ARTICLE_FIELDS = {
    "title": words(300),
    "slug": SLUG,
    "summary": text(1000),
    "body": {**text(5000), "pattern": r"^[A-Za-z0-9 .,:;!?'\n]*$"},
    "tags": array(TAG, max_items=10),
    "category": FILTER,
    "service": one_of("", *Defaults.SERVICES),  # a site's own SERVICES: the 422 names them
    "audience": one_of("public", "internal"),
    "owner": text(254),
    "review_by": {"type": "string", "format": "date"},
    "message": text(500),
}
HISTORY_ENTRY = obj(
    {
        "number": INTEGER,
        "id": INTEGER,
        "author": STRING,
        "message": STRING,
        "created_at": DATE_TIME,
        "content_hash": STRING,
    },
    required=["number", "id"],
)


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


def article_summary(article: Article, viewer: Any) -> dict[str, Any]:
    return {
        "slug": article.slug,
        "title": article.title,
        "summary": article.summary,
        "category": article.category,
        "service": article.service,
        "audience": article.audience,
        "tags": [t.tag for t in article.tags],
        "status": reading.shown_status(article, viewer),
        "updated_at": article.updated_at.isoformat(),
        "url": f"/articles/{article.slug}",
    }


def article_detail(
    article: Article, revision: ArticleRevision, html: str, viewer: Any
) -> dict[str, Any]:
    """The revision shown; ``head_revision_id`` (the base for an edit) only for people who may
    edit the head, so public JSON never tells that an unpublished draft exists."""
    detail = {
        **article_summary(article, viewer),
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
        "live": article.is_live,
        "markdown": revision.body,
        "html": html,
    }
    if can_transition(viewer, "edit", article):
        detail["head_revision_id"] = article.head_revision_id
    return detail


@bp.get("/openapi.json")
@api_doc(response=obj({"openapi": STRING, "paths": ANY_OBJECT}, required=["openapi", "paths"]))
def openapi():
    """The OpenAPI document of this API."""
    from flask import current_app

    from kb.api.openapi import build

    return jsonify(build(current_app))


@bp.get("/articles")
@api_doc(
    query={
        "page": whole(),
        "per_page": whole(1, 200),
        "category": FILTER,
        "service": FILTER,
        "tag": FILTER,
    },
    response=obj(
        {"items": array(SUMMARY), "total": INTEGER, "page": INTEGER, "per_page": INTEGER},
        required=["items", "total", "page", "per_page"],
    ),
)
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
            "items": [article_summary(a, current_user) for a in page.items],
            "total": page.total,
            "page": page.page,
            "per_page": page.per_page,
        }
    )


@bp.get("/articles/<slug>")
@api_doc(query={"draft": text(5)}, response=DETAIL)
def get_article(slug: str):
    session = get_db()
    article = reading.article_for(session, slug, current_user)
    revision = reading.reading_revision(article, current_user, bool(request.args.get("draft")))
    html, _toc = reading.rendered(kb_state(), session, revision)
    session.commit()
    return jsonify(article_detail(article, revision, html, current_user))


# --- authoring (JSON twins of the editor and workflow pages) ---------------------------------


def _history_entry(revision: ArticleRevision) -> dict[str, Any]:
    return {
        "number": revision.number,
        "id": revision.id,
        "author": revision.author_name,
        "message": revision.message,
        "created_at": revision.created_at.isoformat(),
        "content_hash": revision.content_hash,
    }


@bp.post("/articles")
@api_doc(
    body=body({**ARTICLE_FIELDS, "submit": BOOLEAN}, required=["title", "slug"]),
    response=DETAIL,
    status=201,
)
@login_required
def create_article():
    session = get_db()
    require(current_user, "article.propose")  # before the fields: a requester gets a 403
    payload = json_object()
    doc = workflow.doc_from_fields(payload)
    article = workflow.create_article(session, doc, current_user, str(payload.get("message", "")))
    if payload.get("submit") and article.status == "draft":
        workflow.transition(session, article, "submit", current_user)
    session.commit()
    revision = article.head_revision
    return jsonify(article_detail(article, revision, "", current_user)), 201


@bp.put("/articles/<slug>")
@api_doc(
    body=body(
        {**ARTICLE_FIELDS, "base_revision_id": INTEGER}, required=["title", "base_revision_id"]
    ),
    response=DETAIL,
)
@login_required
def update_article(slug: str):
    session = get_db()
    article = workflow.editable_article(session, slug, current_user, "edit")
    payload = json_object()
    base = payload.get("base_revision_id")
    if not isinstance(base, int):
        raise Invalid(
            "base_revision_id (the revision you edited) is required.",
            fields={"base_revision_id": "required"},
        )
    doc = workflow.doc_from_fields(payload)
    revision = workflow.save_edit(
        session, article, doc, current_user, base, str(payload.get("message", ""))
    )
    session.commit()
    return jsonify(article_detail(article, revision, "", current_user))


@bp.post(
    "/articles/<slug>/<any(submit, approve, request_changes, publish, archive, unarchive):action>"
)
@api_doc(
    body=body({"comment": text(2000)}),
    body_required=False,
    response=obj(
        {"slug": STRING, "status": STRING, "live": BOOLEAN}, required=["slug", "status", "live"]
    ),
)
@login_required
def article_transition(slug: str, action: str):
    session = get_db()
    payload = json_object(required=False)
    article = workflow.editable_article(session, slug, current_user)
    workflow.transition(session, article, action, current_user, str(payload.get("comment", "")))
    session.commit()
    return jsonify({"slug": article.slug, "status": article.status, "live": article.is_live})


@bp.post("/articles/<slug>/restore/<int:number>")
@api_doc(body=body({"base_revision_id": INTEGER}), body_required=False, response=HISTORY_ENTRY)
@login_required
def article_restore(slug: str, number: int):
    session = get_db()
    payload = json_object(required=False)
    article = workflow.editable_article(session, slug, current_user)
    revision = workflow.restore(
        session, article, number, current_user, payload.get("base_revision_id")
    )
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
            "revisions": array(HISTORY_ENTRY),
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
    query={"from": whole(), "to": whole()},
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
    new_number = _int_arg("to", article.head_revision.number if article.head_revision else 1)
    old_number = _int_arg("from", max(1, new_number - 1))
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
    body=body({"helpful": BOOLEAN, "comment": text(1000)}, required=["helpful"]),
    response=obj({"helpful": INTEGER, "not_helpful": INTEGER}, required=["helpful", "not_helpful"]),
    status=201,
)
def article_feedback(slug: str):
    session = get_db()
    article = reading.article_for(session, slug, current_user, "article.feedback")
    payload = json_object()
    if not isinstance(payload.get("helpful"), bool):
        raise Invalid("helpful must be true or false.", fields={"helpful": "true or false"})
    user = current_user if current_user.is_authenticated else None
    feedback.record_feedback(
        session,
        article,
        user,
        payload["helpful"],
        str(payload.get("comment", "")),
        voter=client_fingerprint(),
    )
    session.commit()
    counts = feedback.counts(session, article)
    return jsonify({"helpful": counts.helpful, "not_helpful": counts.not_helpful}), 201


@bp.post("/articles/<slug>/flag")
@api_doc(
    body=body(
        {"reason": one_of("outdated", "wrong", "unclear"), "comment": text(1000)},
        required=["reason"],
    ),
    response=obj({"id": INTEGER, "reason": STRING}, required=["id", "reason"]),
    status=201,
)
@login_required
def article_flag(slug: str):
    session = get_db()
    article = reading.article_for(session, slug, current_user, "article.flag")
    payload = json_object()
    flag = feedback.flag_article(
        session,
        article,
        current_user,
        str(payload.get("reason", "")),
        str(payload.get("comment", "")),
    )
    session.commit()
    return jsonify({"id": flag.id, "reason": flag.reason}), 201
