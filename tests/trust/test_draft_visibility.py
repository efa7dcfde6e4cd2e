"""An author's unpublished draft of a live article is seen only by people who may edit that
draft (authors and above, or the technician who proposed it): not through the editor, not in
a conflict, and public JSON does not even say that a draft exists."""

from __future__ import annotations

import pytest

from tests.conftest import AuthActions, csrf_token
from tests.trust.articles import ARTICLE

SECRET = "Unreviewed idea: reinstall the whole print server."


@pytest.fixture
def app(make_app):
    return make_app(content="empty")


def as_(auth: AuthActions, role: str | None) -> None:
    auth.logout()
    if role:
        auth.login(role)


def put(client, slug: str, body: dict):
    return client.put(
        f"/api/v1/articles/{slug}", json=body, headers={"X-CSRFToken": csrf_token(client, "/")}
    )


def post(client, path: str, body: dict | None = None):
    return client.post(
        f"/api/v1{path}", json=body or {}, headers={"X-CSRFToken": csrf_token(client, "/")}
    )


@pytest.fixture
def live_with_draft(client, auth) -> dict:
    """A published article, then an author's unpublished draft on top of it."""
    as_(auth, "reviewer")
    created = post(client, "/articles", ARTICLE)
    assert created.status_code == 201
    assert post(client, f"/articles/{ARTICLE['slug']}/publish").status_code == 200
    published = client.get(f"/api/v1/articles/{ARTICLE['slug']}").get_json()
    as_(auth, "author")
    draft = put(
        client,
        ARTICLE["slug"],
        {**ARTICLE, "body": SECRET, "base_revision_id": published["revision_id"]},
    )
    assert draft.status_code == 200
    return {"published": published["revision_id"], "draft": draft.get_json()["revision_id"]}


def test_a_technician_cannot_open_an_authors_pending_draft_in_the_editor(
    client, auth, live_with_draft
) -> None:
    as_(auth, "technician")
    response = client.get(f"/articles/{ARTICLE['slug']}/edit")
    assert response.status_code == 403
    assert SECRET not in response.get_data(as_text=True)
    page = client.get(f"/articles/{ARTICLE['slug']}?draft=1").get_data(as_text=True)
    assert SECRET not in page  # reading shows the live revision, as before


def test_a_technician_save_over_a_pending_draft_is_refused_without_showing_it(
    client, auth, live_with_draft
) -> None:
    as_(auth, "technician")
    for base in (live_with_draft["published"], live_with_draft["draft"]):
        response = put(
            client, ARTICLE["slug"], {**ARTICLE, "body": "Mine.", "base_revision_id": base}
        )
        assert response.status_code == 403
        assert SECRET not in response.get_data(as_text=True)


def test_public_json_shows_only_published_fields(client, auth, live_with_draft) -> None:
    for role in (None, "requester", "technician"):
        as_(auth, role)
        body = client.get(f"/api/v1/articles/{ARTICLE['slug']}").get_json()
        assert "head_revision_id" not in body, role
        assert body["status"] == "published", role
        assert body["revision_id"] == live_with_draft["published"]
        assert SECRET not in str(body)
        listed = client.get("/api/v1/articles").get_json()["items"]
        assert [item["status"] for item in listed] == ["published"], role


def test_people_who_may_edit_the_draft_still_see_it(client, auth, live_with_draft) -> None:
    as_(auth, "author")
    body = client.get(f"/api/v1/articles/{ARTICLE['slug']}?draft=1").get_json()
    assert body["head_revision_id"] == live_with_draft["draft"] and body["markdown"] == SECRET
    assert body["status"] == "draft"
    assert SECRET in client.get(f"/articles/{ARTICLE['slug']}/edit").get_data(as_text=True)


def test_a_technician_still_proposes_edits_to_a_live_article_without_a_pending_draft(
    client, auth
) -> None:
    as_(auth, "reviewer")
    post(client, "/articles", ARTICLE)
    post(client, f"/articles/{ARTICLE['slug']}/publish")
    as_(auth, "technician")
    body = client.get(f"/api/v1/articles/{ARTICLE['slug']}").get_json()
    assert body["head_revision_id"] == body["revision_id"]  # nothing unpublished to hide
    assert client.get(f"/articles/{ARTICLE['slug']}/edit").status_code == 200
    proposal = {**ARTICLE, "body": "My proposal.", "base_revision_id": body["revision_id"]}
    assert put(client, ARTICLE["slug"], proposal).status_code == 200
    # the proposer sees and may edit their own proposal
    mine = client.get(f"/api/v1/articles/{ARTICLE['slug']}?draft=1").get_json()
    assert mine["markdown"] == "My proposal."
    assert client.get(f"/articles/{ARTICLE['slug']}/edit").status_code == 200
