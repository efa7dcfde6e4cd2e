"""Publishing articles through the JSON API, the way an author and a reviewer would."""

from __future__ import annotations

from typing import Any

from tests.conftest import AuthActions, csrf_token


def api_post(client, path: str, json: dict[str, Any] | None = None):
    headers = {"X-CSRFToken": csrf_token(client)}
    return client.post(f"/api/v1{path}", json=json or {}, headers=headers)


def api_put(client, path: str, json: dict[str, Any]):
    return client.put(f"/api/v1{path}", json=json, headers={"X-CSRFToken": csrf_token(client)})


def publish(client, auth: AuthActions, **fields: Any) -> dict[str, Any]:
    """Create an article as an author and publish it as a reviewer; leaves nobody signed in."""
    article = {
        "title": "Untitled",
        "summary": "",
        "tags": "",
        "category": "Testing",
        "service": "testing",
        "audience": "public",
        "owner": "author@example.org",
        "body": "## Issue\n\nSomething.",
        **fields,
    }
    auth.logout()
    auth.login("author")
    created = api_post(client, "/articles", article)
    assert created.status_code == 201, created.get_json()
    slug = created.get_json()["slug"]
    auth.logout()
    auth.login("reviewer")
    published = api_post(client, f"/articles/{slug}/publish")
    assert published.status_code == 200, published.get_json()
    auth.logout()
    return created.get_json()


def search(client, q: str, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/search", query_string={"q": q, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def slugs(result: dict[str, Any]) -> list[str]:
    return [f"{hit['kind']}:{hit['slug']}" for hit in result["results"]]
