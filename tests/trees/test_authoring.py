"""Senior staff build and edit trees in the browser (no JSON), with problems shown beside the
steps, a flowchart preview, revisions, diff, optimistic locking and the review workflow."""

from __future__ import annotations

import pytest

from kb import hookimpl
from tests.conftest import csrf_token
from tests.trees.helpers import form_fields, import_tree, start, step
from tests.trees.trees import small


class TreeChanges:
    def __init__(self) -> None:
        self.trees: list = []

    @hookimpl
    def kb_tree_changed(self, kb, tree):
        self.trees.append(tree)


@pytest.fixture
def changes():
    return TreeChanges()


@pytest.fixture
def app(make_app, changes):
    return make_app(plugins=[changes])


def editor(client, path: str) -> dict[str, str]:
    return form_fields(client.get(path).get_data(as_text=True), "tree-editor")


def new_tree_fields(client) -> dict[str, str]:
    fields = editor(client, "/trees/new")
    fields.update(
        {
            "tree-title": "My headset is silent",
            "tree-id": "headset-silent",
            "tree-summary": "Get sound back in your headset.",
            "tree-service": "conferencing",
            "tree-category": "Meetings and audio-video",
            "tree-tags": "headset, audio",
            "node-0-text": "Is the headset plugged in?",
            "node-0-label": "Plugged in?",
        }
    )
    return fields


def test_an_author_builds_a_new_tree_in_the_browser_and_a_reviewer_publishes_it(
    app, client, auth, changes
) -> None:
    auth.login("author")
    fields = new_tree_fields(client)
    # add a step through the form (no JavaScript): the page comes back with a blank step
    html = client.post("/trees/new", data={**fields, "action": "add_node"}).get_data(as_text=True)
    fields = form_fields(html, "tree-editor")
    fields.update(
        {
            "node-3-id": "replug",
            "node-3-kind": "action",
            "node-3-label": "Plug it in again",
            "node-3-text": "Unplug the headset and plug it in again.",
            "node-3-article": "meeting-no-audio",
        }
    )
    fields["node-0-edge-1-target"] = "replug"  # "No" now leads to the new step
    html = client.post("/trees/new", data={**fields, "action": "preview"}).get_data(as_text=True)
    assert "<svg" in html and "Plug it in again" in html
    fields = form_fields(html, "tree-editor")
    assert fields["node-3-edge-0-label"] == "It worked"  # actions get their two answers
    fields.update({"node-3-edge-0-target": "fixed", "node-3-edge-1-target": "escalate"})
    response = client.post("/trees/new", data={**fields, "action": "submit", "message": "First"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert changes.trees[-1].id == "headset-silent" and changes.trees[-1].status == "in_review"
    assert client.get("/trees/headset-silent").status_code == 200  # authors see drafts

    auth.logout()
    assert client.get("/trees/headset-silent").status_code == 404  # not published yet
    auth.login("reviewer")
    response = client.post(
        "/trees/headset-silent/workflow/approve",
        data={"csrf_token": csrf_token(client, "/trees/headset-silent/history")},
    )
    assert response.status_code == 302
    assert changes.trees[-1].live and changes.trees[-1].status == "published"
    auth.logout()
    session = start(client, "headset-silent")
    step(client, session, answer="No")
    html = client.get(f"/sessions/{session}").get_data(as_text=True)
    assert "Unplug the headset" in html


def test_problems_are_shown_beside_the_step_and_nothing_is_saved(app, client, auth) -> None:
    auth.login("author")
    fields = new_tree_fields(client)
    fields["node-2-group"] = ""
    fields["node-0-edge-0-label"] = "No"  # now both answers say "No"
    response = client.post("/trees/new", data={**fields, "action": "save"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    first = html.index('id="node-first_question"')
    assert "answer &#39;No&#39; is used twice" in html[first : html.index("</fieldset>", first)]
    escalate = html.index('id="node-escalate"')
    assert "group: name the support group" in html[escalate : html.index("</fieldset>", escalate)]
    assert client.get("/trees/headset-silent").status_code == 404


def test_the_live_preview_returns_the_flowchart_and_the_problems(app, client, auth) -> None:
    auth.login("author")
    fields = new_tree_fields(client)
    fields["node-1-text"] = "Fixed with {nothing}."
    response = client.post(
        "/api/v1/trees/preview",
        data=fields,
        headers={"X-CSRFToken": csrf_token(client, "/trees/new")},
    )
    body = response.get_json()
    assert body["svg"].startswith("<svg") and "Plugged in?" in body["svg"]
    assert {"node": "fixed", "message": "uses {nothing}, which no input node sets"} in body[
        "problems"
    ]


def test_requesters_and_technicians_cannot_edit(app, client, auth) -> None:
    auth.login("technician")
    assert client.get("/trees/new").status_code == 403
    assert client.get("/trees/printer-not-printing/edit").status_code == 403


def test_editing_makes_a_revision_and_a_stale_save_is_a_409_with_both_versions(
    app, client, auth
) -> None:
    auth.login("author")
    mine = editor(client, "/trees/printer-not-printing/edit")
    theirs = dict(mine)
    theirs["tree-summary"] = "Their summary."
    assert client.post("/trees/printer-not-printing/edit", data=theirs).status_code == 302
    mine["tree-summary"] = "My summary."
    response = client.post("/trees/printer-not-printing/edit", data=mine)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "saved a newer version" in html and "Their summary." in html and "My summary." in html
    again = form_fields(html, "tree-editor")
    assert again["tree-summary"] == "My summary."
    assert client.post("/trees/printer-not-printing/edit", data=again).status_code == 302
    history = client.get("/trees/printer-not-printing/history").get_data(as_text=True)
    assert "<td>3" in history and "<td>2" in history
    diff = client.get("/trees/printer-not-printing/diff?from=2&to=3").get_data(as_text=True)
    assert "Their summary." in diff and "My summary." in diff


def test_the_diff_names_changed_steps_and_escapes_html(app, client, auth, tmp_path) -> None:
    import_tree(app, tmp_path / "a", small())
    changed = small()
    changed["nodes"][1]["text"] = "Is it <b>on</b>?"
    import_tree(app, tmp_path / "b", changed)
    auth.login("author")
    html = client.get("/trees/test-printer/diff").get_data(as_text=True)
    assert "Step <code>q_power</code>" in html
    assert "Is it &lt;b&gt;on&lt;/b&gt;?" in html and "<b>on</b>" not in html


def test_restore_brings_back_an_old_revision_as_a_new_one(app, client, auth, tmp_path) -> None:
    import_tree(app, tmp_path / "a", small())
    import_tree(app, tmp_path / "b", small(title="Second title"))
    auth.login("author")
    history = "/trees/test-printer/history"
    page = client.get(history).get_data(as_text=True)
    base = page.split('name="base_revision_id" value="')[1].split('"')[0]
    response = client.post(
        "/trees/test-printer/restore/1",
        data={"csrf_token": csrf_token(client, history), "base_revision_id": base},
    )
    assert response.status_code == 302
    landing = client.get("/trees/test-printer").get_data(as_text=True)
    assert "Restored revision 1" in client.get(history).get_data(as_text=True)
    assert "Second title" in landing  # the live revision stays until it is published


def test_archive_hides_a_tree_and_unarchive_brings_it_back(app, client, auth) -> None:
    auth.login("reviewer")
    history = "/trees/wifi-problems/history"
    client.post(
        "/trees/wifi-problems/workflow/archive", data={"csrf_token": csrf_token(client, history)}
    )
    assert client.get("/trees/wifi-problems/edit").status_code == 409
    auth.logout()
    assert client.get("/trees/wifi-problems").status_code == 404
    auth.login("reviewer")
    client.post(
        "/trees/wifi-problems/workflow/unarchive", data={"csrf_token": csrf_token(client, history)}
    )
    auth.logout()
    assert client.get("/trees/wifi-problems").status_code == 200


def test_only_reviewers_publish_and_archive(app, client, auth) -> None:
    auth.login("author")
    history = "/trees/wifi-problems/history"
    response = client.post(
        "/trees/wifi-problems/workflow/publish", data={"csrf_token": csrf_token(client, history)}
    )
    assert response.status_code in (403, 409)
    assert (
        client.post(
            "/trees/wifi-problems/workflow/archive",
            data={"csrf_token": csrf_token(client, history)},
        ).status_code
        == 403
    )


def test_kb_tree_changed(app, changes, tmp_path) -> None:
    import_tree(app, tmp_path, small())
    snapshot = changes.trees[-1]
    assert snapshot.id == "test-printer" and snapshot.live and snapshot.status == "published"
    assert snapshot.title == "Test printer" and "Is your printer name switched on?" in snapshot.text
    assert snapshot.audience == "public" and snapshot.tags == ["printer"]
