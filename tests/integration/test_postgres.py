"""kb on a real PostgreSQL 15 cluster started for this run: migrations, content import, an
article edit, an escalation, the outbox and a resolution written back, all over psycopg."""

from __future__ import annotations

import time
from pathlib import Path

import frontmatter
import pytest
from sqlalchemy import select

from kb import create_app
from kb.articles.revisions import get_article
from kb.cli import cli
from kb.db import PING_AFTER_IDLE_SECONDS, schema_is_current
from kb.escalation.writeback import resolution_log
from kb.extensions import kb_state
from kb.models import Escalation, OutboxMessage, Ticket
from tests.conftest import AuthActions, csrf_token
from tests.escalation.conftest import add_articles
from tests.integration.conftest import create_database

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


def test_connections_dropped_while_idle_are_replaced_before_use(
    postgres_server, tmp_path, monkeypatch
):
    """A database restart while kb's pool sits idle (here: the server ends every connection
    to kb's database) costs no request: a connection idle for longer than
    PING_AFTER_IDLE_SECONDS is checked before use and replaced when it is dead."""
    import psycopg

    url = create_database(postgres_server, "kb_idle_connections")
    monkeypatch.setenv("KB_DATABASE_URL", url)
    application = create_app(
        {"TESTING": True, "SECRET_KEY": "test"}, instance_path=tmp_path / "instance"
    )
    client = application.test_client()
    try:
        assert client.get("/api/v1/trees").status_code == 200  # the pool holds a connection
        port = postgres_server.rsplit(":", 1)[1]
        with psycopg.connect(
            f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True
        ) as admin:
            ended = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = 'kb_idle_connections'"
            ).fetchone()
        assert ended is not None and ended[0] >= 1
        time.sleep(PING_AFTER_IDLE_SECONDS + 0.2)
        answer = client.get("/api/v1/trees")
        assert answer.status_code == 200, answer.get_data(as_text=True)
    finally:
        kb_state(application).engine.dispose()
