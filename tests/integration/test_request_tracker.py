"""The Request Tracker integration against a real RT 5 started for this run: an escalation
becomes an RT ticket, RT's resolution comes back (by polling, and by RT's scrip calling kb)
into the articles, and a follow-up that is not fixed reopens the RT ticket."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from kb.articles.revisions import get_article
from kb.escalation.service import by_public_id
from kb.escalation.writeback import resolution_log
from kb.extensions import kb_state
from kb.followups import run_due
from kb.models import ArticleStatus, FollowUp, OutboxMessage, utcnow
from kb.outbox import dispatch
from kb.plugins.request_tracker.client import RTError
from kb.plugins.request_tracker.tickets import marker
from kb.worker import all_jobs
from tests.conftest import csrf_token
from tests.escalation.conftest import add_articles, escalate, writeback_event
from tests.integration.conftest import free_port, unavailable, wait_until
from tests.integration.rt_server import RTServer, missing

pytestmark = pytest.mark.integration

SCRIP_SECRET = "scrip-secret-for-tests"


@pytest.fixture(scope="session")
def rt(tmp_path_factory) -> Iterator[RTServer]:
    reason = missing()
    if reason:
        unavailable(reason)
    server = RTServer(
        tmp_path_factory.mktemp("rt"), free_port(), free_port(), scrip_secret=SCRIP_SECRET
    )
    server.start()
    print(
        f"\nRT started in {server.timings['total']:.1f} s "
        f"(database {server.timings['database']:.1f} s)"
    )
    yield server
    server.stop()


@pytest.fixture
def app(make_app, rt, tmp_path):
    application = make_app(
        content="empty",
        BASE_URL="http://kb.test",
        RT_URL=rt.url,
        RT_TOKEN=rt.token,
        RT_SCRIP_SECRET=SCRIP_SECRET,
        OUTBOX_BACKOFF_SECONDS=0,
    )
    add_articles(application, tmp_path / "arts", "printer-jam", "printer-offline")
    yield application
    kb_state(application).engine.dispose()


@pytest.fixture
def kb(app):
    return kb_state(app)


def ticket_of(kb, public_id: str) -> str:
    with kb.session() as session:
        escalation = by_public_id(session, public_id)
        assert escalation.ticket_system == "rt", escalation.ticket_system
        return escalation.ticket_ref


def poll(kb) -> None:
    (job,) = [job for job in all_jobs(kb) if job.name == "request_tracker.poll"]
    job.run(kb)


def create_text(rt: RTServer, ticket_id: str) -> str:
    client = rt.client()
    (create,) = [t for t in client.history(ticket_id) if t.type == "Create"]
    return client.transaction_text(create.id)


@contextmanager
def serving(app, port: int):
    """kb on ``port``, where RT's scrip calls it."""
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_an_escalation_becomes_an_rt_ticket_with_the_whole_transcript(kb, rt):
    public_id = escalate(
        kb,
        transcript_text="1. Is the printer on? yes\n2. Restarted the spooler: no change",
        answers_to_ask={"Printer asset tag": "PR-0042"},
        checks_run=[{"check": "ping", "target": "pr-3f", "outcome": "failed", "detail": "timeout"}],
        requester_location="City Hall, floor 3",
    )
    report = dispatch(kb)
    assert report.dead == 0 and report.retried == 0
    ticket_id = ticket_of(kb, public_id)
    ticket = rt.client().ticket(ticket_id)
    assert ticket["Subject"].startswith("Printer on floor 3 is offline (kb:")
    assert ticket["Priority"] == "75"  # P2
    assert [r["id"] for r in ticket["Requestor"]] == ["pat@example.org"]
    assert ticket["Status"] == "new"
    body = create_text(rt, ticket_id)
    for expected in (
        "Restarted the spooler: no change",
        "Printer asset tag: PR-0042",
        "- ping pr-3f: failed (timeout)",
        "- printer-offline: http://kb.test/articles/printer-offline",
        f"Status page (kb): http://kb.test/escalations/{public_id}",
        "Location: City Hall, floor 3",
        "kb-articles:",
    ):
        assert expected in body
    with kb.session() as session:
        escalation = by_public_id(session, public_id)
        assert escalation.ticket_url == f"{rt.url}/Ticket/Display.html?id={ticket_id}"
        assert escalation.status == "ticketed"


def test_the_full_loop_through_polling_and_a_follow_up_that_reopens_the_rt_ticket(app, kb, rt):
    public_id = escalate(kb)  # viewed printer-offline during the diagnostic
    dispatch(kb)
    ticket_id = ticket_of(kb, public_id)
    client = rt.client()

    poll(kb)  # nothing resolved yet
    with kb.session() as session:
        assert by_public_id(session, public_id).status == "ticketed"

    client.correspond(
        ticket_id,
        "Re-seated the network cable behind the printer.\nkb-followup: 2",
        status="resolved",
    )
    poll(kb)
    with kb.session() as session:
        escalation = by_public_id(session, public_id)
        assert escalation.status == "resolved"
        assert escalation.resolution_text == "Re-seated the network cable behind the printer."
        assert escalation.resolved_by == "root@localhost"
        assert escalation.resolution_articles == ["printer-offline"]
        article = get_article(session, "printer-offline")
        assert article.reuse_count == 1
        (entry,) = resolution_log(session, article)
        assert entry["ticket"] == f"rt:{ticket_id}"
        assert entry["resolution"] == "Re-seated the network cable behind the printer."
        assert writeback_event(session, article).actor_name == f"rt ticket {ticket_id}"
        followup = session.scalar(select(FollowUp).where(FollowUp.escalation_id == escalation.id))
        assert followup.due_at - escalation.resolved_at == timedelta(days=2)
        link = followup.token
    assert dispatch(kb).dead == 0

    # Two days later the requester says it is not fixed.
    assert run_due(kb, now=utcnow() + timedelta(days=3)) == 1
    browser = app.test_client()
    token = csrf_token(browser, f"/followups/{link}")
    browser.post(
        f"/followups/{link}",
        data={"csrf_token": token, "fixed": "no", "comment": "Offline again this morning"},
    )
    poll(kb)  # RT still shows the old resolution until the reopen is delivered
    with kb.session() as session:
        assert by_public_id(session, public_id).status == "reopened"
    assert dispatch(kb).dead == 0
    assert client.ticket(ticket_id)["Status"] == "open"
    notes = [
        client.transaction_text(t.id) for t in client.history(ticket_id) if t.type == "Comment"
    ]
    assert any("not fixed" in n and "Offline again this morning" in n for n in notes)

    # RT resolves it again: the new resolution reaches kb.
    client.correspond(ticket_id, "Replaced the printer's network card.", status="resolved")
    poll(kb)
    with kb.session() as session:
        escalation = by_public_id(session, public_id)
        assert escalation.status == "resolved"
        assert escalation.resolution_text == "Replaced the printer's network card."


def test_the_rt_scrip_tells_kb_and_a_resolution_with_no_article_becomes_a_draft(app, kb, rt):
    public_id = escalate(kb, summary="Plotter prints blank pages", articles_viewed=[])
    dispatch(kb)
    ticket_id = ticket_of(kb, public_id)
    with serving(app, rt.kb_port):
        # RT runs the scrip while it resolves; the scrip calls kb, kb reads the ticket back.
        rt.client().correspond(
            ticket_id, "Replaced the drum unit.\nkb-articles: none", status="resolved"
        )

        def resolved() -> bool:
            with kb.session() as session:
                return by_public_id(session, public_id).status == "resolved"

        wait_until(resolved, 30, "the scrip's call to kb")
    with kb.session() as session:
        escalation = by_public_id(session, public_id)
        assert escalation.resolution_text == "Replaced the drum unit."
        assert escalation.resolution_articles == ["plotter-prints-blank-pages"]  # the new draft
        draft = get_article(session, "plotter-prints-blank-pages")
        assert draft.status == ArticleStatus.IN_REVIEW.value
        assert "Replaced the drum unit." in draft.head_revision.body
        assert "kb-articles" not in draft.head_revision.body


def test_the_scrip_endpoint_checks_the_secret_and_only_trusts_rt(app, kb, rt):
    public_id = escalate(kb)
    dispatch(kb)
    ticket_id = ticket_of(kb, public_id)
    client = app.test_client()
    url = "/api/v1/integrations/rt/ticket-resolved"
    wrong = client.post(url, json={"ticket": ticket_id}, headers={"X-KB-RT-Secret": "guess"})
    assert wrong.status_code == 401 and wrong.get_json()["error"] == "unauthorized"
    good = {"X-KB-RT-Secret": SCRIP_SECRET}
    # The payload claims a resolution, but RT says the ticket is still new: nothing happens.
    claimed = client.post(
        url,
        json={"ticket": ticket_id, "resolution": "trust me", "status": "resolved"},
        headers=good,
    )
    assert claimed.status_code == 200 and claimed.get_json()["outcome"] == "not_resolved"
    with kb.session() as session:
        assert by_public_id(session, public_id).status == "ticketed"
    assert client.post(url, json={"ticket": "abc"}, headers=good).status_code == 422
    assert client.post(url, json={"ticket": 999999}, headers=good).status_code == 404

    rt.client().correspond(ticket_id, "Cleared the print queue.", status="resolved")
    done = client.post(url, json={"ticket": ticket_id}, headers=good)
    assert done.get_json() == {"ticket": ticket_id, "escalation": public_id, "outcome": "resolved"}
    again = client.post(url, json={"ticket": int(ticket_id)}, headers=good)
    assert again.get_json()["outcome"] == "already_resolved"
    with kb.session() as session:
        assert get_article(session, "printer-offline").reuse_count == 1


class LosesAnswers(http.server.BaseHTTPRequestHandler):
    """A proxy in front of RT that passes requests on but loses RT's answer (a 502)."""

    target = ""

    def do_GET(self):
        self._forward(lose=False)

    def do_POST(self):
        self._forward(lose=True)

    def _forward(self, lose: bool):
        length = int(self.headers.get("Content-Length") or 0)
        request = urllib.request.Request(
            self.target + self.path,
            data=self.rfile.read(length) if length else None,
            method=self.command,
            headers={k: v for k, v in self.headers.items() if k.lower() != "host"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            body, status = answer.read(), answer.status
        if lose:
            status, body = 502, b"gateway lost the answer"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_an_rt_that_is_down_then_up_gets_exactly_one_ticket(kb, rt):
    public_id = escalate(kb, summary="Scanner to e-mail fails")
    key = f"ticket:{public_id}"
    rt_url = rt.url
    kb.config["RT_URL"] = f"http://127.0.0.1:{free_port()}/rt"  # RT is down
    for _ in range(3):
        dispatch(kb)
    with kb.session() as session:
        message = session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
        assert message.status == "pending" and message.attempts == 3
        assert "unreachable" in message.last_error

    # RT comes back behind a gateway that loses the answer to the ticket creation.
    LosesAnswers.target = f"http://127.0.0.1:{rt.port}"
    gateway = http.server.ThreadingHTTPServer(("127.0.0.1", 0), LosesAnswers)
    thread = threading.Thread(target=gateway.serve_forever, daemon=True)
    thread.start()
    try:
        kb.config["RT_URL"] = f"http://127.0.0.1:{gateway.server_port}/rt"
        dispatch(kb)
    finally:
        gateway.shutdown()
        gateway.server_close()
        thread.join(timeout=10)
    mark = marker(key)
    made = rt.client().search(f"Subject LIKE '{mark}'")
    assert len(made) == 1  # RT made it; kb does not know yet
    with kb.session() as session:
        assert by_public_id(session, public_id).ticket_ref is None

    kb.config["RT_URL"] = rt_url  # and RT is reachable again
    report = dispatch(kb)
    assert report.dead == 0 and report.retried == 0
    assert [t["id"] for t in rt.client().search(f"Subject LIKE '{mark}'")] == [made[0]["id"]]
    assert ticket_of(kb, public_id) == made[0]["id"]


def test_an_unknown_queue_is_retried_with_rts_message(make_app, rt):
    kb = kb_state(
        make_app(
            content="empty",
            RT_URL=rt.url,
            RT_USER="root",
            RT_PASSWORD="password",
            RT_QUEUE="No Such Queue",
            OUTBOX_BACKOFF_SECONDS=0,
        )
    )
    public_id = escalate(kb, articles_viewed=[])
    report = dispatch(kb)
    assert report.retried == 1
    with kb.session() as session:
        message = session.scalar(
            select(OutboxMessage).where(OutboxMessage.key == f"ticket:{public_id}")
        )
        assert "No permission to create tickets in the queue 'No Such Queue'" in message.last_error
        assert by_public_id(session, public_id).ticket_ref is None  # not in the local queue


def test_rt_failures_reported_inside_a_200_answer_are_raised(kb, rt):
    public_id = escalate(kb)
    dispatch(kb)
    ticket_id = ticket_of(kb, public_id)
    client = rt.client()
    with pytest.raises(RTError, match="isn't a valid status"):
        client.update(ticket_id, {"Status": "bogus"})
    with pytest.raises(RTError, match="isn't a valid status"):
        client.comment(ticket_id, "a note", status="bogus")
    assert client.ticket(ticket_id)["Status"] == "new"
    assert client.update(ticket_id, {"Subject": "Cannot print (it's not a valid fix)"})


def test_kb_plugins_lists_request_tracker_when_configured(app):
    from kb.cli import cli

    result = app.test_cli_runner().invoke(cli, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert rows["request_tracker"]["status"] == "on"
    assert rows["request_tracker"]["hooks"] == [
        "kb_check_config",
        "kb_create_ticket",
        "kb_followup_answered",
        "kb_register_blueprints",
        "kb_register_jobs",
    ]
