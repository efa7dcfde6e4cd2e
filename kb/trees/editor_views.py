"""Authoring trees in the browser: the structured editor (nodes and edges as forms, problems
beside each node, a flowchart preview), history, diff, restore and the review workflow."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from kb.api.docs import INTEGER, NULLABLE_STRING, STRING, api_doc, array, obj
from kb.auth.policy import require, require_transition, require_tree
from kb.config import service_catalogue
from kb.db import get_db
from kb.documents import pages
from kb.documents.workflow import ACTION_LABELS
from kb.errors import Conflict, Invalid, NotFound
from kb.escalation import learning
from kb.extensions import kb_state
from kb.models import Article, Tree, TreeRevision
from kb.trees import workflow
from kb.trees.checks import registered_checks
from kb.trees.diffing import TreeDiff, diff_graphs
from kb.trees.editor_form import (
    NodeForm,
    TreeForm,
    blank_tree_form,
    form_from_fields,
    form_from_graph,
    graph_from_form,
)
from kb.trees.flowchart import render_svg
from kb.trees.graph import ACTION_ANSWERS, CATEGORIES, INPUT_TYPES, KINDS, LEVELS, OUTCOMES
from kb.trees.store import get_tree, revision_graph, validation_context
from kb.trees.validate import validate_tree
from kb.trees.web import groups

bp = Blueprint("tree_editor", __name__)
WORKFLOW_ACTIONS = {"submit", "approve", "request_changes", "publish", "archive", "unarchive"}

# The tree's history and diff pages (the shared documents/ templates).
PAGES = pages.Pages(
    key="tree_id",
    show="trees.landing",
    edit="tree_editor.edit",
    history="tree_editor.history",
    diff="tree_editor.diff",
    restore="tree_editor.restore",
    workflow="tree_editor.change_status",
    diff_body="trees/_diff_body.html",
    flowchart="trees.flowchart",
    parent=("Troubleshoot", "trees.catalogue"),
)


def _check(form: TreeForm, tree_id: str | None) -> tuple[Any, dict[str | None, list[str]]]:
    """The graph the form describes and every problem with it, grouped by node."""
    built = graph_from_form(form)
    context = validation_context(get_db(), kb_state(), expected_id=tree_id)
    problems: dict[str | None, list[str]] = {}
    for node, message in built.problems:
        problems.setdefault(node, []).append(message)
    for problem in validate_tree(built.graph, context).problems:
        problems.setdefault(problem.node, []).append(problem.message)
    return built.graph, problems


def _choices() -> dict[str, Any]:
    return {
        "kinds": KINDS,
        "services": service_catalogue(),
        "categories": CATEGORIES,
        "levels": LEVELS,
        "input_types": INPUT_TYPES,
        "outcomes": OUTCOMES,
        "action_answers": ACTION_ANSWERS,
        "groups": groups(),
        "checks": sorted(registered_checks(kb_state())),
        "articles": list(get_db().scalars(select(Article.slug).order_by(Article.slug))),
    }


def _editor(
    form: TreeForm,
    tree: Tree | None = None,
    problems: dict[str | None, list[str]] | None = None,
    preview: str | None = None,
    status: int = 200,
    base_revision_id: int | None = None,
    conflict: dict[str, Any] | None = None,
    message: str = "",
    added: list[str] | None = None,
):
    return (
        render_template(
            "trees/edit.html",
            form=form.with_blank_rows(),
            tree=tree,
            problems=problems or {},
            preview=preview,
            base_revision_id=base_revision_id,
            conflict=conflict,
            node_ids=[n.id for n in form.nodes if n.id],
            message=message or request.form.get("message", ""),
            added=added or [],
            **_learning(tree),
            **_choices(),
        ),
        status,
    )


def _learning(tree: Tree | None) -> dict[str, Any]:
    """The editor's "Learned from resolved escalations": the group a draft branch comes from
    (``?group=`` or the form's ``learned_from``), else every group the tree has."""
    if tree is None:
        return {"learned": None, "fix_groups": []}
    key = request.values.get("learned_from") or request.args.get("group")
    if key:
        try:
            return {"learned": learning.find_group(get_db(), tree, key), "fix_groups": []}
        except NotFound:
            pass
    return {"learned": None, "fix_groups": learning.fix_groups(get_db(), tree)}


def _handle_post(tree: Tree | None):
    """Preview, add a node, or save (and maybe submit). One path for new and existing trees."""
    form = form_from_fields(request.form)
    if tree is not None:
        form.id = tree.id
    action = request.form.get("action", "save")
    base = request.form.get("base_revision_id", type=int)
    if action == "add_node":
        taken = {n.id for n in form.nodes}
        number = len(form.nodes) + 1
        while f"step_{number}" in taken:
            number += 1
        form.nodes.append(NodeForm(id=f"step_{number}", label="", text=""))
        return _editor(form, tree, base_revision_id=base)
    graph, problems = _check(form, tree.id if tree else None)
    if action == "preview":
        return _editor(form, tree, problems, render_svg(graph), base_revision_id=base)
    if problems:
        flash("The tree was not saved: fix the problems shown beside the steps.", "error")
        return _editor(form, tree, problems, render_svg(graph), 422, base)
    session = get_db()
    message = request.form.get("message", "").strip()
    saved = tree
    try:
        if saved is None:
            saved = workflow.create_tree(session, kb_state(), graph, current_user, message)
        else:
            revision = workflow.save_tree(
                session, kb_state(), saved, graph, current_user, base, message
            )
            learned_from = request.form.get("learned_from")
            new_revision = revision.id != base
            if (
                learned_from
                and new_revision
                and learning.record_motivation(session, saved, revision, learned_from) is None
            ):
                flash(
                    "The resolved escalations behind this branch are no longer there: "
                    "the revision was saved without them.",
                    "info",
                )
        if action == "submit" and saved.status == "draft":
            workflow.transition(session, saved, "submit", current_user)
        session.commit()
    except Invalid as error:
        session.rollback()
        for problem in error.details.get("problems", []):
            problems.setdefault(problem["node"], []).append(problem["message"])
        if not error.details.get("problems"):
            problems.setdefault(None, []).append(error.message)
        return _editor(form, tree, problems, render_svg(graph), 422, base)
    except Conflict as error:
        session.rollback()
        if tree is None or tree.head_revision is None or "their_revision_id" not in error.details:
            raise
        theirs = revision_graph(tree.head_revision)
        return _editor(
            form,
            tree,
            problems,
            render_svg(graph),
            409,
            base_revision_id=error.details.get("their_revision_id"),
            conflict={
                "message": error.message,
                "diff": diff_graphs(theirs, graph),
                "their_revision": error.details.get("their_revision"),
            },
        )
    flash(f"Saved “{saved.title}” ({saved.status.replace('_', ' ')}).", "success")
    return redirect(url_for("trees.landing", tree_id=saved.id))


@bp.route("/trees/new", methods=["GET", "POST"])
@login_required
def new():
    require(current_user, "tree.edit")
    if request.method == "GET":
        return _editor(blank_tree_form())
    return _handle_post(None)


@bp.route("/trees/<tree_id>/edit", methods=["GET", "POST"])
@login_required
def edit(tree_id: str):
    session = get_db()
    tree = workflow.editable_tree(session, tree_id, current_user)
    require_transition(current_user, "edit", tree)  # archived trees are not edited
    if request.method == "GET":
        head = tree.head_revision
        key = request.args.get("group")
        if key:  # "Turn into a branch": the head with the group's branch, not saved yet
            draft = learning.branch_draft(session, kb_state(), tree, key)
            form = form_from_graph(draft.graph)
            return _editor(
                form,
                tree,
                preview=render_svg(draft.graph),
                base_revision_id=head.id,
                message=draft.message,
                added=draft.added,
            )
        form = form_from_graph(revision_graph(head))
        return _editor(form, tree, base_revision_id=head.id)
    return _handle_post(tree)


@bp.post("/api/v1/trees/preview")
@api_doc(
    response=obj(
        {
            "svg": STRING,
            "problems": array(
                obj(
                    {
                        "node": {**NULLABLE_STRING, "description": "null: the whole tree"},
                        "message": STRING,
                    },
                    required=["node", "message"],
                )
            ),
        },
        required=["svg", "problems"],
    ),
    notes="Reads the tree editor's own form fields (application/x-www-form-urlencoded: "
    "tree-<attr>, node-<i>-<field>, node-<i>-edge-<j>-label/target, tree_id; "
    "node-<i>-original_id carries a renamed step's references along), as the editor "
    "page posts them while an author types; the JSON twin of the editor's preview.",
)
@login_required
def preview():
    """The live preview: the flowchart and the problems of the editor's form as it is now."""
    require(current_user, "tree.edit")
    form = form_from_fields(request.form)
    tree_id = request.form.get("tree_id") or None
    if tree_id:
        form.id = tree_id
    graph, problems = _check(form, tree_id)
    return jsonify(
        {
            "svg": render_svg(graph),
            "problems": [
                {"node": node, "message": message}
                for node, messages in problems.items()
                for message in messages
            ],
        }
    )


@bp.get("/api/v1/trees/<tree_id>/fix-groups")
@api_doc(
    response=obj(
        {
            "items": array(
                obj(
                    {
                        "key": STRING,
                        "where": {**STRING, "enum": ["escalation", "didnt_help", "not_fixed"]},
                        "node": STRING,
                        "fixed_by": STRING,
                        "count": INTEGER,
                        "escalations": array(
                            obj({"id": INTEGER, "public_id": STRING, "ticket": STRING})
                        ),
                        "articles": array(STRING),
                        "branch_url": NULLABLE_STRING,
                        "blocked": NULLABLE_STRING,
                    },
                    required=["key", "where", "node", "fixed_by", "count", "escalations"],
                )
            ),
            "total": INTEGER,
        },
        required=["items", "total"],
    ),
    notes="The tree's resolved escalations grouped by where they left the tree and what "
    "fixed them (authors and above); branch_url opens the editor with the group's branch "
    "(null when it must be added by hand, blocked says why).",
)
@login_required
def fix_groups(tree_id: str):
    """The JSON twin of the editor's "Learned from resolved escalations" list."""
    tree = _tree_for_staff(tree_id)
    groups = learning.fix_groups(get_db(), tree)
    return jsonify(
        {
            "items": [
                {
                    **g.as_json(),
                    "branch_url": None
                    if g.blocked
                    else url_for("tree_editor.edit", tree_id=tree.id, group=g.key),
                    "blocked": g.blocked,
                }
                for g in groups
            ],
            "total": len(groups),
        }
    )


def _tree_for_staff(tree_id: str) -> Tree:
    tree = get_tree(get_db(), tree_id)
    require_tree(current_user, tree)
    require(current_user, "tree.edit")
    assert tree is not None
    return tree


@bp.get("/trees/<tree_id>/history")
@login_required
def history(tree_id: str):
    session = get_db()
    tree = _tree_for_staff(tree_id)
    return render_template(
        "documents/history.html",
        **pages.history(session, workflow.TREES, PAGES, tree, current_user),
    )


@bp.get("/trees/<tree_id>/diff")
@login_required
def diff(tree_id: str):
    session = get_db()
    tree = _tree_for_staff(tree_id)
    return render_template(
        "documents/diff.html",
        **pages.diff(session, workflow.TREES, PAGES, tree, request.args, _compare),
    )


def _compare(old: TreeRevision, new: TreeRevision) -> TreeDiff:
    return diff_graphs(revision_graph(old), revision_graph(new))


@bp.post("/trees/<tree_id>/workflow/<action>")
@login_required
def change_status(tree_id: str, action: str):
    if action not in WORKFLOW_ACTIONS:
        abort(404)
    session = get_db()
    tree = get_tree(session, tree_id)
    require_tree(current_user, tree)
    workflow.transition(session, tree, action, current_user, request.form.get("comment", ""))
    session.commit()
    flash(f"“{tree.title}”: {ACTION_LABELS[action]}.", "success")
    return redirect(url_for("tree_editor.history", tree_id=tree.id))


@bp.post("/trees/<tree_id>/restore/<int:number>")
@login_required
def restore(tree_id: str, number: int):
    session = get_db()
    tree = _tree_for_staff(tree_id)
    base = request.form.get("base_revision_id", type=int)
    revision = workflow.restore(session, kb_state(), tree, number, current_user, base)
    session.commit()
    flash(f"Revision {number} restored as revision {revision.number}.", "success")
    return redirect(url_for("tree_editor.history", tree_id=tree.id))
