"""Anonymous visitors and requesters see only the self-service projection of a public tree:
no technician wording, scripts or check parameters in the tree JSON, the flowchart, the tree
page, steps and transcripts (HTML and JSON). Technicians and above keep the full view."""

from __future__ import annotations

import json

import pytest

from tests.conftest import AuthActions, csrf_token
from tests.trees.helpers import Api, import_tree
from tests.trees.trees import small

# Words only the technician view has: q_power's text_technician and script, c_ping's params.
TECHNICIAN_ONLY = (
    "is powered.",
    "Can you see a light",
    "127.0.0.1",
    '"text_technician"',
    '"script"',
)


@pytest.fixture
def app(make_app, tmp_path):
    application = make_app()
    import_tree(application, tmp_path / "trees", small())
    return application


def signed_in(app, role: str | None):
    client = app.test_client()
    if role:
        AuthActions(client).login(role)
    return client


def assert_self_service(text: str, where: str) -> None:
    for secret in TECHNICIAN_ONLY:
        assert secret not in text, f"{secret!r} shown in {where}"


@pytest.mark.parametrize("role", [None, "requester"])
def test_tree_json_flowchart_and_page_show_the_self_service_projection(app, role) -> None:
    client = signed_in(app, role)
    tree = client.get("/api/v1/trees/test-printer")
    assert tree.status_code == 200
    assert_self_service(tree.get_data(as_text=True), "tree JSON")
    nodes = {n["id"]: n for n in tree.get_json()["nodes"]}
    assert nodes["q_power"]["text"] == "Is {printer} switched on?"  # the public wording stays
    assert nodes["c_ping"]["check"] == "tcp_connect"
    svg = client.get("/trees/test-printer/flowchart.svg")
    assert svg.status_code == 200
    assert_self_service(svg.get_data(as_text=True), "flowchart")
    assert_self_service(client.get("/trees/test-printer").get_data(as_text=True), "tree page")


@pytest.mark.parametrize("role", [None, "requester"])
def test_sessions_and_transcripts_show_the_self_service_projection(app, role) -> None:
    client = signed_in(app, role)
    api = Api(client, "/trees/test-printer")
    token = api.post("/sessions", {"tree": "test-printer"}).get_json()["id"]
    api.post(f"/sessions/{token}/answer", {"value": "HP"})
    at_check = api.post(f"/sessions/{token}/answer", {"answer": "Yes"}).get_json()
    assert at_check["node"]["id"] == "c_ping"
    assert_self_service(json.dumps(at_check), "session JSON at a check")
    assert_self_service(client.get(f"/sessions/{token}").get_data(as_text=True), "step page")
    api.post(f"/sessions/{token}/answer", {"answer": "Yes"})
    state = api.get(f"/sessions/{token}")
    assert state.get_json()["status"] == "resolved"
    assert_self_service(state.get_data(as_text=True), "session JSON with transcript")
    page = client.get(f"/sessions/{token}/transcript")
    assert page.status_code == 200
    assert_self_service(page.get_data(as_text=True), "transcript page (screen and print)")


@pytest.mark.parametrize("role", ["technician", "author", "admin"])
def test_technicians_and_above_keep_the_full_view(app, role) -> None:
    client = signed_in(app, role)
    nodes = {n["id"]: n for n in client.get("/api/v1/trees/test-printer").get_json()["nodes"]}
    assert nodes["q_power"]["text_technician"] == "Check {printer} is powered."
    assert nodes["q_power"]["script"] == "Can you see a light on {printer}?"
    assert nodes["c_ping"]["params"] == {"host": "127.0.0.1", "port": 9}
    api = Api(client, "/trees/test-printer")
    token = api.post("/sessions", {"tree": "test-printer", "mode": "technician"}).get_json()["id"]
    api.post(f"/sessions/{token}/answer", {"value": "HP"})
    at_check = api.post(f"/sessions/{token}/answer", {"answer": "Yes"}).get_json()
    assert at_check["node"]["check"]["params"] == {"host": "127.0.0.1", "port": "9"}
    step = client.get(f"/sessions/{token}").get_data(as_text=True)
    assert "host=127.0.0.1" in step


def test_the_escalation_pages_show_a_technician_session_through_the_projection(app) -> None:
    """A technician runs a caller's problem in technician mode and escalates it; the caller's
    status link (and the form, for anyone but technicians) shows the self-service wording."""
    technician = signed_in(app, "technician")
    api = Api(technician, "/trees/test-printer")
    token = api.post("/sessions", {"tree": "test-printer", "mode": "technician"}).get_json()["id"]
    api.post(f"/sessions/{token}/answer", {"value": "HP"})
    api.post(f"/sessions/{token}/answer", {"answer": "Yes"})
    assert api.post(f"/sessions/{token}/answer", {"answer": "No"}).get_json()["status"] == (
        "escalated"
    )
    form = technician.get(f"/escalations/new?session={token}").get_data(as_text=True)
    assert "Check HP is powered." in form  # technicians see what is sent, as before
    response = technician.post(
        "/escalations/new",
        data={
            "csrf_token": csrf_token(technician, f"/escalations/new?session={token}"),
            "session": token,
            "requester_name": "Robin Diaz",
            "requester_email": "robin@example.org",
            "impact": "low",
            "urgency": "low",
            "ask-0": "PRN-1",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    status_link = response.headers["Location"]
    assert "Check HP is powered." in technician.get(status_link).get_data(as_text=True)
    for role in (None, "requester"):
        caller = signed_in(app, role)
        page = caller.get(status_link).get_data(as_text=True)
        assert "What you already tried" in page and "Is HP switched on?" in page
        assert_self_service(page, "escalation status page")
        assert_self_service(
            caller.get(f"/escalations/new?session={token}").get_data(as_text=True),
            "escalation form",
        )
