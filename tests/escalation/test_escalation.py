"""Escalating, delivering tickets through the outbox, working the local queue, and writing
resolutions back into the knowledge base."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kb import hookimpl
from kb.articles.revisions import get_article
from kb.escalation.service import ResolutionInput, by_public_id, resolve_escalation
from kb.escalation.writeback import resolution_log
from kb.models import Article, ArticleStatus, Escalation, OutboxMessage, Ticket, utcnow
from kb.outbox import dispatch
from tests.conftest import csrf_token
from tests.escalation.conftest import deliver, escalate, writeback_event


def count(kb, model, *where) -> int:
    with kb.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_form_stores_the_escalation_with_priority_due_times_and_an_outbox_row(app, kb):
    client = app.test_client()
    token = csrf_token(client, "/escalations/new")
    response = client.post(
        "/escalations/new",
        data={
            "csrf_token": token,
            "summary": "Cannot open the finance share",
            "details": "Access denied on S:",
            "impact": "medium",
            "urgency": "high",
            "requester_name": "Ann Lee",
            "requester_email": "ann@example.org",
            "requester_location": "City Hall, 2nd floor",
        },
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cannot open the finance share" in page and "What happens next" in page
    with kb.session() as session:
        escalation = session.scalar(select(Escalation))
        assert escalation.priority == "P2" and escalation.group == "service-desk"
        assert escalation.response_due - escalation.created_at == timedelta(hours=1)
        keys = set(session.scalars(select(OutboxMessage.key)))
        assert f"ticket:{escalation.public_id}" in keys


def test_missing_details_are_shown_and_nothing_is_stored(app, kb):
    client = app.test_client()
    token = csrf_token(client, "/escalations/new")
    response = client.post(
        "/escalations/new",
        data={
            "csrf_token": token,
            "summary": "Help",
            "details": "My notes",
            "impact": "low",
            "urgency": "low",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "tell us your name" in html and "give an e-mail address or a phone number" in html
    assert "My notes" in html
    assert count(kb, Escalation) == 0 and count(kb, OutboxMessage) == 0


def test_the_dispatcher_creates_the_ticket_in_the_local_queue(app, kb):
    public_id = escalate(kb)
    report = deliver(kb)
    assert report.delivered >= 1 and report.dead == 0
    with kb.session() as session:
        escalation = by_public_id(session, public_id)
        assert escalation.ticket_system == "local" and escalation.status == "ticketed"
        assert session.scalar(select(func.count(Ticket.id))) == 1
    client = app.test_client()
    assert f"ticket LOCAL #{escalation.ticket_ref}" in client.get(
        f"/escalations/{public_id}"
    ).get_data(as_text=True)


class FlakyTicketing:
    """A ticketing system that is down until told otherwise, and counts what it creates."""

    def __init__(self) -> None:
        self.up = False
        self.created: dict[str, str] = {}
        self.calls = 0

    @hookimpl
    def kb_create_ticket(self, kb, escalation, idempotency_key):
        from kb.records import TicketRef

        self.calls += 1
        if not self.up:
            raise ConnectionError("ticketing system unreachable")
        ticket = self.created.setdefault(idempotency_key, f"EXT-{len(self.created) + 1}")
        return TicketRef("flaky", ticket, f"https://tickets.example/{ticket}")


def test_a_ticketing_system_that_is_down_loses_nothing_and_makes_exactly_one_ticket(make_app):
    flaky = FlakyTicketing()
    app = make_app(content="empty", plugins=[flaky], OUTBOX_BACKOFF_SECONDS=60)
    from kb.extensions import kb_state

    kb = kb_state(app)
    public_id = escalate(kb, articles_viewed=[])
    clock = [utcnow()]
    for _hour in range(6):  # an hour of failures, with time moving on
        dispatch(kb, now=lambda: clock[0])
        clock[0] += timedelta(minutes=10)
    with kb.session() as session:
        message = session.scalar(
            select(OutboxMessage).where(OutboxMessage.key == f"ticket:{public_id}")
        )
        assert message.status == "pending" and message.attempts >= 3
        assert "unreachable" in message.last_error
        assert message.next_attempt_at > clock[0] - timedelta(minutes=10)
    flaky.up = True
    clock[0] += timedelta(hours=2)
    dispatch(kb, now=lambda: clock[0])
    dispatch(kb, now=lambda: clock[0] + timedelta(hours=1))
    assert list(flaky.created.values()) == ["EXT-1"]
    with kb.session() as session:
        escalation = by_public_id(session, public_id)
        assert (escalation.ticket_system, escalation.ticket_ref) == ("flaky", "EXT-1")
        assert session.scalar(select(func.count(Ticket.id))) == 0  # local queue not used


def test_a_retry_after_a_lost_answer_does_not_make_a_second_ticket(make_app):
    flaky = FlakyTicketing()
    flaky.up = True
    app = make_app(content="empty", plugins=[flaky])
    from kb.escalation.tickets import deliver_ticket
    from kb.extensions import kb_state

    kb = kb_state(app)
    public_id = escalate(kb, articles_viewed=[])
    with kb.session() as session:
        escalation_id = by_public_id(session, public_id).id
    key = f"ticket:{public_id}"
    flaky.kb_create_ticket(kb=kb, escalation=None, idempotency_key=key)  # created, answer lost
    deliver_ticket(kb, escalation_id, key)
    assert flaky.created == {key: "EXT-1"}


def test_deliveries_give_up_after_the_limit_and_an_admin_can_retry(make_app):
    flaky = FlakyTicketing()
    app = make_app(
        content="empty", plugins=[flaky], OUTBOX_MAX_ATTEMPTS=3, OUTBOX_BACKOFF_SECONDS=0
    )
    from kb.extensions import kb_state

    kb = kb_state(app)
    escalate(kb, articles_viewed=[])
    for _ in range(3):
        dispatch(kb)
    client = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(client).login("admin")
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "gave up" in page and "ticketing system unreachable" in page
    with kb.session() as session:
        dead = session.scalar(select(OutboxMessage).where(OutboxMessage.status == "dead"))
        dead_id = dead.id
    flaky.up = True
    token = csrf_token(client, "/admin/outbox")
    assert (
        client.post(f"/admin/outbox/{dead_id}/retry", data={"csrf_token": token}).status_code == 302
    )
    dispatch(kb)
    assert flaky.created


def test_the_queue_is_for_technicians_only(app, kb, client, auth):
    escalate(kb)
    deliver(kb)
    assert client.get("/queue").status_code == 302  # anonymous: sign in first
    auth.login("requester")
    assert client.get("/queue").status_code == 403
    assert client.get("/api/v1/queue").status_code == 403
    auth.logout()
    auth.login("technician")
    page = client.get("/queue").get_data(as_text=True)
    assert "Printer on floor 3 is offline" in page and "on track" in page
    assert client.get("/api/v1/queue").get_json()["items"][0]["priority"] == "P2"


def test_the_queue_filters_by_group_priority_and_sla_state(app, kb, client, auth):
    escalate(kb)
    escalate(kb, summary="VPN down for everyone", group="network", impact="high", urgency="high")
    deliver(kb)
    auth.login("technician")
    by_group = client.get("/api/v1/queue?group=network").get_json()
    assert [i["summary"] for i in by_group["items"]] == ["VPN down for everyone"]
    assert client.get("/api/v1/queue?priority=P1").get_json()["total"] == 1
    assert client.get("/api/v1/queue?state=breached").get_json()["total"] == 0
    assert client.get("/api/v1/queue?state=nonsense").status_code == 422


def test_resolving_in_the_queue_writes_back_into_the_article(app, kb, client, auth):
    public_id = escalate(kb)
    deliver(kb)
    auth.login("technician")
    with kb.session() as session:
        ticket_id = session.scalar(select(Ticket.id))
    token = csrf_token(client, f"/queue/{ticket_id}")
    client.post(
        f"/queue/{ticket_id}/assign",
        data={"csrf_token": token, "assignee": "technician@example.org"},
    )
    client.post(
        f"/queue/{ticket_id}/comment",
        data={"csrf_token": token, "public": "1", "body": "Looking at it now."},
    )
    response = client.post(
        f"/queue/{ticket_id}/resolve",
        data={
            "csrf_token": token,
            "resolution": "Re-added the printer; the old queue was stale.",
            "articles": ["printer-offline"],
            "followup_days": "2",
            "followup_text": "Still printing?",
        },
    )
    assert response.status_code == 302
    with kb.session() as session:
        article = get_article(session, "printer-offline")
        assert article.reuse_count == 1
        (entry,) = resolution_log(session, article)
        assert entry["ticket"] == f"local:{ticket_id}"
        assert entry["resolver"] == "technician@example.org"
        assert writeback_event(session, article).actor_name == f"local ticket {ticket_id}"
        escalation = by_public_id(session, public_id)
        assert escalation.status == "resolved" and escalation.first_response_at is not None
    status = client.get(f"/escalations/{public_id}").get_data(as_text=True)
    assert "Looking at it now." in status and "Re-added the printer" in status
    page = client.get("/articles/printer-offline").get_data(as_text=True)
    assert "Re-added the printer" in page  # technicians see the resolution log
    auth.logout()
    assert "Re-added the printer" not in client.get("/articles/printer-offline").get_data(
        as_text=True
    )


def test_a_resolution_with_no_article_becomes_a_draft_in_the_review_queue(app, kb, client, auth):
    escalate(kb, summary="Plotter prints blank pages", articles_viewed=[])
    deliver(kb)
    auth.login("technician")
    with kb.session() as session:
        ticket_id = session.scalar(select(Ticket.id))
    token = csrf_token(client, f"/queue/{ticket_id}")
    client.post(
        f"/queue/{ticket_id}/resolve",
        data={"csrf_token": token, "resolution": "Replaced the drum unit.", "create_draft": "1"},
    )
    with kb.session() as session:
        draft = get_article(session, "plotter-prints-blank-pages")
        assert draft is not None and draft.status == ArticleStatus.IN_REVIEW.value
        body = draft.head_revision.body
        assert "## Issue" in body and "Replaced the drum unit." in body and "## Cause" in body
    auth.logout()
    auth.login("reviewer")
    assert "Plotter prints blank pages" in client.get("/dashboard").get_data(as_text=True)


def test_concurrent_write_backs_to_one_article_lose_nothing(app, kb):
    ids = [escalate(kb, summary=f"Printer problem {n}") for n in range(8)]
    errors: list[BaseException] = []

    def resolve(public_id: str, n: int) -> None:
        from kb.escalation.resilience import with_retries

        def work(session):
            escalation = by_public_id(session, public_id)
            resolve_escalation(
                session,
                kb,
                escalation,
                ResolutionInput(
                    resolver="tech",
                    text=f"Fix number {n}",
                    articles=["printer-jam"],
                    ticket_system="ext",
                    ticket_ref=str(n),
                ),
            )

        try:
            with_retries(kb, work)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=resolve, args=(pid, n)) for n, pid in enumerate(ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with kb.session() as session:
        article = get_article(session, "printer-jam")
        log = resolution_log(session, article)
        assert sorted(e["resolution"] for e in log) == sorted(f"Fix number {n}" for n in range(8))
        assert article.reuse_count == 8
        assert len(article.revisions) == 1  # the log is not a revision


def test_an_author_editing_during_a_write_back_keeps_both(app, kb, client, auth):
    auth.login("author")
    editor = client.get("/articles/printer-jam/edit").get_data(as_text=True)
    assert "base_revision_id" in editor
    with kb.session() as session:
        base = get_article(session, "printer-jam").head_revision_id
    public_id = escalate(kb)
    with kb.session() as session:
        resolve_escalation(
            session,
            kb,
            by_public_id(session, public_id),
            ResolutionInput(
                resolver="tech", text="Cleared the jam sensor.", articles=["printer-jam"]
            ),
        )
        session.commit()
    token = csrf_token(client, "/articles/printer-jam/edit")
    response = client.post(
        "/articles/printer-jam/edit",
        data={
            "csrf_token": token,
            "base_revision_id": str(base),
            "title": "printer jam",
            "slug": "printer-jam",
            "audience": "public",
            "category": "Printing",
            "service": "printing",
            "body": "## Issue\n\nBetter words.",
            "action": "save",
        },
    )
    assert response.status_code == 302
    with kb.session() as session:
        head = get_article(session, "printer-jam").head_revision
        assert head.body == "## Issue\n\nBetter words."
        assert resolution_log(session, head.article)[0]["resolution"] == "Cleared the jam sensor."


def test_a_follow_up_that_is_not_fixed_reopens_the_ticket(app, kb, client, auth):
    from kb.followups import run_due

    public_id = escalate(kb)
    deliver(kb)
    with kb.session() as session:
        ticket = session.scalar(select(Ticket))
        ticket_id = ticket.id
    auth.login("technician")
    token = csrf_token(client, f"/queue/{ticket_id}")
    client.post(
        f"/queue/{ticket_id}/resolve",
        data={
            "csrf_token": token,
            "resolution": "Restarted the spooler.",
            "articles": "printer-jam",
            "followup_days": "2",
            "followup_text": "Is the printer still working?",
        },
    )
    assert run_due(kb) == 0
    assert run_due(kb, now=utcnow() + timedelta(days=3)) == 1
    followups_page = client.get("/followups").get_data(as_text=True)
    assert "Is the printer still working?" in followups_page or "No follow-ups" in followups_page
    with kb.session() as session:
        from kb.models import FollowUp

        link = session.scalar(select(FollowUp.token))
    auth.logout()
    token = csrf_token(client, f"/followups/{link}")
    client.post(
        f"/followups/{link}", data={"csrf_token": token, "fixed": "no", "comment": "Jammed again"}
    )
    with kb.session() as session:
        assert session.get(Ticket, ticket_id).status == "reopened"
        assert by_public_id(session, public_id).status == "reopened"
    again = client.post(f"/followups/{link}", data={"csrf_token": token, "fixed": "yes"})
    assert again.status_code == 409


def test_the_same_session_escalated_twice_is_one_escalation(app, kb):
    first = escalate(kb, session_token="abc")
    second = escalate(kb, session_token="abc")
    assert first == second
    assert count(kb, Escalation) == 1


@pytest.mark.parametrize(
    "path", ["/escalations/nope", "/api/v1/escalations/nope", "/followups/nope"]
)
def test_unknown_links_are_404(client, path):
    assert client.get(path).status_code == 404


def test_cli_outbox_run_and_followups_run(app, kb, runner):
    from kb.cli import cli

    escalate(kb)
    result = runner.invoke(cli, ["outbox", "run", "--once"])
    assert result.exit_code == 0 and "delivered" in result.output
    assert count(kb, Article) == 2
    result = runner.invoke(cli, ["followups", "run"])
    assert result.exit_code == 0 and "0 follow-ups due" in result.output


def test_a_reopened_escalation_resolved_again_reuses_its_first_draft(app, kb):
    from kb.followups import reopen

    public_id = escalate(kb, summary="Badge reader rejects my card", articles_viewed=[])
    for text in ("Re-encoded the badge.", "Replaced the badge."):
        with kb.session() as session:
            escalation = by_public_id(session, public_id)
            resolve_escalation(
                session,
                kb,
                escalation,
                ResolutionInput(resolver="tech", text=text, create_draft=True),
            )
            session.commit()
        with kb.session() as session:
            reopen(session, by_public_id(session, public_id), "Still broken")
            assert by_public_id(session, public_id).reopened_at is not None
            session.commit()
    with kb.session() as session:
        drafts = session.scalars(
            select(Article.slug).where(Article.slug.like("badge-reader%"))
        ).all()
        assert drafts == ["badge-reader-rejects-my-card"]
        log = resolution_log(session, get_article(session, drafts[0]))
        # the draft is in review, not live: the second resolution is not logged in it (it is
        # reported as skipped and kept on the escalation), and no second draft is made
        assert [e["resolution"] for e in log] == ["Re-encoded the badge."]
        assert by_public_id(session, public_id).resolution_text == "Replaced the badge."
