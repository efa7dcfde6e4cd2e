"""The article lifecycle through HTTP, for each role: create, edit, submit, review, publish,
archive, restore; every forbidden transition answers 403/404/409, never 500."""

from __future__ import annotations

import pytest

from tests.conftest import AuthActions, csrf_token

ARTICLE = {
    "title": "Printer offline after Windows update",
    "slug": "printer-offline-after-update",
    "summary": "The printer shows Offline after an update.",
    "tags": "printing, offline",
    "category": "Printing",
    "service": "printing",
    "audience": "public",
    "owner": "author@example.org",
    "body": "## Issue\n\nThe printer shows `Offline`.\n\n## Resolution\n\n1. Restart the spooler.",
}


class Api:
    """JSON calls the way the browser's scripts make them (session cookie + CSRF header)."""

    def __init__(self, client) -> None:
        self.client = client

    def _headers(self):
        return {"X-CSRFToken": csrf_token(self.client)}

    def get(self, path):
        return self.client.get(f"/api/v1{path}")

    def post(self, path, json=None):
        return self.client.post(f"/api/v1{path}", json=json or {}, headers=self._headers())

    def put(self, path, json):
        return self.client.put(f"/api/v1{path}", json=json, headers=self._headers())


@pytest.fixture
def app(make_app):
    return make_app(content="empty")


@pytest.fixture
def api(client) -> Api:
    return Api(client)


def as_(auth: AuthActions, role: str) -> None:
    auth.logout()
    auth.login(role)


def create(api: Api, auth: AuthActions, role: str = "author", **changes):
    as_(auth, role)
    response = api.post("/articles", {**ARTICLE, **changes})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def status(api: Api, slug: str = ARTICLE["slug"]) -> str:
    return api.get(f"/articles/{slug}/history").get_json()["status"]


def test_full_lifecycle_from_blank_page_to_archived(client, auth, api) -> None:
    created = create(api, auth)
    slug = created["slug"]
    assert created["status"] == "draft" and created["live"] is False
    auth.logout()
    assert client.get(f"/articles/{slug}").status_code == 404  # drafts do not exist for readers

    as_(auth, "author")
    assert api.post(f"/articles/{slug}/submit").get_json()["status"] == "in_review"

    as_(auth, "reviewer")
    queue = client.get("/dashboard").get_data(as_text=True)
    assert "Awaiting review" in queue and ARTICLE["title"] in queue
    changes = api.post(f"/articles/{slug}/request_changes", {"comment": "Add the Mac steps."})
    assert changes.get_json()["status"] == "draft"

    as_(auth, "author")
    board = client.get("/dashboard").get_data(as_text=True)
    assert "Changes requested" in board and ARTICLE["title"] in board
    page = client.get(f"/articles/{slug}").get_data(as_text=True)
    assert "Add the Mac steps." in page  # the reviewer's comment is visible to the author
    head = api.get(f"/articles/{slug}?draft=1").get_json()["head_revision_id"]
    edited = api.put(
        f"/articles/{slug}",
        {
            **ARTICLE,
            "body": ARTICLE["body"] + "\n\n### Mac\n\nx",
            "base_revision_id": head,
            "message": "Mac steps",
        },
    )
    assert edited.status_code == 200
    api.post(f"/articles/{slug}/submit")

    as_(auth, "reviewer")
    approved = api.post(f"/articles/{slug}/approve", {"comment": "Good."}).get_json()
    assert approved == {"slug": slug, "status": "published", "live": True}
    auth.logout()
    assert client.get(f"/articles/{slug}").status_code == 200
    assert "### Mac" in client.get(f"/api/v1/articles/{slug}").get_json()["markdown"]

    as_(auth, "reviewer")
    assert api.post(f"/articles/{slug}/archive").get_json()["status"] == "archived"
    auth.logout()
    assert client.get(f"/articles/{slug}").status_code == 404

    as_(auth, "reviewer")
    history = api.get(f"/articles/{slug}/history").get_json()
    actions = [e["action"] for e in reversed(history["events"])]
    assert actions == [
        "create",
        "submit",
        "request_changes",
        "edit",
        "submit",
        "approve",
        "archive",
    ]
    assert [r["number"] for r in history["revisions"]] == [2, 1]
    assert history["events"][0]["by"] == "reviewer@example.org"
    assert api.post(f"/articles/{slug}/unarchive").get_json()["status"] == "published"


def test_editing_a_published_article_keeps_the_old_revision_live_until_approved(
    client, auth, api
) -> None:
    slug = create(api, auth, role="reviewer")["slug"]
    api.post(f"/articles/{slug}/publish")
    head = api.get(f"/articles/{slug}").get_json()["head_revision_id"]
    api.put(
        f"/articles/{slug}", {**ARTICLE, "title": "Printer offline (new)", "base_revision_id": head}
    )
    auth.logout()
    assert client.get(f"/api/v1/articles/{slug}").get_json()["title"] == ARTICLE["title"]
    as_(auth, "reviewer")
    assert status(api, slug) == "draft"
    api.post(f"/articles/{slug}/submit")
    api.post(f"/articles/{slug}/approve")
    auth.logout()
    assert client.get(f"/api/v1/articles/{slug}").get_json()["title"] == "Printer offline (new)"


FORBIDDEN = [
    # (role, action, status the article is in, expected HTTP status)
    ("requester", "submit", "draft", 404),
    ("technician", "approve", "in_review", 404),
    ("author", "approve", "in_review", 403),
    ("author", "publish", "draft", 403),
    ("author", "archive", "published", 403),
    ("author", "request_changes", "in_review", 403),
    ("technician", "archive", "published", 403),
    ("requester", "archive", "published", 403),
    ("reviewer", "approve", "draft", 409),
    ("reviewer", "submit", "in_review", 409),
    ("reviewer", "unarchive", "published", 409),
    ("reviewer", "request_changes", "published", 409),
]


@pytest.mark.parametrize(("role", "action", "state", "expected"), FORBIDDEN)
def test_forbidden_transitions_are_refused_cleanly(auth, api, role, action, state, expected):
    slug = create(api, auth)["slug"]
    if state in ("in_review", "published"):
        api.post(f"/articles/{slug}/submit")
    if state == "published":
        as_(auth, "reviewer")
        api.post(f"/articles/{slug}/approve")
    as_(auth, role)
    response = api.post(f"/articles/{slug}/{action}", {"comment": "x"})
    assert response.status_code == expected, response.get_json()
    assert "message" in response.get_json()


@pytest.mark.parametrize("role", ["requester", None])
def test_requesters_and_anonymous_cannot_write(client, auth, api, role) -> None:
    auth.logout()
    if role:
        auth.login(role)
    response = api.post("/articles", ARTICLE)
    assert response.status_code == (403 if role else 401)
    assert client.get("/articles/new").status_code in (302, 403)


def test_a_technician_proposal_goes_to_review_and_only_the_proposer_sees_it(
    client, auth, api
) -> None:
    created = create(api, auth, role="technician")
    slug = created["slug"]
    assert created["status"] == "in_review"
    assert client.get(f"/articles/{slug}").status_code == 200
    as_(auth, "requester")
    assert client.get(f"/articles/{slug}").status_code == 404
    as_(auth, "reviewer")
    assert ARTICLE["title"] in client.get("/dashboard").get_data(as_text=True)


def test_a_technician_edit_of_a_live_article_becomes_a_proposal(client, auth, api) -> None:
    slug = create(api, auth, role="reviewer")["slug"]
    api.post(f"/articles/{slug}/publish")
    as_(auth, "technician")
    head = api.get(f"/articles/{slug}").get_json()["head_revision_id"]
    response = api.put(
        f"/articles/{slug}", {**ARTICLE, "summary": "Better summary.", "base_revision_id": head}
    )
    assert response.status_code == 200
    as_(auth, "reviewer")
    assert status(api, slug) == "in_review"
    assert api.get(f"/articles/{slug}").get_json()["summary"] == ARTICLE["summary"]


def test_saving_over_a_newer_revision_is_a_409_that_keeps_both_texts(client, auth, api) -> None:
    slug = create(api, auth)["slug"]
    base = api.get(f"/articles/{slug}?draft=1").get_json()["head_revision_id"]
    first = api.put(
        f"/articles/{slug}", {**ARTICLE, "body": "Their text.", "base_revision_id": base}
    )
    assert first.status_code == 200
    second = api.put(f"/articles/{slug}", {**ARTICLE, "body": "My text.", "base_revision_id": base})
    assert second.status_code == 409
    body = second.get_json()
    assert "Their text." in body["theirs"] and "My text." in body["yours"]
    assert body["their_revision"] == 2

    page = client.get(f"/articles/{slug}/edit").get_data(as_text=True)
    token = csrf_token(client, f"/articles/{slug}/edit")
    form = {
        **ARTICLE,
        "body": "My browser text.",
        "base_revision_id": str(base),
        "csrf_token": token,
        "action": "save",
    }
    conflict = client.post(f"/articles/{slug}/edit", data=form)
    html = conflict.get_data(as_text=True)
    assert conflict.status_code == 409
    assert "My browser text." in html and "Their text." in html
    assert page  # the editor opened fine before
    history = api.get(f"/articles/{slug}/history").get_json()
    assert len(history["revisions"]) == 2  # nothing was silently overwritten


def test_invalid_fields_are_shown_beside_the_field_and_the_text_survives(client, auth) -> None:
    auth.login("author")
    token = csrf_token(client, "/articles/new")
    form = {
        **ARTICLE,
        "audience": "everyone",
        "slug": "Bad Slug!",
        "body": "Keep me.",
        "csrf_token": token,
        "action": "save",
    }
    response = client.post("/articles/new", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Keep me." in html
    assert "use lowercase letters" in html
    assert "Not a valid choice" in html or "must be public or internal" in html


def test_slug_conflict_is_shown_beside_the_slug(client, auth, api) -> None:
    create(api, auth)
    token = csrf_token(client, "/articles/new")
    response = client.post("/articles/new", data={**ARTICLE, "csrf_token": token, "action": "save"})
    assert response.status_code == 422
    assert "already used by" in response.get_data(as_text=True)


def test_preview_renders_server_side_without_javascript(client, auth) -> None:
    auth.login("author")
    token = csrf_token(client, "/articles/new")
    form = {
        **ARTICLE,
        "body": "## Heading\n\n<script>x()</script>**bold**",
        "csrf_token": token,
        "action": "preview",
    }
    html = client.post("/articles/new", data=form).get_data(as_text=True)
    assert "<strong>bold</strong>" in html and "<script>x()" not in html
    api = Api(client)
    assert "<strong>" in api.post("/preview", {"markdown": "**b**"}).get_json()["html"]


def test_diff_escapes_html(client, auth, api) -> None:
    slug = create(api, auth)["slug"]
    head = api.get(f"/articles/{slug}?draft=1").get_json()["head_revision_id"]
    api.put(
        f"/articles/{slug}",
        {**ARTICLE, "body": "<script>alert('x')</script><b>bold</b>", "base_revision_id": head},
    )
    for mode in ("side", "inline"):
        html = client.get(f"/articles/{slug}/diff?from=1&to=2&mode={mode}").get_data(as_text=True)
        assert "<script>alert" not in html and "<b>bold" not in html
        assert "&lt;script&gt;alert" in html
    data = api.get(f"/articles/{slug}/diff?from=1&to=2").get_json()
    assert data["added"] >= 1 and "+<script>" in data["unified"]


def test_restore_brings_back_an_old_revision_as_a_new_one(client, auth, api) -> None:
    slug = create(api, auth)["slug"]
    head = api.get(f"/articles/{slug}?draft=1").get_json()["head_revision_id"]
    api.put(f"/articles/{slug}", {**ARTICLE, "body": "Wrong text.", "base_revision_id": head})
    head = api.get(f"/articles/{slug}?draft=1").get_json()["head_revision_id"]
    restored = api.post(f"/articles/{slug}/restore/1", {"base_revision_id": head})
    assert restored.get_json()["number"] == 3
    current = api.get(f"/articles/{slug}?draft=1").get_json()
    assert current["markdown"] == ARTICLE["body"]
    history = api.get(f"/articles/{slug}/history").get_json()
    assert history["events"][0]["action"] == "restore"
    assert len(history["revisions"]) == 3


def test_history_page_lists_every_step(client, auth, api) -> None:
    slug = create(api, auth)["slug"]
    api.post(f"/articles/{slug}/submit")
    html = client.get(f"/articles/{slug}/history").get_data(as_text=True)
    assert "submitted for review" in html and "author@example.org" in html


def test_feedback_and_flags_reach_the_owner_and_reviewers(client, auth, api) -> None:
    slug = create(api, auth, role="reviewer")["slug"]
    api.post(f"/articles/{slug}/publish")
    auth.logout()
    token = csrf_token(client, f"/articles/{slug}")
    client.post(f"/articles/{slug}/feedback", data={"helpful": "yes", "csrf_token": token})
    # one anonymous vote per client per article: the second reader votes from another address
    client.environ_base["REMOTE_ADDR"] = "192.0.2.2"
    client.post(
        f"/articles/{slug}/feedback",
        data={"helpful": "no", "comment": "No Mac steps", "csrf_token": token},
    )
    client.environ_base.pop("REMOTE_ADDR")
    assert (
        client.post(
            f"/articles/{slug}/flag", data={"reason": "wrong", "csrf_token": token}
        ).status_code
        == 302
    )  # anonymous: sent to sign in
    as_(auth, "requester")
    token = csrf_token(client, f"/articles/{slug}")
    client.post(
        f"/articles/{slug}/flag",
        data={"reason": "outdated", "comment": "Menu moved", "csrf_token": token},
    )
    bad = client.post(f"/articles/{slug}/flag", data={"reason": "ugly", "csrf_token": token})
    assert bad.status_code == 422
    as_(auth, "author")  # the owner
    page = client.get(f"/articles/{slug}").get_data(as_text=True)
    assert "1 found it helpful, 1 did not" in page and "Menu moved" in page
    assert ARTICLE["title"] in client.get("/dashboard").get_data(as_text=True)
    as_(auth, "reviewer")
    board = client.get("/dashboard").get_data(as_text=True)
    assert "Flagged by readers" in board and ARTICLE["title"] in board
    as_(auth, "requester")
    assert "found it helpful" not in client.get(f"/articles/{slug}").get_data(as_text=True)


def test_a_signed_in_persons_second_vote_replaces_the_first(client, auth, api) -> None:
    slug = create(api, auth, role="reviewer")["slug"]
    api.post(f"/articles/{slug}/publish")
    as_(auth, "requester")
    api.post(f"/articles/{slug}/feedback", {"helpful": True})
    counts = api.post(f"/articles/{slug}/feedback", {"helpful": False}).get_json()
    assert counts == {"helpful": 0, "not_helpful": 1}


def test_stale_articles_are_on_the_reviewers_list(client, auth, api) -> None:
    slug = create(api, auth, role="reviewer", review_by="2020-01-31")["slug"]
    api.post(f"/articles/{slug}/publish")
    html = client.get("/dashboard").get_data(as_text=True)
    stale = html.split("Past their review-by date")[1].split("</section>")[0]
    assert ARTICLE["title"] in stale


def test_unknown_workflow_action_is_404(auth, api) -> None:
    slug = create(api, auth)["slug"]
    assert api.post(f"/articles/{slug}/explode").status_code in (404, 405)


def test_approval_fires_the_article_hooks_after_commit(make_app) -> None:
    from kb import hookimpl

    seen: list[tuple[str, str, bool]] = []

    class Recorder:
        @hookimpl
        def kb_article_changed(self, kb, article):
            seen.append(("changed", article.status, article.live))

        @hookimpl
        def kb_article_published(self, kb, article):
            seen.append(("published", article.status, article.live))

    app = make_app(content="empty", plugins=[Recorder()])
    client = app.test_client()
    auth, api = AuthActions(client), Api(client)
    slug = create(api, auth)["slug"]
    api.post(f"/articles/{slug}/submit")
    as_(auth, "reviewer")
    api.post(f"/articles/{slug}/approve")
    assert seen == [
        ("changed", "draft", False),
        ("changed", "in_review", False),
        ("changed", "published", True),
        ("published", "published", True),
    ]
