"""Requests in a browser: a software request from the chooser through the manager's approval to
a ticket with Business Applications; a declined request; and "Something is broken" warning of
an open outage on the chosen service and joining it."""

from __future__ import annotations

import pytest

from kb.extensions import kb_state
from kb.outages.service import declare
from kb.outbox import dispatch
from tests.requests.conftest import ApprovalMailbox

pytestmark = pytest.mark.e2e


@pytest.fixture
def mailbox() -> ApprovalMailbox:
    return ApprovalMailbox()


@pytest.fixture
def app(make_app, mailbox):
    application = make_app(content="empty", plugins=[mailbox])
    yield application
    kb_state(application).engine.dispose()


def _ask_for_software(page) -> str:
    page.goto("/")
    page.click("nav >> text=Ask the help desk")
    page.click("text=New software")
    page.fill("#answer-name", "Inkscape")
    page.fill("#answer-reason", "Drawing site plans for the planning committee.")
    page.fill("#approver_email", "manager@example.org")
    page.fill("#requester_name", "Robin Diaz")
    page.fill("#requester_email", "robin@example.org")
    page.click("button:has-text('Send the request')")
    assert "Waiting for approval from manager@example.org" in page.inner_text(".status-line")
    return page.url


def test_a_software_request_is_approved_by_the_manager_and_routed(page, app, mailbox) -> None:
    status_url = _ask_for_software(page)
    assert "Inkscape" in page.inner_text("dl.echo")

    dispatch(kb_state(app))  # the worker sends the approver's link
    page.goto(mailbox.requested[0].approve_url.replace("http://localhost", ""))
    assert "Robin Diaz" in page.inner_text("main")
    assert "Drawing site plans" in page.inner_text("dl.request-answers")
    page.fill("#comment", "Approved for the planning work.")
    page.click("button:has-text('Approve')")
    assert "has gone to the help desk" in page.inner_text(".decision")

    dispatch(kb_state(app))  # the worker makes the ticket
    page.goto(status_url)
    line = page.inner_text(".status-line")
    assert "Your ticket is with Business Applications" in line
    assert "Approved by manager@example.org" in page.inner_text("main")
    assert "ticket LOCAL #" in page.inner_text(".meta")


def test_a_declined_request_shows_the_reason_to_the_requester(page, app, mailbox) -> None:
    status_url = _ask_for_software(page)
    dispatch(kb_state(app))
    link = mailbox.requested[0].approve_url
    page.goto(link.replace("http://localhost", ""))
    page.click("button:has-text('Decline')")  # without a reason: refused, nothing decided
    assert "say why you decline" in page.inner_text(".flash.error").lower()
    page.fill("#comment", "We have a licence for the approved drawing tool.")
    page.click("button:has-text('Decline')")
    assert "will see that you declined" in page.inner_text(".decision")

    page.goto(status_url)
    assert "Declined by manager@example.org" in page.inner_text(".status-line")
    assert "licence for the approved drawing tool" in page.inner_text(".decline-comment")
    page.goto(link.replace("http://localhost", ""))  # the link worked once
    assert "already declined" in page.inner_text("main")


def test_something_is_broken_warns_of_the_open_outage_and_joins_it(page, app) -> None:
    kb = kb_state(app)
    with kb.session() as session:
        declare(
            session,
            kb,
            actor="technician@example.org",
            service="email",
            title="E-mail delivery delayed",
            user_message="Mail may arrive up to an hour late.",
        )
        session.commit()
    page.goto("/requests")
    page.click("text=Something is broken")
    notice = page.locator("[data-outage-service=email]")
    assert notice.is_hidden()
    page.fill("#summary", "My mail to suppliers is not arriving")
    page.select_option("#service", "email")
    assert notice.is_visible()
    assert "E-mail delivery delayed" in notice.inner_text()
    page.select_option("#service", "printing")
    assert notice.is_hidden()
    page.select_option("#service", "email")
    page.check("#impact-low")
    page.check("#urgency-medium")
    page.fill("#requester_name", "Robin Diaz")
    page.fill("#requester_email", "robin@example.org")
    page.click("button:has-text('Send to the help desk')")
    assert "known outage" in page.inner_text(".status-line")
    page.click(".status-line >> text=known outage")
    assert "E-mail delivery delayed" in page.inner_text("h1")
