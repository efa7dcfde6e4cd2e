"""The whole loop in a browser: an end user's diagnostic fails and they hand it to the desk, a
technician resolves the ticket in kb's queue, and the article shows the resolution."""

from __future__ import annotations

import pytest

from kb.extensions import kb_state
from kb.outbox import dispatch
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_escalate_from_a_tree_and_resolve_in_the_queue(page, app) -> None:
    page.goto("/trees/printer-not-printing")
    page.click("button:has-text('Start')")
    page.fill("input[name=value]", "PRN-B2-FL3")
    page.click("text=Continue")
    page.click("button:has-text('Yes')")  # a follow-me printer
    page.click('button:has-text("This didn\'t help")')
    page.click("text=Send it to the help desk")
    assert "We have written down everything you tried" in page.inner_text("main")
    page.check("#impact-medium")
    page.check("#urgency-high")
    page.fill("#requester_name", "Robin Diaz")
    page.fill("#requester_email", "robin@example.org")
    page.fill("#requester_location", "Annex, floor 3")
    page.click("button:has-text('Send to the help desk')")
    assert "Your request" in page.locator("h1").inner_text()
    status_url = page.url

    dispatch(kb_state(app))  # the background worker's job, done now

    sign_in(page, "technician")
    page.goto("/queue")
    page.click("text=the guided steps did not help")
    assert "Robin Diaz" in page.inner_text("main")
    assert "PRN-B2-FL3" in page.inner_text("pre.transcript")
    page.fill("#resolution", "Released the held job from the follow-me queue.")
    page.fill("#more_articles", "printer-not-printing")
    page.click("button:has-text('Resolve ticket')")
    assert "written into the knowledge base" in page.inner_text(".flashes")

    page.goto("/articles/printer-not-printing")
    log = page.locator("section.resolution-log")
    assert "Released the held job from the follow-me queue." in log.inner_text()

    page.click("text=Sign out")
    page.goto(status_url)
    assert "Released the held job" in page.inner_text("main")
