"""Permission is decided before the request body is read: someone who may not do a thing gets
401/403/404 whatever they send, not a 422 about the fields (found by the authorisation matrix,
tests/trust/test_authorisation_matrix.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.content import import_content
from kb.extensions import kb_state
from tests.conftest import csrf_token

DRAFT = """---
title: Unfinished printer notes
slug: unfinished-printer-notes
summary: Not ready.
category: Printing
service: printing
audience: public
status: draft
---

## Issue

Not ready yet.
"""


@pytest.fixture
def draft(app, tmp_path: Path) -> str:
    folder = tmp_path / "drafts"
    folder.mkdir()
    (folder / "unfinished-printer-notes.md").write_text(DRAFT)
    with app.app_context(), kb_state(app).session() as session:
        assert not import_content(session, [folder]).failed
    return "unfinished-printer-notes"


def api(client, method: str, path: str, body: dict | None = None):
    return client.open(
        f"/api/v1{path}",
        method=method,
        json=body or {},
        headers={"X-CSRFToken": csrf_token(client, "/")},
    )


@pytest.mark.parametrize("role", ["author", "admin"])
def test_feedback_on_an_article_that_is_not_live_is_refused_before_the_vote_is_read(
    client, auth, draft, role
):
    auth.login(role)
    page = client.post(f"/articles/{draft}/feedback", data={"csrf_token": auth.token()})
    assert page.status_code == 403
    assert api(client, "POST", f"/articles/{draft}/feedback").status_code == 403
    # with a vote it is the same answer
    voted = api(client, "POST", f"/articles/{draft}/feedback", {"helpful": True})
    assert voted.status_code == 403


def test_a_requester_cannot_create_an_article_whatever_the_body(client, auth):
    auth.login("requester")
    assert api(client, "POST", "/articles").status_code == 403
    assert api(client, "POST", "/articles", {"title": "x"}).status_code == 403


def test_a_requester_cannot_update_an_article_whatever_the_body(client, auth):
    auth.login("requester")
    assert api(client, "PUT", "/articles/change-password").status_code == 403
    assert api(client, "PUT", "/articles/change-password", {"title": "x"}).status_code == 403


def test_a_technician_cannot_update_over_an_authors_pending_draft_whatever_the_body(client, auth):
    auth.login("author")
    live = client.get("/api/v1/articles/change-password").get_json()
    fields = {
        key: live[key] for key in ("title", "summary", "category", "service", "audience", "tags")
    }
    saved = api(
        client,
        "PUT",
        "/articles/change-password",
        {**fields, "body": "## Issue\n\nAn idea.", "base_revision_id": live["revision_id"]},
    )
    assert saved.status_code == 200, saved.get_data(as_text=True)
    auth.logout()
    auth.login("technician")
    assert api(client, "PUT", "/articles/change-password").status_code == 403


def test_an_unsigned_webhook_without_a_delivery_id_is_unauthorised(make_app):
    app = make_app(WEBHOOK_INBOUND_SECRET="s3cret")
    response = app.test_client().post("/api/v1/webhooks/ticket-resolved", json={})
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"


def test_starting_a_tree_that_is_not_live_is_a_conflict_for_an_author_and_404_for_others(
    app, client, auth, tmp_path
):
    from tests.trees.helpers import import_tree
    from tests.trees.trees import small

    import_tree(app, tmp_path / "trees", small(id="retired-printer"))
    auth.login("reviewer")
    archived = client.post(
        "/trees/retired-printer/workflow/archive", data={"csrf_token": auth.token()}
    )
    assert archived.status_code in (302, 303)
    for role in ("author", "reviewer"):
        auth.logout()
        auth.login(role)
        assert api(client, "POST", "/sessions", {"tree": "retired-printer"}).status_code == 409
        page = client.post("/trees/retired-printer/start", data={"csrf_token": auth.token()})
        assert page.status_code == 409
    auth.logout()
    for role in (None, "requester", "technician"):
        if role:
            auth.login(role)
        assert api(client, "POST", "/sessions", {"tree": "retired-printer"}).status_code == 404
        if role:
            auth.logout()
