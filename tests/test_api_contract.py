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


@pytest.mark.parametrize(
    "query",
    ["to=0001-01-05", "from=0001-01-01&to=0001-01-02", "to=9999-12-31", "from=9999-12-31"],
)
def test_a_report_period_at_the_edge_of_the_calendar_is_refused_or_shown(
    client, admin_headers, query
):
    """A date the calendar can hold but whose period runs off it was a 500 (OverflowError)."""
    response = client.get(f"/api/v1/reports/sla?{query}", headers=admin_headers)
    assert response.status_code in (200, 422), response.get_json()
    if response.status_code == 422:
        assert "date" in response.get_json()["message"].lower()
