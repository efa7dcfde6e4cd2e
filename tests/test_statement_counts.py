"""List pages cost the same number of SQL statements however many rows they show (no N+1):
each page is counted with two rows of everything, then with six."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, select

from kb.auth import users
from kb.content import import_content
from kb.extensions import kb_state
from kb.models import Ticket
from kb.outbox import dispatch
from tests.articles.test_workflow import ARTICLE, Api, as_
from tests.conftest import csrf_token
from tests.escalation.conftest import escalate

REPO = Path(__file__).resolve().parent.parent

PUBLISHED = """---
title: Flagged article {n}
slug: flagged-{n}
summary: Something readers flag.
owner: author@example.org
audience: public
status: published
---

## Issue

Flagged article {n}.
"""


@pytest.fixture
def app(make_app):
    return make_app(content="empty", BASE_URL="http://kb.test")


@pytest.fixture
def api(client) -> Api:
    return Api(client)


@contextmanager
def counted(app) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _executemany) -> None:
        statements.append(statement)

    engine = kb_state(app).engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def statements_for(app, client, path: str) -> int:
    assert client.get(path).status_code == 200  # warm: per-process caches filled
    with counted(app) as statements:
        response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return len(statements)


def same_for_two_and_six(app, client, path: str, add: Callable[[int, int], None]) -> None:
    add(0, 2)
    two = statements_for(app, client, path)
    add(2, 6)
    six = statements_for(app, client, path)
    assert six == two, f"{path}: {two} statements with two rows, {six} with six"


def test_the_ticket_queue(app, client, auth) -> None:
    kb = kb_state(app)

    def add(start: int, end: int) -> None:
        for n in range(start, end):
            escalate(kb, summary=f"Printer {n} is offline")
        dispatch(kb)  # the local ticketing plugin makes a ticket for each
        with kb.session() as session:  # each ticket with its own assignee
            for n, ticket in enumerate(session.scalars(select(Ticket).order_by(Ticket.id))):
                email = f"tech{n}@example.org"
                person = users.find_user(session, email) or users.create_user(
                    session, email, "correct-horse-battery-staple", role="technician"
                )
                ticket.assignee_id = person.id
            session.commit()

    auth.login("technician")
    same_for_two_and_six(app, client, "/queue", add)
    assert "Printer 5 is offline" in client.get("/queue").get_data(as_text=True)


def test_the_accounts_page(app, client, auth) -> None:
    kb = kb_state(app)

    def add(start: int, end: int) -> None:
        with kb.session() as session:
            for n in range(start, end):
                person = users.create_user(
                    session, f"person{n}@example.org", "correct-horse-battery-staple"
                )
                users.create_token(session, person, f"script {n}")
            session.commit()

    auth.login("admin")
    same_for_two_and_six(app, client, "/admin/users", add)
    assert "script 5" in client.get("/admin/users").get_data(as_text=True)


def test_the_authors_and_reviewers_dashboards(app, client, auth, api, tmp_path: Path) -> None:
    """Drafts sent back with comments, articles in review, flagged articles."""
    kb = kb_state(app)

    def add(start: int, end: int) -> None:
        folder = tmp_path / f"published-{start}"
        folder.mkdir()
        for n in range(start, end):
            (folder / f"flagged-{n}.md").write_text(PUBLISHED.format(n=n))
        with app.app_context(), kb.session() as session:
            import_content(session, [folder])
        as_(auth, "technician")
        for n in range(start, end):
            flagged = client.post(
                f"/articles/flagged-{n}/flag",
                data={
                    "reason": "outdated",
                    "csrf_token": csrf_token(client, f"/articles/flagged-{n}"),
                },
            )
            assert flagged.status_code == 302
        for n in range(start, end):
            as_(auth, "author")
            slug = f"draft-{n}"
            created = api.post("/articles", {**ARTICLE, "title": f"Draft {n}", "slug": slug})
            assert created.status_code == 201, created.get_json()
            assert api.post(f"/articles/{slug}/submit").status_code == 200
            if n % 2:  # half go back to the author with a comment, half wait for review
                as_(auth, "reviewer")
                sent_back = api.post(f"/articles/{slug}/request_changes", {"comment": f"Fix {n}"})
                assert sent_back.status_code == 200

    counts: dict[str, list[int]] = {"reviewer": [], "author": []}
    for start, end in ((0, 2), (2, 6)):
        add(start, end)
        for role in counts:
            as_(auth, role)
            counts[role].append(statements_for(app, client, "/dashboard"))
    assert counts["reviewer"][0] == counts["reviewer"][1], counts
    assert counts["author"][0] == counts["author"][1], counts
    board = client.get("/dashboard").get_data(as_text=True)  # the author's
    assert "Fix 5" in board and "Flagged article 5" in board


def test_the_article_list_api(app, client, tmp_path: Path) -> None:
    """Each article in the list shows its tags."""
    folder = tmp_path / "articles"
    folder.mkdir()
    for n in range(6):
        text = PUBLISHED.format(n=n).replace("audience:", f"tags: [printer, t{n}]\naudience:")
        (folder / f"flagged-{n}.md").write_text(text)
    with app.app_context(), kb_state(app).session() as session:
        assert not import_content(session, [folder]).error_lines

    two = statements_for(app, client, "/api/v1/articles?per_page=2")
    six = statements_for(app, client, "/api/v1/articles?per_page=6")
    assert six == two, f"{two} statements for two articles, {six} for six"
    items = client.get("/api/v1/articles?per_page=6").get_json()["items"]
    assert len(items) == 6 and all("printer" in item["tags"] for item in items)


def test_the_diagnostics_list_api(app, client, tmp_path: Path) -> None:
    """Each diagnostic in the list shows its published revision's number."""
    bundled = json.loads((REPO / "kb" / "decision_trees" / "computer-slow.json").read_text())

    def add(start: int, end: int) -> None:
        folder = tmp_path / f"trees-{start}"
        folder.mkdir()
        for n in range(start, end):
            tree = json.loads(json.dumps(bundled))
            tree["graph"].update(id=f"slow-{n}", title=f"Slow computer {n}")
            for node in tree["nodes"]:
                node.pop("article", None)  # this app has none of the bundled articles
            (folder / f"slow-{n}.json").write_text(json.dumps(tree))
        with app.app_context(), kb_state(app).session() as session:
            report = import_content(session, [folder])
        assert not report.error_lines, report.error_lines

    same_for_two_and_six(app, client, "/api/v1/trees", add)
    listed = client.get("/api/v1/trees").get_json()["items"]
    assert len(listed) == 6 and all(item["revision"] == 1 for item in listed)
