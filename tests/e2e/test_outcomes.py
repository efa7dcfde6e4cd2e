"""In a real browser: a resolution asks "Did this fix it?"; a workaround says what is still
broken and "Still not fixed" hands the whole session to the desk; a better branch goes on; a
refused automated check leaves the question to be answered by hand."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_a_lockout_workaround_still_not_fixed_goes_to_the_desk_prefilled(page) -> None:
    page.goto("/trees/locked-out-password")
    page.click("button:has-text('Start')")
    page.check("input[name=value] >> nth=0")
    page.click("button:has-text('Continue')")
    page.click("button:has-text('It says my account is locked')")
    page.click("button:has-text('It worked')")
    assert page.locator("h1").inner_text() == "A workaround to get you going"
    assert "keeps locking your account" in page.locator(".workaround-remains").inner_text()
    assert page.get_by_role("group", name="Did this fix it?").is_visible()
    page.fill("#nf-notes", "It locked again after lunch")
    page.click("button:has-text('Still not fixed')")
    page.wait_for_url("**/escalations/new?session=*")
    main = page.inner_text("main")
    assert "We have written down everything you tried" in main
    page.click("text=What we will send")
    sent = page.locator("pre.transcript").inner_text()
    assert "Did this fix it? Still not fixed" in sent and "It locked again after lunch" in sent
    page.check("#impact-low")
    page.check("#urgency-high")
    page.fill("#requester_name", "Robin Diaz")
    page.fill("#requester_email", "robin@example.org")
    page.click("button:has-text('Send to the help desk')")
    assert "Your request" in page.locator("h1").inner_text()


def test_wifi_switched_on_but_still_not_fixed_goes_on_then_a_fix_is_confirmed(page) -> None:
    page.goto("/trees/wifi-problems")
    page.click("button:has-text('Start')")
    page.fill("input[name=value]", "City Hall, 3rd floor")
    page.click("button:has-text('Continue')")
    page.click('button:has-text("I can\'t connect at all")')
    page.click("button:has-text('It worked')")
    assert page.locator("h1").inner_text() == "Try this fix"
    page.click("button:has-text('Still not fixed')")
    assert "Can other people near City Hall, 3rd floor connect" in page.locator("h1").inner_text()
    assert page.locator("text=← Back").count() == 0
    page.click('button:has-text("Yes, or I don\'t know")')
    page.click("button:has-text('It worked')")  # the restart
    page.click('button:has-text("Yes, it\'s fixed")')
    assert page.locator("h1").inner_text() == "Fixed"
    assert "you said this fixed it" in page.inner_text("main")


def test_a_refused_check_stays_on_the_step_for_a_hand_answer(page) -> None:
    sign_in(page, "technician")
    page.goto("/trees/suspected-outage-triage")
    page.click("button:has-text('Start')")
    page.fill("input[name=value]", "Payroll")
    page.click("button:has-text('Continue')")
    page.click("button:has-text('No, nothing listed')")
    page.fill("input[name=value]", "payroll.outside.example")
    page.click("button:has-text('Continue')")
    page.click("button:has-text('Several people')")
    heading = page.locator("h1").inner_text()
    page.click("button:has-text('Run check')")
    result = page.locator("p.check-result").inner_text()
    assert "error" in result and "answer the question below by hand" in result
    assert page.locator("h1").inner_text() == heading  # no escalation: the same question
    assert page.locator("text=← Back").is_visible()
    page.click("form.answer-form button[value='Yes']")
    assert page.locator("h1").inner_text() != heading
