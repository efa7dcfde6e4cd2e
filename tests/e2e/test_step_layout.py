"""On a phone (375 px wide) a step's answer buttons come before the article that explains
them: the first answer is on the first screen, and the whole article stays folded away."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_on_a_phone_the_first_answer_is_within_the_first_screen(page) -> None:
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto("/trees/printer-not-printing")
    page.click("button:has-text('Start')")
    page.fill("input[name=value]", "PRN-HQ-2-01")
    page.click("text=Continue")
    page.click('button:has-text("No, or I\'m not sure")')
    page.click('button:has-text("No, or I can\'t see the printer")')
    page.click('button:has-text("Yes, or I don\'t know")')
    assert page.locator(".inline-article .article-section h3").is_visible()
    first = page.locator(".answer-form button[name=answer]").first
    box = first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 667, box
    article = page.locator(".inline-article").bounding_box()
    assert article is not None and box["y"] < article["y"]  # answers first, then the article
    assert not page.locator("details.article-full").get_attribute("open")
    assert not page.locator("details.article-full #cause").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width
