"""Step flags: on any step of a diagnostic session a person (anonymous too) says "this step
doesn't match my situation" or "this is wrong", with a comment. A flag carries the path walked
to the step and stays open for the tree's authors and the reviewers until one resolves it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from kb.auth.policy import can_resolve_step_flags, require, require_tree
from kb.errors import Forbidden, Invalid, NotFound
from kb.models import StepFlagReason, Tree, TreeRevision, TreeSession, TreeStepFlag, User, utcnow
from kb.trees.store import revision_graph

MAX_COMMENT = 2000
REASON_LABELS = {
    StepFlagReason.DOESNT_MATCH.value: "This step doesn't match my situation",
    StepFlagReason.WRONG.value: "This is wrong",
}


def flag_step(
    session: Session,
    ds: TreeSession,
    user: Any,
    reason: str,
    comment: str = "",
    node: str | None = None,
) -> TreeStepFlag:
    """Flag ``node`` (a step on the session's path; the current step when None). One open
    flag per session and step: flagging it again replaces the reason and comment."""
    require(user, "tree.flag_step", ds)
    try:
        reason = StepFlagReason(reason).value
    except ValueError:
        choices = ", ".join(r.value for r in StepFlagReason)
        raise Invalid(f"Choose a reason: {choices}.", fields={"reason": choices}) from None
    path = list(ds.path or [ds.current_node])
    node = node or ds.current_node
    if node not in path:
        raise Invalid(
            "That step is not on this session's path; reload the page and flag the step shown.",
            fields={"node": "not a step of this session"},
        )
    walked = path[: len(path) - path[::-1].index(node)]  # up to its last visit
    flag = session.scalar(
        select(TreeStepFlag).where(
            TreeStepFlag.session_id == ds.id,
            TreeStepFlag.node_id == node,
            TreeStepFlag.resolved_at.is_(None),
        )
    )
    if flag is None:
        flag = TreeStepFlag(tree_id=ds.tree_id, session_id=ds.id, node_id=node)
        session.add(flag)
    flag.revision_id = ds.revision_id
    flag.mode = ds.mode
    flag.path = walked
    flag.reason = reason
    flag.comment = comment.strip()[:MAX_COMMENT]
    flag.user_id = user.id if getattr(user, "is_authenticated", False) else None
    flag.at = utcnow()
    session.flush()
    return flag


def is_owner(session: Session, tree: Tree, user: Any) -> bool:
    """Did this person write a revision of the tree?"""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(
        session.scalar(
            select(
                exists().where(TreeRevision.tree_id == tree.id, TreeRevision.author_id == user.id)
            )
        )
    )


def may_resolve(session: Session, tree: Tree, user: Any) -> bool:
    return can_resolve_step_flags(user, tree, is_owner(session, tree, user))


def require_resolver(session: Session, tree: Tree, user: Any) -> None:
    require_tree(user, tree)
    if not may_resolve(session, tree, user):
        raise Forbidden("Only the diagnostic's authors and reviewers can resolve its flags.")


def require_flag_reader(user: Any, tree: Tree) -> None:
    """Flags are for authors and above who may see the tree."""
    require_tree(user, tree)
    require(user, "tree.read_flags")


@dataclass
class FlagView:
    """A flag as its page and JSON show it: the step and the path by their labels."""

    flag: TreeStepFlag
    node_label: str
    path_labels: list[str]

    @property
    def reason_label(self) -> str:
        return REASON_LABELS.get(self.flag.reason, self.flag.reason)

    def to_dict(self) -> dict[str, Any]:
        flag = self.flag
        return {
            "id": flag.id,
            "tree": flag.tree_id,
            "revision": flag.revision.number if flag.revision else None,
            "node": flag.node_id,
            "node_label": self.node_label,
            "mode": flag.mode,
            "reason": flag.reason,
            "comment": flag.comment,
            "path": list(flag.path or []),
            "path_labels": self.path_labels,
            "at": flag.at.isoformat(),
            "by": flag.user.email if flag.user else None,
            "resolved_at": flag.resolved_at.isoformat() if flag.resolved_at else None,
            "resolution": flag.resolution,
        }


def _label(graph: Any, node: str) -> str:
    if graph is None or node not in graph:
        return node
    attrs = graph.nodes[node]
    return str(attrs.get("label") or attrs.get("text") or node)


def flags_of(
    session: Session, tree: Tree, user: Any, include_resolved: bool = False, limit: int = 200
) -> list[FlagView]:
    """The tree's flags (open ones, or all), oldest open first, for authors and reviewers."""
    require_flag_reader(user, tree)
    query = select(TreeStepFlag).where(TreeStepFlag.tree_id == tree.id)
    if not include_resolved:
        query = query.where(TreeStepFlag.resolved_at.is_(None))
    query = query.order_by(TreeStepFlag.resolved_at.is_not(None), TreeStepFlag.at).limit(limit)
    graphs: dict[int | None, Any] = {}
    views = []
    for flag in session.scalars(query):
        if flag.revision_id not in graphs:
            revision = flag.revision or tree.published_revision or tree.head_revision
            graphs[flag.revision_id] = revision_graph(revision) if revision else None
        graph = graphs[flag.revision_id]
        views.append(
            FlagView(flag, _label(graph, flag.node_id), [_label(graph, n) for n in flag.path or []])
        )
    return views


def resolve_flag(
    session: Session, tree: Tree, flag_id: int, user: User, resolution: str = ""
) -> FlagView:
    """One of the tree's authors, or a reviewer, marks a flag as dealt with."""
    require_resolver(session, tree, user)
    flag = session.get(TreeStepFlag, flag_id)
    if flag is None or flag.tree_id != tree.id:
        raise NotFound("No such flag.")
    if flag.resolved_at is None:
        flag.resolved_at = utcnow()
        flag.resolved_by_id = user.id
        flag.resolution = resolution.strip()[:MAX_COMMENT]
    session.flush()
    graph = revision_graph(flag.revision) if flag.revision else None
    return FlagView(flag, _label(graph, flag.node_id), [_label(graph, n) for n in flag.path or []])


def open_count(session: Session, tree: Tree) -> int:
    return (
        session.scalar(
            select(func.count(TreeStepFlag.id)).where(
                TreeStepFlag.tree_id == tree.id, TreeStepFlag.resolved_at.is_(None)
            )
        )
        or 0
    )


def counts_by_step(session: Session, tree_id: str, start: datetime, end: datetime) -> Counter:
    """Flags raised on each step of a tree between ``start`` and ``end`` (for reports)."""
    rows = session.execute(
        select(TreeStepFlag.node_id, func.count(TreeStepFlag.id))
        .where(TreeStepFlag.tree_id == tree_id, TreeStepFlag.at >= start, TreeStepFlag.at < end)
        .group_by(TreeStepFlag.node_id)
    ).all()
    return Counter({node: count for node, count in rows})
