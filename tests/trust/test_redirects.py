"""Every redirect target taken from a request stays on this site."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.conftest import PASSWORD, csrf_token

OFF_SITE = [
    "https://evil.example/",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    "  //evil.example",
    "http:/evil.example",
]


def assert_local(response, expected_path: str | None = None) -> None:
    assert response.status_code in (302, 303)
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert parts.netloc in ("", "localhost"), location
    assert parts.scheme in ("", "http"), location
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    if expected_path is not None:
        assert parts.path == expected_path


@pytest.mark.parametrize("target", OFF_SITE)
def test_a_workflow_post_does_not_redirect_off_site(client, auth, target):
    auth.login("reviewer")
    response = client.post(
        "/articles/change-password/workflow/archive",
        data={"csrf_token": auth.token(), "next": target},
    )
    assert_local(response, "/articles/change-password")


def test_a_workflow_post_follows_a_local_next(client, auth):
    auth.login("reviewer")
    response = client.post(
        "/articles/change-password/workflow/archive",
        data={"csrf_token": auth.token(), "next": "/dashboard?tab=reviews"},
    )
    assert response.headers["Location"] == "/dashboard?tab=reviews"


@pytest.mark.parametrize("target", OFF_SITE)
def test_sign_in_does_not_redirect_off_site(client, target):
    response = client.post(
        "/login",
        query_string={"next": target},
        data={
            "email": "author@example.org",
            "password": PASSWORD,
            "csrf_token": csrf_token(client),
        },
    )
    assert_local(response, "/")
