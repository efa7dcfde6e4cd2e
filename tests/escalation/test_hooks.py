"""The escalation hooks, each exercised through kb's own flow with a small local plugin."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask import Blueprint

from kb import hookimpl
from kb.errors import PluginError
from kb.escalation.service import ResolutionInput, by_public_id, resolve_escalation
from kb.extensions import kb_state
from kb.followups import answer, by_token, run_due
from kb.models import OutboxMessage, utcnow
from kb.outbox import dispatch
from kb.records import Job, TicketRef
from kb.worker import run_forever
from tests.escalation.conftest import add_articles, escalate


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, object, str]] = []
        self.fail_once: set[str] = set()

    def _seen(self, name, record, key):
        if name in self.fail_once:
            self.fail_once.discard(name)
            raise RuntimeError(f"{name} failed once")
        self.events.append((name, record, key))

    @hookimpl
    def kb_escalation_created(self, kb, escalation, delivery_key):
        self._seen("created", escalation, delivery_key)

    @hookimpl
    def kb_ticket_resolved(self, kb, resolution, delivery_key):
        self._seen("resolved", resolution, delivery_key)

    @hookimpl
    def kb_followup_due(self, kb, followup, delivery_key):
        self._seen("due", followup, delivery_key)

    @hookimpl
    def kb_followup_answered(self, kb, followup, delivery_key):
        self._seen("answered", followup, delivery_key)


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def kb(make_app, recorder, tmp_path):
    app = make_app(
        content="empty", plugins=[recorder], OUTBOX_BACKOFF_SECONDS=0, BASE_URL="http://kb.test"
    )
    add_articles(app, tmp_path / "a", "printer-jam")
    return kb_state(app)


def names(recorder):
    return [name for name, _, _ in recorder.events]


def test_kb_create_ticket(make_app):
    class External:
        @hookimpl
        def kb_create_ticket(self, kb, escalation, idempotency_key):
            return TicketRef("ext", f"T-{escalation.id}", "https://ext.example/T")

    kb = kb_state(make_app(content="empty", plugins=[External()]))
    public_id = escalate(kb, articles_viewed=[])
    dispatch(kb)
    with kb.session() as session:
        escalation = by_public_id(session, public_id)
        assert (escalation.ticket_system, escalation.ticket_url) == ("ext", "https://ext.example/T")


def test_kb_escalation_created(kb, recorder):
    escalate(kb)
    assert names(recorder) == []  # nothing happens inside the request
    dispatch(kb)
    ((name, escalation, key),) = recorder.events
    assert name == "created" and escalation.priority == "P2"
    assert escalation.group == "desktop-support"
    assert escalation.status_url.startswith("http://kb.test/escalations/")
    assert escalation.transcript_text == "1. Restarted: no change"
    assert key.startswith("escalation:")


def test_kb_ticket_resolved(kb, recorder):
    public_id = escalate(kb)
    dispatch(kb)
    with kb.session() as session:
        resolve_escalation(
            session,
            kb,
            by_public_id(session, public_id),
            ResolutionInput(
                resolver="tech@example.org", text="Cleared it.", articles=["printer-jam"]
            ),
        )
        session.commit()
    recorder.fail_once.add("resolved")
    dispatch(kb)  # fails once: retried, other plugins untouched
    dispatch(kb)
    resolved = [record for name, record, _ in recorder.events if name == "resolved"]
    assert len(resolved) == 1
    assert resolved[0].articles == ["printer-jam"] and resolved[0].text == "Cleared it."
    assert names(recorder).count("created") == 1


def test_kb_followup_due(kb, recorder):
    from kb.followups import schedule

    with kb.session() as session:
        schedule(
            session,
            text="Still fixed?",
            due_at=utcnow() + timedelta(days=1),
            requester_email="pat@example.org",
        )
        session.commit()
    assert run_due(kb) == 0
    assert run_due(kb, now=utcnow() + timedelta(days=2)) == 1
    dispatch(kb)
    ((name, followup, _),) = recorder.events
    assert name == "due" and followup.answer_url.startswith("http://kb.test/followups/")
    assert run_due(kb, now=utcnow() + timedelta(days=3)) == 0  # fires once


def test_kb_followup_answered(kb, recorder):
    from kb.followups import schedule

    with kb.session() as session:
        token = schedule(session, text="Still fixed?", due_at=utcnow()).token
        session.commit()
    with kb.session() as session:
        answer(session, kb, by_token(session, token), fixed=False, comment="No")
        session.commit()
    dispatch(kb)
    ((name, followup, _),) = recorder.events
    assert name == "answered" and followup.status == "not_fixed"


def test_kb_register_blueprints(make_app):
    extra = Blueprint("site_extra", __name__)

    @extra.get("/site/hello")
    def hello():
        return "hello from a plugin"

    class Pages:
        @hookimpl
        def kb_register_blueprints(self, kb):
            return [extra]

    app = make_app(content="empty", plugins=[Pages()])
    assert app.test_client().get("/site/hello").get_data(as_text=True) == "hello from a plugin"


def test_a_blueprint_name_clash_stops_the_app_at_start_up(make_app):
    clash = Blueprint("articles", __name__)

    class Clash:
        @hookimpl
        def kb_register_blueprints(self, kb):
            return [clash]

    with pytest.raises(PluginError, match="blueprint 'articles'"):
        make_app(content="empty", plugins=[Clash()])


def test_kb_register_jobs(make_app):
    ran = threading.Event()

    class Poller:
        @hookimpl
        def kb_register_jobs(self, kb):
            return [Job("poll", 0.05, lambda k: ran.set())]

    kb = kb_state(make_app(content="empty", plugins=[Poller()]))
    stop = threading.Event()
    worker = threading.Thread(target=run_forever, args=(kb, stop, 0.01))
    worker.start()
    assert ran.wait(5)
    stop.set()
    worker.join(5)
    assert not worker.is_alive()


def test_the_worker_delivers_the_outbox(kb, recorder):
    escalate(kb)
    stop = threading.Event()
    worker = threading.Thread(target=run_forever, args=(kb, stop, 0.01))
    worker.start()
    try:
        for _ in range(500):
            with kb.session() as session:
                if session.query(OutboxMessage).filter(OutboxMessage.status != "done").count() == 0:
                    break
            stop.wait(0.01)
    finally:
        stop.set()
        worker.join(5)
    assert "created" in names(recorder)
