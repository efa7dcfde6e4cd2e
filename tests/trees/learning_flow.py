"""Escalations made and resolved the way people do it: a requester walks a diagnostic to an
escalation step (or says "This didn't help"), hands it over, and a technician resolves the
ticket in kb's queue. Shared by the learning tests and the browser test."""

from __future__ import annotations

import networkx as nx
from sqlalchemy import select

from kb.extensions import kb_state
from kb.models import Escalation, Ticket
from kb.outbox import dispatch
from tests.conftest import AuthActions, csrf_token
from tests.trees.helpers import Api, answers_along, bundled_tree

TREE = "printer-not-printing"


def escalate_and_resolve(
    app,
    node: str,
    resolution: str,
    articles: list[str] | None = None,
    didnt_help: bool = False,
    tree_id: str = TREE,
    not_fixed: bool = False,
    followup_days: str = "",
) -> str:
    """Walk ``tree_id`` to ``node`` through the API (there: "This didn't help" or, at an
    ending, "Still not fixed" when asked),
    escalate, deliver the ticket, resolve it as the technician; the escalation's public id."""
    kb = kb_state(app)
    graph = bundled_tree(tree_id)
    requester = app.test_client()
    api = Api(requester, f"/trees/{tree_id}")
    token = api.post("/sessions", {"tree": tree_id, "mode": "self_service"}).get_json()["id"]
    for field, value in answers_along(graph, nx.shortest_path(graph, graph.graph["start"], node)):
        assert api.post(f"/sessions/{token}/answer", {field: value}).status_code == 200
    if didnt_help:
        assert api.post(f"/sessions/{token}/didnt-help").status_code == 200
    if not_fixed:
        assert api.post(f"/sessions/{token}/not-fixed").status_code == 200
    created = api.post(
        "/escalations",
        {
            "session": token,
            "requester_name": "Robin Diaz",
            "requester_email": "robin@example.org",
            "impact": "low",
            "urgency": "medium",
        },
    )
    assert created.status_code == 201, created.get_json()
    public_id = created.get_json()["id"]
    dispatch(kb)
    with kb.session() as session:
        ticket_id = session.scalar(
            select(Ticket.id).join(Escalation).where(Escalation.public_id == public_id)
        )
    technician = app.test_client()
    AuthActions(technician).login("technician")
    response = technician.post(
        f"/queue/{ticket_id}/resolve",
        data={
            "csrf_token": csrf_token(technician, f"/queue/{ticket_id}"),
            "resolution": resolution,
            "articles": articles or [],
            "followup_days": followup_days,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return public_id
