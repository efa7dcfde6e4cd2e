"""What authors and reviewers have to do next: drafts, reviews, flags, stale articles."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from kb.models import Article, ArticleEvent, ArticleFlag, ArticleRevision, ArticleStatus, User


@dataclass
class Dashboard:
    my_drafts: list[Article] = field(default_factory=list)
    changes_requested: list[Article] = field(default_factory=list)
    my_in_review: list[Article] = field(default_factory=list)
    my_flagged: list[Article] = field(default_factory=list)
    awaiting_review: list[Article] = field(default_factory=list)
    flagged: list[Article] = field(default_factory=list)
    stale: list[Article] = field(default_factory=list)
    recently_published: list[Article] = field(default_factory=list)


def _authored_by(user: User):
    return exists().where(
        ArticleRevision.article_id == Article.id, ArticleRevision.author_id == user.id
    )


def _last_action(article_id) -> select:
    return (
        select(ArticleEvent.action)
        .where(ArticleEvent.article_id == article_id, ArticleEvent.action != "comment")
        .order_by(ArticleEvent.at.desc(), ArticleEvent.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _has_open_flag():
    return exists().where(ArticleFlag.article_id == Article.id, ArticleFlag.resolved_at.is_(None))


def author_dashboard(session: Session, user: User, board: Dashboard | None = None) -> Dashboard:
    board = board or Dashboard()
    mine = or_(_authored_by(user), Article.proposed_by_id == user.id)
    drafts = list(
        session.scalars(
            select(Article)
            .where(mine, Article.status == ArticleStatus.DRAFT.value)
            .order_by(Article.updated_at.desc())
        )
    )
    requested = {
        a.id for a in drafts if session.scalar(select(_last_action(a.id))) == "request_changes"
    }
    board.changes_requested = [a for a in drafts if a.id in requested]
    board.my_drafts = [a for a in drafts if a.id not in requested]
    board.my_in_review = list(
        session.scalars(
            select(Article)
            .where(mine, Article.status == ArticleStatus.IN_REVIEW.value)
            .order_by(Article.updated_at.desc())
        )
    )
    owned = or_(Article.owner == user.email, _authored_by(user))
    board.my_flagged = list(
        session.scalars(select(Article).where(owned, _has_open_flag()).order_by(Article.title))
    )
    return board


def reviewer_dashboard(
    session: Session, board: Dashboard | None = None, today: date | None = None, limit: int = 20
) -> Dashboard:
    board = board or Dashboard()
    today = today or date.today()
    board.awaiting_review = list(
        session.scalars(
            select(Article)
            .where(Article.status == ArticleStatus.IN_REVIEW.value)
            .order_by(Article.updated_at)
        )
    )
    board.flagged = list(
        session.scalars(
            select(Article)
            .where(_has_open_flag())
            .order_by(
                select(func.min(ArticleFlag.at))
                .where(ArticleFlag.article_id == Article.id, ArticleFlag.resolved_at.is_(None))
                .scalar_subquery()
            )
        )
    )
    board.stale = list(
        session.scalars(
            select(Article)
            .where(
                Article.published_revision_id.is_not(None),
                Article.status != ArticleStatus.ARCHIVED.value,
                Article.review_by.is_not(None),
                Article.review_by < today,
            )
            .order_by(Article.review_by)
        )
    )
    published_at = (
        select(func.max(ArticleEvent.at))
        .where(
            ArticleEvent.article_id == Article.id, ArticleEvent.action.in_(("approve", "publish"))
        )
        .scalar_subquery()
    )
    board.recently_published = list(
        session.scalars(
            select(Article)
            .where(published_at.is_not(None), Article.status != ArticleStatus.ARCHIVED.value)
            .order_by(published_at.desc())
            .limit(limit)
        )
    )
    return board
