"""A resolution asks "Did this fix it?": a confirmed fix, a workaround that says what is still
broken, and "Still not fixed" going on to the step the tree names or to an escalation filled in
from the session; through the pages and their JSON twins."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kb import hookimpl
from kb.extensions import kb_state
from kb.models import Escalation, FollowUp, TreeSession
from kb.trees.graph import graph_from_data
from kb.trees.store import get_tree, revision_graph
from kb.trees.validate import validate_tree
from tests.conftest import csrf_token
from tests.trees.helpers import Api, bundled_tree, form_fields, import_tree, start, step
from tests.trees.trees import node, small


class Escalations:
    def __init__(self) -> None:
        self.sessions: list = []

    @hookimpl
    def kb_session_escalated(self, kb, session):
        self.sessions.append(session)


@pytest.fixture
def recorder():
    return Escalations()


def workaround_tree() -> dict:
    """test-printer whose only ending is a workaround (the switch is loose)."""
    data = small()
    node(data, "res_fixed").update(
        workaround=True, remains="The power switch on {printer} is loose."
    )
    return data


@pytest.fixture
def app(make_app, tmp_path, recorder):
    application = make_app(plugins=[recorder])
    import_tree(application, tmp_path / "a", workaround_tree())
    onward = small(id="test-onward", title="Test onward")
    onward["nodes"].append(
        {"id": "res_on", "kind": "resolution", "label": "Powered", "text": "It is on now."}
    )
    onward["edges"] = [
        e if e["target"] != "res_fixed" or e["source"] != "a_power" else {**e, "target": "res_on"}
        for e in onward["edges"]
    ]
    node(onward, "res_on")["not_fixed_next"] = "c_ping"
    import_tree(application, tmp_path / "b", onward)
    return application


def page(client, token) -> str:
    return client.get(f"/sessions/{token}").get_data(as_text=True)


def to_the_ending(client, tree="test-printer") -> str:
    token = start(client, tree)
    step(client, token, value="HP")
    step(client, token, answer="No")
    step(client, token, answer="It worked")
    return token


def stored(app, token) -> TreeSession:
    with app.app_context(), kb_state(app).session() as session:
        ds = session.scalar(select(TreeSession).where(TreeSession.token == token))
        session.expunge(ds)
        return ds


def test_a_workaround_says_what_remains_and_a_yes_is_not_a_fix(app, client) -> None:
    token = to_the_ending(client)
    html = page(client, token)
    assert "Did this fix it?" in html and "Still not fixed" in html
    assert "Workaround" in html and "The power switch on HP is loose." in html
    assert stored(app, token).outcome == "unconfirmed"
    step(client, token, action="fixed")
    html = page(client, token)
    assert "Working again, with a workaround" in html and "Still not fixed" in html
    assert stored(app, token).outcome == "workaround"
    again = step(client, token, action="fixed")
    assert again.status_code == 409 and "already answered" in again.get_data(as_text=True)


def test_still_not_fixed_escalates_with_the_whole_session_prefilled(app, client, recorder):
    token = to_the_ending(client)
    response = step(client, token, action="not_fixed", notes="Still dead after a minute")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/escalations/new?session={token}")
    ds = stored(app, token)
    assert (ds.status, ds.end_reason, ds.outcome) == ("escalated", "not_fixed", "not_fixed")
    (snapshot,) = recorder.sessions
    assert snapshot.end_reason == "not_fixed" and snapshot.node_id == "res_fixed"
    assert "Did this fix it? Still not fixed" in snapshot.transcript_text
    assert "still to fix: The power switch on HP is loose." in snapshot.transcript_text
    form = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Still dead after a minute" in form
    # the requester only says who they are and how bad it is: nothing retyped
    posted = client.post(
        "/escalations/new",
        data={
            "csrf_token": csrf_token(client, response.headers["Location"]),
            "session": token,
            "requester_name": "Robin Diaz",
            "requester_email": "robin@example.org",
            "impact": "low",
            "urgency": "medium",
        },
    )
    assert posted.status_code == 302, posted.get_data(as_text=True)
    with app.app_context(), kb_state(app).session() as session:
        escalation = session.scalar(select(Escalation))
        assert escalation.session_token == token and escalation.node_id == "res_fixed"
        assert "Still not fixed" in escalation.transcript_text
        assert escalation.summary == "Test printer: still not fixed after 'Fixed'"
    assert "Sorry this didn't fix it" in page(client, token)


def test_still_not_fixed_cancels_the_follow_up_the_ending_scheduled(app, client, auth):
    auth.login("requester")  # follow-ups are scheduled for signed-in people
    token = to_the_ending(client, "test-onward")  # res_on has no follow-up: go the long way
    step(client, token, action="not_fixed")  # on to c_ping, answered by hand: pass
    step(client, token, answer="Yes")  # the check passes -> res_fixed: a follow-up in 2 days
    with app.app_context(), kb_state(app).session() as session:
        (followup,) = session.scalars(select(FollowUp).where(FollowUp.session_token == token))
        assert followup.status == "scheduled"
    step(client, token, action="not_fixed")
    with app.app_context(), kb_state(app).session() as session:
        (followup,) = session.scalars(select(FollowUp).where(FollowUp.session_token == token))
        assert followup.status == "cancelled"


def test_still_not_fixed_goes_on_where_the_tree_names_a_better_branch(app, client):
    token = start(client, "test-onward")
    step(client, token, value="HP")
    step(client, token, answer="No")
    step(client, token, answer="It worked")
    html = page(client, token)
    assert "goes on to the next thing to try" in html
    assert step(client, token, action="not_fixed").status_code == 302
    html = page(client, token)
    assert "Can you open the print server page?" in html
    assert 'value="back"' not in html  # the earlier answers stand: no Back past the ending
    assert step(client, token, action="back").status_code == 409
    ds = stored(app, token)
    assert (ds.status, ds.outcome, ds.current_node) == ("active", "not_fixed", "c_ping")
    step(client, token, answer="Yes")
    assert "It prints again." in page(client, token)
    assert stored(app, token).outcome == "unconfirmed"


def test_the_json_twins_confirm_and_refuse(app, client) -> None:
    api = Api(client, "/trees/test-printer")
    body = api.post("/sessions", {"tree": "test-printer"}).get_json()
    token = body["id"]
    assert body["outcome"] == ""
    early = api.post(f"/sessions/{token}/fixed")
    assert early.status_code == 409 and "ended with a fix" in early.get_json()["message"]
    for move in ({"value": "HP"}, {"answer": "No"}, {"answer": "It worked"}):
        body = api.post(f"/sessions/{token}/answer", move).get_json()
    assert body["status"] == "resolved" and body["outcome"] == "unconfirmed"
    terminal = body["node"]["terminal"]
    assert terminal["workaround"] is True and terminal["if_not_fixed"] == "escalate"
    assert terminal["remains"] == "The power switch on HP is loose."
    body = api.post(f"/sessions/{token}/not-fixed", {"notes": "no"}).get_json()
    assert body["status"] == "escalated" and body["end_reason"] == "not_fixed"
    assert body["escalation_url"] == f"/escalations/new?session={token}"
    assert api.post(f"/sessions/{token}/not-fixed").status_code == 409
    bad = api.post(f"/sessions/{token}/not-fixed", {"notes": ["a"]})
    assert bad.status_code in (400, 422)


def test_a_plain_fix_confirmed_is_fixed(app, client) -> None:
    api = Api(client, "/trees/test-onward")
    token = api.post("/sessions", {"tree": "test-onward"}).get_json()["id"]
    for move in ({"value": "HP"}, {"answer": "Yes"}, {"answer": "Yes"}):
        api.post(f"/sessions/{token}/answer", move)
    body = api.post(f"/sessions/{token}/fixed").get_json()
    assert body["outcome"] == "fixed"
    html = page(client, token)
    assert "<h1>Fixed</h1>" in html and "Did this fix it?" not in html


def problems(data: dict) -> list[str]:
    return [str(p) for p in validate_tree(graph_from_data(data)).problems]


def test_validation_of_workarounds_and_not_fixed_next() -> None:
    data = small()
    node(data, "res_fixed")["workaround"] = True
    assert "node res_fixed: remains: a workaround must say what still needs fixing" in problems(
        data
    )
    node(data, "res_fixed").update(workaround="yes", remains="x")
    found = problems(data)
    assert "node res_fixed: workaround: must be true or false" in found
    assert any("remains: only a workaround" in p for p in found)
    data = small()
    node(data, "q_power")["not_fixed_next"] = "c_ping"
    assert "node q_power: not_fixed_next: only a resolution can say this" in problems(data)
    data = small()
    node(data, "res_fixed")["not_fixed_next"] = "nowhere"
    assert "node res_fixed: not_fixed_next: there is no node 'nowhere'" in problems(data)
    node(data, "res_fixed")["not_fixed_next"] = "res_fixed"
    assert any("must name another step" in p for p in problems(data))
    node(data, "res_fixed")["not_fixed_next"] = "q_power"  # q_power leads back to res_fixed
    assert any("can lead back to this ending" in p for p in problems(data))
    node(data, "res_fixed")["not_fixed_next"] = "esc_desk"
    assert problems(data) == []


def test_a_step_reached_only_after_still_not_fixed_is_reachable() -> None:
    data = small()
    data["nodes"].append(
        {"id": "esc_power", "kind": "escalation", "label": "Power",
         "text": "Facilities for {printer}.", "group": "desktop-support", "impact": "low",
         "urgency": "low"}
    )  # fmt: skip
    assert any("cannot be reached" in p for p in problems(data))
    node(data, "res_fixed")["not_fixed_next"] = "esc_power"
    assert problems(data) == []


def test_the_bundled_workaround_endings_are_marked() -> None:
    vpn = bundled_tree("vpn-cannot-connect").nodes["res_network"]
    assert vpn["workaround"] is True and "still blocks the VPN" in vpn["remains"]
    lockout = bundled_tree("locked-out-password").nodes["res_unlocked"]
    assert lockout["workaround"] is True and "keeps locking" in lockout["remains"]
    wifi = bundled_tree("wifi-problems")
    assert wifi.nodes["res_wifi_on"]["not_fixed_next"] == "q_others"
    assert wifi.nodes["res_move"]["workaround"] is True
    for tree in ("vpn-cannot-connect", "locked-out-password", "wifi-problems"):
        assert validate_tree(bundled_tree(tree)).ok, tree


def test_the_editor_keeps_and_edits_the_markings(app, client, auth) -> None:
    auth.login("author")
    path = "/trees/vpn-cannot-connect/edit"
    fields = form_fields(client.get(path).get_data(as_text=True), "tree-editor")
    i = next(k.split("-")[1] for k, v in fields.items() if k.endswith("-id") and v == "res_network")
    assert fields[f"node-{i}-workaround"] == "yes"
    fields[f"node-{i}-not_fixed_next"] = "res_network"
    response = client.post(path, data=fields)
    assert response.status_code == 422
    assert "must name another step" in response.get_data(as_text=True)
    fields[f"node-{i}-not_fixed_next"] = ""
    fields[f"node-{i}-remains"] = "The hotel network blocks the VPN."
    assert client.post(path, data=fields).status_code == 302
    with app.app_context(), kb_state(app).session() as session:
        graph = revision_graph(get_tree(session, "vpn-cannot-connect").head_revision)
    assert graph.nodes["res_network"]["workaround"] is True
    assert graph.nodes["res_network"]["remains"] == "The hotel network blocks the VPN."
    assert "not_fixed_next" not in graph.nodes["res_network"]
