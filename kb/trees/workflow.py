"""The tree lifecycle, as for articles: create, edit (optimistic locking), submit, review,
publish, archive, restore. The steps are kb.documents.workflow's, shared with articles; this
module is the trees' adapter to it (TREES): every save is validated, and a tree's id never
changes."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

import networkx as nx
from sqlalchemy.orm import Session

from kb.auth.policy import require, require_tree
from kb.documents import workflow as documents
from kb.errors import Conflict, Invalid, NotFound, Taken
from kb.models import Tree, TreeEvent, TreeRevision, User
from kb.trees.graph import content_hash, dump_tree, graph_to_data
from kb.trees.store import (
    add_revision,
    changed,
    check_tree,
    get_tree,
    publish,
    revision_graph,
)


def _append(
    session: Session,
    tree: Tree | None,
    graph: nx.DiGraph,
    author: User | None,
    author_name: str,
    message: str,
    base_revision_id: int | None,
) -> TreeRevision:
    return add_revision(
        session,
        graph,
        tree=tree,
        author=author,
        author_name=author_name,
        message=message,
        base_revision_id=base_revision_id,
    )


def _prepare(
    session: Session, tree: Tree, graph: nx.DiGraph, head: TreeRevision | None, kb: Any = None
) -> nx.DiGraph:
    """Only a valid tree is saved, and its id never changes (``kb``: whose checks and support
    groups it may name; None: the session's)."""
    if graph.graph.get("id") != tree.id:
        raise Invalid("A tree's id cannot change.", fields={"tree": f"id: must stay '{tree.id}'"})
    check_tree(session, kb, graph, tree_id=tree.id)
    return graph


def _newer_version(
    tree: Tree, head: TreeRevision, graph: nx.DiGraph, base_revision_id: int | None
) -> Conflict:
    """The optimistic-lock refusal; both versions travel with it."""
    return Conflict(
        f"{head.author_name} saved a newer version (revision {head.number}) while you were "
        "editing. Compare the two below, then save again.",
        theirs=dump_tree(revision_graph(head)),
        yours=dump_tree(graph),
        their_revision_id=head.id,
        their_revision=head.number,
        your_base_revision_id=base_revision_id,
    )


# How the shared review workflow (kb.documents.workflow) handles trees.
TREES: documents.Kind[nx.DiGraph] = documents.Kind(
    name="tree",
    event=TreeEvent,
    revision=TreeRevision,
    append=_append,
    prepare=_prepare,
    content_hash=lambda graph: content_hash(graph_to_data(graph)),
    conflict=_newer_version,
    restorable=lambda tree, old: revision_graph(old).copy(),
    publish=publish,
    changed=changed,
)


def _with_kb(kind: documents.Kind[nx.DiGraph], kb: Any) -> documents.Kind[nx.DiGraph]:
    """The adapter validating against this app's checks and support groups."""
    return replace(kind, prepare=partial(_prepare, kb=kb))


def record(
    session: Session,
    tree: Tree,
    action: str,
    actor: User | None,
    from_status: str,
    comment: str = "",
    revision: TreeRevision | None = None,
) -> TreeEvent:
    """Add an event to the tree's history (imports record theirs here)."""
    return documents.record(session, TREES, tree, action, actor, from_status, comment, revision)


def create_tree(
    session: Session, kb: Any, graph: nx.DiGraph, actor: User, message: str = ""
) -> Tree:
    """A new draft tree; refused (Invalid, per node) unless it validates."""
    require(actor, "tree.edit")
    tree_id = graph.graph.get("id")
    check_tree(session, kb, graph)
    if get_tree(session, str(tree_id)) is not None:
        raise Taken(
            f"A tree '{tree_id}' already exists.",
            fields={"tree": "id: already used; choose another"},
        )
    return documents.create(session, TREES, graph, actor, message)


def save_tree(
    session: Session,
    kb: Any,
    tree: Tree,
    graph: nx.DiGraph,
    actor: User,
    base_revision_id: int | None,
    message: str = "",
    action: str = "edit",
) -> TreeRevision:
    """Save a new head revision. Refused with Conflict (409) when someone saved a newer one
    since ``base_revision_id`` (both versions travel with the error), with Invalid when the
    tree does not validate."""
    return documents.save(
        session, _with_kb(TREES, kb), tree, graph, actor, base_revision_id, message, action
    )


def transition(session: Session, tree: Tree, action: str, actor: User, comment: str = "") -> Tree:
    """submit / approve / request_changes / publish / archive / unarchive."""
    return documents.transition(session, TREES, tree, action, actor, comment)


def restore(
    session: Session, kb: Any, tree: Tree, number: int, actor: User, base_revision_id: int | None
) -> TreeRevision:
    """Bring back an old revision as a new head revision (history stays intact)."""
    return documents.restore(session, _with_kb(TREES, kb), tree, number, actor, base_revision_id)


def editable_tree(session: Session, tree_id: str, actor: Any) -> Tree:
    tree = get_tree(session, tree_id)
    if tree is None:
        raise NotFound(f"No tree '{tree_id}'.")
    require_tree(actor, tree)
    require(actor, "tree.edit")
    return tree


def revision_by_number(session: Session, tree: Tree, number: int) -> TreeRevision:
    return documents.revision_by_number(session, TREES, tree, number)


def events(session: Session, tree: Tree) -> list[TreeEvent]:
    return documents.events(session, TREES, tree)


def open_review_comments(session: Session, tree: Tree) -> list[TreeEvent]:
    """Change requests since the tree was last submitted: what the author has to act on."""
    return documents.open_review_comments(session, TREES, tree)
