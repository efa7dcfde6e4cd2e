"""Signing in and out, wrong passwords, CSRF, safe redirects, cookie flags, API tokens."""

from __future__ import annotations

import pytest

from kb.auth.users import create_token, find_user
from kb.extensions import kb_state
from tests.conftest import PASSWORD, csrf_token


def test_login_and_logout(client, auth) -> None:
    response = auth.login("author")
    assert response.status_code == 302
    assert client.get("/api/v1/me").get_json()["role"] == "author"
    assert "Sign out" in client.get("/").get_data(as_text=True)
    auth.logout()
    assert client.get("/api/v1/me").get_json() == {"authenticated": False}


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client, auth) -> None:
    response = auth.login("author", password="not-the-password")
    assert response.status_code == 401
    assert "E-mail or password is wrong." in response.get_data(as_text=True)
    unknown = auth.login("nobody@example.org")
    assert unknown.status_code == 401
    assert "E-mail or password is wrong." in unknown.get_data(as_text=True)
    assert client.get("/api/v1/me").get_json() == {"authenticated": False}


def test_login_without_csrf_token_is_rejected(client) -> None:
    response = client.post("/login", data={"email": "admin@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)
    assert client.get("/api/v1/me").get_json() == {"authenticated": False}


def test_logout_without_csrf_token_is_rejected(client, auth) -> None:
    auth.login("author")
    assert client.post("/logout").status_code == 400
    assert client.get("/api/v1/me").get_json()["authenticated"] is True


def test_login_redirects_only_to_this_site(client) -> None:
    token = csrf_token(client)
    form = {"email": "author@example.org", "password": PASSWORD, "csrf_token": token}
    response = client.post("/login?next=https://evil.example/", data=form)
    assert response.headers["Location"] == "/"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    form["csrf_token"] = csrf_token(client)
    response = client.post("/login?next=/articles/mailbox-full", data=form)
    assert response.headers["Location"] == "/articles/mailbox-full"


def test_session_cookie_is_httponly_and_samesite(client, auth) -> None:
    response = auth.login("author")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("kb_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_disabled_account_cannot_sign_in(app, client, auth) -> None:
    with app.app_context(), kb_state(app).session() as session:
        find_user(session, "author@example.org").active = False
        session.commit()
    assert auth.login("author").status_code == 401


@pytest.mark.parametrize("header", ["Bearer kb_wrong", "Basic abc"])
def test_bad_api_token_is_anonymous(client, header) -> None:
    body = client.get("/api/v1/me", headers={"Authorization": header}).get_json()
    assert body == {"authenticated": False}


def test_api_token_authenticates_without_cookie(app, client) -> None:
    with app.app_context(), kb_state(app).session() as session:
        token = create_token(session, find_user(session, "technician@example.org"), "test")
        session.commit()
    body = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["role"] == "technician"
    internal = client.get(
        "/api/v1/articles/mfa-reset-procedure", headers={"Authorization": f"Bearer {token}"}
    )
    assert internal.status_code == 200
