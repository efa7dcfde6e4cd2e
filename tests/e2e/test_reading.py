"""A person opens the home page, reads an article and signs in, in a real browser."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_home_article_and_sign_in(page) -> None:
    page.goto("/")
    assert page.locator("h1").inner_text() == "How can we help?"
    page.click("text=Accounts and passwords")
    page.click("text=Reset a forgotten password with self-service password reset")
    assert "Reset a forgotten password" in page.locator("article h1").inner_text()
    assert page.locator("nav.toc").is_visible()
    page.click("nav.toc >> text=Resolution")
    assert page.url.endswith("#resolution")

    page.goto("/articles/password-reset-identity-verification")
    assert page.locator("h1").inner_text() == "Not found"

    sign_in(page, "technician")
    assert "Technician" in page.locator(".who").inner_text()
    page.goto("/articles/password-reset-identity-verification")
    assert "Internal" in page.locator("article header").inner_text()
    page.click("text=Sign out")
    assert page.locator("text=Sign in").first.is_visible()
