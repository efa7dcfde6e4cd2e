"""The JSON twins: list, tree, start, answer, back, state; errors are 4xx with a message."""

from __future__ import annotations

import pytest

from tests.trees.helpers import Api, import_tree
from tests.trees.trees import small


@pytest.fixture
def app(make_app, tmp_path):
    application = make_app()
    import_tree(application, tmp_path / "trees", small())
    return application


@pytest.fixture
def api(client):
    return Api(client, "/trees/test-printer")


def test_list_and_get_a_tree_as_node_link_json(api) -> None:
    items = api.get("/trees").get_json()["items"]
    ids = {item["id"] for item in items}
    assert {"test-printer", "printer-not-printing"} <= ids
    assert "new-hire-provisioning" not in ids
    data = api.get("/trees/test-printer").get_json()
    assert data["directed"] is True and data["graph"]["start"] == "ask_name"
    assert {"source": "ask_name", "target": "q_power"} in data["edges"]


def test_start_answer_back_and_read_a_session(api) -> None:
    response = api.post("/sessions", {"tree": "test-printer", "mode": "self_service"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["node"]["kind"] == "input"
    assert body["node"]["input"] == {"var": "printer", "type": "text", "max_length": 40}
    token = body["id"]
    body = api.post(f"/sessions/{token}/answer", {"value": "HP"}).get_json()
    assert body["node"] == {
        "id": "q_power",
        "kind": "question",
        "label": "Powered on?",
        "text": "Is HP switched on?",
        "answers": ["Yes", "No"],
    }
    body = api.post(f"/sessions/{token}/answer", {"answer": "No"}).get_json()
    assert body["node"]["article"] == "printer-not-printing"
    assert body["node"]["answers"] == ["It worked", "It didn't work"]
    body = api.post(f"/sessions/{token}/back").get_json()
    assert body["node"]["id"] == "q_power"
    state = api.get(f"/sessions/{token}").get_json()
    assert state["status"] == "active" and state["path"] == ["ask_name", "q_power"]
    assert [e["node"] for e in state["transcript"]] == ["ask_name"]
    assert "Answer: HP" in state["transcript_text"]


@pytest.mark.parametrize(
    ("moves", "status", "message"),
    [
        ([{"answer": "Perhaps"}], 422, "Unknown answer"),
        ([{"value": ""}], 422, "Please give an answer"),
        ([{"value": ["a", "list"]}], 422, "as text"),
        ([{"value": "HP"}, {"answer": 3}], 422, "answer must be text"),
    ],
)
def test_bad_answers_are_4xx_with_a_message(api, moves, status, message) -> None:
    token = api.post("/sessions", {"tree": "test-printer"}).get_json()["id"]
    if moves[0] == {"answer": "Perhaps"}:
        api.post(f"/sessions/{token}/answer", {"value": "HP"})
    for move in moves[:-1]:
        api.post(f"/sessions/{token}/answer", move)
    response = api.post(f"/sessions/{token}/answer", moves[-1])
    assert response.status_code == status
    assert message in response.get_json()["message"]


def test_a_finished_session_refuses_answers_and_back(api) -> None:
    token = api.post("/sessions", {"tree": "test-printer"}).get_json()["id"]
    assert api.post(f"/sessions/{token}/abandon").get_json()["status"] == "abandoned"
    for path in ("answer", "back", "didnt-help"):
        response = api.post(f"/sessions/{token}/{path}", {"answer": "Yes"})
        assert response.status_code == 409
        assert "already ended" in response.get_json()["message"]


def test_back_on_the_first_step_is_a_conflict(api) -> None:
    token = api.post("/sessions", {"tree": "test-printer"}).get_json()["id"]
    response = api.post(f"/sessions/{token}/back")
    assert response.status_code == 409 and "first step" in response.get_json()["message"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 422),
        ({"tree": "no-such-tree"}, 404),
        ({"tree": "new-hire-provisioning"}, 404),
        ({"tree": "test-printer", "mode": "technician"}, 403),
        ({"tree": "test-printer", "mode": "wizard"}, 422),
    ],
)
def test_starting_errors(api, body, status) -> None:
    response = api.post("/sessions", body)
    assert response.status_code == status and response.get_json()["message"]


def test_number_and_choice_inputs_are_validated(app, client, tmp_path) -> None:
    data = small(id="numbers")
    data["nodes"][0].update(input_type="number", min=1, max=10)
    data["nodes"][0].pop("max_length")
    import_tree(app, tmp_path / "numbers", data)
    api = Api(client, "/trees/numbers")
    token = api.post("/sessions", {"tree": "numbers"}).get_json()["id"]
    assert api.post(f"/sessions/{token}/answer", {"value": "eleven"}).status_code == 422
    assert api.post(f"/sessions/{token}/answer", {"value": 11}).status_code == 422
    body = api.post(f"/sessions/{token}/answer", {"value": "7"}).get_json()
    assert body["node"]["text"] == "Is 7 switched on?"
    choice = small(id="choices")
    choice["nodes"][0].update(input_type="choice", choices=["HP", "Canon"])
    choice["nodes"][0].pop("max_length")
    import_tree(app, tmp_path / "choices", choice)
    token = api.post("/sessions", {"tree": "choices"}).get_json()["id"]
    response = api.post(f"/sessions/{token}/answer", {"value": "Epson"})
    assert (
        response.status_code == 422 and "Pick one of: HP, Canon" in response.get_json()["message"]
    )
    assert api.post(f"/sessions/{token}/answer", {"value": "Canon"}).status_code == 200


def test_a_technician_walks_with_a_bearer_token(app, client, db) -> None:
    from kb.auth.users import create_token, find_user

    token = create_token(db, find_user(db, "technician@example.org"), "test")
    db.commit()
    headers = {"Authorization": f"Bearer {token}"}
    response = client.post(
        "/api/v1/sessions", json={"tree": "suspected-outage-triage"}, headers=headers
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["mode"] == "technician" and body["node"]["kind"] == "input"


def test_the_transcript_text_is_on_the_sites_clock(make_app, tmp_path) -> None:
    application = make_app(TIMEZONE="Asia/Tokyo")
    import_tree(application, tmp_path / "trees", small())
    api = Api(application.test_client(), "/trees/test-printer")
    token = api.post("/sessions", {"tree": "test-printer", "mode": "self_service"}).get_json()["id"]
    text = api.get(f"/sessions/{token}").get_json()["transcript_text"]
    assert " JST; status: active" in text and "UTC" not in text
