"""The knowledge-centred loop through kb's own queue: a diagnostic escalates, the requester
hands it over, a technician resolves the ticket, and the article shows the resolution."""

from __future__ import annotations

import networkx as nx
from sqlalchemy import select

from kb.articles.revisions import get_article
from kb.escalation.writeback import resolution_log
from kb.extensions import kb_state
from kb.models import Escalation, Ticket
from kb.outbox import dispatch
from tests.conftest import AuthActions, csrf_token
from tests.trees.helpers import Api, answers_along, bundled_tree


def walk_to(client, tree_id: str, kind: str) -> tuple[str, str]:
    """Answer a bundled tree through the API until it ends at a node of ``kind``."""
    graph = bundled_tree(tree_id)
    start = graph.graph["start"]
    target = next(n for n, k in graph.nodes(data="kind") if k == kind)
    path = nx.shortest_path(graph, start, target)
    api = Api(client, f"/trees/{tree_id}")
    token = api.post("/sessions", {"tree": tree_id, "mode": "self_service"}).get_json()["id"]
    for field, value in answers_along(graph, path):
        response = api.post(f"/sessions/{token}/answer", {field: value})
        assert response.status_code == 200, response.get_json()
    return token, target


def test_escalate_from_a_tree_resolve_in_the_queue_and_see_it_on_the_article(make_app):
    app = make_app()
    kb = kb_state(app)
    requester = app.test_client()
    token, node = walk_to(requester, "printer-not-printing", "escalation")
    form_page = requester.get(f"/escalations/new?session={token}").get_data(as_text=True)
    assert "We have written down everything you tried" in form_page
    answers = {f"ask-{i}": "PRN-B2-FL3" for i in range(5)}
    response = requester.post(
        "/escalations/new",
        data={
            "csrf_token": csrf_token(requester, f"/escalations/new?session={token}"),
            "session": token,
            "requester_name": "Robin Diaz",
            "requester_email": "robin@example.org",
            "requester_location": "Annex, floor 3",
            **answers,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with kb.session() as session:
        escalation = session.scalar(select(Escalation))
        graph = bundled_tree("printer-not-printing")
        assert escalation.node_id == node and escalation.tree_id == "printer-not-printing"
        assert escalation.group == graph.nodes[node]["group"]
        assert escalation.transcript_text and escalation.session_token == token
        viewed = list(escalation.articles_viewed)
    dispatch(kb)

    technician = app.test_client()
    AuthActions(technician).login("technician")
    with kb.session() as session:
        ticket_id = session.scalar(select(Ticket.id))
    page = technician.get(f"/queue/{ticket_id}").get_data(as_text=True)
    assert "Robin Diaz" in page and "What was tried" in page
    article = viewed[0] if viewed else "printer-not-printing"
    technician.post(
        f"/queue/{ticket_id}/resolve",
        data={
            "csrf_token": csrf_token(technician, f"/queue/{ticket_id}"),
            "resolution": "Deleted the stuck job from the print server queue.",
            "articles": article,
        },
    )
    with kb.session() as session:
        log = resolution_log(session, get_article(session, article))
        assert log[-1]["resolution"] == "Deleted the stuck job from the print server queue."
    shown = technician.get(f"/articles/{article}").get_data(as_text=True)
    assert "Deleted the stuck job from the print server queue." in shown
    status = requester.get(response.headers["Location"]).get_data(as_text=True)
    assert "Deleted the stuck job" in status


def test_this_didnt_help_hands_over_with_the_default_group(make_app):
    app = make_app()
    client = app.test_client()
    api = Api(client, "/trees/wifi-problems")
    token = api.post("/sessions", {"tree": "wifi-problems"}).get_json()["id"]
    assert api.post(f"/sessions/{token}/didnt-help").status_code == 200
    page = client.get(f"/escalations/new?session={token}").get_data(as_text=True)
    assert "Who is affected?" in page  # no escalation node: the requester says how bad it is
    created = api.post(
        "/escalations",
        {
            "session": token,
            "requester_name": "Sam",
            "requester_phone": "555-0134",
            "impact": "low",
            "urgency": "medium",
        },
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["priority"] == "P4"


def test_a_resolution_with_a_follow_up_schedules_it_for_the_signed_in_person(make_app):
    from kb.models import FollowUp

    app = make_app()
    kb = kb_state(app)
    graph = bundled_tree("printer-not-printing")
    target = next(
        n for n, a in graph.nodes(data=True) if a["kind"] == "resolution" and a.get("followup")
    )
    client = app.test_client()
    AuthActions(client).login("requester")
    path = nx.shortest_path(graph, graph.graph["start"], target)
    api = Api(client, "/trees/printer-not-printing")
    token = api.post("/sessions", {"tree": "printer-not-printing"}).get_json()["id"]
    for field, value in answers_along(graph, path):
        api.post(f"/sessions/{token}/answer", {field: value})
    with kb.session() as session:
        followup = session.scalar(select(FollowUp))
        assert followup.requester_email == "requester@example.org"
        assert followup.session_token == token and followup.tree_id == "printer-not-printing"
        days = float(graph.nodes[target]["followup"]["after_days"])
        assert abs((followup.due_at - followup.created_at).total_seconds() - days * 86400) < 60
