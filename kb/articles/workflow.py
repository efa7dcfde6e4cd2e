"""The article lifecycle: create, edit (with optimistic locking), submit, review, publish,
archive, restore, comment. Every step is checked by kb.auth.policy and recorded as an event."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.articles.document import ArticleDoc, DocumentError, validate_fields
from kb.articles.revisions import (
    add_revision,
    changed,
    doc_from_revision,
    get_article,
    publish,
)
from kb.auth.policy import has_role, require, require_transition
from kb.db import storable_int
from kb.errors import Conflict, Invalid, NotFound, StaleWrite, Taken
from kb.models import Article, ArticleEvent, ArticleRevision, ArticleStatus, Role, User

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


def _record(
    session: Session,
    article: Article,
    action: str,
    actor: User | None,
    from_status: str,
    comment: str = "",
    revision: ArticleRevision | None = None,
) -> ArticleEvent:
    event = ArticleEvent(
        article_id=article.id,
        revision=revision,
        action=action,
        from_status=from_status,
        to_status=article.status,
        actor_id=actor.id if actor else None,
        actor_name=actor.email if actor else "system",
        comment=comment.strip(),
    )
    session.add(event)
    return event


def _check_slug_free(session: Session, slug: str, article: Article | None) -> None:
    other = session.scalar(select(Article).where(Article.slug == slug))
    if other is not None and (article is None or other.id != article.id):
        raise Taken(
            f"The address '{slug}' is already used by another article.",
            fields={"slug": f"already used by “{other.title}”; choose another"},
        )


def create_article(session: Session, doc: ArticleDoc, actor: User, message: str = "") -> Article:
    """Authors create drafts; a technician's new article is a proposal that goes to review."""
    require(actor, "article.propose")
    _check_slug_free(session, doc.slug, None)
    proposal = not has_role(actor, Role.AUTHOR)
    revision = add_revision(session, doc, author=actor, message=message or "Created")
    article = revision.article
    if proposal:
        article.proposed_by_id = actor.id
        article.status = ArticleStatus.IN_REVIEW.value
    _record(session, article, "propose" if proposal else "create", actor, "", message, revision)
    changed(session, article)
    return article


def propose_for_integration(
    session: Session, doc: ArticleDoc, actor_name: str, message: str, comment: str = ""
) -> Article:
    """A new article proposed by an integration (a resolved ticket no article covered): like a
    technician's proposal it goes straight to review and is never published by the proposer."""
    _check_slug_free(session, doc.slug, None)
    revision = add_revision(session, doc, author_name=actor_name, message=message)
    article = revision.article
    article.status = ArticleStatus.IN_REVIEW.value
    event = _record(session, article, "propose", None, "", comment, revision)
    event.actor_name = actor_name
    changed(session, article)
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
    require_transition(actor, "edit", article)
    head = article.head_revision
    if head is not None and base_revision_id != head.id:
        raise _newer_version(article, head, doc, base_revision_id)
    _check_slug_free(session, doc.slug, article)
    if head is not None:  # the editor does not show extra front matter: carry it over
        doc.extra = {**(head.extra or {}), **doc.extra}
    if head is not None and head.content_hash == doc.content_hash():
        return head
    proposal = not has_role(actor, Role.AUTHOR)
    from_status = article.status
    try:
        revision = add_revision(
            session,
            doc,
            article=article,
            author=actor,
            message=message or "Edited",
            base_revision_id=base_revision_id,
        )
    except StaleWrite:
        # Another save of the same base won the race between our check above and our write:
        # the same answer as the check would have given a moment later.
        session.refresh(article)
        winner = article.head_revision
        if winner is None or winner.id == base_revision_id:
            raise
        raise _newer_version(article, winner, doc, base_revision_id) from None
    if proposal:
        article.status = ArticleStatus.IN_REVIEW.value
        article.proposed_by_id = actor.id  # the proposer may see and edit their proposal
    elif article.status == ArticleStatus.PUBLISHED.value:
        article.status = ArticleStatus.DRAFT.value  # the live revision stays live meanwhile
    _record(
        session, article, "propose" if proposal else action, actor, from_status, message, revision
    )
    changed(session, article)
    return revision


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


def transition(
    session: Session, article: Article, action: str, actor: User, comment: str = ""
) -> Article:
    """submit / approve / request_changes / publish / archive / unarchive."""
    rule = require_transition(actor, action, article)
    if action == "request_changes" and not comment.strip():
        raise Invalid("Say what needs to change.", fields={"comment": "required"})
    from_status = article.status
    if action in ("approve", "publish"):
        if article.head_revision is None:
            raise Conflict("There is nothing to publish.")
        publish(session, article, article.head_revision)
        article.proposed_by_id = None
    elif action == "unarchive":
        article.status = (
            ArticleStatus.PUBLISHED.value
            if article.published_revision_id is not None
            else ArticleStatus.DRAFT.value
        )
        changed(session, article)
    else:
        assert rule.to is not None
        article.status = rule.to
        changed(session, article)
    _record(session, article, action, actor, from_status, comment, article.head_revision)
    return article


def restore(
    session: Session, article: Article, number: int, actor: User, base_revision_id: int | None
) -> ArticleRevision:
    """Bring back an old revision's content as a new head revision (history stays intact)."""
    require_transition(actor, "restore", article)
    old = revision_by_number(session, article, number)
    doc = doc_from_revision(old, article.status)
    doc.slug = article.head_revision.slug if article.head_revision else doc.slug
    return save_edit(
        session,
        article,
        doc,
        actor,
        base_revision_id,
        message=f"Restored revision {number}",
        action="restore",
    )


def add_comment(session: Session, article: Article, actor: User, text: str) -> ArticleEvent:
    require_transition(actor, "comment", article)
    if not text.strip():
        raise Invalid("Write a comment first.", fields={"comment": "required"})
    return _record(session, article, "comment", actor, article.status, text, article.head_revision)


def revision_by_number(session: Session, article: Article, number: int) -> ArticleRevision:
    revision = (
        None
        if not storable_int(number)
        else session.scalar(
            select(ArticleRevision).where(
                ArticleRevision.article_id == article.id, ArticleRevision.number == number
            )
        )
    )
    if revision is None:
        raise NotFound(f"Article '{article.slug}' has no revision {number}.")
    return revision


def events(session: Session, article: Article) -> list[ArticleEvent]:
    return list(
        session.scalars(
            select(ArticleEvent)
            .where(ArticleEvent.article_id == article.id)
            .order_by(ArticleEvent.at.desc(), ArticleEvent.id.desc())
        )
    )


def open_review_comments(session: Session, article: Article) -> list[ArticleEvent]:
    """Comments since the last time changes were requested or the article was submitted:
    what the author has to act on."""
    result: list[ArticleEvent] = []
    for event in events(session, article):
        if event.action in ("request_changes", "comment"):
            result.append(event)
        if event.action in ("submit", "approve", "publish", "create", "propose"):
            break
    return list(reversed(result))


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
