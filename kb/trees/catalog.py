"""Trees for other areas (search index rebuilds, listings): snapshots and visible listings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from kb.auth.policy import has_role
from kb.models import Role, Tree, TreeStatus
from kb.trees.snapshot import TreeSnapshot
from kb.trees.store import get_tree, snapshot


def all_tree_snapshots(session: Session) -> list[TreeSnapshot]:
    """Every tree, live or not, as people would see it (its visible revision)."""
    return [snapshot(tree) for tree in session.scalars(select(Tree).order_by(Tree.id))]


def tree_snapshot(session: Session, tree_id: str) -> TreeSnapshot | None:
    tree = get_tree(session, tree_id)
    return snapshot(tree) if tree is not None else None


def live_trees(session: Session, user: Any) -> list[Tree]:
    """Published, not archived trees this person may run, by title."""
    query = (
        select(Tree)
        .options(joinedload(Tree.published_revision))  # listings show its number
        .where(Tree.published_revision_id.is_not(None), Tree.status != TreeStatus.ARCHIVED.value)
    )
    if not has_role(user, Role.TECHNICIAN):
        query = query.where(Tree.audience == "public")
    return list(session.scalars(query.order_by(Tree.title)))


def unpublished_trees(session: Session) -> list[Tree]:
    """Drafts, trees in review and archived ones, for authors and reviewers."""
    query = select(Tree).where(
        (Tree.published_revision_id.is_(None)) | (Tree.status != TreeStatus.PUBLISHED.value)
    )
    return list(session.scalars(query.order_by(Tree.updated_at.desc())))


def tree_choices(session: Session) -> list[tuple[str, str]]:
    """Every tree's id and title, by title: the choices of a report's tree filter."""
    return [tuple(row) for row in session.execute(select(Tree.id, Tree.title).order_by(Tree.title))]
