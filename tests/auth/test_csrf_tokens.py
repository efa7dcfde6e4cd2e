"""A visitor's signed CSRF token is signed once per process and reused (kb/csrf_tokens.py):
still valid, still theirs alone, and not reused when tokens expire."""

from __future__ import annotations

import time

from tests.conftest import csrf_token


def test_a_visitor_keeps_one_signed_token_and_it_still_works(client) -> None:
    first = csrf_token(client, "/escalations/new")
    time.sleep(1.1)  # Flask-WTF's signature carries the second it was made
    again = csrf_token(client, "/articles/reset-forgotten-password")
    assert again == first
    sent = client.post(
        "/api/v1/sessions", json={"tree": "computer-slow"}, headers={"X-CSRFToken": again}
    )
    assert sent.status_code == 201


def test_another_visitor_gets_a_token_of_their_own(app, client) -> None:
    mine = csrf_token(client, "/escalations/new")
    other = app.test_client()
    theirs = csrf_token(other, "/escalations/new")
    assert theirs != mine
    stolen = other.post(
        "/api/v1/sessions", json={"tree": "computer-slow"}, headers={"X-CSRFToken": mine}
    )
    assert stolen.status_code == 400


def test_nothing_is_reused_when_tokens_expire(make_app) -> None:
    client = make_app(WTF_CSRF_TIME_LIMIT=3600).test_client()
    first = csrf_token(client, "/escalations/new")
    time.sleep(1.1)
    assert csrf_token(client, "/escalations/new") != first
