"""Small trees for tests, built as node-link data (the file form)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from kb.trees.graph import graph_from_data

SMALL: dict[str, Any] = {
    "directed": True,
    "multigraph": False,
    "graph": {
        "id": "test-printer",
        "title": "Test printer",
        "summary": "A small tree for tests.",
        "service": "printing",
        "category": "Printing",
        "audience": "public",
        "start": "ask_name",
        "version": 1,
        "tags": ["printer"],
    },
    "nodes": [
        {"id": "ask_name", "kind": "input", "label": "Printer name", "text": "Which printer?",
         "var": "printer", "input_type": "text", "max_length": 40},
        {"id": "q_power", "kind": "question", "label": "Powered on?",
         "text": "Is {printer} switched on?", "text_technician": "Check {printer} is powered.",
         "script": "Can you see a light on {printer}?"},
        {"id": "a_power", "kind": "action", "label": "Switch it on", "text": "Switch it on.",
         "article": "printer-not-printing"},
        {"id": "c_ping", "kind": "check", "label": "Server reachable?",
         "text": "Can you open the print server page?", "check": "tcp_connect",
         "params": {"host": "127.0.0.1", "port": 9}},
        {"id": "res_fixed", "kind": "resolution", "label": "Fixed", "text": "It prints again.",
         "followup": {"after_days": 2, "text": "Check {printer} still prints."}},
        {"id": "esc_desk", "kind": "escalation", "label": "Desktop support",
         "text": "Desktop support will look at {printer}.", "group": "desktop-support",
         "impact": "low", "urgency": "medium", "ask": ["Asset tag of {printer}"]},
    ],
    "edges": [
        {"source": "ask_name", "target": "q_power"},
        {"source": "q_power", "target": "c_ping", "answer": "Yes"},
        {"source": "q_power", "target": "a_power", "answer": "No"},
        {"source": "a_power", "target": "res_fixed", "answer": "It worked"},
        {"source": "a_power", "target": "q_power", "answer": "It didn't work"},
        {"source": "c_ping", "target": "res_fixed", "outcome": "pass"},
        {"source": "c_ping", "target": "esc_desk", "outcome": "fail"},
    ],
}  # fmt: skip


def small(**graph_attrs: Any) -> dict[str, Any]:
    data = copy.deepcopy(SMALL)
    data["graph"].update(graph_attrs)
    return data


def small_graph(**graph_attrs: Any):
    return graph_from_data(small(**graph_attrs))


def write_tree(folder: Path, data: dict[str, Any], name: str | None = None) -> Path:
    path = folder / f"{name or data['graph']['id']}.json"
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return path


def node(data: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in data["nodes"] if n["id"] == node_id)
