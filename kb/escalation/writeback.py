"""Resolution write-back: a resolved ticket is appended to the resolution log of each article
it used (a new revision attributed to the integration, reuse count + 1), or becomes a draft
article in the review queue when no article covered it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from kb.articles.document import ArticleDoc
from kb.articles.revisions import (
    RESOLUTION_LOG,
    add_revision,
    changed,
    doc_from_revision,
    get_article,
    publish,
)
from kb.articles.workflow import slugify
from kb.models import Article, ArticleEvent, ArticleStatus, Escalation

LOG_FIELD = RESOLUTION_LOG


def resolution_log(doc_extra: dict[str, Any] | None) -> list[dict[str, Any]]:
    value = (doc_extra or {}).get(LOG_FIELD) or []
    return [entry for entry in value if isinstance(entry, dict)]


def append_resolution(
    session: Session, article: Article, entry: dict[str, Any], actor_name: str
) -> bool:
    """Append ``entry`` to the article's log as a new revision; False if already logged.

    The revision is made from the current head, so it never replaces anyone's edit; if the
    head was the live revision the new one goes live too (only the log changed).
    """
    head = article.head_revision
    if head is None:
        return False
    log = resolution_log(head.extra)
    if any(
        existing.get("ticket") == entry["ticket"]
        and existing.get("resolution") == entry["resolution"]
        for existing in log
    ):
        return False  # the same resolution of the same ticket is logged once
    doc = doc_from_revision(head, article.status)
    doc.extra = {**doc.extra, LOG_FIELD: [*log, entry]}
    head_was_live = article.published_revision_id == head.id
    revision = add_revision(
        session,
        doc,
        article=article,
        author_name=actor_name,
        base_revision_id=head.id,
        message=f"Resolution logged from {entry['ticket']}",
    )
    if head_was_live:
        publish(session, article, revision)
    else:
        changed(session, article)
    session.execute(
        update(Article).where(Article.id == article.id).values(reuse_count=Article.reuse_count + 1)
    )
    session.add(
        ArticleEvent(
            article_id=article.id,
            revision=revision,
            action="resolution",
            from_status=article.status,
            to_status=article.status,
            actor_name=actor_name,
            comment=entry["resolution"][:2000],
        )
    )
    return True


def write_back(
    session: Session,
    escalation: Escalation,
    entry: dict[str, Any],
    slugs: list[str],
    create_draft: bool,
    actor_name: str,
) -> tuple[list[str], str | None]:
    """Log the resolution in each linked article; with none, create a draft for review.

    Returns the slugs written to and the slug of the draft (if one was made).
    """
    written: list[str] = []
    for slug in dict.fromkeys(s.strip() for s in slugs if s and s.strip()):
        article = get_article(session, slug)
        if article is None:
            continue
        append_resolution(session, article, entry, actor_name)
        written.append(slug)
    if written or not create_draft:
        return written, None
    return written, draft_from_resolution(session, escalation, entry, actor_name).slug


def draft_from_resolution(
    session: Session, escalation: Escalation, entry: dict[str, Any], actor_name: str
) -> Article:
    """A new article (Issue, Environment, Resolution, Cause) straight into the review queue."""
    base = slugify(escalation.summary) or "resolution"
    slug, counter = base[:100], 2
    while get_article(session, slug) is not None:
        slug, counter = f"{base[:100]}-{counter}", counter + 1
    steps = "\n".join(
        f"- {line}" for line in escalation.transcript_text.splitlines() if line.strip()
    )
    body = (
        f"## Issue\n\n{escalation.summary}\n\n{escalation.details}\n\n"
        f"## Environment\n\n- Service: {escalation.service or 'not recorded'}\n"
        f"- Reported from: {escalation.requester_location or 'not recorded'}\n"
        + (f"- Diagnostic: /trees/{escalation.tree_id}\n" if escalation.tree_id else "")
        + (f"\nWhat was tried before escalating:\n\n{steps}\n" if steps else "")
        + f"\n## Resolution\n\n{entry['resolution']}\n\n"
        f"## Cause\n\nTo be confirmed by the reviewer.\n"
    )
    doc = ArticleDoc(
        title=escalation.summary[:300],
        slug=slug,
        body=body,
        summary="",
        tags=[t for t in (escalation.service,) if t],
        service=escalation.service,
        audience="internal",
        status=ArticleStatus.IN_REVIEW.value,
        extra={LOG_FIELD: [entry]},
    )
    revision = add_revision(
        session, doc, author_name=actor_name, message=f"Drafted from resolved {entry['ticket']}"
    )
    article = revision.article
    article.status = ArticleStatus.IN_REVIEW.value
    session.add(
        ArticleEvent(
            article_id=article.id,
            revision=revision,
            action="propose",
            from_status="",
            to_status=article.status,
            actor_name=actor_name,
            comment="No article covered this resolution.",
        )
    )
    changed(session, article)
    return article
