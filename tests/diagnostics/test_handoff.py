"""The escalation form's prefill from an escalated session (kb.escalation calls
``escalation_request``): group, impact, urgency, what to ask, the transcript."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass, field
from typing import Any

import pytest

from kb.diagnostics.handoff import escalation_request
from kb.extensions import kb_state
from tests.diagnostics.helpers import Api, import_tree
from tests.diagnostics.trees import small


@dataclass
class FakeRequest:
    """Stands in for kb.escalation.service.EscalationRequest (another area's class)."""

    summary: str
    requester_name: str
    group: str
    impact: str
    urgency: str
    requester_id: int | None = None
    service: str = ""
    session_token: str | None = None
    tree_id: str | None = None
    tree_revision_id: int | None = None
    node_id: str | None = None
    transcript: list[dict[str, Any]] = field(default_factory=list)
    transcript_text: str = ""
    answers_to_ask: dict[str, str] = field(default_factory=dict)
    articles_viewed: list[str] = field(default_factory=list)
    checks_run: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def escalation_module(monkeypatch):
    module = types.ModuleType("kb.escalation.service")
    module.EscalationRequest = FakeRequest
    monkeypatch.setitem(sys.modules, "kb.escalation", types.ModuleType("kb.escalation"))
    monkeypatch.setitem(sys.modules, "kb.escalation.service", module)


@pytest.fixture
def app(make_app, tmp_path):
    application = make_app()
    import_tree(application, tmp_path / "trees", small())
    return application


def walk(client, *moves) -> str:
    api = Api(client, "/trees/test-printer")
    token = api.post("/sessions", {"tree": "test-printer"}).get_json()["id"]
    for move in moves:
        if move == "didnt-help":
            api.post(f"/sessions/{token}/didnt-help")
        else:
            api.post(f"/sessions/{token}/answer", move)
    return token


def test_an_escalation_node_prefills_group_levels_and_questions(
    app, client, escalation_module
) -> None:
    token = walk(client, {"value": "HP"}, {"answer": "Yes"}, {"answer": "No"})
    with app.app_context(), kb_state(app).session() as session:
        request = escalation_request(session, kb_state(app), token)
    assert request.group == "desktop-support" and (request.impact, request.urgency) == (
        "low",
        "medium",
    )
    assert request.answers_to_ask == {"Asset tag of HP": ""}
    assert request.summary == "Test printer: Desktop support" and request.service == "printing"
    assert request.node_id == "esc_desk" and request.session_token == token
    assert "Answer: HP" in request.transcript_text
    assert request.checks_run[0]["check"] == "tcp_connect"


def test_this_didnt_help_prefills_the_default_group_and_asks_for_levels(
    app, client, escalation_module
) -> None:
    token = walk(client, {"value": "HP"}, "didnt-help")
    with app.app_context(), kb_state(app).session() as session:
        request = escalation_request(session, kb_state(app), token)
    assert request.group == "service-desk" and request.impact == "" and request.urgency == ""
    assert request.summary == "Test printer: the guided steps did not help"


def test_a_session_that_did_not_escalate_gives_nothing(app, client, escalation_module) -> None:
    token = walk(client, {"value": "HP"})
    with app.app_context(), kb_state(app).session() as session:
        assert escalation_request(session, kb_state(app), token) is None
        assert escalation_request(session, kb_state(app), "no-such-token") is None
