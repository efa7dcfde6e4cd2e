"""Helpers shared by the troubleshooting pages and their JSON twins (request-scoped)."""

from __future__ import annotations

import networkx as nx
from flask import current_app
from flask_login import current_user

from kb.auth.policy import can, require_tree
from kb.db import get_db
from kb.extensions import kb_state
from kb.models import Tree, TreeRevision, TreeSession
from kb.trees.checks import CheckResult, run_check
from kb.trees.engine import CheckRunner
from kb.trees.schemas import SessionStart
from kb.trees.steps import NodeView, node_view, session_account, session_graph
from kb.trees.store import get_tree


def groups() -> dict[str, str]:
    return kb_state().config.get("SUPPORT_GROUPS") or {}


def current_step(ds: TreeSession) -> tuple[nx.DiGraph, NodeView]:
    """The session's graph as the current person may see it, and its current step as they see
    it (the page and its JSON twin show the same step)."""
    graph = session_graph(ds, current_user)
    view = node_view(
        graph,
        ds.current_node,
        ds.mode,
        ds.variables or {},
        groups(),
        account=session_account(ds, current_user),
    )
    return graph, view


def visible_tree(tree_id: str) -> Tree:
    """The tree, or NotFound when it does not exist for the current person."""
    tree = get_tree(get_db(), tree_id)
    require_tree(current_user, tree)
    assert tree is not None
    return tree


def draft_revision(tree: Tree, given: SessionStart) -> TreeRevision | None:
    """The head revision when an author asked to try out an unpublished draft, else None
    (the published revision)."""
    if given.revision == "head" and can(current_user, "tree.edit"):
        return tree.head_revision
    return None


def check_runner() -> CheckRunner:
    kb = kb_state()

    def run(name: str, params: dict) -> CheckResult:
        return run_check(kb, name, params)

    return run


def has_endpoint(name: str) -> bool:
    return name in current_app.view_functions
