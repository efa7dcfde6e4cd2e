"""Nobody is asked twice: a question a typed value (or the account) answers is skipped and
says so, a later input with the same variable is prefilled, and the escalation form shows what
is known instead of asking for it again."""

from __future__ import annotations

import copy
import re

import pytest
from sqlalchemy import select

from kb.extensions import kb_state
from kb.models import Escalation, User
from kb.trees.graph import graph_from_data
from kb.trees.validate import validate_tree
from tests.trees.helpers import Api, import_tree, start, step

PHONE = {
    "directed": True,
    "multigraph": False,
    "graph": {"id": "test-phone", "title": "Test phone", "summary": "Phones, for tests.",
              "service": "mobile", "category": "Mobile devices", "audience": "public",
              "start": "in_model", "version": 1, "tags": []},
    "nodes": [
        {"id": "in_model", "kind": "input", "label": "Phone model", "var": "phone_model",
         "text": "Which phone do you have?", "input_type": "text"},
        {"id": "q_os", "kind": "question", "label": "iPhone or Android?",
         "text": "Is your {phone_model} an iPhone or an Android phone?",
         "answered_by": {"variable": "phone_model",
                         "answers": {"iPhone": "iPhone", "Galaxy": "Android"}}},
        {"id": "in_exact", "kind": "input", "label": "Exact model", "var": "phone_model",
         "text": "Which model exactly, with its storage size?", "input_type": "text"},
        {"id": "esc_store", "kind": "escalation", "label": "Mobile team",
         "text": "The mobile team will help.", "group": "desktop-support", "impact": "low",
         "urgency": "low", "ask": ["Phone make and model", "When it started"],
         "ask_answered_by": {"Phone make and model": "phone_model"}},
        {"id": "res_android", "kind": "resolution", "label": "Android", "text": "Use the app."},
    ],
    "edges": [
        {"source": "in_model", "target": "q_os"},
        {"source": "q_os", "target": "in_exact", "answer": "iPhone"},
        {"source": "q_os", "target": "res_android", "answer": "Android"},
        {"source": "in_exact", "target": "esc_store"},
    ],
}  # fmt: skip

WHERE = {
    "directed": True,
    "multigraph": False,
    "graph": {"id": "test-where", "title": "Test where", "summary": "Where, for tests.",
              "service": "wifi", "category": "Network and remote access",
              "audience": "public", "start": "q_where", "version": 1, "tags": []},
    "nodes": [
        {"id": "q_where", "kind": "question", "label": "Where are you?",
         "text": "Are you at home or in the office?",
         "answered_by": {"variable": "location",
                         "answers": {"home": "At home", "City Hall": "In the office"}}},
        {"id": "in_room", "kind": "input", "label": "Room", "var": "location",
         "text": "Which room are you in?", "input_type": "text"},
        {"id": "res_home", "kind": "resolution", "label": "Home", "text": "Use the VPN."},
        {"id": "esc_desk", "kind": "escalation", "label": "Desk", "text": "The desk will call.",
         "group": "service-desk", "impact": "low", "urgency": "low"},
    ],
    "edges": [
        {"source": "q_where", "target": "res_home", "answer": "At home"},
        {"source": "q_where", "target": "in_room", "answer": "In the office"},
        {"source": "in_room", "target": "esc_desk"},
    ],
}  # fmt: skip


@pytest.fixture
def app(make_app, tmp_path):
    application = make_app()
    import_tree(application, tmp_path / "phone", PHONE)
    import_tree(application, tmp_path / "where", WHERE)
    return application


def page(client, token: str) -> str:
    return client.get(f"/sessions/{token}").get_data(as_text=True)


def value_of(html: str) -> str | None:
    found = re.search(r'<input id="value" name="value" type="text"[^>]*?value="([^"]*)"', html)
    return found.group(1) if found else None


def test_a_question_a_typed_value_answers_is_skipped_and_says_so(client) -> None:
    token = start(client, "test-phone")
    assert step(client, token, value="my iPhone 15").status_code == 302
    html = page(client, token)
    assert "Which model exactly" in html
    assert "Is your my iPhone 15 an iPhone" in html  # named among the answers given for you
    assert "Answered from what you told us: my iPhone 15 (so: iPhone)" in html
    assert value_of(html) == "my iPhone 15"  # the same variable: prefilled, editable
    transcript = client.get(f"/sessions/{token}/transcript").get_data(as_text=True)
    assert "Answered from what you told us: my iPhone 15 (so: iPhone)" in transcript


def test_back_returns_to_the_question_that_was_answered_for_you(client) -> None:
    token = start(client, "test-phone")
    step(client, token, value="iPhone 15")
    assert step(client, token, action="back").status_code == 302
    html = page(client, token)
    assert "Is your iPhone 15 an iPhone or an Android phone?" in html
    assert 'value="Android"' in html and "Answered from" not in html
    step(client, token, answer="Android")
    assert "Use the app." in page(client, token)


@pytest.mark.parametrize("model", ["Nokia 3310", "iPhone or Galaxy, not sure"])
def test_a_value_that_maps_to_no_single_answer_leaves_the_question_asked(client, model) -> None:
    token = start(client, "test-phone")
    step(client, token, value=model)
    html = page(client, token)
    assert f"Is your {model} an iPhone or an Android phone?" in html
    assert 'name="answer" value="iPhone"' in html


def test_the_api_shows_a_known_value_as_the_inputs_default(client) -> None:
    api = Api(client, "/trees/test-phone")
    body = api.post("/sessions", {"tree": "test-phone"}).get_json()
    body = api.post(f"/sessions/{body['id']}/answer", {"value": "Galaxy S23"}).get_json()
    assert (body["status"], body["node"]["id"]) == ("resolved", "res_android")
    full = api.get(f"/sessions/{body['id']}").get_json()
    assert full["path"] == ["in_model", "q_os", "res_android"]
    answered = [e for e in full["transcript"] if e["node"] == "q_os"]
    said = "Answered from what you told us: Galaxy S23 (so: Android)"
    assert answered[0]["answered_from"] == said


def test_the_escalation_form_shows_what_is_known_and_sends_it(app, client) -> None:
    token = start(client, "test-phone")
    step(client, token, value="iPhone 15")
    step(client, token, value="iPhone 15 Pro 256 GB")
    form = client.get(f"/escalations/new?session={token}").get_data(as_text=True)
    known, _, rest = form.partition("What we already know")[2].partition("The team will need")
    assert 'value="iPhone 15 Pro 256 GB"' in known and "Phone make and model" in known
    assert "When it started" in rest and "Phone make and model" not in rest
    api = Api(client, f"/escalations/new?session={token}")
    response = api.post(
        "/escalations",
        {"session": token, "requester_name": "Sam", "requester_email": "sam@example.org",
         "impact": "low", "urgency": "low", "ask-1": "this morning"},
    )  # fmt: skip
    assert response.status_code == 201, response.get_json()
    with app.app_context(), kb_state(app).session() as session:
        escalation = session.scalar(select(Escalation))
        assert escalation.answers_to_ask == {
            "Phone make and model": "iPhone 15 Pro 256 GB",
            "When it started": "this morning",
        }


def test_the_account_answers_a_question_and_prefills_an_input(app, client, auth) -> None:
    with app.app_context(), kb_state(app).session() as session:
        for email in ("requester@example.org", "technician@example.org"):
            user = session.scalar(select(User).where(User.email == email))
            user.location = "City Hall, floor 2"
        session.commit()
    auth.login("requester")
    token = start(client, "test-where")
    html = page(client, token)
    assert "Which room are you in?" in html
    assert "Answered from your account: City Hall, floor 2 (so: In the office)" in html
    assert value_of(html) == "City Hall, floor 2"
    step(client, token, value="Room 204")
    form = client.get(f"/escalations/new?session={token}").get_data(as_text=True)
    assert 'value="Room 204"' in form  # the session's value wins over the account's
    auth.logout()
    auth.login("technician")  # a technician's account says nothing about the caller
    token = start(client, "test-where", "technician")
    html = page(client, token)
    assert "Are you at home or in the office?" in html and value_of(html) is None


def graph_with(change) -> object:
    data = copy.deepcopy(PHONE)
    change({n["id"]: n for n in data["nodes"]}, data)
    return graph_from_data(data)


def problems(graph) -> list[str]:
    return [str(p) for p in validate_tree(graph).problems]


def test_the_bundled_style_tree_with_known_values_is_valid() -> None:
    assert problems(graph_with(lambda nodes, data: None)) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda n, d: n["q_os"]["answered_by"]["answers"].update(Nokia="Windows"),
            "node q_os: answered_by answers: 'Nokia' leads to 'Windows', which is not one of "
            "this question's answers",
        ),
        (
            lambda n, d: n["q_os"]["answered_by"].update(variable="device_os"),
            "node q_os: answered_by: no input node sets 'device_os'",
        ),
        (
            lambda n, d: n["in_exact"].update(answered_by={"variable": "phone_model",
                                                           "answers": {"x": "y"}}),
            "node in_exact: answered_by: only a question can be answered from a known value",
        ),
        (
            lambda n, d: n["esc_store"]["ask_answered_by"].update({"Serial number": "serial"}),
            "node esc_store: ask_answered_by: 'Serial number' is not one of this step's ask",
        ),
        (
            lambda n, d: n["esc_store"].update(article_section="Not An Anchor"),
            "node esc_store: article_section: the id of a heading in the article",
        ),
    ],
)  # fmt: skip
def test_known_value_rules_that_cannot_work_are_refused(change, expected) -> None:
    found = problems(graph_with(change))
    assert any(p.startswith(expected) for p in found), found


def test_a_variable_not_typed_on_every_path_before_the_question_is_refused() -> None:
    def skip_the_input(nodes, data) -> None:
        data["graph"]["start"] = "q_first"
        nodes["q_first"] = {"id": "q_first", "kind": "question", "label": "First?",
                            "text": "Do you know your model?"}  # fmt: skip
        data["nodes"].append(nodes["q_first"])
        data["edges"] += [
            {"source": "q_first", "target": "in_model", "answer": "Yes"},
            {"source": "q_first", "target": "q_os", "answer": "No"},
        ]

    found = problems(graph_with(skip_the_input))
    assert (
        "node q_os: answered_by: 'phone_model' is not set on every path that reaches this step"
        in found
    )


def test_an_account_field_may_answer_without_an_input() -> None:
    assert problems(graph_from_data(WHERE)) == []
