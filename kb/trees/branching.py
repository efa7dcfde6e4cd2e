"""Adding a "known fix" branch to a tree: a question ("Is it ...?") whose Yes ends in a
resolution and whose No goes on where people went before. Pure graph work on a copy, so the
editor can show the result as a draft and nothing is saved until the author saves it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import networkx as nx

from kb.errors import Invalid

LABEL_LIMIT = 40
# Where the escalations behind a branch came from: an escalation step, "This didn't help" at
# a step, or "Still not fixed" at a resolution.
WHERE = ("escalation", "didnt_help", "not_fixed")


@dataclass(frozen=True)
class Fix:
    """What the new branch offers: the question, the fix and the article that explains it;
    ``group``/``impact``/``urgency`` are for the escalation its No leads to when there is no
    escalation step to keep (didn't help, still not fixed)."""

    question: str
    text: str
    article: str = ""
    group: str = "service-desk"
    impact: str = "medium"
    urgency: str = "medium"


@dataclass
class Branch:
    graph: nx.DiGraph
    added: list[str] = field(default_factory=list)  # new node ids, question first


def short(text: str, limit: int = LABEL_LIMIT) -> str:
    """One line of at most ``limit`` characters, cut at a word with an ellipsis."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1].rsplit(" ", 1)[0] or line[: limit - 1]
    return cut.rstrip(" ,.;:") + "…"


def question_for(fix: str) -> str:
    """The "Is it ...?" question an author starts from (they reword it)."""
    return f"Is it this: {' '.join(fix.split()).rstrip(' .!')}?"


def unique_id(graph: nx.DiGraph, prefix: str, text: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_")[:30].rstrip("_") or "fix"
    base = f"{prefix}_{words}"
    candidate, n = base, 2
    while candidate in graph:
        candidate, n = f"{base}_{n}", n + 1
    return candidate


def can_branch(graph: nx.DiGraph, where: str, node: str) -> str | None:
    """Why a branch cannot be added at ``node`` automatically, or None when it can."""
    if where not in WHERE:
        return f"unknown kind of escalation '{where}'"
    if not node or node not in graph:
        return f"the step '{node}' is no longer in the tree"
    kind = graph.nodes[node].get("kind")
    expected = {"escalation": "escalation", "not_fixed": "resolution"}.get(where)
    if expected and kind != expected:
        return f"the step '{node}' is now a {kind} step"
    if where == "didnt_help" and kind != "question":
        return f"'This didn't help' was said at a {kind} step: add the branch by hand"
    return None


def add_fix_branch(graph: nx.DiGraph, where: str, node: str, fix: Fix) -> Branch:
    """A copy of ``graph`` with the branch: before the escalation step ``node`` (its ways in now
    ask the question first; No goes on to the escalation), as a new answer of the question
    where people said "This didn't help", or as where "Still not fixed" leads from the
    resolution ``node``. Invalid when the branch cannot go there."""
    reason = can_branch(graph, where, node)
    if reason:
        raise Invalid(f"Cannot add the branch: {reason}.", fields={"group": reason})
    new = graph.copy()
    question = unique_id(new, "q", fix.text)
    ending = unique_id(new, "res", fix.text)
    new.add_node(question, kind="question", label=short(fix.question), text=fix.question)
    ending_attrs = {"kind": "resolution", "label": short(fix.text), "text": fix.text}
    if fix.article:
        ending_attrs["article"] = fix.article
    new.add_node(ending, **ending_attrs)
    new.add_edge(question, ending, answer="Yes")
    added = [question, ending]
    if where == "escalation":
        for before in list(graph.predecessors(node)):
            _retarget(new, before, node, question)
        for _, attrs in new.nodes(data=True):
            if attrs.get("not_fixed_next") == node:
                attrs["not_fixed_next"] = question
        if new.graph.get("start") == node:
            new.graph["start"] = question
        new.add_edge(question, node, answer="No")
        return Branch(new, added)
    escalate = unique_id(new, "esc", fix.text)
    new.add_node(
        escalate,
        kind="escalation",
        label="Not this either",
        text="We could not solve it here. We will pass everything you tried to the support team.",
        group=fix.group,
        impact=fix.impact,
        urgency=fix.urgency,
        ask=[],
    )
    new.add_edge(question, escalate, answer="No")
    added.append(escalate)
    if where == "didnt_help":
        answers = {str(a) for _, _, a in new.out_edges(node, data="answer")}
        label, n = "None of these", 2
        while label in answers:
            label, n = f"None of these ({n})", n + 1
        new.add_edge(node, question, answer=label)
    else:
        new.nodes[node]["not_fixed_next"] = question
    return Branch(new, added)


def _retarget(graph: nx.DiGraph, source: str, old: str, new: str) -> None:
    """Point the edge source -> old at ``new`` instead, keeping the order of source's answers."""
    out = [(target, dict(attrs)) for _, target, attrs in graph.out_edges(source, data=True)]
    graph.remove_edges_from([(source, target) for target, _ in out])
    for target, attrs in out:
        graph.add_edge(source, new if target == old else target, **attrs)
