"""The escalation form's prefill from an escalated session (kb.escalation calls
``escalation_request``): group, impact, urgency, what to ask, the transcript."""

from __future__ import annotations

import pytest

from kb.escalation.intake import escalation_request
from kb.extensions import kb_state
from tests.trees.helpers import Api, import_tree
from tests.trees.trees import small


@pytest.fixture
def escalation_module():
    """The real escalation service builds the request (kb.escalation.service)."""
    from kb.escalation.intake import EscalationRequest

    return EscalationRequest


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
