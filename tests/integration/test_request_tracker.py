"""The Request Tracker integration against a real RT 5 started for this run: an escalation
becomes an RT ticket, RT's resolution comes back (by polling, and by RT's scrip calling kb,
whose notice the worker delivers) into the articles, and a follow-up that is not fixed reopens
the RT ticket. The scrip is created in RT's web UI as docs/plugins.md says, and a technician
resolves tickets there, in Chromium."""

from __future__ import annotations

import http.server
import json
import re
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from kb.articles.revisions import get_article
from kb.escalation.service import by_public_id
from kb.escalation.writeback import resolution_log
from kb.extensions import kb_state
from kb.followups import run_due
from kb.models import Article, ArticleStatus, FollowUp, OutboxMessage, utcnow
from kb.outbox import dispatch
from kb.plugins.request_tracker.client import RTError
from kb.plugins.request_tracker.notices import KIND
from kb.plugins.request_tracker.tickets import marker
from kb.worker import all_jobs, run_forever
from tests.conftest import AuthActions, csrf_token
from tests.e2e.conftest import CHROMIUM, LAUNCH_ARGS
from tests.escalation.conftest import add_articles, escalate, writeback_event
from tests.integration.conftest import free_port, unavailable, wait_until
from tests.integration.rt_server import (
    ROOT_PASSWORD,
    SCRIP,
    TECHNICIAN,
    TECHNICIAN_PASSWORD,
    RTServer,
    missing,
)

pytestmark = pytest.mark.integration

SCRIP_SECRET = "scrip-secret-for-tests"
ENDPOINT = "/api/v1/integrations/rt/ticket-resolved"
T = TypeVar("T")
DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


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
        WORKER_INTERVAL_SECONDS=0.2,
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


class Stopwatch:
    """kb behind a stopwatch: how long each answer to RT's scrip took, as the scrip (and the
    technician's page behind it) waited for it."""

    def __init__(self, app) -> None:
        self.app = app
        self.calls: list[tuple[str, float]] = []

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != ENDPOINT:
            return self.app(environ, start_response)
        started, status = time.perf_counter(), []

        def start(line, headers, exc_info=None):
            status.append(line)
            return start_response(line, headers, exc_info)

        body = b"".join(self.app(environ, start))
        self.calls.append((status[0] if status else "?", time.perf_counter() - started))
        return [body]


@contextmanager
def serving(wsgi, port: int):
    """kb on ``port``, where RT's scrip calls it."""
    server = make_server("127.0.0.1", port, wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextmanager
def worker(kb):
    """kb's background worker (``kb worker``) in a thread."""
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(kb, stop, 0.1), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


# --- RT's web UI, as its admin and its technicians use it ----------------------------------


def documented_scrip() -> tuple[dict[str, str], str]:
    """The scrip's fields as docs/plugins.md tells an RT admin to fill them in, and its commit
    code (which must be docs/examples/rt-scrip-kb-ticket-resolved.pl without its comments)."""
    section = DOCS.read_text().split("<!-- rt-scrip -->")[1]
    fields = {
        label: value.strip().strip("`")
        for label, value in re.findall(r"^\| ([A-Z][a-z ]+?) +\| (.+?) +\|$", section, re.M)
    }
    (code,) = re.findall(r"```perl\n(.*?)```", section, re.S)
    example = "".join(
        line for line in SCRIP.read_text().splitlines(keepends=True) if not line.startswith("#")
    )
    assert code == example, "docs/plugins.md and the example scrip differ"
    return fields, code


def sign_in_to_rt(page, rt: RTServer, user: str, password: str) -> None:
    page.goto(f"{rt.url}/")
    page.fill("input[name=user]", user)
    page.fill("input[name=pass]", password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_selector("#preferences")


def create_scrip_in_rt(page, rt: RTServer) -> None:
    """Admin > Global > Scrips > Create, filled in as the documentation says."""
    fields, code = documented_scrip()
    page.goto(f"{rt.url}/")
    page.hover("#admin")
    page.hover("#admin-global")
    page.hover("#admin-global-scrips")
    page.click("#admin-global-scrips-create")
    page.wait_for_selector("form#CreateScrip")
    page.fill("input[name=Description]", fields["Description"])
    for name, label in (
        ("ScripCondition", "Condition"),
        ("ScripAction", "Action"),
        ("Template", "Template"),
        ("Stage", "Stage"),
    ):
        page.select_option(f"select[name={name}]", label=fields[label])
    page.fill("textarea[name=CustomPrepareCode]", fields["Custom action preparation code"])
    page.fill("textarea[name=CustomCommitCode]", code)
    with page.expect_navigation():
        page.locator("input[name=Create]").first.click()
    assert "Scrip Created" in page.content(), page.locator(".results, .error").all_inner_texts()


@pytest.fixture(scope="session")
def chromium() -> Callable[[Callable[[Any], T]], T]:
    """Runs ``work(browser)`` with Debian's Chromium, in a thread of its own: Playwright's sync
    API allows one instance per thread, and the e2e tests' browser may be open in this one."""
    if not CHROMIUM.exists():
        unavailable("/usr/bin/chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed")

    def run(work: Callable[[Any], T]) -> T:
        outcome: dict[str, Any] = {}

        def in_thread() -> None:
            try:
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(
                        executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
                    )
                    try:
                        outcome["value"] = work(browser)
                    finally:
                        browser.close()
            except BaseException as error:  # handed to the test's thread
                outcome["error"] = error

        thread = threading.Thread(target=in_thread)
        thread.start()
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    return run


@pytest.fixture(scope="session")
def scrip(rt, chromium) -> None:
    """kb's scrip, created once in RT's web UI by RT's admin."""
    chromium(lambda browser: create_scrip_as_admin(browser, rt))


def create_scrip_as_admin(browser, rt: RTServer) -> None:
    context = browser.new_context()
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        sign_in_to_rt(page, rt, "root", ROOT_PASSWORD)
        create_scrip_in_rt(page, rt)
    finally:
        context.close()


def resolve_in_rt(browser, rt: RTServer, ticket_id: str, text: str) -> float:
    """A technician opens the ticket in RT, chooses Actions > Resolve, writes what was done
    and updates the ticket. Returns how long RT took to answer that last click."""
    context = browser.new_context()
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        sign_in_to_rt(page, rt, TECHNICIAN, TECHNICIAN_PASSWORD)
        page.goto(f"{rt.url}/Ticket/Display.html?id={ticket_id}")
        page.hover("#page-actions")
        page.click("#page-actions-resolve")
        page.wait_for_selector("input[name=SubmitTicket]")
        editor = page.frame_locator("iframe.cke_wysiwyg_frame").locator("body")
        editor.click()
        for number, line in enumerate(text.splitlines()):
            if number:
                page.keyboard.press("Enter")
            page.keyboard.type(line)
        started = time.perf_counter()
        with page.expect_navigation(wait_until="load"):
            page.click("input[name=SubmitTicket]")
        elapsed = time.perf_counter() - started
        results = " ".join(page.locator(".results").all_inner_texts())
        assert "resolved" in results, results
        return elapsed
    finally:
        context.close()


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
    requester = app.test_client()
    token = csrf_token(requester, f"/followups/{link}")
    requester.post(
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


def notices(kb) -> list[OutboxMessage]:
    with kb.session() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == KIND).order_by(OutboxMessage.id)
        return list(session.scalars(query))


def drafts_about(kb, slug: str) -> list[str]:
    """Articles whose slug starts with ``slug`` (a second draft would be ``slug-2``)."""
    with kb.session() as session:
        return list(session.scalars(select(Article.slug).where(Article.slug.like(f"{slug}%"))))


def test_a_technician_resolves_in_rts_web_ui_and_the_worker_brings_it_into_kb_once(
    app,
    kb,
    rt,
    scrip,
    chromium,
):
    public_id = escalate(kb, summary="Plotter prints blank pages", articles_viewed=[])
    dispatch(kb)
    ticket_id = ticket_of(kb, public_id)
    stopwatch = Stopwatch(app)
    with serving(stopwatch, rt.kb_port), worker(kb):
        took = chromium(
            lambda browser: resolve_in_rt(
                browser, rt, ticket_id, "Replaced the drum unit.\nkb-articles: none"
            )
        )
        # RT runs the scrip before it answers the click, so kb's answer is in by now.
        answers = ", ".join(
            f"{status} in {seconds * 1000:.0f} ms" for status, seconds in stopwatch.calls
        )
        print(f"\nRT answered the technician's resolve click in {took * 1000:.0f} ms")
        print(f"kb answered RT's scrip: {answers or 'never called'}")

        def resolved() -> bool:
            with kb.session() as session:
                return by_public_id(session, public_id).status == "resolved"

        wait_until(resolved, 60, "the worker to bring RT's resolution into kb")
    assert [status for status, _ in stopwatch.calls] == ["202 ACCEPTED"]
    (notice,) = notices(kb)
    print(f"the worker read the ticket from RT in {notice.attempts} attempt(s)")
    assert notice.status == "done"
    assert notice.result == {"ticket": ticket_id, "outcome": "resolved"}  # not the poll's work
    with kb.session() as session:
        escalation = by_public_id(session, public_id)
        assert escalation.resolution_text == "Replaced the drum unit."
        assert escalation.resolved_by == f"{TECHNICIAN}@kb.test"
        assert escalation.resolution_articles == ["plotter-prints-blank-pages"]  # the new draft
        draft = get_article(session, "plotter-prints-blank-pages")
        assert draft.status == ArticleStatus.IN_REVIEW.value
        assert "Replaced the drum unit." in draft.head_revision.body
        assert "kb-articles" not in draft.head_revision.body

    # The scrip fires again: RT sends the same notice twice, then one for a later transaction.
    client = app.test_client()
    secret = {"X-KB-RT-Secret": SCRIP_SECRET}
    same = {"ticket": int(ticket_id), "transaction": notice.payload["transaction"]}
    again = client.post(ENDPOINT, json=same, headers=secret)
    assert again.status_code == 202 and again.get_json()["outcome"] == "already_queued"
    later = {"ticket": int(ticket_id), "transaction": notice.payload["transaction"] + 1}
    assert client.post(ENDPOINT, json=later, headers=secret).get_json()["outcome"] == "queued"
    assert dispatch(kb).dead == 0
    assert [n.result["outcome"] for n in notices(kb)] == ["resolved", "already_resolved"]
    assert drafts_about(kb, "plotter-prints-blank-pages") == ["plotter-prints-blank-pages"]
    with kb.session() as session:
        assert by_public_id(session, public_id).resolution_text == "Replaced the drum unit."


def test_the_scrip_endpoint_checks_the_secret_and_only_trusts_rt(app, kb, rt):
    public_id = escalate(kb)
    dispatch(kb)
    ticket_id = ticket_of(kb, public_id)
    client = app.test_client()
    wrong = client.post(ENDPOINT, json={"ticket": ticket_id}, headers={"X-KB-RT-Secret": "guess"})
    assert wrong.status_code == 401 and wrong.get_json()["error"] == "unauthorized"
    good = {"X-KB-RT-Secret": SCRIP_SECRET}
    assert client.post(ENDPOINT, json={"ticket": "abc"}, headers=good).status_code == 422
    bad_transaction = client.post(ENDPOINT, json={"ticket": 1, "transaction": "x"}, headers=good)
    assert bad_transaction.status_code == 422
    assert client.post(ENDPOINT, json={"ticket": 999999}, headers=good).status_code == 404
    assert notices(kb) == []

    # The payload claims a resolution, but RT says the ticket is still new: nothing happens,
    # and the worker looks again later (RT may not have finished writing it).
    claimed = client.post(
        ENDPOINT,
        json={"ticket": ticket_id, "resolution": "trust me", "status": "resolved"},
        headers=good,
    )
    assert claimed.status_code == 202
    assert claimed.get_json() == {"ticket": ticket_id, "escalation": public_id, "outcome": "queued"}
    assert dispatch(kb).retried == 1
    (notice,) = notices(kb)
    assert notice.status == "pending" and "does not show ticket" in notice.last_error
    with kb.session() as session:
        assert by_public_id(session, public_id).status == "ticketed"
    # An older scrip sends no transaction: a notice still waiting stands for the new one.
    repeat = client.post(ENDPOINT, json={"ticket": int(ticket_id)}, headers=good)
    assert repeat.get_json()["outcome"] == "already_queued"

    rt.client().correspond(ticket_id, "Cleared the print queue.", status="resolved")
    assert dispatch(kb).delivered == 1
    (notice,) = notices(kb)
    assert notice.result == {"ticket": ticket_id, "outcome": "resolved"}
    with kb.session() as session:
        assert by_public_id(session, public_id).resolution_text == "Cleared the print queue."
        assert get_article(session, "printer-offline").reuse_count == 1


def test_a_notice_rt_never_answers_becomes_a_dead_letter_admins_see(app, kb, rt):
    public_id = escalate(kb)
    dispatch(kb)
    ticket_id = ticket_of(kb, public_id)
    rt.client().correspond(ticket_id, "Swapped the toner.", status="resolved")
    kb.config["RT_URL"] = f"http://127.0.0.1:{free_port()}/rt"  # RT goes down
    kb.config["OUTBOX_MAX_ATTEMPTS"] = 3
    client = app.test_client()
    good = {"X-KB-RT-Secret": SCRIP_SECRET}
    answer = client.post(ENDPOINT, json={"ticket": ticket_id, "transaction": 7}, headers=good)
    assert answer.status_code == 202  # kb does not need RT to take the notice
    reports = [dispatch(kb) for _ in range(3)]
    assert [(r.retried, r.dead) for r in reports] == [(1, 0), (1, 0), (0, 1)]
    (notice,) = notices(kb)
    assert notice.status == "dead" and "unreachable" in notice.last_error
    with kb.session() as session:
        assert by_public_id(session, public_id).status == "ticketed"
        session.get(OutboxMessage, notice.id).next_attempt_at = utcnow() - timedelta(hours=2)
        session.commit()
    assert client.get("/readyz").get_json()["checks"]["outbox"] == "warning"
    AuthActions(client).login("admin")
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert f"rt-scrip:{ticket_id}:7" in page and "unreachable" in page


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
