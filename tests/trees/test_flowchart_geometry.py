"""The flowcharts kb serves are readable: on every bundled tree, on a session's transcript and on
the tree heatmap, no arrow runs through a step it does not connect, no answer label covers a
step or another label, no two steps overlap, every step and arrow of the tree is drawn and every
line of text fits its box. Read from the SVG the pages serve, measured with the renderer's own
text-width estimate."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from itertools import combinations

import networkx as nx
import pytest

from kb.trees import flowchart_text as ft
from tests.conftest import AuthActions, csrf_token
from tests.trees.helpers import (
    REPO,
    answers_along,
    bundled_tree,
    form_fields,
    start,
    step,
    terminals,
)

TREES = sorted(p.stem for p in (REPO / "kb" / "decision_trees").glob("*.json"))
NS = "{http://www.w3.org/2000/svg}"
NUMBER = r"-?\d+(?:\.\d+)?"


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and other.y < self.y + self.h
        )

    def holds(self, px: float, py: float, inset: float = 0.5) -> bool:
        return (
            self.x + inset < px < self.x + self.w - inset
            and self.y + inset < py < self.y + self.h - inset
        )


@dataclass
class Drawing:
    steps: dict[str, Box]
    edges: list[tuple[str, str, list[tuple[float, float]], set[str]]]
    labels: list[tuple[Box, str]]
    texts: list[tuple[str, Box, float, float, float]]  # in (node or label), box, x, y, width


def _shape_box(group: ET.Element) -> Box:
    rect = group.find(f"{NS}rect")
    if rect is not None:
        return Box(*(float(rect.get(k)) for k in ("x", "y", "width", "height")))
    points = [
        tuple(map(float, p.split(","))) for p in group.find(f"{NS}polygon").get("points").split()
    ]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return Box(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


def sample(d: str, per_curve: int = 40) -> list[tuple[float, float]]:
    """Points along an SVG path made of M, L and C commands."""
    points: list[tuple[float, float]] = []
    for command, args in re.findall(r"([MLC])([^MLC]*)", d):
        numbers = [float(n) for n in re.findall(NUMBER, args)]
        pairs = list(zip(numbers[::2], numbers[1::2], strict=True))
        if command == "C":
            (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points[-1], *pairs
            for i in range(1, per_curve + 1):
                t = i / per_curve
                a, b, c, e = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
                points.append(
                    (a * x0 + b * x1 + c * x2 + e * x3, a * y0 + b * y1 + c * y2 + e * y3)
                )
        elif command == "L":
            (x0, y0), (x1, y1) = points[-1], pairs[0]
            points += [(x0 + (x1 - x0) * i / 20, y0 + (y1 - y0) * i / 20) for i in range(1, 21)]
        else:
            points.append(pairs[0])
    return points


def _text_width(text: ET.Element) -> float:
    size = float(text.get("font-size") or ft.FONT)
    return ft.text_width(text.text or "", size, text.get("font-weight") == "bold")


def parse(svg: str) -> Drawing:
    root = ET.fromstring(svg)
    drawing = Drawing({}, [], [], [])
    for group in root.iter(f"{NS}g"):
        classes = set((group.get("class") or "").split())
        if "node" in classes:
            node = group.get("id").removeprefix("node-")
            box = drawing.steps[node] = _shape_box(group)
            for text in group.findall(f"{NS}text"):
                if "start" not in (text.get("class") or ""):
                    x, y = float(text.get("x")), float(text.get("y"))
                    drawing.texts.append((node, box, x, y, _text_width(text)))
        elif "edge-label" in classes:
            rect = group.find(f"{NS}rect")
            box = Box(*(float(rect.get(k)) for k in ("x", "y", "width", "height")))
            texts = group.findall(f"{NS}text")
            drawing.labels.append((box, " ".join(t.text or "" for t in texts)))
            for text in texts:
                x, y = float(text.get("x")), float(text.get("y"))
                drawing.texts.append(("label", box, x, y, _text_width(text)))
    for path in root.iter(f"{NS}path"):
        classes = set((path.get("class") or "").split())
        if "edge" in classes:
            points = sample(path.get("d"))
            drawing.edges.append((path.get("data-from"), path.get("data-to"), points, classes))
    return drawing


def drawn_edges(graph: nx.DiGraph) -> set[tuple[str, str]]:
    """The arrows a tree should show: its edges and each "Still not fixed" way on."""
    onward = {
        (n, t) for n, t in graph.nodes(data="not_fixed_next") if isinstance(t, str) and t in graph
    }
    return {(a, b) for a, b in graph.edges if a != b} | onward


def problems(svg: str, graph: nx.DiGraph | None) -> list[str]:
    """Everything unreadable about a drawing, as sentences (empty when it is fine); with the
    tree's ``graph``, also whatever of it is not drawn."""
    d = parse(svg)
    found = [] if graph is None else missing(d, graph)
    return found + overlaps(d)


def missing(d: Drawing, graph: nx.DiGraph) -> list[str]:
    found = []
    if set(d.steps) != set(graph.nodes):
        found.append(f"steps drawn {sorted(d.steps)} != tree {sorted(graph.nodes)}")
    if sorted((a, b) for a, b, _, _ in d.edges) != sorted(drawn_edges(graph)):
        found.append("arrows drawn are not the tree's edges")
    return found


def overlaps(d: Drawing) -> list[str]:
    found = []
    for a, b, points, _ in d.edges:
        for node, box in d.steps.items():
            if node not in (a, b) and any(box.holds(x, y) for x, y in points):
                found.append(f"arrow {a}->{b} passes through {node}")
    for (n1, b1), (n2, b2) in combinations(d.steps.items(), 2):
        if b1.overlaps(b2):
            found.append(f"steps {n1} and {n2} overlap")
    for box, text in d.labels:
        found += [f"label {text!r} covers {n}" for n, b in d.steps.items() if box.overlaps(b)]
    for (b1, t1), (b2, t2) in combinations(d.labels, 2):
        if b1.overlaps(b2):
            found.append(f"labels {t1!r} and {t2!r} overlap")
    for node, box, x, y, width in d.texts:
        inset = 0 if node == "label" else 14  # the question hexagon's points
        inside = box.x + inset <= x - width / 2 and x + width / 2 <= box.x + box.w - inset
        if not (inside and box.y <= y - 10 and y + 3 <= box.y + box.h):
            found.append(f"text at ({x}, {y}) does not fit its box in {node}")
    return found


def flowchart_of(client, tree_id: str) -> str:
    response = client.get(f"/trees/{tree_id}/flowchart.svg")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def inline_svg(page: str) -> str:
    match = re.search(r'<svg[^>]*class="flowchart".*?</svg>', page, re.S)
    assert match, "no flowchart on the page"
    return match.group(0)


@pytest.mark.parametrize("tree_id", TREES)
def test_every_bundled_flowchart_is_readable(client, auth, tree_id) -> None:
    auth.login("admin")
    graph = bundled_tree(tree_id)
    svg = flowchart_of(client, tree_id)
    assert problems(svg, graph) == []
    assert len(parse(svg).edges) == len(drawn_edges(graph))


def test_still_not_fixed_is_drawn_dashed_and_labelled(client) -> None:
    graph = bundled_tree("wifi-problems")
    onward = {(n, t) for n, t in graph.nodes(data="not_fixed_next") if t}
    assert onward  # the bundled tree this test reads has "Still not fixed" ways on
    root = ET.fromstring(flowchart_of(client, "wifi-problems"))
    dashed = {
        (p.get("data-from"), p.get("data-to"))
        for p in root.iter(f"{NS}path")
        if "not-fixed" in (p.get("class") or "") and p.get("stroke-dasharray")
    }
    assert dashed == onward
    labels = [t.text for t in root.iter(f"{NS}text") if t.text == "Still not fixed"]
    assert len(labels) == len(onward)


def test_a_loop_is_drawn_upwards_without_crossing_steps(client, auth) -> None:
    auth.login("admin")
    graph = bundled_tree("suspected-outage-triage")
    svg = flowchart_of(client, "suspected-outage-triage")
    back = [e for e in parse(svg).edges if "back" in e[3]]
    assert back, "the bundled triage tree has a loop"
    for _, _, points, _ in back:
        assert points[-1][1] < points[0][1]  # ends above where it starts
    assert problems(svg, graph) == []


def _walk(client, tree_id: str, terminal: str, graph: nx.DiGraph) -> str:
    token = start(client, tree_id)
    path = nx.shortest_path(graph, graph.graph["start"], terminal)
    for field, value in answers_along(graph, path):
        assert step(client, token, **{field: value}).status_code == 302
    return token


def test_a_transcript_highlights_the_path_and_stays_readable(client) -> None:
    graph = bundled_tree("printer-not-printing")
    terminal = terminals(graph)[-1]
    token = _walk(client, "printer-not-printing", terminal, graph)
    svg = inline_svg(client.get(f"/sessions/{token}/transcript").get_data(as_text=True))
    lit = {
        g.get("id")
        for g in ET.fromstring(svg).iter(f"{NS}g")
        if "on-path" in (g.get("class") or "")
    }
    assert f"node-{terminal}" in lit and f"node-{graph.graph['start']}" in lit
    assert problems(svg, graph) == []


def test_the_heatmap_flowchart_with_counts_is_readable(app, client) -> None:
    graph = bundled_tree("printer-not-printing")
    for terminal in terminals(graph):
        _walk(client, "printer-not-printing", terminal, graph)
    reviewer = app.test_client()
    AuthActions(reviewer).login("reviewer")
    page = reviewer.get("/reports/tree-heatmap?tree=printer-not-printing").get_data(as_text=True)
    svg = inline_svg(page)
    notes = {
        g.get("id"): g.find(f"{NS}text[@class='note']").text
        for g in ET.fromstring(svg).iter(f"{NS}g")
        if "node" in (g.get("class") or "").split()
    }
    assert len(notes) == graph.number_of_nodes()
    assert notes[f"node-{graph.graph['start']}"] == str(len(terminals(graph)))  # every walk
    assert problems(svg, graph) == []


def test_the_geometry_check_finds_an_arrow_through_a_step() -> None:
    """The check above can fail: an arrow drawn straight through a third step is caught."""
    graph = nx.DiGraph([("a", "c")])
    graph.add_node("b")
    svg = (
        f'<svg xmlns="{NS[1:-1]}"><g class="node" id="node-a"><rect x="0" y="0" width="100" '
        'height="40"/></g><g class="node" id="node-b"><rect x="0" y="100" width="100" height="40"/>'
        '</g><g class="node" id="node-c"><rect x="0" y="200" width="100" height="40"/></g>'
        '<path class="edge" d="M50,40 L50,200" data-from="a" data-to="c"/></svg>'
    )
    assert problems(svg, graph) == ["arrow a->c passes through b"]


def test_the_editor_preview_of_a_draft_with_a_loop_is_readable(client, auth) -> None:
    auth.login("author")
    html = client.get("/trees/new").get_data(as_text=True)
    html = client.post(
        "/trees/new", data={**form_fields(html, "tree-editor"), "action": "add_node"}
    ).get_data(as_text=True)
    fields = form_fields(html, "tree-editor")
    first = fields["node-0-id"]
    fields.update(
        {
            "tree-title": "My headset is silent",
            "tree-id": "headset-silent",
            "node-0-text": "Is the headset plugged in?",
            "node-0-label": "Plugged in?",
            "node-3-id": "replug",
            "node-3-kind": "action",
            "node-3-label": "Plug it in again",
            "node-3-text": "Unplug the headset and plug it in again.",
            "node-3-edge-0-target": first,  # back to the question: a loop
            "node-3-edge-1-target": fields["node-2-id"],
            "node-0-edge-1-target": "replug",
        }
    )
    response = client.post(
        "/api/v1/trees/preview",
        data=fields,
        headers={"X-CSRFToken": csrf_token(client, "/trees/new")},
    )
    svg = response.get_json()["svg"]
    drawing = parse(svg)
    assert ("replug", first) in {(a, b) for a, b, _, c in drawing.edges if "back" in c}
    assert len(drawing.steps) == 4
    assert problems(svg, None) == []
