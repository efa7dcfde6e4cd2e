"""Every JSON endpoint answers a body that is not a JSON object with a 422 and a message,
never a 500 (one helper, kb.api.json_object, reads them all)."""

from __future__ import annotations

import pytest

ENDPOINTS = [
    "/api/v1/articles",
    "/api/v1/articles/change-password/publish",
    "/api/v1/articles/change-password/restore/1",
    "/api/v1/preview",
    "/api/v1/outages",
    "/api/v1/escalations",
]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("body", [[1, 2], "text", 3])
def test_a_body_that_is_not_an_object_is_a_422(client, auth, path, body) -> None:
    auth.login("admin")
    response = client.post(path, json=body, headers={"X-CSRFToken": auth.token()})
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "JSON object" in response.get_json()["message"]


def test_an_optional_body_may_be_left_out(client, auth) -> None:
    auth.login("reviewer")
    response = client.post(
        "/api/v1/articles/change-password/archive", headers={"X-CSRFToken": auth.token()}
    )
    assert response.status_code == 200
