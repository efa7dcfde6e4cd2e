"""A signed-in requester asks the help desk without saying who they are, and their status page
tells the truth: what they typed, no e-mail promised on a site without mail, times in the
site's zone, and the follow-up with its date, answered from the page; the technicians'
follow-ups page does not call a follow-up nobody heard of "notified"."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from kb.extensions import kb_state
from kb.followups import run_due
from kb.models import FollowUp, Ticket, utcnow
from kb.outbox import dispatch
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def app(make_app) -> Iterator:
    application = make_app(TIMEZONE="Europe/Berlin")
    yield application
    kb_state(application).engine.dispose()


def test_a_requester_escalates_and_follows_the_truthful_status_page(page, app) -> None:
    kb = kb_state(app)
    sign_in(page, "requester")
    page.goto("/escalations/new")
    about = page.locator("fieldset.account-identity")
    assert "Sent as Requester (requester@example.org)" in about.inner_text()
    assert page.locator("#requester_name").count() == 0
    page.fill("#summary", "Docking station <b>dead</b>")
    page.fill("#details", "No screens since Monday.\n<script>alert('x')</script>")
    page.check("#impact-low")
    page.check("#urgency-medium")
    page.fill("#requester_location", "Annex, floor 3")
    page.click("button:has-text('Send to the help desk')")
    assert page.locator("h1").inner_text() == "Your request: Docking station <b>dead</b>"
    echo = page.locator("dl.echo").inner_text()
    assert "No screens since Monday." in echo and "<script>alert('x')</script>" in echo
    main = page.inner_text("main")
    assert "by e-mail" not in main and "sends no e-mail from here" in main
    assert " CET" in main and " UTC" not in main  # December in Berlin
    status_url = page.url

    dispatch(kb)  # the worker makes the ticket
    page.click("text=Sign out")
    sign_in(page, "technician")
    with kb.session() as session:
        ticket_id = session.scalar(select(Ticket.id))
    page.goto(f"/queue/{ticket_id}")
    page.fill("#resolution", "Replaced the dock's power supply.")
    page.fill("#followup_days", "2")
    page.click("button:has-text('Resolve ticket')")

    page.goto(status_url)
    notice = page.locator(".followup-notice").inner_text()
    assert "we will ask you whether it still works: come back to this page then" in notice
    assert " CET" in notice
    assert page.locator("text=Is it still working? Tell us").count() == 0

    run_due(kb, now=utcnow() + timedelta(days=2, minutes=1))  # the worker finds it due
    page.goto("/followups")
    cell = page.locator("td.followup-delivery").inner_text()
    assert "nobody was notified" in cell and not cell.startswith("notified")

    with kb.session() as session:  # let the requester's page treat it as due now
        session.scalar(select(FollowUp)).due_at = utcnow() - timedelta(minutes=1)
        session.commit()
    page.click("text=Sign out")
    page.goto(status_url)
    page.click("text=Is it still working? Tell us")
    page.click("button:has-text('Yes, still fixed')")
    page.goto(status_url)
    assert "it is still fixed" in page.locator(".followup-notice").inner_text()
