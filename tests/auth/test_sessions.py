"""Every session is revocable: logout, deactivation and a password change end all sessions and
remember cookies of the account at once; deactivated accounts and revoked tokens stop working;
the remember cookie carries the session cookie's flags. CLI and admin page alike."""

from __future__ import annotations

import re

from sqlalchemy import select

from kb.auth.users import create_token, find_user
from kb.cli import cli
from kb.extensions import kb_state
from kb.models import ApiToken
from tests.conftest import PASSWORD, AuthActions, csrf_token


def _me(client, **kwargs) -> dict:
    return client.get("/api/v1/me", **kwargs).get_json()


def _cookie(client, name: str) -> str:
    cookie = client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    return cookie.value


def _sign_in(app, who: str = "author", remember: bool = False):
    client = app.test_client()
    data = {
        "email": f"{who}@example.org",
        "password": PASSWORD,
        "csrf_token": csrf_token(client),
    }
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 302
    return client


def _token_for(app, who: str) -> str:
    with app.app_context(), kb_state(app).session() as session:
        token = create_token(session, find_user(session, f"{who}@example.org"), "test")
        session.commit()
    return token


def test_a_session_cookie_copied_before_logout_no_longer_works(app) -> None:
    client = _sign_in(app)
    copied = _cookie(client, "kb_session")
    AuthActions(client).logout()
    thief = app.test_client()
    thief.set_cookie("kb_session", copied)
    assert _me(thief) == {"authenticated": False}


def test_logout_ends_the_remember_cookie_too(app) -> None:
    client = _sign_in(app, remember=True)
    remember = _cookie(client, "remember_token")
    AuthActions(client).logout()
    thief = app.test_client()
    thief.set_cookie("remember_token", remember)
    assert _me(thief) == {"authenticated": False}


def test_a_remember_cookie_alone_still_signs_in_before_logout(app) -> None:
    client = _sign_in(app, remember=True)
    other = app.test_client()
    other.set_cookie("remember_token", _cookie(client, "remember_token"))
    assert _me(other)["email"] == "author@example.org"


def test_logout_ends_the_account_s_sessions_on_every_device(app) -> None:
    laptop = _sign_in(app)
    phone = _sign_in(app, remember=True)
    AuthActions(laptop).logout()
    assert _me(phone) == {"authenticated": False}


def test_kb_user_deactivate_ends_sessions_remember_cookies_and_tokens(app, runner) -> None:
    browser = _sign_in(app)
    remembered = _sign_in(app, remember=True)
    remember = _cookie(remembered, "remember_token")
    token = _token_for(app, "author")
    result = runner.invoke(cli, ["user", "deactivate", "Author@example.org"])
    assert result.exit_code == 0, result.output
    assert "deactivated" in result.output
    assert _me(browser) == {"authenticated": False}
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember)
    assert _me(fresh) == {"authenticated": False}
    bearer = {"Authorization": f"Bearer {token}"}
    assert _me(app.test_client(), headers=bearer) == {"authenticated": False}
    assert AuthActions(app.test_client()).login("author").status_code == 401
    listing = runner.invoke(cli, ["user", "list"]).output
    assert re.search(r"author@example.org .*\(disabled\)", listing)


def test_kb_user_activate_lets_the_person_sign_in_again(app, runner) -> None:
    runner.invoke(cli, ["user", "deactivate", "author@example.org"])
    result = runner.invoke(cli, ["user", "activate", "author@example.org"])
    assert result.exit_code == 0, result.output
    assert AuthActions(app.test_client()).login("author").status_code == 302


def test_deactivating_an_unknown_user_exits_2(runner) -> None:
    result = runner.invoke(cli, ["user", "deactivate", "nobody@example.org"])
    assert result.exit_code == 2
    assert "nobody@example.org" in result.output


def test_a_user_set_inactive_in_the_database_stops_working_at_once(app) -> None:
    client = _sign_in(app)
    with app.app_context(), kb_state(app).session() as session:
        find_user(session, "author@example.org").active = False
        session.commit()
    assert _me(client) == {"authenticated": False}


def test_changing_the_password_ends_existing_sessions(app, runner) -> None:
    client = _sign_in(app, remember=True)
    result = runner.invoke(
        cli,
        ["user", "set-password", "author@example.org"],
        env={"KB_USER_PASSWORD": "violet lantern orchard"},
    )
    assert result.exit_code == 0, result.output
    assert _me(client) == {"authenticated": False}


def test_kb_user_token_list_and_revoke(app, runner) -> None:
    token = _token_for(app, "technician")
    bearer = {"Authorization": f"Bearer {token}"}
    assert _me(app.test_client(), headers=bearer)["role"] == "technician"
    listing = runner.invoke(cli, ["user", "token", "list", "technician@example.org"])
    assert listing.exit_code == 0, listing.output
    match = re.search(r"^\s*(\d+)\s+test\b", listing.output, re.MULTILINE)
    assert match, listing.output
    revoked = runner.invoke(cli, ["user", "token", "revoke", match.group(1)])
    assert revoked.exit_code == 0, revoked.output
    assert _me(app.test_client(), headers=bearer) == {"authenticated": False}
    assert (
        "revoked" in runner.invoke(cli, ["user", "token", "list", "technician@example.org"]).output
    )
    again = runner.invoke(cli, ["user", "token", "revoke", "99999"])
    assert again.exit_code == 2


def test_kb_user_token_still_issues_a_token(app, runner) -> None:
    issued = runner.invoke(cli, ["user", "token", "create", "author@example.org", "--name", "ci"])
    assert issued.exit_code == 0, issued.output
    legacy = runner.invoke(cli, ["user", "token", "author@example.org", "--name", "old-style"])
    assert legacy.exit_code == 0 and legacy.output.startswith("kb_"), legacy.output
    token = issued.output.strip()
    assert _me(app.test_client(), headers={"Authorization": f"Bearer {token}"})["role"] == "author"
    revoke_all = runner.invoke(cli, ["user", "token", "revoke", "--all", "author@example.org"])
    assert revoke_all.exit_code == 0, revoke_all.output
    assert _me(app.test_client(), headers={"Authorization": f"Bearer {token}"}) == {
        "authenticated": False
    }


def test_remember_cookie_follows_the_session_cookie_flags(make_app, monkeypatch) -> None:
    monkeypatch.setenv("KB_SESSION_COOKIE_SECURE", "true")
    app = make_app()
    client = app.test_client()
    https = {"base_url": "https://localhost", "headers": {"Referer": "https://localhost/login"}}
    page = client.get("/login", **https).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    data = {"email": "author@example.org", "password": PASSWORD, "remember": "y"}
    response = client.post("/login", data={**data, "csrf_token": token}, **https)
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in cookies if c.startswith("remember_token="))
    session = next(c for c in cookies if c.startswith("kb_session="))
    for cookie in (remember, session):
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie


# --- the admin page ---------------------------------------------------------------------------


def test_only_admins_see_the_users_page(client, auth) -> None:
    assert client.get("/admin/users").status_code == 302
    auth.login("reviewer")
    assert client.get("/admin/users").status_code == 403
    token = auth.token()
    with_token = client.post(
        "/admin/users/1/deactivate", data={"csrf_token": token}, follow_redirects=False
    )
    assert with_token.status_code == 403


def test_admin_deactivates_a_user_from_the_page_and_their_sessions_end(app, client, auth) -> None:
    victim = _sign_in(app, "author", remember=True)
    auth.login("admin")
    page = client.get("/admin/users")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "author@example.org" in html
    with app.app_context(), kb_state(app).session() as session:
        author_id = find_user(session, "author@example.org").id
    assert client.post(f"/admin/users/{author_id}/deactivate").status_code == 400  # no CSRF
    assert _me(victim)["authenticated"] is True
    response = client.post(
        f"/admin/users/{author_id}/deactivate",
        data={"csrf_token": csrf_token(client, "/admin/users")},
    )
    assert response.status_code == 302
    assert _me(victim) == {"authenticated": False}
    assert "deactivated" in client.get("/admin/users").get_data(as_text=True)
    response = client.post(
        f"/admin/users/{author_id}/activate",
        data={"csrf_token": csrf_token(client, "/admin/users")},
    )
    assert response.status_code == 302
    assert AuthActions(app.test_client()).login("author").status_code == 302


def test_admin_cannot_deactivate_themselves(app, client, auth) -> None:
    auth.login("admin")
    with app.app_context(), kb_state(app).session() as session:
        admin_id = find_user(session, "admin@example.org").id
    response = client.post(f"/admin/users/{admin_id}/deactivate", data={"csrf_token": auth.token()})
    assert response.status_code == 409
    assert _me(client)["role"] == "admin"


def test_admin_revokes_an_api_token_from_the_page(app, client, auth) -> None:
    token = _token_for(app, "technician")
    bearer = {"Authorization": f"Bearer {token}"}
    auth.login("admin")
    with app.app_context(), kb_state(app).session() as session:
        token_id = session.scalar(select(ApiToken.id))
    assert "test" in client.get("/admin/users").get_data(as_text=True)
    response = client.post(f"/admin/tokens/{token_id}/revoke", data={"csrf_token": auth.token()})
    assert response.status_code == 302
    assert _me(app.test_client(), headers=bearer) == {"authenticated": False}
    missing = client.post("/admin/tokens/99999/revoke", data={"csrf_token": auth.token()})
    assert missing.status_code == 404


def test_a_visitor_who_is_not_signed_in_gets_the_session_cookie_once(app) -> None:
    """Their session holds only the CSRF token: it is set on the first page, then left alone
    (no new cookie, no clearing of a remember cookie they never had) on every later one."""
    visitor = app.test_client()
    first = visitor.get("/articles/reset-forgotten-password")
    assert "kb_session=" in first.headers.get("Set-Cookie", "")
    for path in ("/articles/reset-forgotten-password", "/", "/trees"):
        later = visitor.get(path)
        assert later.status_code == 200 and "Set-Cookie" not in later.headers, path
