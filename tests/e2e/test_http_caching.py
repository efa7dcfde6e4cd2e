"""A returning reader's browser revalidates the article page and its flowchart (kb answers
304) and fetches fingerprinted static files, in a real browser."""

from __future__ import annotations

import pytest
from flask import request

pytestmark = pytest.mark.e2e

ARTICLE = "/articles/reset-forgotten-password"


def test_reload_revalidates_the_article_and_the_flowchart(app, page) -> None:
    answered: list[tuple[str, int]] = []  # what kb itself answered, request by request

    @app.after_request
    def _record(response):
        answered.append((request.path, response.status_code))
        return response

    page.goto(ARTICLE)
    assert "Reset a forgotten password" in page.locator("article h1").inner_text()
    css = page.locator("link[rel=stylesheet]").first.get_attribute("href")
    assert css and "?v=" in css
    answered.clear()
    page.reload()
    assert "Reset a forgotten password" in page.locator("article h1").inner_text()
    assert (ARTICLE, 304) in answered, answered

    page.goto("/trees/computer-slow/flowchart.svg")
    answered.clear()
    page.reload()
    assert ("/trees/computer-slow/flowchart.svg", 304) in answered, answered
