"""An author writes an article and submits it; a reviewer approves it; readers see it."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_write_submit_approve_publish_in_the_browser(page, app) -> None:
    sign_in(page, "author")
    page.goto("/dashboard")
    page.click("text=Write a new article")
    page.fill("input[name=title]", "Teams camera shows a black screen")
    page.fill("textarea[name=summary]", "Your camera works in other apps but not in Teams.")
    page.fill("input[name=category]", "Meetings and audio-video")
    page.fill("input[name=service]", "conferencing")
    page.fill("input[name=tags]", "teams, camera, video")
    page.fill(
        "textarea[name=body]",
        "## Issue\n\nThe camera is black.\n\n## Resolution\n\n"
        "1. Close other apps that use the camera.\n",
    )
    # live preview, rendered by the server as the author types
    page.wait_for_selector("#preview-body >> text=Close other apps that use the camera.")
    page.click("button[value=submit]")
    page.wait_for_selector("text=in review")
    assert page.locator("article h1").inner_text() == "Teams camera shows a black screen"
    page.click("text=Sign out")

    sign_in(page, "reviewer")
    page.goto("/dashboard")
    page.click("text=Teams camera shows a black screen")
    page.click("text=Approve and publish")
    page.wait_for_selector(".flash.success")
    page.click("text=Sign out")

    page.goto("/articles/teams-camera-shows-a-black-screen")
    assert page.locator("article h1").inner_text() == "Teams camera shows a black screen"
    page.click("#feedback button[value=yes]")
    assert "Thank you for your feedback." in page.inner_text(".flashes")

    sign_in(page, "reviewer")
    page.goto("/articles/teams-camera-shows-a-black-screen/history")
    timeline = page.inner_text(".timeline")
    assert "submitted for review" in timeline and "approved and published" in timeline
