"""Guided troubleshooting in a real browser: walk a tree, go back, escalate, read the
transcript; an author edits a tree with the live preview."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_walk_a_tree_go_back_and_escalate(page) -> None:
    page.goto("/trees")
    page.click("text=My printer won't print")
    page.click("button:has-text('Start')")
    page.fill("input[name=value]", "HP-3F-East")
    page.click("text=Continue")
    assert "HP-3F-East" in page.locator("h1").inner_text()
    page.click("button:has-text('Yes')")
    assert page.locator(".inline-article").is_visible()
    page.click("text=← Back")
    assert "HP-3F-East" in page.locator("h1").inner_text()
    page.click("button:has-text('Yes')")
    page.click('button:has-text("It didn\'t work")')
    page.fill("#dh-notes", "Nothing on the screen")
    page.click('button:has-text("This didn\'t help")')
    assert page.locator("h1").inner_text() == "Sorry this didn't fix it"
    page.click("a.button:has-text('Transcript')")
    text = page.locator("#transcript-text").input_value()
    assert "Answer: HP-3F-East" in text and "Nothing on the screen" in text
    assert page.locator("svg.flowchart g.on-path").count() >= 3


def test_an_author_sees_the_live_preview_redraw(page) -> None:
    sign_in(page, "author")
    page.goto("/trees/printer-not-printing/edit")
    label = page.locator("input[name='node-0-label']")
    label.fill("Which printer is it?")
    page.wait_for_selector("#tree-preview svg >> text=Which printer is it?")
    label.fill("")
    page.wait_for_selector("#live-problems li")
    assert "label: is required" in page.locator("#live-problems").inner_text()
