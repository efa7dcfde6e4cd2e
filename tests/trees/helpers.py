"""Driving diagnostics through pages and the API, as a browser or an integration would."""

from __future__ import annotations

import itertools
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import networkx as nx
from flask.testing import FlaskClient

from kb.content import import_content
from kb.extensions import kb_state
from kb.trees.graph import CHECK_ANSWERS, parse_tree
from tests.conftest import csrf_token
from tests.trees.trees import write_tree

REPO = Path(__file__).resolve().parents[2]
BY_OUTCOME = {outcome: answer for answer, outcome in CHECK_ANSWERS.items()}


def bundled_tree(tree_id: str) -> nx.DiGraph:
    return parse_tree((REPO / "kb" / "decision_trees" / f"{tree_id}.json").read_text())


def import_tree(app, folder: Path, data: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_tree(folder, data)
    with app.app_context(), kb_state(app).session() as session:
        report = import_content(session, [folder])
    assert not report.failed, report.error_lines


def start(client: FlaskClient, tree_id: str, mode: str | None = None) -> str:
    """Start from the landing page's form; returns the session token."""
    data = {"csrf_token": csrf_token(client, f"/trees/{tree_id}")}
    if mode:
        data["mode"] = mode
    response = client.post(f"/trees/{tree_id}/start", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[-1]


def step(client: FlaskClient, token: str, **data: str):
    data["csrf_token"] = csrf_token(client, f"/sessions/{token}")
    return client.post(f"/sessions/{token}", data=data)


class Api:
    """JSON calls with the CSRF header a browser's script would send."""

    def __init__(self, client: FlaskClient, token_page: str = "/trees/printer-not-printing"):
        self.client = client
        self.token = csrf_token(client, token_page)

    def post(self, path: str, body: dict[str, Any] | None = None):
        return self.client.post(
            f"/api/v1{path}", json=body or {}, headers={"X-CSRFToken": self.token}
        )

    def get(self, path: str):
        return self.client.get(f"/api/v1{path}")


def value_for(attrs: dict[str, Any]) -> str:
    if attrs["input_type"] == "choice":
        return attrs["choices"][0]
    if attrs["input_type"] == "number":
        return str(attrs.get("min", 1))
    return "Test value"


def answers_along(graph: nx.DiGraph, path: list[str]) -> list[tuple[str, str]]:
    """(field, value) to post at each step of ``path``: answer, value, or a check by hand."""
    moves = []
    for here, there in itertools.pairwise(path):
        attrs, edge = graph.nodes[here], graph.edges[here, there]
        if attrs["kind"] == "input":
            moves.append(("value", value_for(attrs)))
        elif attrs["kind"] == "check":
            moves.append(("answer", BY_OUTCOME[edge["outcome"]]))
        else:
            moves.append(("answer", edge["answer"]))
    return moves


def terminals(graph: nx.DiGraph) -> list[str]:
    return sorted(n for n, k in graph.nodes(data="kind") if k in ("resolution", "escalation"))


class _FormReader(HTMLParser):
    """Collects what a browser would submit from the first form with ``form_id``."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields: dict[str, str] = {}
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "checkbox", "radio"):
            self.fields[name] = a.get("value") or ""
        elif tag == "input" and name and a.get("type") == "checkbox" and "checked" in a:
            self.fields[name] = a.get("value") or "on"
        elif tag == "select" and name:
            self.select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self.select and "selected" in a:
            self.fields[self.select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self.textarea = name
            self.fields[name] = ""

    def handle_data(self, data):
        if self.textarea:
            self.fields[self.textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            if self.textarea:
                self.fields[self.textarea] = self.fields[self.textarea].removeprefix("\n")
            self.textarea = None


def form_fields(html: str, form_id: str) -> dict[str, str]:
    reader = _FormReader(form_id)
    reader.feed(html)
    return reader.fields
