"""Storing trees: every change is a new revision; the tree row points at the head and the live
(published) revision and keeps a listing copy of the visible one. Parsed graphs are cached by
content hash (revisions never change), so a session step does not re-read the JSON."""

from __future__ import annotations

from typing import Any

import networkx as nx
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from kb.changes import record_change
from kb.config import Defaults
from kb.db import queue_event
from kb.documents import revisions
from kb.errors import Invalid
from kb.lru import LRU
from kb.models import Article, Tree, TreeRevision, TreeStatus, User, utcnow
from kb.trees.checks import check_specs
from kb.trees.graph import content_hash, graph_from_data, graph_to_data, searchable_text
from kb.trees.snapshot import TreeSnapshot
from kb.trees.validate import Context, Report, validate_tree

_CACHE_SIZE = 256
_graphs: LRU[str, nx.DiGraph] = LRU(_CACHE_SIZE)


def get_tree(session: Session, tree_id: str) -> Tree | None:
    """The tree with its published revision, in one query (starting a session needs both)."""
    return session.get(Tree, tree_id, options=[joinedload(Tree.published_revision)])


def revision_graph(revision: TreeRevision) -> nx.DiGraph:
    """The revision's graph, parsed once per content hash. Callers must not modify it."""
    graph = _graphs.get(revision.content_hash)
    if graph is None:
        graph = graph_from_data(revision.data)
        _graphs.put(revision.content_hash, graph)
    return graph


def validation_context(
    session: Session,
    kb: Any,
    expected_id: str | None = None,
    articles: dict[str, str] | None = None,
) -> Context:
    """What trees may name: the database's articles (plus ``articles`` being imported with
    them), the registered checks and the configured support groups."""
    known = {
        slug: audience for slug, audience in session.execute(select(Article.slug, Article.audience))
    }
    known.update(articles or {})
    kb = kb or session.info.get("kb")
    return Context(
        articles=known,
        checks=check_specs(kb) if kb is not None else None,
        groups=(kb.config if kb is not None else vars(Defaults)).get("SUPPORT_GROUPS") or {},
        expected_id=expected_id,
    )


def invalid_tree(report: Report, message: str = "The tree has problems.") -> Invalid:
    """An Invalid error carrying every problem, grouped by node ("tree" for the whole)."""
    fields = {node or "tree": "; ".join(msgs) for node, msgs in report.by_node().items()}
    problems = [{"node": p.node, "message": p.message} for p in report.problems]
    return Invalid(message, fields=fields, problems=problems)


def check_tree(session: Session, kb: Any, graph: nx.DiGraph, tree_id: str | None = None) -> None:
    """Raise Invalid (every problem, per node) unless the tree passes validation."""
    report = validate_tree(graph, validation_context(session, kb, expected_id=tree_id))
    if not report.ok:
        raise invalid_tree(report)


def add_revision(
    session: Session,
    graph: nx.DiGraph,
    *,
    tree: Tree | None = None,
    author: User | None = None,
    author_name: str = "",
    message: str = "",
    base_revision_id: int | None = None,
) -> TreeRevision:
    """Append a revision (creating the tree when ``tree`` is None); it becomes the head."""
    data = graph_to_data(graph)
    expected_head = tree.head_revision_id if tree is not None else None
    tree, number = revisions.begin(
        session,
        TreeRevision,
        tree,
        lambda: Tree(id=graph.graph["id"], status=TreeStatus.DRAFT.value),
    )
    fields = dict(
        tree_id=tree.id,
        number=number,
        base_revision_id=base_revision_id,
        title=str(graph.graph.get("title", "")),
        audience=str(graph.graph.get("audience", "public")),
        data=data,
        content_hash=content_hash(data),
        node_count=graph.number_of_nodes(),
        author=author,
        author_name=author_name or (author.email if author else "system"),
        message=message,
    )
    revision = revisions.insert(session, tree, lambda: TreeRevision(**fields))
    revisions.move_head(session, tree, revision, expected_head)
    sync_listing(tree)
    return revision


def publish(session: Session, tree: Tree, revision: TreeRevision) -> None:
    """Make ``revision`` the live one; new sessions start on it (running ones keep theirs)."""
    tree.published_revision = revision
    tree.status = TreeStatus.PUBLISHED.value
    tree.updated_at = utcnow()
    sync_listing(tree)
    changed(session, tree)


def changed(session: Session, tree: Tree) -> None:
    """Record the change for search and tell plugins after commit."""
    session.flush()
    record_change(session, "tree", tree.id)
    queue_event(session, "kb_tree_changed", tree=snapshot(tree))


def sync_listing(tree: Tree) -> None:
    revision = tree.visible_revision
    if revision is None:
        return
    attrs = revision_graph(revision).graph
    tree.title = str(attrs.get("title", ""))
    tree.summary = str(attrs.get("summary", ""))
    tree.service = str(attrs.get("service", ""))
    tree.category = str(attrs.get("category", ""))
    tree.audience = str(attrs.get("audience", "public"))
    tree.tags = [str(t) for t in attrs.get("tags", []) if isinstance(t, str)]


def snapshot(tree: Tree) -> TreeSnapshot:
    """The tree as people will see it (its live revision if published, else its head)."""
    revision = tree.visible_revision
    graph = revision_graph(revision) if revision is not None else None
    return TreeSnapshot(
        id=tree.id,
        status=tree.status,
        live=tree.is_live,
        revision_id=revision.id if revision else None,
        title=tree.title,
        summary=tree.summary,
        service=tree.service,
        category=tree.category,
        audience=tree.audience,
        tags=list(tree.tags or []),
        text=searchable_text(graph) if graph is not None else "",
    )


def revision_by_number(session: Session, tree: Tree, number: int) -> TreeRevision | None:
    return revisions.find(session, TreeRevision, tree, number)


def known_tree_ids(session: Session) -> set[str]:
    return set(session.scalars(select(Tree.id)))
