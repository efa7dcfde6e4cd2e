"""docs/examples/kb-teams-notify, the plugin written from docs/plugins.md alone: installed into
a folder of this test's own (nothing global), loaded through its entry point, and pointed at a
real chat server on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from kb.errors import PluginError
from kb.extensions import kb_state
from kb.models import utcnow
from kb.outbox import dispatch
from kb.plugins import describe
from tests.conftest import REPO, AuthActions, csrf_token
from tests.plugins.packages import pip_install_copy
from tests.plugins.receiver import Receiver

EXAMPLE = REPO / "docs" / "examples" / "kb-teams-notify"


@pytest.fixture(scope="module")
def site_packages(tmp_path_factory):
    return pip_install_copy(EXAMPLE, tmp_path_factory.mktemp("example"))


@pytest.fixture
def installed(site_packages, monkeypatch):
    monkeypatch.syspath_prepend(str(site_packages))  # importlib.metadata now sees the package


@pytest.fixture
def chat():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def app(make_app, installed, chat):
    application = make_app(
        content="empty",
        BASE_URL="http://kb.test",
        TEAMS_WEBHOOK_URL=chat.url,
        TEAMS_ALLOW_INSECURE_LOCALHOST=True,
    )
    yield application
    kb_state(application).engine.dispose()


def escalate_over_http(app) -> str:
    """What a requester's browser (or a script) does: POST /api/v1/escalations."""
    client = app.test_client()
    answer = client.post(
        "/api/v1/escalations",
        json={
            "summary": "Printer on floor 3 is offline",
            "details": "Nothing prints since this morning",
            "requester_name": "Pat Doe",
            "requester_email": "pat@example.org",
            "impact": "medium",
            "urgency": "high",
        },
        headers={"X-CSRFToken": csrf_token(client, "/")},
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.get_json()["id"]


def test_it_is_loaded_from_its_entry_point(app):
    rows = {row["name"]: row for row in describe(kb_state(app).pm)}
    assert rows["teams_notify"] == {
        "name": "teams_notify",
        "source": "entry point (kb-teams-notify)",
        "version": "0.1.0",
        "status": "on",
        "hooks": [
            "kb_check_config",
            "kb_escalation_created",
            "kb_outage_changed",
            "kb_register_blueprints",
        ],
    }


def test_a_new_escalation_is_posted_once_even_when_the_outbox_runs_twice(app, chat):
    public_id = escalate_over_http(app)
    assert chat.received == []  # never from inside the request
    dispatch(kb_state(app))
    dispatch(kb_state(app))
    (message,) = chat.received
    text = json.loads(message.body)["text"]
    assert "**P2** Printer on floor 3 is offline" in text
    assert f"http://kb.test/escalations/{public_id}" in text
    assert message.headers["X-KB-Delivery"] == f"escalation:{public_id}:teams_notify"


def test_a_failed_post_is_retried_with_the_same_delivery_key(app, chat):
    chat.statuses = [503]
    escalate_over_http(app)
    assert dispatch(kb_state(app)).retried == 1
    later = utcnow() + timedelta(hours=1)
    assert dispatch(kb_state(app), now=lambda: later).delivered == 1
    dispatch(kb_state(app), now=lambda: later)
    first, second = chat.received
    assert first.headers["X-KB-Delivery"] == second.headers["X-KB-Delivery"]
    assert first.body == second.body


def test_outage_news_is_posted(app, chat):
    client = app.test_client()
    AuthActions(client).login("technician")
    answer = client.post(
        "/outages/new",
        data={
            "csrf_token": csrf_token(client, "/outages/new"),
            "service": "email",
            "title": "E-mail is down for everyone",
            "user_message": "Outlook cannot connect. Use Teams chat meanwhile.",
            "impact": "high",
            "started_at": "2026-11-23T08:00",
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    dispatch(kb_state(app))
    dispatch(kb_state(app))
    (message,) = chat.received
    text = json.loads(message.body)["text"]
    assert "**Outage: E-mail is down for everyone** (email)" in text
    assert "Use Teams chat meanwhile" in text
    assert message.headers["X-KB-Delivery"].endswith(":teams_notify")


def test_its_page_is_for_technicians_only(app):
    escalate_over_http(app)
    client = app.test_client()
    assert client.get("/teams").status_code == 302  # sign in first
    auth = AuthActions(client)
    auth.login("requester")
    assert client.get("/teams").status_code == 403
    auth.logout()
    auth.login("technician")
    page = client.get("/teams")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "127.0.0.1" in html and "Printer on floor 3 is offline" in html


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        (
            {"TEAMS_WEBHOOK_URL": "http://chat.example.org/hook"},
            "teams_notify: TEAMS_WEBHOOK_URL must be an https:// URL, "
            "not 'http://chat.example.org/hook'",
        ),
        (  # localhost over http only when the site says so
            {"TEAMS_WEBHOOK_URL": "http://127.0.0.1:9/hook"},
            "teams_notify: TEAMS_WEBHOOK_URL must be an https:// URL, not 'http://127.0.0.1:9/hook'",
        ),
        (
            {"TEAMS_WEBHOOK_URL": "http://127.0.0.1.example.org/hook"}
            | {"TEAMS_ALLOW_INSECURE_LOCALHOST": True},
            "teams_notify: TEAMS_WEBHOOK_URL must be an https:// URL (or http://127.0.0.1), "
            "not 'http://127.0.0.1.example.org/hook'",
        ),
    ],
)
def test_a_wrong_url_stops_the_start_up_with_one_line(make_app, installed, settings, problem):
    with pytest.raises(PluginError) as refused:
        make_app(content="empty", **settings)
    assert refused.value.details["problems"] == [problem]
    assert str(refused.value).splitlines()[1:] == [problem]


def test_without_a_url_it_is_quiet(make_app, installed):
    app = make_app(content="empty")
    assert kb_state(app).pm.has_plugin("teams_notify")
    escalate_over_http(app)
    assert dispatch(kb_state(app)).errors == []
    kb_state(app).engine.dispose()
