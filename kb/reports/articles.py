"""Article health: what is reused, what does not help, what readers flag, what is stale."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from kb.models import Article, ArticleFeedback, ArticleFlag, ArticleStatus
from kb.reports import charts
from kb.reports.base import Period, Report, Table

MIN_VOTES = 3


def article_health_report(
    session: Session, period: Period, config: dict[str, Any], today: date | None = None
) -> Report:
    today = today or period.end
    live = (
        Article.published_revision_id.is_not(None),
        Article.status != ArticleStatus.ARCHIVED.value,
    )
    reused = session.execute(
        select(Article.slug, Article.title, Article.reuse_count)
        .where(*live, Article.reuse_count > 0)
        .order_by(Article.reuse_count.desc())
        .limit(15)
    ).all()
    votes = session.execute(
        select(
            Article.slug,
            Article.title,
            func.sum(case((ArticleFeedback.helpful.is_(True), 1), else_=0)),
            func.count(ArticleFeedback.id),
        )
        .join(ArticleFeedback, ArticleFeedback.article_id == Article.id)
        .where(*live, ArticleFeedback.at >= period.start_at, ArticleFeedback.at < period.end_at)
        .group_by(Article.id)
        .having(func.count(ArticleFeedback.id) >= MIN_VOTES)
    ).all()
    least = sorted(
        ((slug, title, int(yes), int(total)) for slug, title, yes, total in votes),
        key=lambda r: (r[2] / r[3], -r[3]),
    )[:15]
    flagged = session.execute(
        select(Article.slug, Article.title, func.count(ArticleFlag.id))
        .join(ArticleFlag, ArticleFlag.article_id == Article.id)
        .where(ArticleFlag.resolved_at.is_(None))
        .group_by(Article.id)
        .order_by(func.count(ArticleFlag.id).desc())
        .limit(15)
    ).all()
    stale = session.execute(
        select(Article.slug, Article.title, Article.review_by, Article.owner)
        .where(*live, Article.review_by < today)
        .order_by(Article.review_by)
    ).all()
    tables = [
        Table("Most reused", ["slug", "title", "resolved_tickets"], [list(r) for r in reused]),
        Table(
            f"Least helpful (at least {MIN_VOTES} votes in the period)",
            ["slug", "title", "helpful", "votes"],
            [list(r) for r in least],
        ),
        Table(
            "Most flagged (open flags)", ["slug", "title", "open_flags"], [list(r) for r in flagged]
        ),
        Table(
            "Past their review-by date",
            ["slug", "title", "review_by", "owner"],
            [[s, t, d.isoformat(), o] for s, t, d, o in stale],
        ),
    ]
    chart_list = []
    if reused:
        chart_list.append(
            charts.hbars(
                [(t, n) for _, t, n in reused],
                "Most reused articles",
                x_label="Tickets resolved with the article",
                y_label="Article",
            )
        )
    if least:
        chart_list.append(
            charts.hbars(
                [(t, round(100 * y / n)) for _, t, y, n in least],
                f"Least helpful articles (at least {MIN_VOTES} votes)",
                x_label="Votes saying it helped (%)",
                y_label="Article",
                colour="#D55E00",
                maximum=100,
                suffix="%",
            )
        )
    return Report(
        "article-health",
        "Article health",
        "Most reused (from resolved tickets), "
        "least helpful, most flagged, and past their review-by date.",
        period,
        chart_list,
        tables,
        data={"stale": len(stale), "flagged": len(flagged)},
    )
