"""A technician-mode diagnostic session exists only for technicians and above, on the escalation
form too: its address given to /escalations/new or the escalation API by someone else neither
shows the technician tree, the technician's notes nor the transcript, nor files an escalation
from it (found by the authorisation matrix)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kb.extensions import kb_state
from kb.models import Escalation
from tests.conftest import AuthActions, csrf_token
from tests.trees.helpers import import_tree
from tests.trees.trees import small

NOTE = "Caller mentioned the backup admin password"


@pytest.fixture
def escalated(app, client, auth: AuthActions, tmp_path) -> str:
    """A technician's session on a technician-only tree, with notes, ended in escalation."""
    import_tree(
        app,
        tmp_path / "trees",
        small(id="server-room", title="Server room printer", audience="technician"),
    )
    auth.login("technician")
    headers = {"X-CSRFToken": auth.token()}
    token = client.post(
        "/api/v1/sessions", json={"tree": "server-room", "mode": "technician"}, headers=headers
    ).get_json()["id"]
    answered = client.post(
        f"/api/v1/sessions/{token}/answer", json={"value": "HP", "notes": NOTE}, headers=headers
    )
    assert answered.status_code == 200
    assert client.post(f"/api/v1/sessions/{token}/didnt-help", headers=headers).status_code == 200
    assert NOTE in client.get(f"/escalations/new?session={token}").get_data(as_text=True)
    auth.logout()
    return token


def escalations(app) -> int:
    with app.app_context(), kb_state(app).session() as session:
        return session.scalar(select(func.count()).select_from(Escalation))


@pytest.mark.parametrize("role", [None, "requester"])
def test_the_escalation_form_does_not_open_someone_elses_technician_session(
    app, client, auth, escalated, role
):
    if role:
        auth.login(role)
    page = client.get(f"/escalations/new?session={escalated}")
    assert page.status_code == 404
    text = page.get_data(as_text=True)
    assert NOTE not in text and "Server room printer" not in text
    posted = client.post(
        f"/escalations/new?session={escalated}",
        data={
            "csrf_token": csrf_token(client, "/escalations/new"),
            "summary": "Printer",
            "requester_name": "Pat",
            "requester_email": "pat@example.org",
            "impact": "low",
            "urgency": "low",
        },
    )
    assert posted.status_code == 404
    api = client.post(
        "/api/v1/escalations",
        json={"session": escalated, "summary": "Printer", "requester_email": "pat@example.org"},
        headers={"X-CSRFToken": csrf_token(client, "/")},
    )
    assert api.status_code == 404
    assert NOTE not in api.get_data(as_text=True)
    assert escalations(app) == 0
