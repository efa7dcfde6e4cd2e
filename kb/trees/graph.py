"""The file form of a decision tree: a ``networkx.DiGraph`` in NetworkX node-link JSON.

Loading checks the shape before NetworkX sees it (a file without ``directed``/``edges`` would
otherwise load as an undirected multigraph); writing is canonical (sorted keys, two-space
indent, trailing newline), so an unchanged tree exports byte for byte the same.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import networkx as nx

KINDS = ("question", "input", "action", "check", "resolution", "escalation")
TERMINAL_KINDS = ("resolution", "escalation")
AUDIENCES = ("public", "technician")
LEVELS = ("high", "medium", "low")
INPUT_TYPES = ("text", "number", "choice")
OUTCOMES = ("pass", "fail", "error")
ACTION_ANSWERS = ("It worked", "It didn't work")
# Self-service people answer a check node by hand; these answers map to outcomes.
CHECK_ANSWERS = {"Yes": "pass", "No": "fail", "I'm not sure": "error"}
CATEGORIES = (
    "Accounts and passwords",
    "Email and calendar",
    "Network and remote access",
    "Printing",
    "Computers and devices",
    "Mobile devices",
    "Files and storage",
    "Software",
    "Meetings and audio-video",
    "Security",
    "Onboarding and offboarding",
    "Help desk procedures",
)
TREE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NODE_ID = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
VAR_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
LABEL_LIMIT = 40


class TreeFormatError(Exception):
    """The data is not a node-link directed graph at all; ``problems`` says why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def graph_from_data(data: Any) -> nx.DiGraph:
    """Build the DiGraph from parsed node-link JSON, refusing anything else."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise TreeFormatError(["the file must hold a JSON object (NetworkX node-link data)"])
    if data.get("directed") is not True:
        problems.append('"directed" must be true')
    if data.get("multigraph", False) is not False:
        problems.append('"multigraph" must be false')
    if not isinstance(data.get("graph"), dict):
        problems.append('"graph" must be an object of tree attributes')
    nodes = data.get("nodes")
    if not isinstance(nodes, list):
        problems.append('"nodes" must be a list')
    elif not all(isinstance(n, dict) and isinstance(n.get("id"), str) for n in nodes):
        problems.append('every entry in "nodes" must be an object with a text "id"')
    if "links" in data and "edges" not in data:
        problems.append('edges must be under "edges" (not "links")')
    edges = data.get("edges")
    if not isinstance(edges, list):
        problems.append('"edges" must be a list')
    elif not all(
        isinstance(e, dict)
        and isinstance(e.get("source"), str)
        and isinstance(e.get("target"), str)
        for e in edges
    ):
        problems.append('every entry in "edges" must have text "source" and "target"')
    if problems:
        raise TreeFormatError(problems)
    ids = [n["id"] for n in nodes]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise TreeFormatError([f"node {d}: the id is used more than once" for d in duplicates])
    known = set(ids)
    missing = [
        f"edge {e['source']} -> {e['target']}: "
        f"{'source' if e['source'] not in known else 'target'} is not a node"
        for e in edges
        if e["source"] not in known or e["target"] not in known
    ]
    pairs = [(e["source"], e["target"]) for e in edges]
    repeated = sorted({p for p in pairs if pairs.count(p) > 1})
    missing += [f"edge {s} -> {t}: appears more than once" for s, t in repeated]
    if missing:
        raise TreeFormatError(missing)
    graph = nx.node_link_graph(data, directed=True, multigraph=False, edges="edges")
    if not isinstance(graph, nx.DiGraph) or graph.is_multigraph():
        raise TreeFormatError(["the data did not load as a directed graph"])
    return graph


def parse_tree(text: str) -> nx.DiGraph:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise TreeFormatError(
            [f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"]
        ) from None
    return graph_from_data(data)


def graph_to_data(graph: nx.DiGraph) -> dict[str, Any]:
    return nx.node_link_data(graph, edges="edges")


def dump_tree(graph: nx.DiGraph) -> str:
    """The canonical file text."""
    return json.dumps(graph_to_data(graph), indent=2, sort_keys=True) + "\n"


def content_hash(data: dict[str, Any]) -> str:
    """Hash of the node-link document (key order ignored, node and edge order kept: edge
    order is the order answers are offered in)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Choice:
    """One way out of a node: the label people pick (or the check outcome) and the target."""

    label: str
    target: str


def exits(graph: nx.DiGraph, node: str) -> list[Choice]:
    """The out-edges of ``node`` as labelled choices, in file order."""
    kind = graph.nodes[node].get("kind")
    out = []
    for _, target, attrs in graph.out_edges(node, data=True):
        label = attrs.get("outcome") if kind == "check" else attrs.get("answer")
        out.append(Choice(str(label or ""), target))
    return out


def placeholders(text: Any) -> set[str]:
    """The ``{name}`` variables used in a piece of text (or in every string inside a value)."""
    if isinstance(text, str):
        return set(PLACEHOLDER.findall(text))
    if isinstance(text, dict):
        return set().union(*(placeholders(v) for v in text.values())) if text else set()
    if isinstance(text, list):
        return set().union(*(placeholders(v) for v in text)) if text else set()
    return set()


def fill(text: str, variables: dict[str, Any]) -> str:
    """Replace ``{name}`` with the session's value; unknown names stay as written."""
    return PLACEHOLDER.sub(
        lambda m: str(variables[m.group(1)]) if m.group(1) in variables else m.group(0), text
    )


def readable_gaps(graph: nx.DiGraph) -> dict[str, str]:
    """For each variable an input node sets, words to show where it is not filled in yet:
    the input's label when it names the thing ("Computer name" -> "your computer name"),
    else the variable's name ("Which printer?", printer_name -> "your printer name")."""
    gaps: dict[str, str] = {}
    for _, attrs in graph.nodes(data=True):
        var = attrs.get("var")
        if attrs.get("kind") != "input" or not isinstance(var, str) or var in gaps:
            continue
        label = str(attrs.get("label") or "").strip()
        words = label if label and not label.endswith("?") else var.replace("_", " ")
        first, _, rest = words.partition(" ")
        if not first.isupper():  # keep "VPN", "PIN"; lower "Computer"
            first = first[:1].lower() + first[1:]
        gaps[var] = f"your {first} {rest}".strip()
    return gaps


def with_gaps(text: str, gaps: dict[str, str]) -> str:
    """``text`` as someone who has filled nothing in reads it: each ``{name}`` becomes its
    readable gap, and one no input sets (a mistake the validator reports) is dropped."""
    filled = PLACEHOLDER.sub(lambda m: gaps.get(m.group(1), ""), text)
    return re.sub(r"[ \t]{2,}", " ", filled) if filled != text else text


def node_texts(attrs: dict[str, Any]) -> list[Any]:
    """Every field of a node that may use variables."""
    followup = attrs.get("followup")
    return [
        attrs.get("text"),
        attrs.get("text_technician"),
        attrs.get("script"),
        attrs.get("params"),
        attrs.get("ask"),
        attrs.get("remains"),
        followup.get("text") if isinstance(followup, dict) else None,
    ]


def searchable_text(graph: nx.DiGraph) -> str:
    """The words of a tree, for full-text search: of a public tree only what self-service
    shows (its technician wording and scripts are not for everyone who can search)."""
    parts: list[str] = [str(graph.graph.get("title", "")), str(graph.graph.get("summary", ""))]
    keys = ("label", "text")
    public = graph.graph.get("audience", "public") == "public"
    if not public:
        keys += ("text_technician", "script")
    for _, attrs in graph.nodes(data=True):
        parts += [str(attrs.get(k, "")) for k in keys]
    for _, _, attrs in graph.edges(data=True):
        if attrs.get("answer"):
            parts.append(str(attrs["answer"]))
    if public:  # self-service words never show a placeholder nobody has filled in
        gaps = readable_gaps(graph)
        parts = [with_gaps(p, gaps) for p in parts]
    return "\n".join(p for p in parts if p)
