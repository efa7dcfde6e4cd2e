"""CSRF is skipped only for a request a valid API token authenticates; an Authorization
header alone (wrong, or beside a session cookie) does not switch it off."""

from __future__ import annotations

import pytest

from kb.auth.users import create_token, find_user
from kb.extensions import kb_state

OUTAGE = {
    "service": "email",
    "title": "Mail is down",
    "user_message": "You cannot send mail.",
    "impact": "high",
}


def make_token(app, who: str = "technician") -> str:
    with app.app_context(), kb_state(app).session() as session:
        token = create_token(session, find_user(session, f"{who}@example.org"), "test")
        session.commit()
    return token


def open_outages(client) -> list:
    return client.get("/api/v1/outages").get_json()["open"]


@pytest.mark.parametrize("header", ["Bearer x", "Bearer ", "Bearer kb_wrong"])
def test_a_cookie_form_post_with_a_bogus_bearer_header_still_needs_the_token(client, auth, header):
    auth.login("technician")
    response = client.post("/outages/new", data=OUTAGE, headers={"Authorization": header})
    assert response.status_code == 400
    assert open_outages(client) == []


def test_a_valid_api_token_beside_a_session_cookie_does_not_skip_csrf(app, client, auth):
    token = make_token(app)
    auth.login("technician")
    response = client.post(
        "/api/v1/outages", json=OUTAGE, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "csrf"
    assert open_outages(client) == []


def test_a_valid_api_token_alone_needs_no_csrf_token(app, client):
    token = make_token(app)
    response = client.post(
        "/api/v1/outages", json=OUTAGE, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201, response.get_json()


def test_a_wrong_api_token_alone_is_told_so(client):
    response = client.post(
        "/api/v1/outages", json=OUTAGE, headers={"Authorization": "Bearer kb_wrong"}
    )
    assert response.status_code == 401
    assert "token" in response.get_json()["message"]
    assert open_outages(client) == []


def test_a_revoked_token_does_not_skip_csrf(app, client):
    from sqlalchemy import update

    from kb.models import ApiToken

    token = make_token(app)
    with app.app_context(), kb_state(app).session() as session:
        session.execute(update(ApiToken).values(revoked=True))
        session.commit()
    response = client.post(
        "/api/v1/outages", json=OUTAGE, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401
    assert open_outages(client) == []
