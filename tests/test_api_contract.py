"""What the schemathesis run (tests/test_fuzz_api.py) found, each pinned by a plain test: a
request the OpenAPI document calls valid gets a 2xx or a 401/403/404/409, never a 422 or a
5xx."""

from __future__ import annotations

import pytest

from kb.auth.users import create_token, require_user
from kb.extensions import kb_state


@pytest.fixture
def admin_headers(app) -> dict[str, str]:
    with app.app_context(), kb_state(app).session() as session:
        token = create_token(session, require_user(session, "admin@example.org"), "contract")
        session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_an_article_address_already_in_use_is_a_conflict(client, admin_headers):
    """Taking a slug another article has is a 409 (the request is fine, the name is taken);
    the answer still names the field."""
    response = client.post(
        "/api/v1/articles",
        json={"title": "Another password article", "slug": "change-password"},
        headers=admin_headers,
    )
    assert response.status_code == 409, response.get_json()
    body = response.get_json()
    assert body["error"] == "conflict"
    assert "already used" in body["fields"]["slug"]
