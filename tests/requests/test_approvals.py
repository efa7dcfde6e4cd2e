"""Approvals: the approver's signed link opens the request without an account; approving
routes it to its group, declining ends it with the comment for the requester; a wrong,
replaced, expired or used link is a clear 4xx and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from kb.extensions import kb_state
from kb.models import Escalation, OutboxMessage, utcnow
from kb.outbox import dispatch
from tests.conftest import AuthActions, csrf_token
from tests.requests.conftest import SOFTWARE


def _request(client, kb, data=None) -> str:
    path = "/requests/software"
    response = client.post(
        path, data={**(data or SOFTWARE), "csrf_token": csrf_token(client, path)}
    )
    assert response.status_code == 302
    dispatch(kb)
    return response.headers["Location"]


def _decide(client, link: str, decision: str, comment: str = ""):
    token = csrf_token(client, "/requests")
    return client.post(
        f"/approvals/{link}", data={"decision": decision, "comment": comment, "csrf_token": token}
    )


def _escalation(kb) -> Escalation:
    session = kb.session()
    return session.scalars(select(Escalation)).one()


def test_the_approver_sees_the_request_without_signing_in(client, kb, mailbox) -> None:
    _request(client, kb)
    page = client.get(f"/approvals/{mailbox.link()}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Robin Diaz" in text and "Adobe Acrobat Pro" in text and "their manager" in text
    assert 'value="approve"' in text and 'value="decline"' in text


def test_approving_routes_the_request_to_its_group_with_its_priority(client, kb, mailbox) -> None:
    status = _request(client, kb)
    assert _decide(client, mailbox.link(), "approve", "Fine by me").status_code == 200
    dispatch(kb)
    escalation = _escalation(kb)
    assert escalation.status == "ticketed" and escalation.ticket_system == "local"
    assert (escalation.group, escalation.priority) == ("applications", "P4")
    assert escalation.approval.decided_by == "manager@example.org"
    assert escalation.approval.decided_at is not None
    assert mailbox.decided[0].status == "approved"
    page = client.get(status).get_data(as_text=True)
    assert "Approved by manager@example.org" in page and "Business Applications" in page


def test_the_sla_clock_starts_at_approval(client, kb, mailbox) -> None:
    _request(client, kb)
    with kb.session() as session:
        escalation = session.scalars(select(Escalation)).one()
        escalation.created_at -= timedelta(days=3)
        session.commit()
    _decide(client, mailbox.link(), "approve")
    escalation = _escalation(kb)
    assert escalation.response_due > utcnow() + timedelta(hours=23)


def test_declining_ends_the_request_and_the_requester_sees_why(client, kb, mailbox) -> None:
    status = _request(client, kb)
    response = _decide(client, mailbox.link(), "decline", "We already have a licence pool.")
    assert response.status_code == 200
    dispatch(kb)
    escalation = _escalation(kb)
    assert escalation.status == "declined" and escalation.ticket_ref is None
    assert mailbox.decided[0].status == "declined"
    assert mailbox.decided[0].comment == "We already have a licence pool."
    page = client.get(status).get_data(as_text=True)
    assert "Declined by <strong>manager@example.org</strong>" in page
    assert "We already have a licence pool." in page
    with kb.session() as session:
        kinds = set(session.scalars(select(OutboxMessage.kind)))
    assert "ticket" not in kinds


def test_a_decline_without_a_reason_is_422_and_decides_nothing(client, kb, mailbox) -> None:
    _request(client, kb)
    response = _decide(client, mailbox.link(), "decline", "  ")
    assert response.status_code == 422
    assert "say why you decline" in response.get_data(as_text=True).lower()
    assert _escalation(kb).status == "awaiting_approval"


def test_a_used_link_is_409_and_says_what_was_decided(client, kb, mailbox) -> None:
    _request(client, kb)
    link = mailbox.link()
    _decide(client, link, "approve")
    again = client.get(f"/approvals/{link}")
    assert again.status_code == 409
    assert "already approved by manager@example.org" in again.get_data(as_text=True)
    assert _decide(client, link, "decline", "changed my mind").status_code == 409
    assert _escalation(kb).approval.status == "approved"


@pytest.mark.parametrize("link", ["nonsense", "eyJhIjoxLCJzIjoieCJ9.ZzZzZw.bad-signature"])
def test_a_forged_link_is_404(client, kb, link) -> None:
    _request(client, kb)
    response = client.get(f"/approvals/{link}")
    assert response.status_code == 404
    assert "not valid" in response.get_data(as_text=True)


def test_an_expired_link_is_410(make_app, mailbox) -> None:
    app = make_app(content="empty", plugins=[mailbox], REQUEST_APPROVAL_SECONDS=1)
    client, kb = app.test_client(), kb_state(app)
    _request(client, kb)
    with kb.session() as session:  # the stored expiry has passed (the signature's age too)
        escalation = session.scalars(select(Escalation)).one()
        escalation.approval.expires_at = utcnow() - timedelta(seconds=1)
        session.commit()
    response = client.get(f"/approvals/{mailbox.link()}")
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)


def test_a_replaced_link_is_404_and_the_new_one_works(
    client, kb, mailbox, auth: AuthActions
) -> None:
    status = _request(client, kb)
    first = mailbox.link()
    auth.login("technician")
    path = status + "/approval-link"
    made = client.post(path, data={"csrf_token": csrf_token(client, status)})
    assert made.status_code == 200
    assert "http://kb.test/approvals/" in made.get_data(as_text=True)
    auth.logout()
    dispatch(kb)
    assert client.get(f"/approvals/{first}").status_code == 404
    assert client.get(f"/approvals/{mailbox.link()}").status_code == 200


def test_only_staff_may_make_an_approval_link(client, kb, auth: AuthActions) -> None:
    status = _request(client, kb)
    auth.login("requester")
    response = client.post(
        status + "/approval-link", data={"csrf_token": csrf_token(client, status)}
    )
    assert response.status_code == 403


def test_a_decision_without_the_csrf_token_is_refused(client, kb, mailbox) -> None:
    _request(client, kb)
    response = client.post(f"/approvals/{mailbox.link()}", data={"decision": "approve"})
    assert response.status_code == 400
    assert _escalation(kb).status == "awaiting_approval"


def test_the_json_twin_decides_like_the_page(client, kb, mailbox) -> None:
    _request(client, kb)
    link = mailbox.link()
    headers = {"X-CSRFToken": csrf_token(client, "/requests")}
    bad = client.post(f"/api/v1/approvals/{link}", json={"decision": "maybe"}, headers=headers)
    assert bad.status_code == 422 and "decision" in bad.get_json()["fields"]
    good = client.post(f"/api/v1/approvals/{link}", json={"decision": "approve"}, headers=headers)
    assert good.status_code == 200 and good.get_json()["status"] == "approved"
    used = client.post(f"/api/v1/approvals/{link}", json={"decision": "approve"}, headers=headers)
    assert used.status_code == 409


def test_without_mail_the_status_page_says_to_contact_the_approver(make_app) -> None:
    app = make_app(content="empty")
    client, kb = app.test_client(), kb_state(app)
    status = _request(client, kb)
    page = client.get(status).get_data(as_text=True)
    assert "sends no e-mail from here: tell manager@example.org" in page
    assert "Make an approval link" not in page  # staff only
    auth = AuthActions(client)
    auth.login("technician")
    assert "Make an approval link" in client.get(status).get_data(as_text=True)


def test_approvers_need_no_account_even_when_the_site_is_private(make_app, mailbox) -> None:
    app = make_app(content="empty", plugins=[mailbox], PUBLIC_ACCESS=False)
    client, kb = app.test_client(), kb_state(app)
    auth = AuthActions(client)
    auth.login("requester")
    path = "/requests/software"
    data = {k: v for k, v in SOFTWARE.items() if not k.startswith("requester_")}
    client.post(path, data={**data, "csrf_token": csrf_token(client, path)})
    dispatch(kb)
    auth.logout()
    assert client.get(f"/approvals/{mailbox.link()}").status_code == 200


def test_the_status_json_carries_the_answers_and_the_decision(client, kb, mailbox) -> None:
    status = _request(client, kb)
    _decide(client, mailbox.link(), "decline", "Not this year.")
    body = client.get("/api/v1" + status).get_json()
    assert (body["kind"], body["request_type"], body["status"]) == (
        "request",
        "software",
        "declined",
    )
    assert body["answers"][0] == {
        "name": "name",
        "label": "Software name",
        "value": "Adobe Acrobat Pro",
    }
    assert body["approval"]["status"] == "declined"
    assert body["approval"]["comment"] == "Not this year."
