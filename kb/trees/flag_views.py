"""Step flags in the browser and their JSON twins: flag a step of a session (anyone holding
its address, throttled for anonymous visitors like article votes), and a tree's flags for its
authors and the reviewers, who resolve them. Thin: parse, call kb.trees.flags, commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required

from kb.api.docs import INTEGER, STRING, api_doc, array, obj
from kb.auth.policy import require
from kb.db import get_db
from kb.schemas import from_form, from_json, from_query
from kb.trees import engine, flags
from kb.trees.schemas import StepFlag, StepFlagQuery, StepFlagResolve
from kb.trees.web import visible_tree

bp = Blueprint("tree_flags", __name__)

NULLABLE_STRING = {"type": ["string", "null"]}
FLAG = obj(
    {
        "id": INTEGER,
        "tree": STRING,
        "revision": {"type": ["integer", "null"]},
        "node": STRING,
        "node_label": STRING,
        "mode": STRING,
        "reason": STRING,
        "comment": STRING,
        "path": array(STRING),
        "path_labels": array(STRING),
        "at": STRING,
        "by": NULLABLE_STRING,
        "resolved_at": NULLABLE_STRING,
        "resolution": STRING,
    },
    required=["id", "tree", "node", "reason", "path"],
)
FLAGGED = obj(
    {"id": INTEGER, "tree": STRING, "node": STRING, "reason": STRING, "path": array(STRING)},
    required=["id", "tree", "node", "reason", "path"],
)


def _flag(token: str, read: Callable[[type[StepFlag]], StepFlag]) -> Any:
    session = get_db()
    ds = engine.session_by_token(session, token, current_user)
    require(current_user, "tree.flag_step", ds)  # before the fields: a refusal is not a 422
    values = read(StepFlag)
    flag = flags.flag_step(session, ds, current_user, values.reason, values.comment, values.node)
    session.commit()
    return flag


@bp.post("/sessions/<token>/flag")
def flag_step(token: str):
    flag = _flag(token, from_form)
    flash("Thank you: the people who write this diagnostic will look at this step.", "success")
    return redirect(url_for("trees.step", token=token) + f"#flag-{flag.node_id}")


@bp.post("/api/v1/sessions/<token>/flag")
@api_doc(
    body=StepFlag,
    response=FLAGGED,
    status=201,
    notes="Also read: node (a step id on the session's path; default the current step). "
    "Which steps are valid depends on the session, so it is not in the schema; a step off the "
    "path is a 422.",
)
def flag_step_api(token: str):
    flag = _flag(token, from_json)
    return jsonify(
        {
            "id": flag.id,
            "tree": flag.tree_id,
            "node": flag.node_id,
            "reason": flag.reason,
            "path": list(flag.path),
        }
    ), 201


@bp.get("/trees/<tree_id>/flags")
@login_required
def tree_flags(tree_id: str):
    session = get_db()
    tree = visible_tree(tree_id)
    flags.require_flag_reader(current_user, tree)
    show_all = bool(from_query(StepFlagQuery).all)
    items = flags.flags_of(session, tree, current_user, include_resolved=show_all)
    return render_template(
        "trees/flags.html",
        tree=tree,
        items=items,
        show_all=show_all,
        may_resolve=flags.may_resolve(session, tree, current_user),
    )


@bp.get("/api/v1/trees/<tree_id>/flags")
@api_doc(
    query=StepFlagQuery,
    response=obj({"items": array(FLAG), "total": INTEGER}, required=["items", "total"]),
)
@login_required
def tree_flags_api(tree_id: str):
    session = get_db()
    tree = visible_tree(tree_id)
    flags.require_flag_reader(current_user, tree)
    show_all = bool(from_query(StepFlagQuery).all)
    items = flags.flags_of(session, tree, current_user, include_resolved=show_all)
    return jsonify({"items": [item.to_dict() for item in items], "total": len(items)})


@bp.post("/trees/<tree_id>/flags/<int:flag_id>/resolve")
@login_required
def resolve(tree_id: str, flag_id: int):
    session = get_db()
    tree = visible_tree(tree_id)
    flags.require_resolver(session, tree, current_user)
    flags.resolve_flag(session, tree, flag_id, current_user, from_form(StepFlagResolve).resolution)
    session.commit()
    flash("Flag resolved.", "success")
    return redirect(url_for("tree_flags.tree_flags", tree_id=tree.id))


@bp.post("/api/v1/trees/<tree_id>/flags/<int:flag_id>/resolve")
@api_doc(body=StepFlagResolve, body_required=False, response=FLAG)
@login_required
def resolve_api(tree_id: str, flag_id: int):
    session = get_db()
    tree = visible_tree(tree_id)
    flags.require_resolver(session, tree, current_user)
    view = flags.resolve_flag(
        session, tree, flag_id, current_user, from_json(StepFlagResolve).resolution
    )
    session.commit()
    return jsonify(view.to_dict())
