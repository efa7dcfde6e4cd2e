"""Resolution write-back: a resolved ticket is logged in the resolution log of each live
article it used (reuse count + 1; no revision, no status change), or becomes a proposed draft
article in the review queue when no article covered it. Both go through the article workflow
(kb.articles.workflow), which alone writes revisions and events. Articles that are not live (drafts,
proposals in review, archived) are skipped with a reason; the resolution itself is kept on the
escalation either way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from kb.articles import resolutions
from kb.articles.document import ArticleDoc
from kb.articles.revisions import get_article
from kb.articles.workflow import log_resolution, propose_for_integration, slugify
from kb.models import Article, ArticleStatus, Escalation


def resolution_log(session: Session, article: Article) -> list[dict[str, Any]]:
    """The tickets this article resolved, oldest first."""
    return resolutions.entries(session, article)


def not_live_reason(article: Article | None) -> str | None:
    """Why a resolution cannot be logged against this article, or None when it can."""
    if article is None:
        return "No article has this address."
    if article.status == ArticleStatus.ARCHIVED.value:
        return "The article is archived."
    if article.published_revision_id is None:
        return f"The article is not published ({article.status.replace('_', ' ')})."
    return None


@dataclass
class WriteBack:
    written: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)  # {"slug", "reason"}
    draft: str | None = None


def write_back(
    session: Session,
    escalation: Escalation,
    entry: dict[str, Any],
    slugs: list[str],
    create_draft: bool,
    actor_name: str,
) -> WriteBack:
    """Log the resolution in each named live article; the others are skipped with a reason.
    With no article named (or none of the names existing), create a draft for review."""
    result = WriteBack()
    exists = False
    for slug in dict.fromkeys(s.strip() for s in slugs if s and s.strip()):
        article = get_article(session, slug)
        exists = exists or article is not None
        reason = not_live_reason(article)
        if reason is not None:
            result.skipped.append({"slug": slug, "reason": reason})
            continue
        assert article is not None
        log_resolution(session, article, entry, actor_name)
        result.written.append(article.slug)
    if create_draft and not result.written and not exists:
        result.draft = draft_from_resolution(session, escalation, entry, actor_name).slug
    return result


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
    )
    return propose_for_integration(
        session,
        doc,
        actor_name,
        message=f"Drafted from resolved {entry['ticket']}",
        comment="No article covered this resolution.",
        resolution=entry,
    )
