"""The structured tree editor's form: a tree as plain fields (tree attributes, then one block
per node with its out-edges as rows), and back. Authors never see JSON.

Field names: ``tree-<attr>``; ``node-<i>-<field>``; ``node-<i>-edge-<j>-label`` and
``node-<i>-edge-<j>-target``; ``node-<i>-delete`` removes a node. ``node-<i>-original_id`` is
the id the page was drawn with: a step renamed in the form takes the first step and every
"Leads to" that named it along (those still name the old id until the page is drawn again).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from kb.limits import whole_number
from kb.trees.graph import ACTION_ANSWERS, OUTCOMES, exits

NODE_FIELD = re.compile(r"^node-(\d+)-([a-z_]+)$")
EDGE_FIELD = re.compile(r"^node-(\d+)-edge-(\d+)-(label|target)$")
TEXT_FIELDS = ("label", "text", "text_technician", "script", "article", "article_section")
BLANK_EDGES = 1  # spare rows under a step's answers, for one more
MIN_ANSWERS = 2  # a question needs two answers: a new one shows two empty rows


@dataclass
class EdgeRow:
    label: str = ""
    target: str = ""


@dataclass
class NodeForm:
    id: str = ""
    original_id: str = ""  # the id when the page was drawn (empty for a new step)
    kind: str = "question"
    label: str = ""
    text: str = ""
    text_technician: str = ""
    script: str = ""
    article: str = ""
    article_section: str = ""  # a heading id of the article; empty: its summary
    answered_by_variable: str = ""  # a question answered from a known value...
    answered_by_answers: str = ""  # ...by "value = answer" lines
    var: str = ""
    input_type: str = "text"
    choices: str = ""  # one per line
    min: str = ""
    max: str = ""
    max_length: str = ""
    check: str = ""
    params: str = ""  # key=value, one per line
    group: str = ""
    impact: str = ""
    urgency: str = ""
    ask: str = ""  # one per line
    ask_answered_by: str = ""  # "ask item = variable" lines: asked only when not known
    followup_days: str = ""
    followup_text: str = ""
    workaround: str = ""  # "yes" when the resolution is a workaround
    remains: str = ""
    not_fixed_next: str = ""
    edges: list[EdgeRow] = field(default_factory=list)


@dataclass
class TreeForm:
    id: str = ""
    title: str = ""
    summary: str = ""
    service: str = ""
    category: str = ""
    audience: str = "public"
    tags: str = ""
    start: str = ""
    nodes: list[NodeForm] = field(default_factory=list)

    def with_blank_rows(self) -> TreeForm:
        """Every node offers the empty rows its kind needs (no JavaScript needed): a question
        at least two answers, a check its outcomes, an action its two fixed outcomes."""
        for node in self.nodes:
            if node.kind == "action":
                node.edges = action_rows(node.edges)
            elif node.kind == "question":
                spare = max(BLANK_EDGES, MIN_ANSWERS - len(node.edges))
                node.edges += [EdgeRow() for _ in range(spare)]
            elif node.kind == "check":
                node.edges += (
                    [EdgeRow(o) for o in OUTCOMES] if not node.edges else [EdgeRow()] * BLANK_EDGES
                )
            elif node.kind == "input" and not node.edges:
                node.edges = [EdgeRow()]
        return self


def action_rows(edges: list[EdgeRow]) -> list[EdgeRow]:
    """An action's two outcomes first, in their fixed order (target empty if not chosen yet),
    then any other rows it has (a step just turned into an action), so nothing is lost."""
    first = {}
    for row in edges:
        first.setdefault(row.label, row.target)
    return [EdgeRow(a, first.get(a, "")) for a in ACTION_ANSWERS] + [
        r for r in edges if r.label not in ACTION_ANSWERS
    ]


def _lines(value: Any) -> str:
    return "\n".join(str(v) for v in value) if isinstance(value, list) else ""


def _num(value: Any) -> str:
    return "" if value is None else str(value)


def _rule(data: Mapping[str, Any]) -> Mapping[str, Any]:
    rule = data.get("answered_by")
    return rule if isinstance(rule, dict) else {}


def _pairs(value: Any) -> str:
    """A mapping as "key = value" lines, the way the editor shows it."""
    return "\n".join(f"{k} = {v}" for k, v in value.items()) if isinstance(value, dict) else ""


def _read_pairs(node: NodeForm, name: str, problems: list) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for line in getattr(node, name).splitlines():
        if not line.strip():
            continue
        key, sep, value = line.rpartition("=")
        if not sep or not key.strip() or not value.strip():
            problems.append((node.id, f"{name}: write each line as 'this = that' ('{line}')"))
            continue
        pairs[key.strip()] = value.strip()
    return pairs


def form_from_graph(graph: nx.DiGraph) -> TreeForm:
    attrs = graph.graph
    form = TreeForm(
        id=str(attrs.get("id", "")),
        title=str(attrs.get("title", "")),
        summary=str(attrs.get("summary", "")),
        service=str(attrs.get("service", "")),
        category=str(attrs.get("category", "")),
        audience=str(attrs.get("audience", "public")),
        tags=", ".join(str(t) for t in attrs.get("tags", []) or []),
        start=str(attrs.get("start", "")),
    )
    for node, data in graph.nodes(data=True):
        followup = data.get("followup") if isinstance(data.get("followup"), dict) else {}
        params = data.get("params") if isinstance(data.get("params"), dict) else {}
        form.nodes.append(
            NodeForm(
                id=node,
                original_id=node,
                kind=str(data.get("kind", "question")),
                **{name: str(data.get(name) or "") for name in TEXT_FIELDS},
                var=str(data.get("var") or ""),
                input_type=str(data.get("input_type") or "text"),
                choices=_lines(data.get("choices")),
                min=_num(data.get("min")),
                max=_num(data.get("max")),
                max_length=_num(data.get("max_length")),
                check=str(data.get("check") or ""),
                params="\n".join(f"{k}={v}" for k, v in params.items()),
                group=str(data.get("group") or ""),
                impact=str(data.get("impact") or ""),
                urgency=str(data.get("urgency") or ""),
                ask=_lines(data.get("ask")),
                ask_answered_by=_pairs(data.get("ask_answered_by")),
                answered_by_variable=str(_rule(data).get("variable") or ""),
                answered_by_answers=_pairs(_rule(data).get("answers")),
                followup_days=_num(followup.get("after_days")),
                followup_text=str(followup.get("text") or ""),
                workaround="yes" if data.get("workaround") is True else "",
                remains=str(data.get("remains") or ""),
                not_fixed_next=str(data.get("not_fixed_next") or ""),
                edges=[EdgeRow(c.label, c.target) for c in exits(graph, node)],
            )
        )
    return form


def form_from_fields(fields: Mapping[str, str]) -> TreeForm:
    """Read the posted fields; nodes marked for deletion are left out (with their edges)."""
    form = TreeForm(
        **{
            name: str(fields.get(f"tree-{name}", "")).strip()
            for name in ("id", "title", "summary", "service", "category", "audience", "tags")
        },
        start=str(fields.get("tree-start", "")).strip(),
    )
    nodes: dict[int, dict[str, str]] = {}
    edges: dict[int, dict[int, dict[str, str]]] = {}
    for key, value in fields.items():
        match = EDGE_FIELD.match(key)
        if match:
            i, j, part = int(match.group(1)), int(match.group(2)), match.group(3)
            edges.setdefault(i, {}).setdefault(j, {})[part] = str(value).strip()
            continue
        match = NODE_FIELD.match(key)
        if match:
            nodes.setdefault(int(match.group(1)), {})[match.group(2)] = str(value)
    known = {f.name for f in NodeForm.__dataclass_fields__.values()} - {"edges"}
    deleted = {
        n.get(name, "").strip()
        for n in nodes.values()
        if n.get("delete")
        for name in ("id", "original_id")
    } - {""}
    for i in sorted(nodes):
        raw = nodes[i]
        if raw.get("delete"):
            continue
        node = NodeForm(**{k: v.strip() for k, v in raw.items() if k in known})
        if not node.id and not node.label and not node.text:
            continue  # an untouched blank node
        rows = [
            EdgeRow(r.get("label", ""), r.get("target", ""))
            for _, r in sorted(edges.get(i, {}).items())
        ]
        node.edges = [r for r in rows if r.target and r.target not in deleted]
        form.nodes.append(node)
    _carry_renames(form)
    return form


def _carry_renames(form: TreeForm) -> None:
    """A step whose id changed takes along the first step and every reference to it. An id
    two steps now share is left alone: graph_from_form reports the clash."""
    used = Counter(n.id for n in form.nodes)
    renames = {
        n.original_id: n.id
        for n in form.nodes
        if n.original_id and n.id and n.original_id != n.id and used[n.id] == 1
    }
    form.start = renames.get(form.start, form.start)
    for node in form.nodes:
        for row in node.edges:
            row.target = renames.get(row.target, row.target)
        node.not_fixed_next = renames.get(node.not_fixed_next, node.not_fixed_next)
        node.original_id = node.id


@dataclass
class Built:
    graph: nx.DiGraph
    problems: list[tuple[str | None, str]]  # (node, message) found while reading the form


def _number(node: NodeForm, name: str, problems: list, whole: bool = False) -> Any:
    text = getattr(node, name).replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        problems.append((node.id, f"{name}: must be a number"))
        return None
    if whole or value.is_integer():
        if not value.is_integer():
            problems.append((node.id, f"{name}: must be a whole number"))
            return None
        return int(value)
    return value


def graph_from_form(form: TreeForm) -> Built:
    """The DiGraph the form describes, plus problems only the form can have (bad numbers,
    duplicate ids, edges to nodes that do not exist). Validation does the rest."""
    problems: list[tuple[str | None, str]] = []
    graph = nx.DiGraph()
    graph.graph.update(
        {
            "id": form.id,
            "title": form.title,
            "summary": form.summary,
            "service": form.service,
            "category": form.category,
            "audience": form.audience,
            "start": form.start,
            "version": 1,
            "tags": [t.strip() for t in form.tags.split(",") if t.strip()],
        }
    )
    for node in form.nodes:
        if not node.id:
            problems.append((None, f"a node labelled '{node.label or node.text[:30]}' has no id"))
            continue
        if node.id in graph:
            problems.append((node.id, "id: two nodes have this id"))
            continue
        attrs: dict[str, Any] = {"kind": node.kind}
        for name in TEXT_FIELDS:
            value = getattr(node, name)
            if value or name in ("label", "text"):
                attrs[name] = value
        if node.kind == "input":
            attrs["var"] = node.var
            attrs["input_type"] = node.input_type
            if node.input_type == "choice":
                attrs["choices"] = [c.strip() for c in node.choices.splitlines() if c.strip()]
            if node.input_type == "number":
                for name in ("min", "max"):
                    value = _number(node, name, problems)
                    if value is not None:
                        attrs[name] = value
            if node.input_type == "text":
                value = _number(node, "max_length", problems, whole=True)
                if value is not None:
                    attrs["max_length"] = value
        elif node.kind == "check":
            attrs["check"] = node.check
            params: dict[str, Any] = {}
            for line in node.params.splitlines():
                if not line.strip():
                    continue
                key, sep, value = line.partition("=")
                if not sep or not key.strip():
                    problems.append((node.id, f"params: write each as name=value ('{line}')"))
                    continue
                value = value.strip()
                number = whole_number(value)
                params[key.strip()] = value if number is None else number
            attrs["params"] = params
        elif node.kind == "escalation":
            attrs.update(group=node.group, impact=node.impact, urgency=node.urgency)
            attrs["ask"] = [a.strip() for a in node.ask.splitlines() if a.strip()]
            asks = _read_pairs(node, "ask_answered_by", problems)
            if asks:
                attrs["ask_answered_by"] = asks
        elif node.kind == "question" and node.answered_by_variable:
            attrs["answered_by"] = {
                "variable": node.answered_by_variable,
                "answers": _read_pairs(node, "answered_by_answers", problems),
            }
        elif node.kind == "resolution":
            if node.followup_days or node.followup_text:
                days = _number(node, "followup_days", problems, whole=True)
                attrs["followup"] = {"after_days": days, "text": node.followup_text}
            if node.workaround:
                attrs["workaround"] = True
            for name in ("remains", "not_fixed_next"):
                if getattr(node, name):
                    attrs[name] = getattr(node, name)
        graph.add_node(node.id, **attrs)
    for node in form.nodes:
        if node.id not in graph or graph.nodes[node.id].get("kind") != node.kind:
            continue
        for row in node.edges:
            if row.target not in graph:
                problems.append((node.id, f"edge '{row.label}': there is no node '{row.target}'"))
                continue
            if graph.has_edge(node.id, row.target):
                problems.append((node.id, f"two edges lead to '{row.target}'; keep one"))
                continue
            if node.kind == "check":
                graph.add_edge(node.id, row.target, outcome=row.label)
            elif node.kind == "input":
                graph.add_edge(node.id, row.target)
            else:
                graph.add_edge(node.id, row.target, answer=row.label)
    return Built(graph, problems)


def blank_tree_form() -> TreeForm:
    """A starting point for a new tree: a question, a fix, and an escalation."""
    form = TreeForm(
        audience="public",
        start="first_question",
        nodes=[
            NodeForm(
                id="first_question",
                kind="question",
                label="First question",
                text="Ask the first question here.",
                edges=[EdgeRow("Yes", "fixed"), EdgeRow("No", "escalate")],
            ),
            NodeForm(id="fixed", kind="resolution", label="Fixed", text="What fixed it."),
            NodeForm(
                id="escalate",
                kind="escalation",
                label="Escalate",
                text="What happens next.",
                group="service-desk",
                impact="low",
                urgency="medium",
                ask="Exact error message",
            ),
        ],
    )
    for node in form.nodes:
        node.original_id = node.id
    return form
