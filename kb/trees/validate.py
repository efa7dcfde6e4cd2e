"""Static verification of a decision tree: every problem at once, each tied to its node.

Proves: one start that exists; every node reachable from it; from every node some path
reaches a resolution or an escalation (loops need an exit); terminals have no out-edges;
answers unique per node; every article, check and support group named exists; every
``{variable}`` is set by an input node on every path that reaches its use, and so is every
variable a question's ``answered_by`` or an escalation's ``ask_answered_by`` reads (account
fields excepted: kb.trees.known). A resolution's
``not_fixed_next`` (where "Still not fixed" leads) counts as a way on for reachability and
variables, and must never lead back to the same ending.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from kb.config import service_catalogue
from kb.limits import too_long
from kb.trees.graph import (
    ACTION_ANSWERS,
    AUDIENCES,
    CATEGORIES,
    INPUT_TYPES,
    KINDS,
    LABEL_LIMIT,
    LEVELS,
    NODE_ID,
    OUTCOMES,
    TERMINAL_KINDS,
    TREE_ID,
    VAR_NAME,
    node_texts,
    placeholders,
)
from kb.trees.known import ACCOUNT_VARIABLES

ANCHOR = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


@dataclass(frozen=True)
class Problem:
    """One defect; ``node`` is None for the tree as a whole."""

    message: str
    node: str | None = None

    def __str__(self) -> str:
        return f"node {self.node}: {self.message}" if self.node else self.message


@dataclass
class Context:
    """What a tree may refer to. ``None`` means "do not check this kind of reference".

    ``articles`` maps slug to audience (public/internal); ``checks`` maps a check name to the
    names of its parameters and whether each is required.
    """

    articles: Mapping[str, str] | None = None
    checks: Mapping[str, Mapping[str, bool]] | None = None
    groups: Mapping[str, str] | None = None
    expected_id: str | None = None


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, message: str, node: str | None = None) -> None:
        self.problems.append(Problem(message, node))

    def by_node(self) -> dict[str | None, list[str]]:
        grouped: dict[str | None, list[str]] = {}
        for problem in self.problems:
            grouped.setdefault(problem.node, []).append(problem.message)
        return grouped


def validate_tree(graph: nx.DiGraph, context: Context | None = None) -> Report:
    context = context or Context()
    report = Report()
    _check_graph_attributes(graph, context, report)
    for node, attrs in graph.nodes(data=True):
        _check_node(graph, node, attrs, context, report)
    start = graph.graph.get("start")
    if isinstance(start, str) and start in graph:
        flow = walkable(graph)
        _check_structure(flow, start, report)
        _check_variables(flow, start, report)
        _check_known_values(flow, start, report)
        _check_not_fixed_loops(graph, flow, report)
    return report


def not_fixed_jumps(graph: nx.DiGraph) -> list[tuple[str, str]]:
    """(resolution, step) for each resolution whose "Still not fixed" leads on to a step."""
    return [
        (node, attrs["not_fixed_next"])
        for node, attrs in graph.nodes(data=True)
        if attrs.get("kind") == "resolution"
        and isinstance(attrs.get("not_fixed_next"), str)
        and attrs["not_fixed_next"] in graph
        and attrs["not_fixed_next"] != node
    ]


def walkable(graph: nx.DiGraph) -> nx.DiGraph:
    """The graph a session can walk: its edges plus the "Still not fixed" jumps."""
    jumps = not_fixed_jumps(graph)
    if not jumps:
        return graph
    flow = nx.DiGraph(graph)
    flow.add_edges_from(jumps)
    return flow


def _check_not_fixed_loops(graph: nx.DiGraph, flow: nx.DiGraph, report: Report) -> None:
    for node, target in not_fixed_jumps(graph):
        if node in nx.descendants(flow, target):
            report.add(
                f"not_fixed_next: '{target}' can lead back to this ending, so someone whose "
                "problem is not fixed could go round in a loop; name a step after which it "
                "cannot come back here (or leave not_fixed_next out to escalate)",
                node,
            )


# --- the tree as a whole ------------------------------------------------------------------


def _check_graph_attributes(graph: nx.DiGraph, context: Context, report: Report) -> None:
    attrs = graph.graph
    tree_id = attrs.get("id")
    if not isinstance(tree_id, str) or not TREE_ID.match(tree_id):
        report.add("graph id: use lowercase words separated by dashes (like printer-not-printing)")
    elif context.expected_id and tree_id != context.expected_id:
        report.add(f"graph id '{tree_id}' must equal the file name '{context.expected_id}'")
    for name, limit in (("title", 200), ("summary", 500)):
        value = attrs.get(name)
        if not isinstance(value, str) or not value.strip():
            report.add(f"graph {name}: is required")
        elif len(value) > limit:
            report.add(f"graph {name}: must be at most {limit} characters")
    services = service_catalogue()
    if attrs.get("service") not in services:
        report.add("graph service: must be one of " + ", ".join(services))
    if attrs.get("category") not in CATEGORIES:
        report.add("graph category: must be one of " + "; ".join(CATEGORIES))
    if attrs.get("audience") not in AUDIENCES:
        report.add("graph audience: must be public or technician")
    if attrs.get("version") != 1:
        report.add("graph version: must be 1")
    tags = attrs.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        report.add("graph tags: must be a list of words")
    elif too_long(tags, "TAGS_MAX"):
        report.add(f"graph tags: {too_long(tags, 'TAGS_MAX')}")
    start = attrs.get("start")
    if not isinstance(start, str) or not start:
        report.add("graph start: name the first node")
    elif start not in graph:
        report.add(f"graph start: there is no node '{start}'")


# --- one node -----------------------------------------------------------------------------


def _text(attrs: dict[str, Any], name: str, node: str, report: Report, required: bool) -> None:
    value = attrs.get(name)
    if value is None:
        if required:
            report.add(f"{name}: is required", node)
    elif not isinstance(value, str) or (required and not value.strip()):
        report.add(f"{name}: must be text", node)


def _check_node(
    graph: nx.DiGraph, node: str, attrs: dict[str, Any], context: Context, report: Report
) -> None:
    if not NODE_ID.match(node):
        report.add("id: use short snake_case (letters, digits, underscores)", node)
    kind = attrs.get("kind")
    if kind not in KINDS:
        report.add("kind: must be one of " + ", ".join(KINDS), node)
        return
    label = attrs.get("label")
    if not isinstance(label, str) or not label.strip():
        report.add("label: is required", node)
    elif len(label) > LABEL_LIMIT:
        report.add(f"label: must be at most {LABEL_LIMIT} characters", node)
    _text(attrs, "text", node, report, required=True)
    for name in ("text_technician", "script"):
        _text(attrs, name, node, report, required=False)
    _check_article(graph, node, attrs, context, report)

    out = list(graph.out_edges(node, data=True))
    _check_answered_by(node, attrs, out, report)
    if kind in TERMINAL_KINDS:
        if out:
            targets = ", ".join(t for _, t, _ in out)
            report.add(
                f"{_a(kind)} {kind} ends the diagnostic: remove its out-edges (to {targets})", node
            )
    elif not out and kind != "action":  # an action's two outcomes are checked below
        report.add(
            f"{_a(kind)} {kind} step needs out-edges; only resolutions and escalations end",
            node,
        )
    checker = {
        "question": _check_question,
        "input": _check_input,
        "action": _check_action,
        "check": _check_check,
        "resolution": _check_resolution,
        "escalation": _check_escalation,
    }[kind]
    checker(node, attrs, out, context, report)
    if kind == "resolution":
        _check_not_fixed(graph, node, attrs, report)
    else:
        for name in ("workaround", "remains", "not_fixed_next"):
            if name in attrs:
                report.add(f"{name}: only a resolution can say this", node)


def _a(word: str) -> str:
    """The article a message needs before ``word``: "an action", "a question"."""
    return "an" if word[:1] in "aeiou" else "a"


def _check_article(
    graph: nx.DiGraph, node: str, attrs: dict[str, Any], context: Context, report: Report
) -> None:
    slug = attrs.get("article")
    if slug is None:
        return
    if not isinstance(slug, str) or not slug:
        report.add("article: must be an article slug", node)
        return
    if context.articles is None:
        return
    audience = context.articles.get(slug)
    if audience is None:
        report.add(f"article: there is no article '{slug}'", node)
    elif audience != "public" and graph.graph.get("audience") == "public":
        report.add(f"article: '{slug}' is internal; a public tree may only show public ones", node)


def _check_answered_by(node: str, attrs: dict[str, Any], out: list, report: Report) -> None:
    """The shape of ``answered_by`` (question), ``ask_answered_by`` (escalation) and
    ``article_section``; whether their variables are known in time is checked per path."""
    kind = attrs.get("kind")
    rule = attrs.get("answered_by")
    if rule is not None:
        if kind != "question":
            report.add("answered_by: only a question can be answered from a known value", node)
        elif not isinstance(rule, dict) or not isinstance(rule.get("variable"), str):
            report.add('answered_by: must be {"variable": name, "answers": {value: answer}}', node)
        else:
            if not VAR_NAME.match(rule["variable"]):
                report.add("answered_by variable: name it in snake_case", node)
            mapping = rule.get("answers")
            labels = {edge.get("answer") for _, _, edge in out}
            if not isinstance(mapping, dict) or not mapping:
                report.add("answered_by answers: map at least one value to an answer", node)
            else:
                for value, answer in mapping.items():
                    if not isinstance(answer, str) or answer not in labels:
                        report.add(
                            f"answered_by answers: '{value}' leads to '{answer}', which is not "
                            "one of this question's answers",
                            node,
                        )
    asks = attrs.get("ask_answered_by")
    if asks is not None:
        if kind != "escalation":
            report.add("ask_answered_by: only an escalation asks for things", node)
        elif not isinstance(asks, dict) or not all(
            isinstance(v, str) and VAR_NAME.match(v) for v in asks.values()
        ):
            report.add("ask_answered_by: must map an 'ask' item to a variable name", node)
        else:
            ask = attrs.get("ask") if isinstance(attrs.get("ask"), list) else []
            for item in asks:
                if item not in ask:
                    report.add(f"ask_answered_by: '{item}' is not one of this step's ask", node)
    anchor = attrs.get("article_section")
    if anchor is not None:
        if not isinstance(anchor, str) or not ANCHOR.match(anchor):
            report.add(
                "article_section: the id of a heading in the article (like resolution)", node
            )
        elif not attrs.get("article"):
            report.add("article_section: name the article too", node)


def _answers(node: str, out: list, key: str, report: Report) -> list[str]:
    labels: list[str] = []
    for _, target, edge in out:
        label = edge.get(key)
        if not isinstance(label, str) or not label.strip():
            report.add(f"edge to {target}: needs an '{key}'", node)
            continue
        if label in labels:
            report.add(f"edge to {target}: {key} '{label}' is used twice", node)
        labels.append(label)
    return labels


def _no_key(node: str, out: list, key: str, report: Report) -> None:
    for _, target, edge in out:
        if key in edge:
            report.add(f"edge to {target}: must not carry an '{key}'", node)


def _check_question(node, attrs, out, context, report) -> None:
    _answers(node, out, "answer", report)
    _no_key(node, out, "outcome", report)
    if len(out) < 2:
        report.add("a question needs at least 2 answers (out-edges)", node)


def _check_input(node, attrs, out, context, report) -> None:
    var = attrs.get("var")
    if not isinstance(var, str) or not VAR_NAME.match(var):
        report.add("var: name the variable in snake_case (like printer_name)", node)
    input_type = attrs.get("input_type")
    if input_type not in INPUT_TYPES:
        report.add("input_type: must be text, number or choice", node)
    if input_type == "choice":
        choices = attrs.get("choices")
        if (
            not isinstance(choices, list)
            or len(choices) < 2
            or not all(isinstance(c, str) and c.strip() for c in choices)
        ):
            report.add("choices: a choice input needs a list of at least 2 choices", node)
        elif too_long(choices):
            report.add(f"choices: {too_long(choices)}", node)
        elif len(set(choices)) != len(choices):
            report.add("choices: each choice must be different", node)
    if input_type == "number":
        bounds = {k: attrs.get(k) for k in ("min", "max") if attrs.get(k) is not None}
        for name, value in bounds.items():
            if not isinstance(value, int | float) or isinstance(value, bool):
                report.add(f"{name}: must be a number", node)
        numbers = all(isinstance(v, int | float) for v in bounds.values())
        if len(bounds) == 2 and numbers and bounds["min"] > bounds["max"]:
            report.add("min: must not be above max", node)
    if "max_length" in attrs:
        value = attrs["max_length"]
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5000:
            report.add("max_length: must be a whole number from 1 to 5000", node)
    if len(out) != 1:
        report.add(f"an input has exactly one out-edge (it has {len(out)})", node)
    _no_key(node, out, "answer", report)
    _no_key(node, out, "outcome", report)


def _check_action(node, attrs, out, context, report) -> None:
    labels = _answers(node, out, "answer", report)
    _no_key(node, out, "outcome", report)
    if sorted(labels) != sorted(ACTION_ANSWERS):
        report.add(
            "an action step has exactly two outcomes, 'It worked' and 'It didn't work': "
            "choose the step each leads to",
            node,
        )


def _check_check(node, attrs, out, context, report) -> None:
    name = attrs.get("check")
    params = attrs.get("params")
    if not isinstance(name, str) or not name:
        report.add("check: name the automated check to run", node)
    elif context.checks is not None:
        spec = context.checks.get(name)
        if spec is None:
            known = ", ".join(sorted(context.checks)) or "none are registered"
            report.add(f"check: there is no check '{name}' (known: {known})", node)
        elif isinstance(params, dict):
            for param, required in spec.items():
                if required and param not in params:
                    report.add(f"params: '{name}' needs '{param}'", node)
            for param in params:
                if param not in spec:
                    report.add(f"params: '{name}' has no parameter '{param}'", node)
    if not isinstance(params, dict):
        report.add("params: must be an object of check parameters", node)
    outcomes = _answers(node, out, "outcome", report)
    _no_key(node, out, "answer", report)
    for outcome in outcomes:
        if outcome not in OUTCOMES:
            report.add(f"outcome '{outcome}': must be pass, fail or error", node)
    for needed in ("pass", "fail"):
        if needed not in outcomes:
            report.add(f"a check needs a '{needed}' out-edge", node)


def _check_resolution(node, attrs, out, context, report) -> None:
    followup = attrs.get("followup")
    if followup is None:
        return
    if not isinstance(followup, dict):
        report.add("followup: must be an object with after_days and text", node)
        return
    days = followup.get("after_days")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
        report.add("followup after_days: a whole number of days from 1 to 365", node)
    text = followup.get("text")
    if not isinstance(text, str) or not text.strip():
        report.add("followup text: say what to check with the requester", node)


def _check_not_fixed(graph: nx.DiGraph, node: str, attrs: dict[str, Any], report: Report) -> None:
    """``workaround: true`` needs ``remains`` (what still needs fixing); ``not_fixed_next``
    names the step "Still not fixed" leads to (another node of this tree)."""
    workaround = attrs.get("workaround")
    if workaround is not None and not isinstance(workaround, bool):
        report.add("workaround: must be true or false", node)
    remains = attrs.get("remains")
    if workaround is True:
        if not isinstance(remains, str) or not remains.strip():
            report.add("remains: a workaround must say what still needs fixing", node)
        elif len(remains) > 500:
            report.add("remains: must be at most 500 characters", node)
    elif remains is not None:
        report.add("remains: only a workaround (workaround: true) says what remains", node)
    target = attrs.get("not_fixed_next")
    if target is None:
        return
    if not isinstance(target, str) or not target:
        report.add("not_fixed_next: name the step 'Still not fixed' leads to", node)
    elif target == node:
        report.add("not_fixed_next: must name another step, not this ending", node)
    elif target not in graph:
        report.add(f"not_fixed_next: there is no node '{target}'", node)


def _check_escalation(node, attrs, out, context, report) -> None:
    group = attrs.get("group")
    if not isinstance(group, str) or not group:
        report.add("group: name the support group", node)
    elif context.groups is not None and group not in context.groups:
        report.add(
            f"group: there is no support group '{group}' (known: {', '.join(context.groups)})",
            node,
        )
    for name in ("impact", "urgency"):
        if attrs.get(name) not in LEVELS:
            report.add(f"{name}: must be high, medium or low", node)
    ask = attrs.get("ask", [])
    if not isinstance(ask, list) or not all(isinstance(a, str) and a.strip() for a in ask):
        report.add("ask: must be a list of things to ask the requester", node)
    elif too_long(ask):
        report.add(f"ask: {too_long(ask)}", node)


# --- paths --------------------------------------------------------------------------------


def _check_structure(graph: nx.DiGraph, start: str, report: Report) -> None:
    reachable = nx.descendants(graph, start) | {start}
    for node in graph:
        if node not in reachable:
            report.add(f"cannot be reached from the start node '{start}'", node)
    terminals = {
        n for n, kind in graph.nodes(data="kind") if kind in TERMINAL_KINDS and n in reachable
    }
    can_finish: set[str] = set(terminals)
    for terminal in terminals:
        can_finish |= nx.ancestors(graph, terminal)
    for node in sorted(reachable - can_finish):
        kind = graph.nodes[node].get("kind")
        if kind in TERMINAL_KINDS:
            continue
        report.add(
            "no path from here reaches a resolution or an escalation "
            "(a dead end, or a loop without an exit)",
            node,
        )


def definitely_set(graph: nx.DiGraph, start: str) -> dict[str, frozenset[str]]:
    """For each reachable node, the variables set on *every* path from the start to it
    (a must-analysis: intersect over predecessors until nothing changes)."""
    reachable = nx.descendants(graph, start) | {start}
    every = frozenset(
        attrs["var"]
        for _, attrs in graph.nodes(data=True)
        if attrs.get("kind") == "input" and isinstance(attrs.get("var"), str)
    )
    before: dict[str, frozenset[str]] = {n: every for n in reachable}
    before[start] = frozenset()

    def after(node: str) -> frozenset[str]:
        attrs = graph.nodes[node]
        if attrs.get("kind") == "input" and isinstance(attrs.get("var"), str):
            return before[node] | {attrs["var"]}
        return before[node]

    order = list(nx.bfs_tree(graph, start))
    changed = True
    while changed:
        changed = False
        for node in order:
            if node == start:
                continue
            preds = [p for p in graph.predecessors(node) if p in reachable]
            value = frozenset.intersection(*(after(p) for p in preds)) if preds else frozenset()
            if value != before[node]:
                before[node] = value
                changed = True
    return before


def _check_variables(graph: nx.DiGraph, start: str, report: Report) -> None:
    available = definitely_set(graph, start)
    all_vars = {
        attrs.get("var") for _, attrs in graph.nodes(data=True) if attrs.get("kind") == "input"
    }
    for node, known in available.items():
        used: set[str] = set()
        for text in node_texts(graph.nodes[node]):
            used |= placeholders(text)
        for name in sorted(used - known):
            if name in all_vars:
                report.add(
                    f"uses {{{name}}}, which is not set on every path that reaches this step",
                    node,
                )
            else:
                report.add(f"uses {{{name}}}, which no input node sets", node)


def _check_known_values(graph: nx.DiGraph, start: str, report: Report) -> None:
    """A question answered from a value, or an ask filled from one, needs the value typed on
    every path before it (an account field may be missing: then it is simply asked)."""
    available = definitely_set(graph, start)
    every = {a.get("var") for _, a in graph.nodes(data=True) if a.get("kind") == "input"}
    for node, known in available.items():
        attrs = graph.nodes[node]
        wanted: list[tuple[str, str]] = []
        rule = attrs.get("answered_by")
        if (
            attrs.get("kind") == "question"
            and isinstance(rule, dict)
            and isinstance(rule.get("variable"), str)
        ):
            wanted.append(("answered_by", rule["variable"]))
        asks = attrs.get("ask_answered_by")
        if attrs.get("kind") == "escalation" and isinstance(asks, dict):
            wanted += [("ask_answered_by", v) for v in asks.values() if isinstance(v, str)]
        for field_name, name in wanted:
            if name in ACCOUNT_VARIABLES or name in known:
                continue
            if name in every:
                report.add(
                    f"{field_name}: '{name}' is not set on every path that reaches this step",
                    node,
                )
            else:
                report.add(
                    f"{field_name}: no input node sets '{name}' (account fields: "
                    + ", ".join(ACCOUNT_VARIABLES)
                    + ")",
                    node,
                )
