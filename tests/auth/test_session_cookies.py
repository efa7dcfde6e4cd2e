"""Session cookies verified once per process (kb.session_cookies) keep every check Flask makes:
each request gets its own copy, the age limit holds, a forged cookie or a changed key is
refused; and kb signs people in through them."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from flask import Flask, jsonify, session

from kb.session_cookies import KeptCookieSessions

COOKIE = "session"


@pytest.fixture
def tiny() -> Flask:
    """A bare Flask app with kb's session interface and three views."""
    app = Flask(__name__)
    app.secret_key = "first-secret"
    app.session_interface = KeptCookieSessions()

    @app.post("/set")
    def set_items():
        session["items"] = [1]
        session["name"] = "Pat"
        return "ok"

    @app.post("/add")
    def add_item():
        session.setdefault("items", []).append(2)  # changes the list in place
        session.modified = True
        return jsonify(items=session["items"])

    @app.get("/read")
    def read():
        return jsonify(dict(session))

    return app


def signed_cookie(app: Flask) -> str:
    client = app.test_client()
    client.post("/set")
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value


def read_with(app: Flask, value: str) -> dict:
    client = app.test_client()
    client.set_cookie(COOKIE, value)
    return client.get("/read").get_json()


def test_each_request_gets_its_own_copy_of_a_kept_cookie(tiny) -> None:
    value = signed_cookie(tiny)
    for _ in range(3):  # the same cookie sent again, as a second tab or a retry sends it
        client = tiny.test_client()
        client.set_cookie(COOKIE, value)
        assert client.post("/add").get_json() == {"items": [1, 2]}
    assert read_with(tiny, value) == {"items": [1], "name": "Pat"}


def test_a_forged_cookie_is_an_empty_session_and_is_never_kept(tiny) -> None:
    value = signed_cookie(tiny)
    assert read_with(tiny, value)["name"] == "Pat"  # verified and kept
    forged = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    assert read_with(tiny, forged) == {}
    assert read_with(tiny, forged) == {}
    assert read_with(tiny, value)["name"] == "Pat"


def test_the_age_limit_holds_for_a_kept_cookie(tiny) -> None:
    tiny.permanent_session_lifetime = timedelta(seconds=1)
    value = signed_cookie(tiny)
    assert read_with(tiny, value)["name"] == "Pat"  # kept now
    time.sleep(2.1)  # cookie timestamps count whole seconds
    assert read_with(tiny, value) == {}


def test_a_changed_secret_key_verifies_kept_cookies_afresh(tiny) -> None:
    value = signed_cookie(tiny)
    assert read_with(tiny, value)["name"] == "Pat"
    tiny.secret_key = "second-secret"
    assert read_with(tiny, value) == {}
    tiny.config["SECRET_KEY_FALLBACKS"] = ["first-secret"]  # a key being rotated out
    assert read_with(tiny, value)["name"] == "Pat"


def test_kb_keeps_people_signed_in_through_kept_cookies(client, auth) -> None:
    assert isinstance(client.application.session_interface, KeptCookieSessions)
    auth.login("technician")
    for _ in range(3):
        assert client.get("/dashboard").status_code == 200
    auth.logout()
    assert client.get("/dashboard").status_code == 302
