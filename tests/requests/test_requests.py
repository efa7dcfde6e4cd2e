"""Making a request: the form and its JSON twin check the type's fields (422, nothing stored),
a type without approval goes straight to its group with its priority, one with approval waits,
and the answers reach the ticket plugin and the status page."""

from __future__ import annotations

from markupsafe import escape
from sqlalchemy import func, select

from kb import hookimpl
from kb.extensions import kb_state
from kb.models import Escalation, OutboxMessage, RequestApproval
from kb.outbox import dispatch
from tests.conftest import AuthActions, csrf_token
from tests.requests.conftest import SOFTWARE


def _count(kb, model) -> int:
    with kb.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def _post(client, path: str, data: dict):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)})


def test_the_chooser_offers_every_type_and_something_is_broken(client) -> None:
    page = client.get("/requests").get_data(as_text=True)
    for text, href in (
        ("Something is broken", "/escalations/new"),
        ("New software", "/requests/software"),
        ("Access to a shared folder", "/requests/folder-access"),
        ("Equipment", "/requests/hardware"),
        ("Shared mailbox or online archive", "/requests/mailbox"),
    ):
        assert text in page and f'href="{href}"' in page


def test_the_nav_link_ask_the_help_desk_opens_the_chooser(client) -> None:
    assert 'href="/requests">Ask the help desk' in client.get("/").get_data(as_text=True)


def test_an_unknown_type_is_404(client) -> None:
    assert client.get("/requests/spaceship").status_code == 404


def test_a_form_missing_answers_is_422_with_messages_and_stores_nothing(client, kb) -> None:
    response = _post(
        client,
        "/requests/software",
        {**SOFTWARE, "answer-name": "", "approver_email": "not-an-address"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "is required" in page and "not an e-mail address" in page
    assert "Editing council forms" in page  # what was typed is kept
    assert _count(kb, Escalation) == 0 and _count(kb, OutboxMessage) == 0


def test_a_choice_not_offered_is_refused(client, kb) -> None:
    response = client.post(
        "/api/v1/requests/folder-access",
        json={
            "requester_name": "Robin",
            "requester_email": "robin@example.org",
            "approver_email": "owner@example.org",
            "answers": {"folder": "S:\\Finance", "access": "full control", "reason": "Audit"},
        },
        headers={"X-CSRFToken": csrf_token(client, "/requests")},
    )
    assert response.status_code == 422
    assert response.get_json()["fields"]["answers.access"] == "choose one of: read, change"
    assert _count(kb, Escalation) == 0


def test_the_requester_cannot_approve_their_own_request(client) -> None:
    response = _post(
        client, "/requests/software", {**SOFTWARE, "approver_email": "robin@example.org"}
    )
    assert response.status_code == 422
    assert "someone else must approve" in response.get_data(as_text=True)


def test_a_request_needing_approval_waits_and_makes_no_ticket(client, kb, mailbox) -> None:
    response = _post(client, "/requests/software", SOFTWARE)
    assert response.status_code == 302
    dispatch(kb)
    with kb.session() as session:
        escalation = session.scalars(select(Escalation)).one()
        assert (escalation.kind, escalation.status) == ("request", "awaiting_approval")
        assert escalation.ticket_ref is None
        assert escalation.approval.approver_email == "manager@example.org"
        assert escalation.approval.token_hash  # only a hash of the link's secret is stored
        assert escalation.approval.token_hash not in mailbox.requested[0].approve_url
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Waiting for approval from <strong>manager@example.org</strong>" in page
    assert "Adobe Acrobat Pro" in page
    assert mailbox.requested[0].approve_url.startswith("http://kb.test/approvals/")


def test_a_type_without_approval_is_routed_at_once_with_its_group_and_priority(
    make_app,
) -> None:
    seen = []

    class Tickets:
        @hookimpl(tryfirst=True)
        def kb_create_ticket(self, escalation):
            seen.append(escalation)
            return None  # let the local queue make it

    app = make_app(content="empty", plugins=[Tickets()])
    folder = kb_state(app).instance_path
    (folder / "types.yaml").write_text(
        "types:\n"
        "  - key: badge\n    title: Door badge\n    group: facilities\n    priority: P3\n"
        "    fields:\n      - {name: building, label: Building, required: true}\n"
    )
    app = make_app(
        content="empty", plugins=[Tickets()], REQUEST_TYPES_FILE=str(folder / "types.yaml")
    )
    client = app.test_client()
    response = client.post(
        "/api/v1/requests/badge",
        json={
            "requester_name": "Robin",
            "requester_email": "robin@example.org",
            "answers": {"building": "Annex"},
        },
        headers={"X-CSRFToken": csrf_token(client, "/requests")},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert (body["status"], body["priority"]) == ("new", "P3")
    dispatch(kb_state(app))
    record = seen[0]
    assert (record.kind, record.request_type, record.group) == ("request", "badge", "facilities")
    assert record.request_answers == [{"name": "building", "label": "Building", "value": "Annex"}]
    assert "Building: Annex" in record.details  # for plugins that read only the text
    assert _count(kb_state(app), RequestApproval) == 0


def test_a_signed_in_person_is_not_asked_who_they_are(client, auth: AuthActions, kb) -> None:
    auth.login("requester")
    form = client.get("/requests/hardware").get_data(as_text=True)
    assert 'name="requester_name"' not in form and "from your account" in form
    response = _post(
        client,
        "/requests/hardware",
        {
            "answer-item": "monitor",
            "answer-reason": "Second screen for plans",
            "approver_email": "boss@example.org",
        },
    )
    assert response.status_code == 302
    with kb.session() as session:
        escalation = session.scalars(select(Escalation)).one()
        assert escalation.requester_email == "requester@example.org"
        assert escalation.summary == "Equipment: monitor"


def test_the_json_twin_refuses_what_the_form_refuses(client, kb) -> None:
    form = _post(client, "/requests/mailbox", {"requester_name": "Robin"})
    api = client.post(
        "/api/v1/requests/mailbox",
        json={"requester_name": "Robin"},
        headers={"X-CSRFToken": csrf_token(client, "/requests")},
    )
    assert form.status_code == api.status_code == 422
    fields = api.get_json()["fields"]
    assert set(fields) == {"answers.kind", "answers.reason", "requester_email", "approver_email"}
    page = form.get_data(as_text=True)
    assert all(str(escape(message)) in page for message in fields.values())


def test_request_types_are_listed_for_api_clients(client) -> None:
    types = client.get("/api/v1/request-types").get_json()["types"]
    software = next(t for t in types if t["key"] == "software")
    assert software["approver"] == "manager"
    assert [f["name"] for f in software["fields"]] == ["name", "version", "reason"]
