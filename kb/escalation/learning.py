"""From resolved escalations back into trees: a tree's resolved escalations grouped by where
they left the tree (an escalation step, "This didn't help" at a step, "Still not fixed" at an
ending) and by what fixed them, so an author can turn a group into a new branch. The tree
heatmap lists the same groups; the revision built from one remembers its tickets."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import networkx as nx
from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.errors import NotFound
from kb.models import Article, Escalation, Tree, TreeRevision
from kb.trees.branching import Fix, add_fix_branch, can_branch, question_for, short
from kb.trees.store import revision_graph

# How the heatmap names escalations that left through "This didn't help" (any step).
DIDNT_HELP = "(didn't help)"
WHERE_LABELS = {
    "escalation": "escalated at",
    "didnt_help": "“This didn't help” at",
    "not_fixed": "“Still not fixed” at",
}


def fix_key(text: str) -> str:
    """What counts as the same fix: the resolution text without case, spacing or a full stop."""
    return " ".join(text.split()).casefold().rstrip(" .!")


@dataclass(frozen=True)
class Resolved:
    """One resolved escalation in a group: enough to name and link it."""

    id: int
    public_id: str
    ticket: str  # "<system>:<reference>"
    resolved_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "public_id": self.public_id, "ticket": self.ticket}


@dataclass
class FixGroup:
    """Resolved escalations that left the tree at the same place and were fixed the same way."""

    key: str
    where: str  # escalation | didnt_help | not_fixed
    node: str
    node_label: str
    fix: str  # the resolution text as most often written
    escalations: list[Resolved] = field(default_factory=list)
    articles: list[tuple[str, int]] = field(default_factory=list)  # most used first
    groups: Counter = field(default_factory=Counter)  # support groups they went to
    levels: Counter = field(default_factory=Counter)  # (impact, urgency) as people chose
    blocked: str | None = None  # why no branch can be made from it automatically

    @property
    def count(self) -> int:
        return len(self.escalations)

    @property
    def place(self) -> str:
        return f"{WHERE_LABELS.get(self.where, self.where)} {self.node_label or self.node}"

    @property
    def heatmap_node(self) -> str:
        """The heatmap's key for where these escalations fired."""
        return DIDNT_HELP if self.where == "didnt_help" or not self.node else self.node

    def motivation(self) -> list[dict[str, Any]]:
        return [e.as_json() for e in self.escalations]

    def as_json(self) -> dict[str, Any]:
        """The group as the heatmap report and the editor's JSON give it."""
        return {
            "key": self.key,
            "where": self.where,
            "node": self.node,
            "fixed_by": self.fix,
            "count": self.count,
            "escalations": self.motivation(),
            "articles": [slug for slug, _ in self.articles],
        }


def _where(graph: nx.DiGraph | None, node: str | None) -> str:
    """An escalation made at an escalation step, at a resolution ("Still not fixed"), or
    anywhere else ("This didn't help"), read from the revision the session walked."""
    kind = graph.nodes[node].get("kind") if graph is not None and node in graph else None
    return {"escalation": "escalation", "resolution": "not_fixed"}.get(str(kind), "didnt_help")


def _group_key(tree_id: str, where: str, node: str, fix: str) -> str:
    raw = "\x00".join((tree_id, where, node, fix_key(fix)))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


# What grouping reads of each escalation (not its transcript and the rest).
_COLUMNS = (
    Escalation.id,
    Escalation.public_id,
    Escalation.tree_revision_id,
    Escalation.node_id,
    Escalation.resolution_text,
    Escalation.resolution_articles,
    Escalation.group,
    Escalation.impact,
    Escalation.urgency,
    Escalation.ticket_system,
    Escalation.ticket_ref,
    Escalation.resolved_at,
)


def fix_groups(
    session: Session,
    tree: Tree,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[FixGroup]:
    """The tree's resolved escalations (created in [since, until) when given; reopened ones
    left out) grouped by where they left the tree and what fixed them, biggest group first."""
    query = select(*_COLUMNS).where(
        Escalation.tree_id == tree.id,
        Escalation.resolution_text != "",
        # the requester said at the follow-up that it is not fixed: that fix did not hold
        Escalation.status != "reopened",
    )
    if since is not None:
        query = query.where(Escalation.created_at >= since)
    if until is not None:
        query = query.where(Escalation.created_at < until)
    head = revision_graph(tree.head_revision) if tree.head_revision else None
    graphs: dict[int | None, nx.DiGraph | None] = {None: head}
    texts: dict[str, Counter] = {}
    groups: dict[str, FixGroup] = {}
    articles: dict[str, Counter] = {}
    for esc in session.execute(query.order_by(Escalation.created_at, Escalation.id)):
        if esc.tree_revision_id not in graphs:
            revision = session.get(TreeRevision, esc.tree_revision_id)
            graphs[esc.tree_revision_id] = revision_graph(revision) if revision else head
        graph = graphs[esc.tree_revision_id]
        node = esc.node_id or ""
        where = _where(graph, node)
        key = _group_key(tree.id, where, node, esc.resolution_text)
        group = groups.get(key)
        if group is None:
            label = (
                graph.nodes[node].get("label", node)
                if graph is not None and node in graph
                else node
            )
            group = groups[key] = FixGroup(key, where, node, str(label), "")
            texts[key], articles[key] = Counter(), Counter()
        texts[key][esc.resolution_text.strip()] += 1
        articles[key].update(dict.fromkeys(esc.resolution_articles or [], 1))
        group.groups[esc.group] += 1
        group.levels[(esc.impact, esc.urgency)] += 1
        group.escalations.append(
            Resolved(
                esc.id,
                esc.public_id,
                f"{esc.ticket_system or 'local'}:{esc.ticket_ref or esc.public_id}",
                esc.resolved_at,
            )
        )
    for key, group in groups.items():
        group.fix = texts[key].most_common(1)[0][0]
        group.articles = articles[key].most_common()
        group.blocked = (
            can_branch(head, group.where, group.node)
            if head is not None
            else "the tree has no revision"
        )
    return sorted(groups.values(), key=lambda g: (-g.count, g.where, g.node, fix_key(g.fix)))


def find_group(session: Session, tree: Tree, key: str) -> FixGroup:
    """The group with this key among all the tree's resolved escalations (NotFound if none)."""
    for group in fix_groups(session, tree):
        if group.key == key:
            return group
    raise NotFound("No group of resolved escalations has this key any more: open the list again.")


def outcomes_by_step(groups: list[FixGroup], limit: int = 120) -> dict[str, list[str]]:
    """What escalations from each step turned out to be, most common first, as the heatmap
    lists them: "<fix> (<count>)", with every "This didn't help" under one key."""
    counts: dict[str, Counter] = {}
    for group in groups:
        counts.setdefault(group.heatmap_node, Counter())[group.fix[:limit]] += group.count
    return {
        node: [f"{text} ({n})" for text, n in counter.most_common()]
        for node, counter in counts.items()
    }


def _article_for(session: Session, tree: Tree, group: FixGroup) -> str:
    """The most used article of the group that the tree may show (a public tree shows only
    public articles); empty when none fits."""
    slugs = [slug for slug, _ in group.articles]
    if not slugs:
        return ""
    audience = {
        slug: shown
        for slug, shown in session.execute(
            select(Article.slug, Article.audience).where(Article.slug.in_(slugs))
        )
    }
    for slug in slugs:
        if slug in audience and (tree.audience != "public" or audience[slug] == "public"):
            return slug
    return ""


@dataclass
class BranchDraft:
    """A tree with a new branch, not saved: what the editor opens with."""

    group: FixGroup
    graph: nx.DiGraph
    added: list[str]
    message: str


def branch_draft(session: Session, kb: Any, tree: Tree, key: str) -> BranchDraft:
    """The tree's head with a branch made from the group ``key``: "Is it <fix>?", Yes ends with
    the fix and its article, No goes where these people went before."""
    group = find_group(session, tree, key)
    groups = (kb.config.get("SUPPORT_GROUPS") or {}) if kb is not None else {}
    default = kb.config.get("DEFAULT_ESCALATION_GROUP", "service-desk") if kb else "service-desk"
    support = next((g for g, _ in group.groups.most_common() if not groups or g in groups), default)
    impact, urgency = group.levels.most_common(1)[0][0] if group.levels else ("medium", "medium")
    fix = Fix(
        question=question_for(group.fix),
        text=group.fix,
        article=_article_for(session, tree, group),
        group=support,
        impact=impact,
        urgency=urgency,
    )
    branch = add_fix_branch(revision_graph(tree.head_revision), group.where, group.node, fix)
    tickets = ", ".join(e.ticket for e in group.escalations[:5])
    more = f" and {group.count - 5} more" if group.count > 5 else ""
    message = short(
        f"New branch “{short(group.fix, 60)}” from {group.count} resolved "
        f"escalation{'s' if group.count != 1 else ''} ({tickets}{more})",
        300,
    )
    return BranchDraft(group, branch.graph, branch.added, message)


def record_motivation(
    session: Session, tree: Tree, revision: TreeRevision, key: str
) -> FixGroup | None:
    """Remember on the revision which resolved escalations (the group ``key``) it was built
    from; None, and nothing recorded, when that group is no longer there."""
    try:
        group = find_group(session, tree, key)
    except NotFound:
        return None
    revision.motivated_by = group.motivation()
    return group
