"""Walking a tree in the browser: start, answer, back, resume, abandon, "This didn't help",
self-service and technician mode, pinned revisions, the transcript."""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from kb import hookimpl
from kb.models import SessionStep, TreeSession
from tests.conftest import csrf_token
from tests.trees.helpers import Api, import_tree, start, step
from tests.trees.trees import node, small


@pytest.fixture
def listener():
    """A local TCP port that accepts connections (for the automated check)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


class Escalations:
    def __init__(self) -> None:
        self.sessions: list = []

    @hookimpl
    def kb_session_escalated(self, kb, session):
        self.sessions.append(session)


@pytest.fixture
def recorder():
    return Escalations()


@pytest.fixture
def app(make_app, tmp_path, listener, recorder):
    application = make_app(
        plugins=[recorder], CHECK_ALLOWED_NETWORKS=["127.0.0.0/8"], CHECK_TIMEOUT_SECONDS=2
    )
    data = small()
    node(data, "c_ping")["params"]["port"] = listener
    import_tree(application, tmp_path / "trees", data)
    return application


def page(client, token) -> str:
    return client.get(f"/sessions/{token}").get_data(as_text=True)


def test_a_person_walks_to_a_fix_with_the_article_shown_inline(client) -> None:
    token = start(client, "test-printer")
    assert len(token) >= 32
    assert "Which printer?" in page(client, token)
    assert step(client, token, value="HP 3rd floor").status_code == 302
    html = page(client, token)
    assert "Is HP 3rd floor switched on?" in html and "Say to the caller" not in html
    step(client, token, answer="No")
    html = page(client, token)
    assert "Switch it on." in html and "Read the whole article" in html
    step(client, token, answer="It worked")
    html = page(client, token)
    assert "It prints again." in html and "Did this fix it?" in html
    step(client, token, action="fixed")
    html = page(client, token)
    assert "<h1>Fixed</h1>" in html and "Did this fix it?" not in html


def test_an_unknown_answer_or_a_too_long_value_is_refused_with_a_message(client) -> None:
    token = start(client, "test-printer")
    response = step(client, token, value="x" * 41)
    assert response.status_code == 422
    assert "Keep it to 40 characters" in response.get_data(as_text=True)
    step(client, token, value="HP")
    response = step(client, token, answer="Perhaps")
    assert response.status_code == 422 and "Unknown answer" in response.get_data(as_text=True)


def test_back_forgets_the_answer_and_the_value(client) -> None:
    token = start(client, "test-printer")
    step(client, token, value="First name")
    step(client, token, action="back")
    assert "Which printer?" in page(client, token)
    step(client, token, value="Second name")
    assert "Is Second name switched on?" in page(client, token)
    transcript = client.get(f"/sessions/{token}/transcript").get_data(as_text=True)
    assert "Second name" in transcript and "First name" not in transcript


def test_a_session_resumes_from_its_address_in_another_browser(app, client) -> None:
    token = start(client, "test-printer")
    step(client, token, value="HP")
    other = app.test_client()
    assert "Is HP switched on?" in page(other, token)
    assert other.get("/sessions/not-a-real-token").status_code == 404


def test_this_didnt_help_ends_escalated_and_fires_the_hook(client, recorder) -> None:
    token = start(client, "test-printer")
    step(client, token, value="HP")
    step(client, token, action="didnt_help", notes="Still blank")
    html = page(client, token)
    assert "Sorry this didn't fix it" in html
    (snapshot,) = recorder.sessions
    assert snapshot.token == token and snapshot.status == "escalated"
    assert snapshot.end_reason == "didnt_help" and snapshot.terminal is None
    assert snapshot.variables == {"printer": "HP"}
    assert "Answer: HP" in snapshot.transcript_text and "Still blank" in snapshot.transcript_text
    assert step(client, token, answer="Yes").status_code == 409


def test_abandon_ends_the_session_without_escalating(client, recorder) -> None:
    token = start(client, "test-printer")
    step(client, token, action="abandon")
    assert "You stopped this diagnostic" in page(client, token)
    assert recorder.sessions == []


def test_self_service_asks_a_check_as_a_yes_no_question(client, recorder) -> None:
    token = start(client, "test-printer")
    step(client, token, value="HP")
    step(client, token, answer="Yes")
    html = page(client, token)
    assert "Can you open the print server page?" in html
    assert "Run check" not in html and "I&#39;m not sure" in html
    step(client, token, answer="No")
    assert "This needs Desktop Support" in page(client, token)
    assert "Asset tag of HP" in page(client, token)
    (snapshot,) = recorder.sessions
    assert snapshot.terminal["group"] == "desktop-support" and snapshot.terminal["impact"] == "low"
    assert snapshot.checks_run[0]["outcome"] == "fail" and not snapshot.checks_run[0]["automated"]


def test_self_service_cannot_run_a_check(client) -> None:
    token = start(client, "test-printer")
    step(client, token, value="HP")
    step(client, token, answer="Yes")
    assert step(client, token, answer="Run check").status_code == 422


def test_technician_mode_shows_technician_wording_scripts_notes_and_runs_checks(
    client, auth
) -> None:
    auth.login("technician")
    token = start(client, "test-printer", mode="technician")
    step(client, token, value="HP", notes="Caller on floor 3")
    html = page(client, token)
    assert "Check HP is powered." in html and "Can you see a light on HP?" in html
    assert 'name="notes"' in html
    step(client, token, answer="Yes")
    assert "Run check" in page(client, token)
    step(client, token, answer="Run check")
    html = page(client, token)
    assert "Did this fix it?" in html and "Follow up in 2 days: Check HP still prints." in html
    text = client.get(f"/sessions/{token}/transcript").get_data(as_text=True)
    assert "Caller on floor 3" in text and "checked automatically" in text


def test_a_refused_check_is_no_answer_the_step_stays_and_asks_by_hand(
    app, client, auth, tmp_path, recorder
) -> None:
    data = small(id="refused-check")
    node(data, "c_ping")["params"] = {"host": "intranet.example.com", "port": 443}
    import_tree(app, tmp_path / "refused", data)
    auth.login("technician")
    token = start(client, "refused-check", mode="technician")
    step(client, token, value="HP")
    step(client, token, answer="Yes")
    step(client, token, answer="Run check")
    html = page(client, token)
    assert "intranet.example.com is not on the allowlist" in html
    # not taken as "fail": no escalation, the same question with its hand answers and Back
    assert "This needs Desktop Support" not in html and recorder.sessions == []
    assert "answer the question below by hand" in html
    assert "Can you open the print server page?" in html and 'value="back"' in html
    step(client, token, answer="Yes")  # answered by hand: on to the fix
    assert "It prints again." in page(client, token)
    text = client.get(f"/sessions/{token}/transcript").get_data(as_text=True)
    assert "Automated check could not answer: refused:" in text
    api = Api(client, "/trees/refused-check")
    body = api.post("/sessions", {"tree": "refused-check", "mode": "technician"}).get_json()
    for move in ({"value": "HP"}, {"answer": "Yes"}, {"answer": "Run check"}):
        body = api.post(f"/sessions/{body['id']}/answer", move).get_json()
    assert body["status"] == "active" and body["node"]["id"] == "c_ping"
    assert body["last_check"]["outcome"] == "error" and body["last_check"]["automated"]
    assert body["last_check"]["detail"].startswith("refused:")
    assert body["last_check"]["answered"] is False
    body = api.post(f"/sessions/{body['id']}/back").get_json()
    assert body["node"]["id"] == "q_power"  # Back undoes the answer before the check


def test_technician_sessions_do_not_exist_for_others(app, client, auth) -> None:
    auth.login("technician")
    token = start(client, "test-printer", mode="technician")
    anonymous = app.test_client()
    assert anonymous.get(f"/sessions/{token}").status_code == 404


def test_only_technicians_may_choose_technician_mode(client, auth) -> None:
    data = {"csrf_token": csrf_token(client, "/trees/test-printer"), "mode": "technician"}
    assert client.post("/trees/test-printer/start", data=data).status_code == 403
    auth.login("requester")
    data["csrf_token"] = csrf_token(client, "/trees/test-printer")
    assert client.post("/trees/test-printer/start", data=data).status_code == 403


def test_technician_trees_are_invisible_to_others(client, auth) -> None:
    assert "/trees/new-hire-provisioning" not in client.get("/trees").get_data(as_text=True)
    assert client.get("/trees/new-hire-provisioning").status_code == 404
    assert client.get("/api/v1/trees/new-hire-provisioning").status_code == 404
    auth.login("technician")
    assert "/trees/new-hire-provisioning" in client.get("/trees").get_data(as_text=True)
    assert client.get("/trees/new-hire-provisioning").status_code == 200


def test_a_running_session_keeps_its_revision_when_the_tree_changes(app, client, tmp_path) -> None:
    token = start(client, "test-printer")
    step(client, token, value="HP")
    changed = small()
    node(changed, "q_power")["text"] = "Is the printer {printer} plugged in?"
    import_tree(app, tmp_path / "changed", changed)
    assert "Is HP switched on?" in page(client, token)
    fresh = start(client, "test-printer")
    step(client, fresh, value="HP")
    assert "Is the printer HP plugged in?" in page(client, fresh)


def test_each_step_is_recorded_with_time_spent(app, client, db) -> None:
    token = start(client, "test-printer")
    step(client, token, value="HP")
    step(client, token, action="back")
    step(client, token, value="HP2")
    ds = db.scalar(select(TreeSession).where(TreeSession.token == token))
    rows = db.scalars(select(SessionStep).where(SessionStep.session_id == ds.id)).all()
    assert [(r.action, r.node_id, r.undone) for r in rows] == [
        ("value", "ask_name", True),
        ("back", "q_power", False),
        ("value", "ask_name", False),
    ]
    assert all(r.time_spent_ms >= 0 for r in rows) and rows[0].value == "HP"


def test_the_transcript_is_printable_copyable_and_highlights_the_path(client) -> None:
    token = start(client, "test-printer")
    step(client, token, value="HP")
    step(client, token, answer="No")
    step(client, token, answer="It worked")
    html = client.get(f"/sessions/{token}/transcript").get_data(as_text=True)
    assert 'class="copy-box"' in html
    assert "Outcome: resolved (not confirmed fixed): It prints again." in html
    svg = html[html.index("<svg") : html.index("</svg>") + 6]
    root = ET.fromstring(svg)
    lit = {
        g.get("id")
        for g in root.iter("{http://www.w3.org/2000/svg}g")
        if "on-path" in (g.get("class") or "")
    }
    assert lit == {"node-ask_name", "node-q_power", "node-a_power", "node-res_fixed"}


def test_kb_session_escalated(client, recorder) -> None:
    api = Api(client, "/trees/test-printer")
    body = api.post("/sessions", {"tree": "test-printer"}).get_json()
    for move in ({"value": "HP"}, {"answer": "Yes"}, {"answer": "No"}):
        body = api.post(f"/sessions/{body['id']}/answer", move).get_json()
    assert body["status"] == "escalated"
    (snapshot,) = recorder.sessions
    assert snapshot.tree_id == "test-printer" and snapshot.mode == "self_service"
    assert snapshot.node_id == "esc_desk" and snapshot.end_reason == "terminal"
    assert snapshot.terminal["ask"] == ["Asset tag of HP"]
    assert snapshot.terminal["group_name"] == "Desktop Support"
    assert [e["node"] for e in snapshot.transcript] == ["ask_name", "q_power", "c_ping", "esc_desk"]
    assert snapshot.requester_id is None and snapshot.revision_number == 1
