"""JSON twins of the troubleshooting pages under /api/v1. Errors are JSON with a message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, jsonify
from flask_login import current_user
from sqlalchemy.orm import Session

from kb.api.docs import ANY_OBJECT, INTEGER, STRING, api_doc, array, obj
from kb.db import get_db
from kb.errors import NotFound
from kb.models import Tree, TreeSession
from kb.outages.notices import notice_for_service
from kb.schemas import from_json
from kb.trees import catalog, engine
from kb.trees.graph import graph_to_data
from kb.trees.projection import for_viewer
from kb.trees.schemas import SessionAnswer, SessionNotes, SessionStart
from kb.trees.store import get_tree, revision_graph
from kb.trees.transcript import entries, last_check, path_nodes, transcript_text
from kb.trees.web import check_runner, current_step, draft_revision, groups, visible_tree

bp = Blueprint("trees_api", __name__, url_prefix="/api/v1")

TREE = obj(
    {
        "id": STRING,
        "title": STRING,
        "summary": STRING,
        "service": STRING,
        "category": STRING,
        "audience": STRING,
        "tags": array(STRING),
        "status": STRING,
        "revision": {"type": ["integer", "null"]},
        "url": STRING,
    },
    required=["id", "title", "url"],
)
SESSION = obj(
    {
        "id": STRING,
        "tree": STRING,
        "revision": INTEGER,
        "mode": STRING,
        "status": STRING,
        "outcome": STRING,
        "node": ANY_OBJECT,
        "url": STRING,
    },
    required=["id", "tree", "revision", "mode", "status", "outcome", "node", "url"],
)


def tree_summary(tree: Tree) -> dict[str, Any]:
    return {
        "id": tree.id,
        "title": tree.title,
        "summary": tree.summary,
        "service": tree.service,
        "category": tree.category,
        "audience": tree.audience,
        "tags": list(tree.tags or []),
        "status": tree.status,
        "revision": tree.published_revision.number if tree.published_revision else None,
        "url": f"/trees/{tree.id}",
    }


def session_body(ds: TreeSession, full: bool = False) -> dict[str, Any]:
    graph, view = current_step(ds)
    body: dict[str, Any] = {
        "id": ds.token,
        "tree": ds.tree_id,
        "revision": ds.revision.number,
        "mode": ds.mode,
        "status": ds.status,
        "outcome": ds.outcome or "",
        "node": view.to_dict(),
        "url": f"/sessions/{ds.token}",
    }
    if ds.status == "escalated":
        body["end_reason"] = ds.end_reason
        if ds.end_reason == "not_fixed":
            body["escalation_url"] = f"/escalations/new?session={ds.token}"
    outage = notice_for_service(get_db(), str(graph.graph.get("service", "")))
    if outage is not None:
        body["outage"] = outage.as_json()
    check = last_check(ds, graph)
    if check is not None:
        body["last_check"] = check
    if full:
        body["variables"] = dict(ds.variables or {})
        body["path"] = path_nodes(ds)
        body["transcript"] = [entry.to_dict() for entry in entries(ds, graph)]
        body["transcript_text"] = transcript_text(ds, groups(), graph)
        body["articles_viewed"] = list(ds.articles_viewed or [])
    return body


@bp.get("/trees")
@api_doc(response=obj({"items": array(TREE), "total": INTEGER}, required=["items", "total"]))
def list_trees():
    trees = catalog.live_trees(get_db(), current_user)
    return jsonify({"items": [tree_summary(t) for t in trees], "total": len(trees)})


@bp.get("/trees/<tree_id>")
@api_doc(
    response=obj(
        {"nodes": array(ANY_OBJECT), "edges": array(ANY_OBJECT)}, required=["nodes", "edges"]
    )
)
def get_tree_json(tree_id: str):
    tree = visible_tree(tree_id)
    revision = tree.published_revision if tree.is_live else tree.head_revision
    return jsonify(graph_to_data(for_viewer(revision_graph(revision), current_user)))


@bp.post("/sessions")
@api_doc(body=SessionStart, response=SESSION, status=201)
def start_session():
    given = from_json(SessionStart)
    session = get_db()
    tree = get_tree(session, given.tree)
    if tree is None:
        raise NotFound(f"No diagnostic '{given.tree}'.")
    ds = engine.start_session(
        session, tree, current_user, mode=given.mode, revision=draft_revision(tree, given)
    )
    session.commit()
    return jsonify(session_body(ds)), 201


@bp.get("/sessions/<token>")
@api_doc(response=SESSION)
def get_session(token: str):
    ds = engine.session_by_token(get_db(), token, current_user)
    return jsonify(session_body(ds, full=True))


@bp.post("/sessions/<token>/answer")
@api_doc(
    body=SessionAnswer,
    response=SESSION,
    notes="Also read: answer (the label of one of node.answers) and "
    "value (for an input node, see node.input). Which answers are valid depends on the session's "
    "current node, so they are not in the schema; another answer is a 422.",
)
def answer(token: str):
    given = from_json(SessionAnswer)
    session = get_db()
    ds = engine.session_by_token(session, token, current_user)
    engine.answer(
        session,
        ds,
        user=current_user,
        answer=given.answer,
        value=given.value,
        notes=given.notes or "",
        run_check=check_runner(),
    )
    session.commit()
    return jsonify(session_body(ds))


def _act(token: str, step: Callable[[Session, TreeSession], object]):
    """One step on the caller's session (its address is the permission), committed, and the
    session answered as the JSON twins all answer it."""
    session = get_db()
    ds = engine.session_by_token(session, token, current_user)
    step(session, ds)
    session.commit()
    return jsonify(session_body(ds))


@bp.post("/sessions/<token>/back")
@api_doc(response=SESSION)
def back(token: str):
    return _act(token, engine.back)


@bp.post("/sessions/<token>/didnt-help")
@api_doc(body=SessionNotes, response=SESSION)
def didnt_help(token: str):
    notes = from_json(SessionNotes).notes or ""
    return _act(token, lambda session, ds: engine.didnt_help(session, ds, notes=notes))


@bp.post("/sessions/<token>/abandon")
@api_doc(response=SESSION)
def abandon(token: str):
    return _act(token, engine.abandon)


@bp.post("/sessions/<token>/fixed")
@api_doc(
    response=SESSION,
    notes="At a resolution: the person says it fixed the problem (outcome 'fixed', or "
    "'workaround' at a workaround ending). Other sessions, or a second answer, are a 409.",
)
def fixed(token: str):
    return _act(token, engine.confirm_fixed)


@bp.post("/sessions/<token>/not-fixed")
@api_doc(
    body=SessionNotes,
    response=SESSION,
    notes='At a resolution: "Still not fixed". The session goes on to the step the tree '
    "names (status active again) or ends escalated (end_reason 'not_fixed'; escalation_url "
    "opens the escalation form filled in from the session).",
)
def not_fixed(token: str):
    notes = from_json(SessionNotes).notes or ""
    return _act(
        token, lambda session, ds: engine.not_fixed(session, ds, notes=notes, user=current_user)
    )
