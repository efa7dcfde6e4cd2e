"""The tree lifecycle, as for articles: create, edit (optimistic locking), submit, review,
publish, archive, restore. Every save is validated; every step is checked by kb.auth.policy
and recorded as a TreeEvent."""

from __future__ import annotations

from typing import Any

import networkx as nx
from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.auth.policy import require, require_tree, require_tree_transition
from kb.errors import Conflict, Invalid, NotFound, StaleWrite, Taken
from kb.models import Tree, TreeEvent, TreeRevision, TreeStatus, User
from kb.trees.graph import content_hash, dump_tree, graph_to_data
from kb.trees.store import (
    add_revision,
    changed,
    check_tree,
    get_tree,
    publish,
    revision_by_number,
    revision_graph,
)

ACTION_LABELS = {
    "create": "created",
    "edit": "edited",
    "restore": "restored",
    "import": "imported",
    "submit": "submitted for review",
    "approve": "approved and published",
    "request_changes": "requested changes",
    "publish": "published",
    "archive": "archived",
    "unarchive": "unarchived",
}


def record(
    session: Session,
    tree: Tree,
    action: str,
    actor: User | None,
    from_status: str,
    comment: str = "",
    revision: TreeRevision | None = None,
) -> TreeEvent:
    event = TreeEvent(
        tree_id=tree.id,
        revision=revision,
        action=action,
        from_status=from_status,
        to_status=tree.status,
        actor_id=actor.id if actor else None,
        actor_name=actor.email if actor else "system",
        comment=comment.strip(),
    )
    session.add(event)
    return event


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
    revision = add_revision(session, graph, author=actor, message=message or "Created")
    tree = revision.tree
    record(session, tree, "create", actor, "", message, revision)
    changed(session, tree)
    return tree


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
    require_tree_transition(actor, "edit", tree)
    head = tree.head_revision
    if head is not None and base_revision_id != head.id:
        raise _newer_version(head, graph, base_revision_id)
    if graph.graph.get("id") != tree.id:
        raise Invalid("A tree's id cannot change.", fields={"tree": f"id: must stay '{tree.id}'"})
    check_tree(session, kb, graph, tree_id=tree.id)
    if head is not None and head.content_hash == content_hash(graph_to_data(graph)):
        return head
    from_status = tree.status
    try:
        revision = add_revision(
            session,
            graph,
            tree=tree,
            author=actor,
            message=message or "Edited",
            base_revision_id=base_revision_id,
        )
    except StaleWrite:
        # Another save of the same base won the race between the check above and our write.
        session.refresh(tree)
        winner = tree.head_revision
        if winner is None or winner.id == base_revision_id:
            raise
        raise _newer_version(winner, graph, base_revision_id) from None
    if tree.status == TreeStatus.PUBLISHED.value:
        tree.status = TreeStatus.DRAFT.value  # the live revision stays live meanwhile
    record(session, tree, action, actor, from_status, message, revision)
    changed(session, tree)
    return revision


def _newer_version(head: TreeRevision, graph: nx.DiGraph, base_revision_id: int | None) -> Conflict:
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


def transition(session: Session, tree: Tree, action: str, actor: User, comment: str = "") -> Tree:
    """submit / approve / request_changes / publish / archive / unarchive."""
    to = require_tree_transition(actor, action, tree)
    if action == "request_changes" and not comment.strip():
        raise Invalid("Say what needs to change.", fields={"comment": "required"})
    from_status = tree.status
    if action in ("approve", "publish"):
        if tree.head_revision is None:
            raise Conflict("There is nothing to publish.")
        publish(session, tree, tree.head_revision)
    else:
        if action == "unarchive":
            to = "published" if tree.published_revision_id is not None else "draft"
        tree.status = str(to)
        changed(session, tree)
    record(session, tree, action, actor, from_status, comment, tree.head_revision)
    return tree


def restore(
    session: Session, kb: Any, tree: Tree, number: int, actor: User, base_revision_id: int | None
) -> TreeRevision:
    """Bring back an old revision as a new head revision (history stays intact)."""
    require_tree_transition(actor, "restore", tree)
    old = revision_by_number(session, tree, number)
    if old is None:
        raise NotFound(f"Tree '{tree.id}' has no revision {number}.")
    graph = revision_graph(old).copy()
    return save_tree(
        session,
        kb,
        tree,
        graph,
        actor,
        base_revision_id,
        message=f"Restored revision {number}",
        action="restore",
    )


def editable_tree(session: Session, tree_id: str, actor: Any) -> Tree:
    tree = get_tree(session, tree_id)
    if tree is None:
        raise NotFound(f"No tree '{tree_id}'.")
    require_tree(actor, tree)
    require(actor, "tree.edit")
    return tree


def events(session: Session, tree: Tree) -> list[TreeEvent]:
    return list(
        session.scalars(
            select(TreeEvent)
            .where(TreeEvent.tree_id == tree.id)
            .order_by(TreeEvent.at.desc(), TreeEvent.id.desc())
        )
    )


def open_review_comments(session: Session, tree: Tree) -> list[TreeEvent]:
    """Change requests since the tree was last submitted: what the author has to act on."""
    result: list[TreeEvent] = []
    for event in events(session, tree):
        if event.action == "request_changes":
            result.append(event)
        if event.action in ("submit", "approve", "publish", "create"):
            break
    return list(reversed(result))
