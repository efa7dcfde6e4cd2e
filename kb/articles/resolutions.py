"""The resolution log: the tickets an article resolved. It belongs to the article (its own
table), not to a revision's text, so editing or restoring a revision never drops an entry, and
logging a resolution never writes a revision or changes the article's status."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kb.models import Article, ArticleResolution


def digest(ticket: str, resolution: str) -> str:
    return hashlib.sha256(f"{ticket}\n{resolution}".encode()).hexdigest()


def entries(session: Session, article: Article) -> list[dict[str, Any]]:
    """The log, oldest first, as ``{ticket, date, resolver, resolution}`` entries."""
    rows = session.scalars(
        select(ArticleResolution)
        .where(ArticleResolution.article_id == article.id)
        .order_by(ArticleResolution.id)
    )
    return [row.to_entry() for row in rows]


def log(
    session: Session,
    article: Article,
    entry: dict[str, Any],
    logged_by: str,
    count_reuse: bool = True,
) -> bool:
    """Add ``entry`` to the article's log; False when this resolution of this ticket is there
    already. ``count_reuse`` adds one to the article's reuse count."""
    ticket = str(entry.get("ticket") or "")[:200]
    text = str(entry.get("resolution") or "")
    key = digest(ticket, text)
    exists = session.scalar(
        select(ArticleResolution.id).where(
            ArticleResolution.article_id == article.id, ArticleResolution.digest == key
        )
    )
    if exists is not None:
        return False
    session.add(
        ArticleResolution(
            article_id=article.id,
            ticket=ticket,
            resolved_on=str(entry.get("date") or "")[:10],
            resolver=str(entry.get("resolver") or "")[:254],
            resolution=text,
            digest=key,
            logged_by=logged_by[:254],
        )
    )
    if count_reuse:
        session.execute(
            update(Article)
            .where(Article.id == article.id)
            .values(reuse_count=Article.reuse_count + 1)
            .execution_options(synchronize_session=False)
        )
        session.expire(article, ["reuse_count"])
    session.flush()
    return True
