"""Flagging a step mid-session ("this step doesn't match my situation" / "this is wrong"):
anyone holding the session's address, throttled for anonymous visitors; the flag carries the
path walked and goes to the tree's authors' and the reviewers' dashboards, who resolve it; the
tree heatmap counts flags per step."""

from __future__ import annotations

import pytest

from kb.auth.users import create_user
from kb.extensions import kb_state
from tests.conftest import PASSWORD, AuthActions, csrf_token
from tests.trees.helpers import Api, import_tree, start, step
from tests.trees.test_authoring import new_tree_fields
from tests.trees.trees import small


@pytest.fixture
def app(make_app, tmp_path):
    application = make_app()
    import_tree(application, tmp_path / "trees", small())
    with application.app_context(), kb_state(application).session() as session:
        create_user(session, "author2@example.org", PASSWORD, role="author", name="Other")
        session.commit()
    return application


def flag(client, token: str, **data: str):
    data.setdefault("reason", "wrong")
    data["csrf_token"] = csrf_token(client, f"/sessions/{token}")
    return client.post(f"/sessions/{token}/flag", data=data)


def walk_to_power_question(client) -> str:
    token = start(client, "test-printer")
    assert step(client, token, value="HP 3rd floor").status_code == 302
    return token


def test_an_anonymous_person_flags_a_step_with_the_path_and_carries_on(app, client) -> None:
    token = walk_to_power_question(client)
    html = client.get(f"/sessions/{token}").get_data(as_text=True)
    assert "Something wrong with this step?" in html and "This is wrong" in html
    response = flag(client, token, reason="doesnt_match", comment="My printer has no light")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/sessions/{token}")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you" in html and "Is HP 3rd floor switched on?" in html  # still on the step
    assert step(client, token, answer="No").status_code == 302  # the session carries on

    reviewer = app.test_client()
    AuthActions(reviewer).login("reviewer")
    data = reviewer.get("/api/v1/trees/test-printer/flags").get_json()
    assert data["total"] == 1
    item = data["items"][0]
    assert item["node"] == "q_power" and item["reason"] == "doesnt_match"
    assert item["path"] == ["ask_name", "q_power"]
    assert item["path_labels"] == ["Printer name", "Powered on?"]
    assert item["comment"] == "My printer has no light" and item["by"] is None


def test_the_json_twin_flags_the_current_step_and_a_second_flag_replaces_the_first(
    app, client
) -> None:
    api = Api(client, "/trees/test-printer")
    token = api.post("/sessions", {"tree": "test-printer"}).get_json()["id"]
    api.post(f"/sessions/{token}/answer", {"value": "Lobby"})
    api.post(f"/sessions/{token}/answer", {"answer": "No"})
    first = api.post(f"/sessions/{token}/flag", {"reason": "wrong", "comment": "No switch"})
    assert first.status_code == 201, first.get_data(as_text=True)
    assert first.get_json()["path"] == ["ask_name", "q_power", "a_power"]
    again = api.post(f"/sessions/{token}/flag", {"reason": "doesnt_match"})
    assert again.get_json()["id"] == first.get_json()["id"]
    # an earlier step of the path may be named; the path stops there
    earlier = api.post(f"/sessions/{token}/flag", {"reason": "wrong", "node": "ask_name"})
    assert earlier.status_code == 201 and earlier.get_json()["path"] == ["ask_name"]


def test_bad_flags_are_refused_with_a_message(app, client) -> None:
    api = Api(client, "/trees/test-printer")
    token = api.post("/sessions", {"tree": "test-printer"}).get_json()["id"]
    wrong_reason = api.post(f"/sessions/{token}/flag", {"reason": "boring"})
    assert wrong_reason.status_code == 422 and "reason" in wrong_reason.get_json()["fields"]
    off_path = api.post(f"/sessions/{token}/flag", {"reason": "wrong", "node": "res_fixed"})
    assert off_path.status_code == 422
    assert "not on this session's path" in off_path.get_json()["message"]
    too_long = api.post(f"/sessions/{token}/flag", {"reason": "wrong", "comment": "x" * 2001})
    assert too_long.status_code == 422
    unknown = api.post("/sessions/not-a-session/flag", {"reason": "wrong"})
    assert unknown.status_code == 404
    page = flag(client, token, reason="boring")
    assert page.status_code == 422 and "reason" in page.get_data(as_text=True)


def test_a_technician_session_cannot_be_flagged_by_someone_who_cannot_see_it(app) -> None:
    technician = app.test_client()
    AuthActions(technician).login("technician")
    token = start(technician, "test-printer", mode="technician")
    stranger = app.test_client()
    response = Api(stranger, "/trees/test-printer").post(f"/sessions/{token}/flag", {})
    assert response.status_code == 404  # not a 422 about the missing reason
    assert flag(technician, token, comment="Script is outdated").status_code == 302


def test_reviewers_see_flags_on_the_dashboard_and_resolve_them(app, client) -> None:
    token = walk_to_power_question(client)
    flag(client, token, comment="The light is on the back")
    reviewer = app.test_client()
    AuthActions(reviewer).login("reviewer")
    board = reviewer.get("/dashboard").get_data(as_text=True)
    assert "Flagged by readers" in board and "Test printer" in board
    assert "/trees/test-printer/flags" in board and "1 open flag" in board
    page = reviewer.get("/trees/test-printer/flags").get_data(as_text=True)
    assert "The light is on the back" in page and "Printer name" in page and "Resolve" in page
    flag_id = reviewer.get("/api/v1/trees/test-printer/flags").get_json()["items"][0]["id"]
    resolved = reviewer.post(
        f"/trees/test-printer/flags/{flag_id}/resolve",
        data={"csrf_token": csrf_token(reviewer, "/trees/test-printer/flags"), "resolution": "Ok"},
    )
    assert resolved.status_code == 302
    assert reviewer.get("/api/v1/trees/test-printer/flags").get_json()["total"] == 0
    everything = reviewer.get("/api/v1/trees/test-printer/flags?all=1").get_json()
    assert everything["items"][0]["resolution"] == "Ok"
    assert "Test printer" not in reviewer.get("/dashboard").get_data(as_text=True)


def test_who_may_see_and_resolve_flags(app, client) -> None:
    token = walk_to_power_question(client)
    flag(client, token)
    assert client.get("/trees/test-printer/flags").status_code == 302  # to sign in
    assert client.get("/api/v1/trees/test-printer/flags").status_code == 401
    for role, reads in (("requester", 403), ("technician", 403), ("author", 200)):
        other = app.test_client()
        AuthActions(other).login(role)
        assert other.get("/trees/test-printer/flags").status_code == reads, role
    author = app.test_client()
    AuthActions(author).login("author")  # an author who did not write this tree
    flag_id = author.get("/api/v1/trees/test-printer/flags").get_json()["items"][0]["id"]
    assert "Resolve</button>" not in author.get("/trees/test-printer/flags").get_data(as_text=True)
    refused = Api(author).post(f"/trees/test-printer/flags/{flag_id}/resolve")
    assert refused.status_code == 403


def test_the_trees_author_sees_flags_on_their_dashboard_and_resolves_them(app) -> None:
    author = app.test_client()
    AuthActions(author).login("author")
    fields = new_tree_fields(author)
    created = author.post("/trees/new", data={**fields, "action": "save"})
    assert created.status_code == 302, created.get_data(as_text=True)
    reviewer = app.test_client()
    AuthActions(reviewer).login("reviewer")
    history = "/trees/headset-silent/history"
    reviewer.post(
        "/trees/headset-silent/workflow/publish",
        data={"csrf_token": csrf_token(reviewer, history)},
    )
    visitor = app.test_client()
    token = start(visitor, "headset-silent")
    flag(visitor, token, reason="doesnt_match", comment="Mine is wireless")
    board = author.get("/dashboard").get_data(as_text=True)
    mine = board.split('id="my-flagged"')[1].split("</section>")[0]
    assert "My headset is silent" in mine
    other = app.test_client()
    AuthActions(other).login("author2@example.org")
    assert "My headset is silent" not in other.get("/dashboard").get_data(as_text=True)
    flag_id = author.get("/api/v1/trees/headset-silent/flags").get_json()["items"][0]["id"]
    done = Api(author).post(
        f"/trees/headset-silent/flags/{flag_id}/resolve", {"resolution": "Added a step"}
    )
    assert done.status_code == 200 and done.get_json()["resolution"] == "Added a step"


def test_anonymous_flags_are_throttled_like_votes(make_app, tmp_path) -> None:
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_VOTES="2 per minute")
    import_tree(app, tmp_path / "trees", small())
    client = app.test_client()
    token = walk_to_power_question(client)
    assert flag(client, token).status_code == 302
    assert flag(client, token).status_code == 302
    refused = flag(client, token)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "flags from this address are paused" in refused.get_data(as_text=True)
    AuthActions(client).login("requester")
    assert flag(client, token).status_code == 302  # signed-in people are not throttled


def test_the_tree_heatmap_counts_flags_per_step(app, client) -> None:
    for _ in range(2):
        flag(client, walk_to_power_question(client))
    reviewer = app.test_client()
    AuthActions(reviewer).login("reviewer")
    data = reviewer.get("/api/v1/reports/tree-heatmap?tree=test-printer").get_json()
    assert data["data"]["flags"] == {"q_power": 2}
    row = next(r for r in data["tables"]["Steps"] if r["node"] == "q_power")
    assert row["flags"] == 2
