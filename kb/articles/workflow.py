"""The article lifecycle: create, edit (with optimistic locking), submit, review, publish,
archive, restore, comment, log a resolution. The steps are kb.documents.workflow's, shared with
trees; this module is the articles' adapter to it (ARTICLES) and the functions other modules
call, plus what only articles have: fields, slugs, proposals and the resolution log."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.articles import resolutions
from kb.articles.document import ArticleDoc, DocumentError, validate_fields
from kb.articles.revisions import (
    add_revision,
    changed,
    doc_from_revision,
    get_article,
    publish,
)
from kb.auth.policy import can, require, require_transition
from kb.changes import record_change
from kb.documents import workflow as documents
from kb.errors import Conflict, Invalid, NotFound, Taken
from kb.models import Article, ArticleEvent, ArticleRevision, User

NEW_ARTICLE_BODY = """## Issue

What the person sees, in their words. Quote exact error messages as `code`.

## Environment

Who and what this applies to: devices, operating systems, applications, locations.

## Resolution

1. First step.
2. Second step.

## Cause

Why it happens.
"""


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:120].strip("-")


def doc_from_fields(data: dict[str, Any], status: str = "draft") -> ArticleDoc:
    """Build a document from editor or API fields; Invalid names each bad field."""
    metadata = {
        key: data.get(key)
        for key in (
            "title",
            "slug",
            "summary",
            "tags",
            "category",
            "service",
            "audience",
            "owner",
            "review_by",
        )
    }
    if isinstance(metadata["review_by"], date):
        metadata["review_by"] = metadata["review_by"].isoformat()
    if not metadata.get("slug") and metadata.get("title"):
        metadata["slug"] = slugify(str(metadata["title"]))
    metadata["status"] = status
    try:
        return validate_fields(metadata, str(data.get("body") or ""))
    except DocumentError as error:
        fields = {p.field or "form": p.message.split(": ", 1)[-1] for p in error.problems}
        raise Invalid("Some fields need attention.", fields=fields) from None


def _check_slug_free(session: Session, slug: str, article: Article | None) -> None:
    other = session.scalar(select(Article).where(Article.slug == slug))
    if other is not None and (article is None or other.id != article.id):
        raise Taken(
            f"The address '{slug}' is already used by another article.",
            fields={"slug": f"already used by “{other.title}”; choose another"},
        )


def _append(
    session: Session,
    article: Article | None,
    doc: ArticleDoc,
    author: User | None,
    author_name: str,
    message: str,
    base_revision_id: int | None,
) -> ArticleRevision:
    return add_revision(
        session,
        doc,
        article=article,
        author=author,
        author_name=author_name,
        message=message,
        base_revision_id=base_revision_id,
    )


def _prepare(
    session: Session, article: Article, doc: ArticleDoc, head: ArticleRevision | None
) -> ArticleDoc:
    _check_slug_free(session, doc.slug, article)
    if head is not None:  # the editor does not show extra front matter: carry it over
        doc.extra = {**(head.extra or {}), **doc.extra}
    return doc


def _newer_version(
    article: Article, head: ArticleRevision, doc: ArticleDoc, base_revision_id: int | None
) -> Conflict:
    """The optimistic-lock refusal: both texts travel with it so nothing is lost."""
    return Conflict(
        f"{head.author_name} saved a newer version (revision {head.number}) while you were "
        "editing. Your text is kept below; compare and save again.",
        theirs=doc_from_revision(head, article.status).to_text(),
        yours=doc.to_text(),
        their_revision_id=head.id,
        their_revision=head.number,
        your_base_revision_id=base_revision_id,
    )


def _restorable(article: Article, old: ArticleRevision) -> ArticleDoc:
    doc = doc_from_revision(old, article.status)
    doc.slug = article.head_revision.slug if article.head_revision else doc.slug
    return doc


def _publish(session: Session, article: Article, revision: ArticleRevision) -> None:
    publish(session, article, revision)
    article.proposed_by_id = None  # published: no longer anyone's proposal


# How the shared review workflow (kb.documents.workflow) handles articles.
ARTICLES: documents.Kind[ArticleDoc] = documents.Kind(
    name="article",
    event=ArticleEvent,
    revision=ArticleRevision,
    append=_append,
    prepare=_prepare,
    content_hash=lambda doc: doc.content_hash(),
    conflict=_newer_version,
    restorable=_restorable,
    publish=_publish,
    changed=changed,
)


def create_article(session: Session, doc: ArticleDoc, actor: User, message: str = "") -> Article:
    """Authors create drafts; a technician's new article is a proposal that goes to review."""
    require(actor, "article.propose")
    _check_slug_free(session, doc.slug, None)
    proposal = not can(actor, "article.create")
    return documents.create(session, ARTICLES, doc, actor, message, proposal=proposal)


def propose_for_integration(
    session: Session,
    doc: ArticleDoc,
    actor_name: str,
    message: str,
    comment: str = "",
    resolution: dict[str, Any] | None = None,
) -> Article:
    """A new article proposed by an integration (a resolved ticket no article covered): like a
    technician's proposal it goes straight to review and is never published by the proposer.
    The ``resolution`` it was drafted from starts its resolution log (not a reuse)."""
    _check_slug_free(session, doc.slug, None)
    article = documents.create(
        session,
        ARTICLES,
        doc,
        None,
        message,
        proposal=True,
        actor_name=actor_name,
        comment=comment,
    )
    if resolution is not None:
        resolutions.log(session, article, resolution, actor_name, count_reuse=False)
    return article


def save_edit(
    session: Session,
    article: Article,
    doc: ArticleDoc,
    actor: User,
    base_revision_id: int | None,
    message: str = "",
    action: str = "edit",
) -> ArticleRevision:
    """Save a new head revision. Refused with Conflict (409) when someone saved a newer one
    since ``base_revision_id``; the conflict carries both texts so nothing is lost."""
    return documents.save(session, ARTICLES, article, doc, actor, base_revision_id, message, action)


def transition(
    session: Session, article: Article, action: str, actor: User, comment: str = ""
) -> Article:
    """submit / approve / request_changes / publish / archive / unarchive."""
    return documents.transition(session, ARTICLES, article, action, actor, comment)


def restore(
    session: Session, article: Article, number: int, actor: User, base_revision_id: int | None
) -> ArticleRevision:
    """Bring back an old revision's content as a new head revision (history stays intact)."""
    return documents.restore(session, ARTICLES, article, number, actor, base_revision_id)


def add_comment(session: Session, article: Article, actor: User, text: str) -> ArticleEvent:
    return documents.comment(session, ARTICLES, article, actor, text)


def log_resolution(
    session: Session, article: Article, entry: dict[str, Any], actor_name: str
) -> bool:
    """Log a resolved ticket against a live article (Conflict if it is not live); False when
    this resolution is logged already. Only the log, the reuse count and a note: no revision,
    no status change, so a pending draft or the review round never sees it."""
    documents.require_live(article)
    if not resolutions.log(session, article, entry, actor_name):
        return False
    documents.note(
        session, ARTICLES, article, "resolution", actor_name, str(entry["resolution"])[:2000]
    )
    record_change(session, "article", article.slug)  # reuse counts rank search results
    return True


def revision_by_number(session: Session, article: Article, number: int) -> ArticleRevision:
    return documents.revision_by_number(session, ARTICLES, article, number)


def events(session: Session, article: Article) -> list[ArticleEvent]:
    return documents.events(session, ARTICLES, article)


def open_review_comments(session: Session, article: Article) -> list[ArticleEvent]:
    """Comments since the last time changes were requested or the article was submitted:
    what the author has to act on."""
    return documents.open_review_comments(session, ARTICLES, article)


def editable_article(session: Session, slug: str, actor: Any, action: str | None = None) -> Article:
    """The article for a workflow view. With ``action`` (a transition such as "edit") also
    Forbidden or Conflict unless the actor may do it now, before the request's fields are
    read: someone who may not act gets a 403, not a 422 about the fields."""
    article = get_article(session, slug)
    if article is None:
        raise NotFound(f"No article '{slug}'.")
    require(actor, "article.read", article)
    if action is not None:
        require_transition(actor, action, article)
    return article
