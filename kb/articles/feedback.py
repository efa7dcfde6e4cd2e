""" "Was this helpful?" votes and "this article is wrong" flags."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kb.auth.policy import require
from kb.errors import Invalid, NotFound
from kb.models import Article, ArticleFeedback, ArticleFlag, FlagReason, User, utcnow

MAX_COMMENT = 2000


@dataclass
class FeedbackCounts:
    helpful: int = 0
    not_helpful: int = 0
    open_flags: int = 0

    @property
    def total(self) -> int:
        return self.helpful + self.not_helpful


def record_feedback(
    session: Session,
    article: Article,
    user: User | None,
    helpful: bool,
    comment: str = "",
    voter: str | None = None,
) -> ArticleFeedback:
    """One vote per signed-in person, and one per anonymous ``voter`` (an opaque client key,
    kb.throttle.client_fingerprint), per article: a second vote replaces the first."""
    require(user, "article.feedback", article)
    comment = comment.strip()[:MAX_COMMENT]
    vote = None
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    if signed_in:
        vote = session.scalar(
            select(ArticleFeedback).where(
                ArticleFeedback.article_id == article.id, ArticleFeedback.user_id == user.id
            )
        )
    elif voter:
        vote = session.scalar(
            select(ArticleFeedback).where(
                ArticleFeedback.article_id == article.id,
                ArticleFeedback.user_id.is_(None),
                ArticleFeedback.voter == voter,
            )
        )
    if vote is None:
        vote = ArticleFeedback(
            article_id=article.id,
            user_id=getattr(user, "id", None),
            voter=None if signed_in else voter,
        )
        session.add(vote)
    vote.helpful = helpful
    vote.comment = comment
    vote.revision_id = article.published_revision_id
    vote.at = utcnow()
    session.flush()
    return vote


def flag_article(
    session: Session, article: Article, user: User, reason: str, comment: str = ""
) -> ArticleFlag:
    require(user, "article.flag")
    require(user, "article.feedback", article)
    try:
        reason = FlagReason(reason).value
    except ValueError:
        choices = ", ".join(r.value for r in FlagReason)
        raise Invalid(f"Choose a reason: {choices}.", fields={"reason": choices}) from None
    flag = ArticleFlag(
        article_id=article.id, user_id=user.id, reason=reason, comment=comment.strip()[:MAX_COMMENT]
    )
    session.add(flag)
    session.flush()
    return flag


def resolve_flag(
    session: Session, article: Article, flag_id: int, user: User, resolution: str = ""
) -> ArticleFlag:
    """The owner or a reviewer marks a flag as dealt with."""
    flag = session.get(ArticleFlag, flag_id)
    if flag is None or flag.article_id != article.id:
        raise NotFound("No such flag.")
    is_owner = bool(article.owner) and article.owner == getattr(user, "email", None)
    if not is_owner:
        require(user, "article.review")
    if flag.resolved_at is None:
        flag.resolved_at = utcnow()
        flag.resolved_by_id = user.id
        flag.resolution = resolution.strip()[:MAX_COMMENT]
    return flag


def counts(session: Session, article: Article) -> FeedbackCounts:
    rows = session.execute(
        select(ArticleFeedback.helpful, func.count())
        .where(ArticleFeedback.article_id == article.id)
        .group_by(ArticleFeedback.helpful)
    ).all()
    result = FeedbackCounts()
    for helpful, count in rows:
        if helpful:
            result.helpful = count
        else:
            result.not_helpful = count
    result.open_flags = (
        session.scalar(
            select(func.count(ArticleFlag.id)).where(
                ArticleFlag.article_id == article.id, ArticleFlag.resolved_at.is_(None)
            )
        )
        or 0
    )
    return result


def open_flags(session: Session, article: Article) -> list[ArticleFlag]:
    return list(
        session.scalars(
            select(ArticleFlag)
            .where(ArticleFlag.article_id == article.id, ArticleFlag.resolved_at.is_(None))
            .order_by(ArticleFlag.at)
        )
    )


def recent_comments(session: Session, article: Article, limit: int = 10) -> list[ArticleFeedback]:
    return list(
        session.scalars(
            select(ArticleFeedback)
            .where(ArticleFeedback.article_id == article.id, ArticleFeedback.comment != "")
            .order_by(ArticleFeedback.at.desc())
            .limit(limit)
        )
    )
