"""Resolution write-back respects the article workflow: a resolution is logged only against
live articles (others are reported back as skipped, the resolution itself is kept), the log
entry never changes an article's status or revisions, and the log belongs to the article, so
restoring or editing a revision keeps every logged resolution."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from kb.articles.revisions import get_article
from kb.escalation.service import by_public_id
from kb.models import Ticket
from tests.conftest import AuthActions, csrf_token
from tests.escalation.conftest import deliver, escalate

DRAFT = {
    "title": "Toner smudges on every page",
    "slug": "toner-smudges",
    "summary": "Smudged prints.",
    "category": "Printing",
    "service": "printing",
    "audience": "public",
    "body": "## Issue\n\nAn author's unfinished draft.",
}


class Api:
    def __init__(self, app, role: str | None) -> None:
        self.client = app.test_client()
        if role:
            AuthActions(self.client).login(role)

    def get(self, path: str):
        return self.client.get(f"/api/v1{path}")

    def post(self, path: str, body: dict | None = None):
        token = csrf_token(self.client, "/")
        return self.client.post(f"/api/v1{path}", json=body or {}, headers={"X-CSRFToken": token})

    def put(self, path: str, body: dict):
        token = csrf_token(self.client, "/")
        return self.client.put(f"/api/v1{path}", json=body, headers={"X-CSRFToken": token})


def new_ticket(kb, summary: str = "Printer on floor 3 is offline") -> int:
    public_id = escalate(kb, summary=summary)
    deliver(kb)
    with kb.session() as session:
        return session.scalar(
            select(Ticket.id).where(Ticket.escalation_id == by_public_id(session, public_id).id)
        )


def resolve(api: Api, ticket_id: int, text: str, *slugs: str):
    return api.post(
        f"/queue/{ticket_id}/resolve",
        {"resolution": text, "articles": list(slugs), "create_draft": True},
    )


def history(api: Api, slug: str) -> dict:
    response = api.get(f"/articles/{slug}/history")
    assert response.status_code == 200
    return response.get_json()


def logged(app, slug: str) -> int:
    """The resolution log count a technician sees on the article page."""
    page = Api(app, "technician").client.get(f"/articles/{slug}").get_data(as_text=True)
    match = re.search(r'Resolution log <span class="count">(\d+)</span>', page)
    return int(match.group(1)) if match else 0


@pytest.fixture
def reviewer(app) -> Api:
    return Api(app, "reviewer")


@pytest.fixture
def technician(app) -> Api:
    return Api(app, "technician")


def test_a_resolution_skips_articles_that_are_not_live_and_never_changes_their_status(
    app, kb, reviewer, technician
) -> None:
    author = Api(app, "author")
    assert reviewer.post("/articles/printer-jam/archive").status_code == 200
    assert author.post("/articles", DRAFT).status_code == 201
    # an author's pending draft on top of the live printer-offline
    live = author.get("/articles/printer-offline").get_json()
    pending = author.put(
        "/articles/printer-offline",
        {
            **DRAFT,
            "title": "printer offline",
            "slug": "printer-offline",
            "body": "Author's pending wording.",
            "base_revision_id": live["head_revision_id"],
        },
    )
    assert pending.status_code == 200
    before = {s: history(reviewer, s) for s in ("printer-jam", "toner-smudges", "printer-offline")}

    ticket_id = new_ticket(kb)
    response = resolve(
        technician,
        ticket_id,
        "Cleared the paper path.",
        "printer-jam",
        "toner-smudges",
        "printer-offline",
        "no-such-article",
    )
    assert response.status_code == 200, response.get_json()
    # the archived article stays archived and invisible
    assert Api(app, None).get("/articles/printer-jam").status_code == 404
    after = {s: history(reviewer, s) for s in before}
    for slug in before:
        assert after[slug]["status"] == before[slug]["status"], slug
        assert after[slug]["revisions"] == before[slug]["revisions"], slug  # no revision written
        for event in after[slug]["events"]:
            assert event["from"] == event["to"] == "" or event["from"] != event["to"], event
    # the live article got the log entry, its pending draft is untouched
    assert logged(app, "printer-offline") == 1
    assert logged(app, "printer-jam") == 0
    with kb.session() as session:
        offline = get_article(session, "printer-offline")
        assert offline.reuse_count == 1
        assert offline.head_revision.body == "Author's pending wording."
        assert get_article(session, "printer-jam").reuse_count == 0
        assert session.scalar(select(Ticket.status).where(Ticket.id == ticket_id)) == "resolved"
    skipped = {s["slug"]: s["reason"] for s in response.get_json()["skipped"]}
    assert set(skipped) == {"printer-jam", "toner-smudges", "no-such-article"}
    assert "archived" in skipped["printer-jam"]
    assert "not published" in skipped["toner-smudges"]
    assert "no article" in skipped["no-such-article"].lower()

    # the resolution itself is kept, and no extra draft was made for the skipped ones
    with kb.session() as session:
        assert get_article(session, "printer-on-floor-3-is-offline") is None
    ticket_page = technician.client.get(f"/queue/{ticket_id}").get_data(as_text=True)
    assert "Cleared the paper path." in ticket_page


def test_restoring_or_editing_a_revision_keeps_every_logged_resolution(
    app, kb, reviewer, technician
) -> None:
    author = Api(app, "author")

    def edit(body: str) -> None:
        head = author.get("/articles/printer-jam?draft=1").get_json()
        response = author.put(
            "/articles/printer-jam",
            {
                **DRAFT,
                "title": "printer jam",
                "slug": "printer-jam",
                "body": body,
                "base_revision_id": head["head_revision_id"],
                "message": body,
            },
        )
        assert response.status_code == 200, response.get_json()

    for n in range(3):
        assert resolve(technician, new_ticket(kb), f"Fix {n}.", "printer-jam").status_code == 200
    edit("First rewording.")
    assert reviewer.post("/articles/printer-jam/publish").status_code == 200
    for n in range(3, 10):
        assert resolve(technician, new_ticket(kb), f"Fix {n}.", "printer-jam").status_code == 200
    edit("Second rewording.")
    assert logged(app, "printer-jam") == 10

    first = next(
        r["number"]
        for r in history(reviewer, "printer-jam")["revisions"]
        if r["message"] == "First rewording."
    )
    head = author.get("/articles/printer-jam?draft=1").get_json()["head_revision_id"]
    restored = author.post(f"/articles/printer-jam/restore/{first}", {"base_revision_id": head})
    assert restored.status_code == 200, restored.get_json()
    assert logged(app, "printer-jam") == 10
    edit("Third rewording.")
    assert logged(app, "printer-jam") == 10
    with kb.session() as session:
        assert get_article(session, "printer-jam").reuse_count == 10
