"""Searching in a browser: suggestions as you type, results with highlights, a typo answered
with "Did you mean", a facet, and a diagnostic started straight from the results."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_search_like_a_stressed_user(page) -> None:
    page.goto("/")
    page.fill("#q-home", "outlook keeps")
    suggestion = page.locator("#q-home-suggestions a", has_text="Outlook keeps asking")
    suggestion.wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/articles/outlook-keeps-asking-password")

    page.fill("#q-top", "outlok pasword")
    page.press("#q-top", "Enter")
    page.wait_for_url("**/search?q=outlok*")
    assert "Did you mean" in page.inner_text("main")
    page.click(".did-you-mean a")
    first = page.locator("ol.results li").first
    assert "Outlook keeps asking for your password" in first.inner_text()
    assert first.locator(".snippet mark").count() >= 1

    page.fill("#q-page", "printer not printing")
    page.press("#q-page", "Enter")
    page.click("aside.facets a:has-text('Diagnostics')")
    assert all("Diagnostic" in item.inner_text() for item in page.locator("ol.results li").all())
    page.click("ol.results li >> button:has-text('Start this diagnostic')")
    page.wait_for_url("**/sessions/**")
    assert page.locator("main h1, main h2").first.is_visible()
