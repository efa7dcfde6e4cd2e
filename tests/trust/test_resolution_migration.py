"""Migration 0009 moves the resolution log out of revisions into the article's own log, keeping
every entry found in any revision once (entries an earlier restore dropped come back)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kb.articles import resolutions
from kb.db import make_engine, upgrade
from kb.models import Article, ArticleRevision


def entry(n: int) -> dict[str, str]:
    return {
        "ticket": f"local:{n}",
        "date": f"2026-11-0{n}",
        "resolver": "t",
        "resolution": f"Fix {n}",
    }


def test_upgrade_keeps_every_logged_resolution_of_every_revision(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'kb.sqlite3'}")
    upgrade(engine, "0008")
    with Session(engine) as session:
        article = Article(slug="printer-jam", status="published", title="Printer jam")
        session.add(article)
        session.flush()
        logs = [[], [entry(1)], [entry(1), entry(2)], [entry(1)]]  # the last one was a restore
        for number, log in enumerate(logs, start=1):
            session.add(
                ArticleRevision(
                    article_id=article.id,
                    number=number,
                    title="Printer jam",
                    slug="printer-jam",
                    extra={"resolution_log": log, "other": "kept"} if log else {},
                    body="text",
                    content_hash=f"h{number}",
                )
            )
        session.commit()
    upgrade(engine)
    with Session(engine) as session:
        article = session.query(Article).one()
        assert resolutions.entries(session, article) == [entry(1), entry(2)]
    engine.dispose()
