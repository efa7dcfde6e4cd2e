"""What changed between two revisions of a tree, readable by people: tree attributes, nodes
added, removed and changed (field by field, out-edges included), and the line diff of the JSON
every document kind has (kb.documents.diffing), for the exact record. Templates escape every
value."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from kb.documents.diffing import Diff, diff_texts
from kb.trees.graph import dump_tree, exits


@dataclass
class FieldChange:
    name: str
    old: str
    new: str


@dataclass
class NodeChange:
    node: str
    change: str  # added | removed | changed
    label: str = ""
    fields: list[FieldChange] = field(default_factory=list)


@dataclass
class TreeDiff:
    tree: list[FieldChange]
    nodes: list[NodeChange]
    json: Diff  # the canonical JSON, line by line

    @property
    def empty(self) -> bool:
        return not self.tree and not self.nodes


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _node_fields(graph: nx.DiGraph, node: str) -> dict[str, str]:
    values = {k: _show(v) for k, v in graph.nodes[node].items()}
    values["out-edges"] = "\n".join(f"{c.label or '→'} → {c.target}" for c in exits(graph, node))
    return values


def _changes(old: dict[str, str], new: dict[str, str]) -> list[FieldChange]:
    return [
        FieldChange(name, old.get(name, ""), new.get(name, ""))
        for name in sorted(set(old) | set(new))
        if old.get(name, "") != new.get(name, "")
    ]


def diff_graphs(old: nx.DiGraph, new: nx.DiGraph) -> TreeDiff:
    tree = _changes(
        {k: _show(v) for k, v in old.graph.items()}, {k: _show(v) for k, v in new.graph.items()}
    )
    nodes: list[NodeChange] = []
    for node in new.nodes:
        if node not in old:
            label = str(new.nodes[node].get("label", ""))
            nodes.append(NodeChange(node, "added", label, _changes({}, _node_fields(new, node))))
    for node in old.nodes:
        label = str(old.nodes[node].get("label", ""))
        if node not in new:
            nodes.append(NodeChange(node, "removed", label, _changes(_node_fields(old, node), {})))
            continue
        fields = _changes(_node_fields(old, node), _node_fields(new, node))
        if fields:
            nodes.append(NodeChange(node, "changed", str(new.nodes[node].get("label", "")), fields))
    return TreeDiff(tree, nodes, diff_texts(dump_tree(old), dump_tree(new), context=2))
