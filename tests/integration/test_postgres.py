"""kb on a real PostgreSQL 15 cluster started for this run: migrations, content import, an
article edit, an escalation, the outbox and a resolution written back, all over psycopg."""

from __future__ import annotations

from pathlib import Path

import frontmatter
import pytest
from sqlalchemy import select

from kb import create_app
from kb.articles.revisions import get_article
from kb.cli import cli
from kb.db import schema_is_current
from kb.escalation.writeback import resolution_log
from kb.extensions import kb_state
from kb.models import Escalation, OutboxMessage, Ticket
from tests.conftest import AuthActions, csrf_token
from tests.escalation.conftest import add_articles

pytestmark = pytest.mark.integration

ADMIN = ("admin@kb.test", "a-long-admin-password")


@pytest.fixture
def app(postgres, tmp_path, monkeypatch):
    """An app as a site runs it: the database chosen by KB_DATABASE_URL."""
    monkeypatch.setenv("KB_DATABASE_URL", postgres)
    monkeypatch.setenv("KB_ADMIN_EMAIL", ADMIN[0])
    monkeypatch.setenv("KB_ADMIN_PASSWORD", ADMIN[1])
    application = create_app(
        {"TESTING": True, "SECRET_KEY": "test", "BASE_URL": "http://kb.test"},
        instance_path=tmp_path / "instance",
    )
    yield application
    kb_state(application).engine.dispose()


def test_kb_runs_on_postgresql(app, tmp_path):
    kb = kb_state(app)
    assert kb.engine.dialect.name == "postgresql"
    assert schema_is_current(kb.engine)  # migrations ran at start-up

    runner = app.test_cli_runner()
    init = runner.invoke(cli, ["init"])
    assert init.exit_code == 0, init.output
    assert "Imported bundled content" in init.output and f"Created admin account {ADMIN[0]}" in (
        init.output
    )
    with kb.session() as session:
        for path in sorted(Path(app.config["BUNDLED_ARTICLES"]).glob("*.md")):
            if str(path) in init.output:
                continue  # a file the import reported as invalid (it says which and why)
            slug = frontmatter.load(path).get("slug") or path.stem
            assert get_article(session, slug) is not None, f"{path} was not imported"
    add_articles(app, tmp_path / "arts", "printer-jam", "printer-offline")

    client = app.test_client()
    AuthActions(client).login(ADMIN[0], ADMIN[1])
    with kb.session() as session:
        base = get_article(session, "printer-jam").head_revision_id
    edited = client.post(
        "/articles/printer-jam/edit",
        data={
            "csrf_token": csrf_token(client, "/articles/printer-jam/edit"),
            "base_revision_id": str(base),
            "title": "Paper jams",
            "slug": "printer-jam",
            "audience": "public",
            "category": "Printing",
            "service": "printing",
            "body": "## Issue\n\nPaper is stuck.\n\n## Resolution\n\nOpen tray 2.",
            "action": "save",
        },
    )
    assert edited.status_code == 302
    with kb.session() as session:
        assert get_article(session, "printer-jam").head_revision.body.endswith("Open tray 2.")

    escalated = client.post(
        "/escalations/new",
        data={
            "csrf_token": csrf_token(client, "/escalations/new"),
            "summary": "Printer on floor 3 is offline",
            "impact": "medium",
            "urgency": "high",
            "requester_name": "Pat Doe",
            "requester_email": "pat@example.org",
        },
    )
    assert escalated.status_code == 302
    run = runner.invoke(cli, ["outbox", "run", "--once"])
    assert run.exit_code == 0 and "delivered" in run.output, run.output
    with kb.session() as session:
        escalation = session.scalar(select(Escalation))
        assert escalation.ticket_system == "local" and escalation.status == "ticketed"
        ticket_id = session.scalar(select(Ticket.id))
        assert session.scalar(select(OutboxMessage.status)) == "done"

    resolved = client.post(
        f"/queue/{ticket_id}/resolve",
        data={
            "csrf_token": csrf_token(client, f"/queue/{ticket_id}"),
            "resolution": "Re-added the printer.",
            "articles": ["printer-offline"],
        },
    )
    assert resolved.status_code == 302
    with kb.session() as session:
        article = get_article(session, "printer-offline")
        assert article.reuse_count == 1
        assert resolution_log(session, article)[0]["ticket"] == (f"local:{ticket_id}")
