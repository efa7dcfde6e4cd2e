"""In a real browser: a person flags a step mid-session and carries on, a reviewer finds the
flag on the dashboard and resolves it; a diagnostic submitted for review is in the reviewer's
queue, and the reviewer's change request reaches the author's dashboard."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_flag_a_step_mid_session_and_a_reviewer_resolves_it(page) -> None:
    page.goto("/trees/printer-not-printing")
    page.click("button:has-text('Start')")
    page.fill("input[name=value]", "HP-3F-East")
    page.click("text=Continue")
    question = page.locator("h1").inner_text()
    assert "HP-3F-East" in question
    page.click("summary:has-text('Something wrong with this step?')")
    page.check("input[name=reason][value=wrong]")
    page.fill("#flag-comment", "There is no power light on this model")
    page.click("details.step-flag button:has-text('Send')")
    assert "Thank you" in page.inner_text(".flashes")
    assert page.locator("h1").inner_text() == question  # still on the same step
    page.click("button:has-text('Yes')")  # and the diagnostic carries on
    assert page.locator("h1").inner_text() != question

    sign_in(page, "reviewer")
    page.goto("/dashboard")
    page.click('#flagged a:has-text("My printer won\'t print")')
    page.wait_for_selector("text=There is no power light on this model")
    assert "HP-3F-East" not in page.inner_text("main")  # the path is steps, not answers
    assert page.locator(".flag-path li").count() == 2
    page.fill("input[name=resolution]", "Added the model without a light")
    page.click("button:has-text('Resolve')")
    assert "Flag resolved." in page.inner_text(".flashes")
    assert "No open flags." in page.inner_text("main")
    page.goto("/dashboard")
    assert "My printer won't print" not in page.inner_text("#flagged")


def test_a_tree_sent_back_for_changes_reaches_its_authors_dashboard(page) -> None:
    sign_in(page, "author")
    page.goto("/trees/printer-not-printing/edit")
    page.fill("input[name='node-0-label']", "Which printer is it?")
    page.click("button[value=submit]")
    page.wait_for_selector(".flash.success")
    page.goto("/dashboard")
    assert "My printer won't print" in page.inner_text("#mine-in-review")
    page.click("text=Sign out")

    sign_in(page, "reviewer")
    page.goto("/dashboard")
    page.click('#awaiting-review a:has-text("My printer won\'t print")')
    page.fill("#rc-comment", "Keep the old label, it is clearer")
    page.click("button:has-text('Request changes')")
    page.wait_for_selector(".flash.success")
    page.click("text=Sign out")

    sign_in(page, "author")
    page.goto("/dashboard")
    requested = page.inner_text("#changes-requested")
    assert "My printer won't print" in requested
    assert "Keep the old label, it is clearer" in requested
