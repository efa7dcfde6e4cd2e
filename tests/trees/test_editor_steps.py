"""The tree editor's steps as an author meets them: renaming a step keeps what pointed at it,
a new question offers two answer rows, an action step offers its two outcomes as fields."""

from __future__ import annotations

import re

from tests.conftest import csrf_token
from tests.trees.helpers import form_fields
from tests.trees.test_authoring import new_tree_fields


def _post(client, fields: dict[str, str], action: str):
    return client.post("/trees/new", data={**fields, "action": action})


def _round_trip(client, fields: dict[str, str], action: str = "preview") -> tuple[str, dict]:
    html = _post(client, fields, action).get_data(as_text=True)
    return html, form_fields(html, "tree-editor")


def _saved_fields(client, tree_id: str) -> dict[str, str]:
    return form_fields(client.get(f"/trees/{tree_id}/edit").get_data(as_text=True), "tree-editor")


def test_renaming_the_first_step_keeps_it_the_first_step(app, client, auth) -> None:
    auth.login("author")
    fields = new_tree_fields(client)
    assert fields["tree-start"] == "first_question"
    fields["node-0-id"] = "plugged_in"
    html, again = _round_trip(client, fields)
    assert again["tree-start"] == "plugged_in"
    assert '<option value="plugged_in" selected>' in html
    assert 'id="problems"' not in html
    response = _post(client, again, "save")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _saved_fields(client, "headset-silent")["tree-start"] == "plugged_in"


def test_renaming_a_step_carries_every_leads_to_that_named_it(app, client, auth) -> None:
    auth.login("author")
    fields = new_tree_fields(client)
    assert fields["node-0-edge-0-target"] == "fixed"
    fields["node-1-id"] = "sound_back"  # the target of the question's "Yes"
    response = _post(client, fields, "save")  # straight to save: no preview in between
    assert response.status_code == 302, response.get_data(as_text=True)
    saved = _saved_fields(client, "headset-silent")
    assert saved["node-0-edge-0-label"] == "Yes"
    assert saved["node-0-edge-0-target"] == "sound_back"


def test_the_live_preview_follows_a_rename_too(app, client, auth) -> None:
    auth.login("author")
    fields = new_tree_fields(client)
    fields["node-0-id"] = "plugged_in"
    fields["node-2-id"] = "call_the_desk"  # the target of "No"
    body = client.post(
        "/api/v1/trees/preview",
        data=fields,
        headers={"X-CSRFToken": csrf_token(client, "/trees/new")},
    ).get_json()
    assert body["problems"] == []


def test_two_steps_renamed_to_one_id_are_reported_not_merged(app, client, auth) -> None:
    auth.login("author")
    fields = new_tree_fields(client)
    fields["node-1-id"] = "escalate"  # the escalation already has this id
    html, _ = _round_trip(client, fields, "save")
    assert "id: two nodes have this id" in html


def test_a_new_question_shows_two_empty_answer_rows_without_javascript(app, client, auth) -> None:
    auth.login("author")
    _, fields = _round_trip(client, new_tree_fields(client), "add_node")
    new = [k for k in fields if re.fullmatch(r"node-3-edge-\d+-label", k)]
    assert len(new) == 2
    assert all(fields[k] == "" for k in new)
    assert fields["node-3-kind"] == "question"
    # a question that has its two answers offers one spare row for a third
    assert [k for k in fields if re.fullmatch(r"node-0-edge-\d+-label", k)] == [
        "node-0-edge-0-label",
        "node-0-edge-1-label",
        "node-0-edge-2-label",
    ]


def test_a_new_step_gets_an_id_no_other_step_has(app, client, auth) -> None:
    auth.login("author")
    fields = new_tree_fields(client)
    fields["node-2-id"] = "step_4"
    _, fields = _round_trip(client, fields, "add_node")
    assert fields["node-3-id"] != "step_4"


def test_an_action_step_offers_its_two_outcomes_as_labelled_fields(app, client, auth) -> None:
    auth.login("author")
    _, fields = _round_trip(client, new_tree_fields(client), "add_node")
    fields.update(
        {
            "node-3-id": "replug",
            "node-3-kind": "action",
            "node-3-label": "Plug it in again",
            "node-3-text": "Unplug the headset and plug it in again.",
            "node-0-edge-1-target": "replug",
        }
    )
    html, fields = _round_trip(client, fields)
    start = html.index('id="node-replug"')
    replug = html[start : html.index("</fieldset>", start)]
    assert 'type="text" name="node-3-edge' not in replug  # no free text to get exactly right
    assert "If “It worked”, go to</label>" in replug
    assert "If “It didn&#39;t work”, go to</label>" in replug
    assert "an action step has exactly two outcomes" in replug  # not chosen yet
    assert "a action" not in html
    fields.update({"node-3-edge-0-target": "fixed", "node-3-edge-1-target": "escalate"})
    response = _post(client, fields, "save")
    assert response.status_code == 302, response.get_data(as_text=True)
    saved = _saved_fields(client, "headset-silent")
    assert (saved["node-3-edge-0-label"], saved["node-3-edge-0-target"]) == ("It worked", "fixed")
    assert (saved["node-3-edge-1-label"], saved["node-3-edge-1-target"]) == (
        "It didn't work",
        "escalate",
    )


def test_a_question_turned_into_an_action_keeps_its_rows_and_gets_the_outcomes(
    app, client, auth
) -> None:
    auth.login("author")
    fields = new_tree_fields(client)
    fields["node-0-kind"] = "action"  # its rows still say "Yes" and "No"
    html, fields = _round_trip(client, fields)
    labels = [fields[k] for k in sorted(fields) if re.fullmatch(r"node-0-edge-\d+-label", k)]
    assert labels == ["It worked", "It didn't work", "Yes", "No"]
    assert "an action step has exactly two outcomes" in html
