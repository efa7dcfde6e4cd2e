"""The review queues on /dashboard, for articles and diagnostics alike: what is submitted
appears under the reviewer's "Awaiting review"; a reviewer's "request changes" comment appears
on the author's dashboard under "Changes requested" until the document is submitted again."""

from __future__ import annotations

import pytest

from tests.articles.test_workflow import ARTICLE, Api, as_, create
from tests.conftest import csrf_token
from tests.trees.test_authoring import new_tree_fields


@pytest.fixture
def app(make_app):
    return make_app(content="empty")


@pytest.fixture
def api(client) -> Api:
    return Api(client)


def box(board: str, box_id: str) -> str:
    """One list of the dashboard, by its id."""
    return board.split(f'id="{box_id}"', 1)[1].split("</section>", 1)[0]


def dashboard(client) -> str:
    response = client.get("/dashboard")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_an_articles_change_request_shows_on_the_authors_dashboard_until_resubmitted(
    client, auth, api
) -> None:
    slug = create(api, auth)["slug"]
    api.post(f"/articles/{slug}/submit")
    as_(auth, "reviewer")
    assert ARTICLE["title"] in box(dashboard(client), "awaiting-review")
    api.post(f"/articles/{slug}/request_changes", {"comment": "Add the Mac steps, please."})

    as_(auth, "author")
    requested = box(dashboard(client), "changes-requested")
    assert ARTICLE["title"] in requested
    assert "reviewer@example.org" in requested and "Add the Mac steps, please." in requested
    # still there while the author works on it (an edit does not settle the request)
    head = api.get(f"/articles/{slug}?draft=1").get_json()["head_revision_id"]
    edited = api.put(
        f"/articles/{slug}",
        {**ARTICLE, "body": ARTICLE["body"] + "\n\nMac.", "base_revision_id": head},
    )
    assert edited.status_code == 200
    assert "Add the Mac steps, please." in box(dashboard(client), "changes-requested")
    api.post(f"/articles/{slug}/submit")
    board = dashboard(client)
    assert "Add the Mac steps, please." not in board
    assert ARTICLE["title"] in box(board, "mine-in-review")


def test_a_tree_submitted_for_review_is_in_the_queue_and_a_change_request_reaches_its_author(
    client, auth
) -> None:
    auth.login("author")
    fields = new_tree_fields(client)
    submitted = client.post("/trees/new", data={**fields, "action": "submit", "message": "New"})
    assert submitted.status_code == 302, submitted.get_data(as_text=True)
    board = dashboard(client)
    assert "My headset is silent" in box(board, "mine-in-review")

    as_(auth, "reviewer")
    queue = box(dashboard(client), "awaiting-review")
    assert "My headset is silent" in queue and "diagnostic" in queue
    assert "/trees/headset-silent/history" in queue
    history = "/trees/headset-silent/history"
    response = client.post(
        "/trees/headset-silent/workflow/request_changes",
        data={"csrf_token": csrf_token(client, history), "comment": "Ask about Bluetooth first."},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "My headset is silent" not in box(dashboard(client), "awaiting-review")

    as_(auth, "author")
    requested = box(dashboard(client), "changes-requested")
    assert "My headset is silent" in requested and "Ask about Bluetooth first." in requested
    assert "My headset is silent" not in box(dashboard(client), "my-drafts")


def test_technicians_see_only_their_own_work_and_no_review_queue(client, auth, api) -> None:
    create(api, auth, title="Someone else's draft", slug="someone-elses-draft")
    as_(auth, "technician")
    board = dashboard(client)
    assert "Someone else&#39;s draft" not in board and "Awaiting review" not in board
