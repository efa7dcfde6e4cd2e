"""Draw a tree as an SVG flowchart: a layered layout computed with NetworkX (back edges of
loops set aside, longest-path layers, barycentre ordering), nodes shaped and coloured by kind,
answers on the edges, and optionally one session's path highlighted. Presentation attributes
only (no inline styles), so it passes the Content-Security-Policy and needs no JavaScript."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from xml.sax.saxutils import escape, quoteattr

import networkx as nx

from kb.trees.graph import exits, readable_gaps, with_gaps

NODE_W, NODE_H = 184, 56
H_GAP, V_GAP = 40, 62
MARGIN = 24
LOOP_LANE = 28

STYLE = {  # kind -> (fill, stroke)
    "question": ("#e8f0fb", "#1f5fa8"),
    "input": ("#f3ecfa", "#6b3fa0"),
    "action": ("#ffffff", "#5b6776"),
    "check": ("#fff5e0", "#9a6300"),
    "resolution": ("#e7f5ec", "#1e7b3a"),
    "escalation": ("#fdecec", "#b3261e"),
}
HIGHLIGHT = "#0b3d91"
KIND_NAMES = {
    "question": "Question",
    "input": "Asks for a value",
    "action": "Action",
    "check": "Automated check",
    "resolution": "Resolved",
    "escalation": "Escalation",
}


@dataclass(frozen=True)
class Box:
    x: float
    y: float

    @property
    def cx(self) -> float:
        return self.x + NODE_W / 2


def back_edges(graph: nx.DiGraph, start: str | None) -> set[tuple[str, str]]:
    """Edges that close a loop, found by depth-first search from the start (then from any
    node it did not reach); removing them leaves a DAG to layer."""
    found: set[tuple[str, str]] = set()
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    roots = ([start] if start in graph else []) + list(graph.nodes)
    for root in roots:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(graph.successors(root)))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                found.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(graph.successors(child))))
    return found


def layout(graph: nx.DiGraph) -> tuple[dict[str, Box], set[tuple[str, str]], int, int]:
    """Positions of every node, the back edges, and the drawing's width and height."""
    start = graph.graph.get("start")
    loops = back_edges(graph, start)
    dag = nx.DiGraph()
    dag.add_nodes_from(graph.nodes)
    dag.add_edges_from(e for e in graph.edges if e not in loops)
    layer: dict[str, int] = {}
    for node in nx.topological_sort(dag):
        preds = list(dag.predecessors(node))
        layer[node] = max((layer[p] + 1 for p in preds), default=0)
    if start in layer and layer[start] != 0:
        layer[start] = 0
    rows: dict[int, list[str]] = {}
    discovery = list(nx.bfs_tree(graph, start)) if start in graph else []
    rank = {n: i for i, n in enumerate(discovery + [n for n in graph if n not in discovery])}
    for node in sorted(graph.nodes, key=lambda n: rank[n]):
        rows.setdefault(layer[node], []).append(node)
    order = {n: i for row in rows.values() for i, n in enumerate(row)}
    for _ in range(4):  # barycentre sweeps: place each node under its parents' average
        for depth in sorted(rows):
            if depth == 0:
                continue
            row = rows[depth]

            def weight(n: str, row: list[str] = row) -> float:
                parents = [p for p in dag.predecessors(n)]
                if not parents:
                    return float(order[n])
                return sum(order[p] for p in parents) / len(parents)

            row.sort(key=lambda n: (weight(n), rank[n]))
            for i, n in enumerate(row):
                order[n] = i
    widest = max((len(r) for r in rows.values()), default=1)
    boxes: dict[str, Box] = {}
    for depth, row in rows.items():
        offset = (widest - len(row)) * (NODE_W + H_GAP) / 2
        for i, node in enumerate(row):
            boxes[node] = Box(
                MARGIN + offset + i * (NODE_W + H_GAP), MARGIN + 14 + depth * (NODE_H + V_GAP)
            )
    width = int(MARGIN * 2 + widest * (NODE_W + H_GAP) - H_GAP + LOOP_LANE * (len(loops) + 1))
    height = int(MARGIN * 2 + 14 + (max(rows, default=0) + 1) * (NODE_H + V_GAP) - V_GAP)
    return boxes, loops, width, height


def _shape(kind: str, box: Box, fill: str, stroke: str, width: float) -> str:
    x, y, w, h = box.x, box.y, NODE_W, NODE_H
    common = f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"'
    if kind == "question":
        points = [(x + 14, y), (x + w - 14, y), (x + w, y + h / 2), (x + w - 14, y + h),
                  (x + 14, y + h), (x, y + h / 2)]  # fmt: skip
    elif kind == "input":
        points = [(x + 12, y), (x + w, y), (x + w - 12, y + h), (x, y + h)]
    elif kind == "escalation":
        c = 12
        points = [(x + c, y), (x + w - c, y), (x + w, y + c), (x + w, y + h - c),
                  (x + w - c, y + h), (x + c, y + h), (x, y + h - c), (x, y + c)]  # fmt: skip
    else:
        radius = {"resolution": h / 2, "action": 8, "check": 2}.get(kind, 4)
        dash = ' stroke-dasharray="6 3"' if kind == "check" else ""
        return (
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w}" height="{h}" rx="{radius:.1f}" '
            f"{common}{dash}/>"
        )
    text = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    return f'<polygon points="{text}" {common}/>'


def _marker(name: str, colour: str) -> str:
    return (
        f'<marker id="{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="10" '
        'markerHeight="10" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
    )


def _label_lines(label: str) -> list[str]:
    lines = textwrap.wrap(label, 24) or [""]
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])[:23] + "…"]
    return lines


def _edge_path(a: Box, b: Box, loop: bool, lane: int, width: int) -> tuple[str, float, float]:
    """SVG path data and a point for the label."""
    if loop:  # around the right-hand side, back up to the target
        x1, y1 = a.x + NODE_W, a.y + NODE_H / 2
        x2, y2 = b.x + NODE_W, b.y + NODE_H / 2
        out = width - MARGIN / 2 - lane * LOOP_LANE
        d = f"M{x1:.1f},{y1:.1f} C{out:.1f},{y1:.1f} {out:.1f},{y2:.1f} {x2 + 4:.1f},{y2:.1f}"
        return d, out - 4, (y1 + y2) / 2
    x1, y1 = a.cx, a.y + NODE_H
    x2, y2 = b.cx, b.y - 4
    mid = (y1 + y2) / 2
    d = f"M{x1:.1f},{y1:.1f} C{x1:.1f},{mid:.1f} {x2:.1f},{mid:.1f} {x2:.1f},{y2:.1f}"
    t = 0.6  # the label sits a little past the middle of the curve, where siblings part
    bx = x1 * (1 - t) ** 3 + 3 * x1 * (1 - t) ** 2 * t + 3 * x2 * (1 - t) * t**2 + x2 * t**3
    by = y1 * (1 - t) ** 3 + 3 * mid * (1 - t) ** 2 * t + 3 * mid * (1 - t) * t**2 + y2 * t**3
    return d, bx, by


def _is_dark(colour: str) -> bool:
    """True for fills where dark text would be hard to read (relative luminance < 0.45)."""
    if not (colour.startswith("#") and len(colour) == 7):
        return False
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.45


def render_svg(
    graph: nx.DiGraph,
    highlight: Iterable[str] = (),
    title: str | None = None,
    labels: dict[str, str] | None = None,
    node_fills: dict[str, str] | None = None,
    edge_widths: dict[tuple[str, str], float] | None = None,
    notes: dict[str, str] | None = None,
) -> str:
    """The flowchart as an SVG document. ``highlight`` is a path of node ids (a session's);
    ``labels`` overrides node labels (for example with session variables filled in).
    A heatmap passes ``node_fills`` (colour per node), ``edge_widths`` (stroke per edge) and
    ``notes`` (a short line under a node's label, such as "42 sessions")."""
    path = list(highlight)
    on_path = set(path)
    path_edges = set(pairwise(path))
    boxes, loops, width, height = layout(graph)
    title = title or str(graph.graph.get("title", "Decision tree"))
    start = graph.graph.get("start")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="flowchart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="system-ui, sans-serif" font-size="12" aria-labelledby="fc-title">',
        f'<title id="fc-title">{escape(title)}: flowchart</title>',
        "<defs>" + _marker("arrow", "#5b6776") + _marker("arrow-on", HIGHLIGHT) + "</defs>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    dim = bool(path)
    gaps = readable_gaps(graph)
    edge_parts, label_parts = [], []
    lanes = {edge: i for i, edge in enumerate(sorted(loops))}
    for source in graph.nodes:
        for choice in exits(graph, source):
            target = choice.target
            loop = (source, target) in loops
            lane = lanes.get((source, target), 0)
            d, lx, ly = _edge_path(boxes[source], boxes[target], loop, lane, width)
            lit = (source, target) in path_edges
            colour = HIGHLIGHT if lit else "#8a96a3"
            heavy = (edge_widths or {}).get((source, target))
            opacity = ' opacity="0.45"' if dim and not lit else ""
            dash = ' stroke-dasharray="5 4"' if loop else ""
            edge_parts.append(
                f'<path class="edge{" on-path" if lit else ""}" d="{d}" fill="none" '
                f'stroke="{colour}" stroke-width="{heavy or (3 if lit else 1.4):.1f}"{dash} '
                f'marker-end="url(#{"arrow-on" if lit else "arrow"})"{opacity}/>'
            )
            if choice.label:
                text = choice.label if len(choice.label) <= 26 else choice.label[:25] + "…"
                w = 6.4 * len(text) + 8
                label_parts.append(
                    f'<g class="edge-label"{opacity}><rect x="{lx - w / 2:.1f}" y="{ly - 9:.1f}" '
                    f'width="{w:.1f}" height="16" rx="3" fill="#ffffff" fill-opacity="0.92"/>'
                    f'<text x="{lx:.1f}" y="{ly + 3:.1f}" text-anchor="middle" font-size="11" '
                    f'fill="{HIGHLIGHT if lit else "#3b4654"}">{escape(text)}</text></g>'
                )
    out += edge_parts
    for node, attrs in graph.nodes(data=True):
        kind = str(attrs.get("kind", "action"))
        fill, stroke = STYLE.get(kind, STYLE["action"])
        fill = (node_fills or {}).get(node, fill)
        lit = node in on_path
        box = boxes[node]
        label = (labels or {}).get(node) or with_gaps(str(attrs.get("label") or node), gaps)
        opacity = ' opacity="0.5"' if dim and not lit else ""
        tooltip = f"{KIND_NAMES.get(kind, kind)}: {with_gaps(str(attrs.get('text', '')), gaps)}"
        out.append(
            f'<g class="node kind-{escape(kind)}{" on-path" if lit else ""}" '
            f"id={quoteattr('node-' + node)}{opacity}><title>{escape(tooltip)}</title>"
        )
        out.append(_shape(kind, box, fill, HIGHLIGHT if lit else stroke, 3.5 if lit else 1.5))
        if node == start:
            out.append(
                f'<text x="{box.x:.1f}" y="{box.y - 5:.1f}" font-size="10" font-weight="bold" '
                f'fill="#1f5fa8">START</text>'
            )
        lines = _label_lines(label)
        first = box.y + NODE_H / 2 - (len(lines) - 1) * 7.5 + 4
        ink = "#ffffff" if _is_dark(fill) else "#1d2733"
        note = (notes or {}).get(node)
        if note:
            out.append(
                f'<text x="{box.cx:.1f}" y="{box.y + NODE_H + 12:.1f}" text-anchor="middle" '
                f'font-size="10.5" fill="#3b4654">{escape(note)}</text>'
            )
        bold = ' font-weight="bold"' if lit else ""
        for i, line in enumerate(lines):
            out.append(
                f'<text x="{box.cx:.1f}" y="{first + i * 15:.1f}" text-anchor="middle" '
                f'fill="{ink}"{bold}>{escape(line)}</text>'
            )
        out.append("</g>")
    out += label_parts
    out.append("</svg>")
    return "\n".join(out) + "\n"
