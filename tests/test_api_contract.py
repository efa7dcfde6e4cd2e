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


# --- whole numbers: str.isdigit() is true for "²" and "٣", which int() refuses or reads as 3 --


SUPERSCRIPT_TWO = "\u00b2"


def test_an_rt_ticket_number_in_other_digits_is_a_422(make_app):
    app = make_app(
        content="empty", RT_URL="http://rt.invalid", RT_TOKEN="t", RT_SCRIP_SECRET="scrip"
    )
    response = app.test_client().post(
        "/api/v1/integrations/rt/ticket-resolved",
        json={"ticket": SUPERSCRIPT_TWO},
        headers={"X-KB-RT-Secret": "scrip"},
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["fields"] == {"ticket": "a number"}


def test_kb_user_token_revoke_with_other_digits_is_a_usage_error(runner):
    from kb.cli import cli

    result = runner.invoke(cli, ["user", "token", "revoke", SUPERSCRIPT_TWO])
    assert result.exit_code == 2, result.output
    assert "token number" in result.output


def test_a_check_parameter_in_other_digits_stays_text(client, auth):
    """The tree editor reads name=value lines; a value like "²" is text, not a crash."""
    from tests.conftest import csrf_token
    from tests.trees.helpers import form_fields

    auth.login("author")
    fields = form_fields(client.get("/trees/new").get_data(as_text=True), "tree-editor")
    fields.update(
        {
            "tree-title": "Printer check",
            "tree-id": "printer-check",
            "node-3-id": "c_port",
            "node-3-kind": "check",
            "node-3-label": "Port open?",
            "node-3-check": "tcp_port",
            "node-3-params": f"host=127.0.0.1\nport={SUPERSCRIPT_TWO}",
        }
    )
    response = client.post(
        "/api/v1/trees/preview",
        data=fields,
        headers={"X-CSRFToken": csrf_token(client, "/trees/new")},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "problems" in response.get_json()


@pytest.mark.parametrize("name", ["page", "per_page"])
def test_a_search_page_number_in_other_digits_is_a_422(client, name):
    response = client.get(f"/api/v1/search?{name}={SUPERSCRIPT_TWO}")
    assert response.status_code == 422


def test_a_page_number_past_any_database_integer_is_an_empty_page(client):
    """/articles?page=<30 digits> was a 500 (the offset overflowed SQLite's integer)."""
    response = client.get("/articles?page=" + "9" * 30)
    assert response.status_code == 200
