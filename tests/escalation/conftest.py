"""Escalation fixtures: an app with a couple of articles, and helpers to escalate and deliver."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.content import import_content
from kb.escalation.intake import EscalationRequest, create_escalation
from kb.extensions import kb_state
from kb.outbox import dispatch

ARTICLE = """---
title: {title}
slug: {slug}
summary: How to fix it.
category: Printing
service: printing
audience: public
status: published
---

## Issue

{title}.

## Resolution

1. Restart the print spooler.
"""


def add_articles(app, folder: Path, *slugs: str) -> None:
    folder.mkdir(exist_ok=True)
    for slug in slugs:
        (folder / f"{slug}.md").write_text(ARTICLE.format(slug=slug, title=slug.replace("-", " ")))
    with app.app_context(), kb_state(app).session() as session:
        import_content(session, [folder])


@pytest.fixture
def app(make_app, tmp_path):
    application = make_app(content="empty", BASE_URL="http://kb.test")
    add_articles(application, tmp_path / "arts", "printer-jam", "printer-offline")
    return application


@pytest.fixture
def kb(app):
    return kb_state(app)


def escalate(kb, **changes) -> str:
    """Create an escalation directly (as the form would) and return its public id."""
    values = dict(
        summary="Printer on floor 3 is offline",
        requester_name="Pat Doe",
        requester_email="pat@example.org",
        group="desktop-support",
        impact="medium",
        urgency="high",
        service="printing",
        transcript_text="1. Restarted: no change",
        articles_viewed=["printer-offline"],
    )
    values.update(changes)
    with kb.session() as session:
        escalation = create_escalation(session, kb, EscalationRequest(**values))
        session.commit()
        return escalation.public_id


def deliver(kb):
    return dispatch(kb)


def writeback_event(session, article):
    """The history event of the last resolution logged against ``article`` (who logged it)."""
    from sqlalchemy import select

    from kb.models import ArticleEvent

    return session.scalar(
        select(ArticleEvent)
        .where(ArticleEvent.article_id == article.id, ArticleEvent.action == "resolution")
        .order_by(ArticleEvent.id.desc())
    )
