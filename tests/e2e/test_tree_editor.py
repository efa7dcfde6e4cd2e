"""The tree editor in a browser: a renamed step shows its new id in every list at once."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_renaming_the_first_step_shows_everywhere_and_stays_the_first_step(page) -> None:
    sign_in(page, "author")
    page.goto("/trees/new")
    start = page.locator("#tree-start")
    assert start.input_value() == "first_question"
    page.fill("#n0-id", "plugged_in")
    assert start.locator("option:checked").inner_text() == "plugged_in"
    page.click("button[value=preview]")
    page.wait_for_selector("#tree-preview svg")
    assert page.locator("#tree-start").input_value() == "plugged_in"
    assert "start" not in page.locator("#problems").inner_text()


def test_a_new_action_step_shows_its_two_outcomes(page) -> None:
    sign_in(page, "author")
    page.goto("/trees/new")
    page.click("button[value=add_node]")
    page.select_option("#n3-kind", "action")
    page.click("button[value=preview]")
    page.wait_for_selector("#n3-e0-target")
    assert page.locator("label[for=n3-e0-target]").inner_text() == "If “It worked”, go to"
    assert page.locator("label[for=n3-e1-target]").inner_text() == "If “It didn't work”, go to"
