"""Draw a tree as an SVG flowchart from a layered layout (kb.trees.flowchart_layout): steps
shaped and coloured by kind, answers on their arrows, a resolution's "Still not fixed" way on
dashed, and optionally one session's path highlighted or a heatmap's shading and counts.
Presentation attributes only (no inline styles), so it passes the Content-Security-Policy and
needs no JavaScript."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from xml.sax.saxutils import escape, quoteattr

import networkx as nx

from kb.trees import flowchart_text as ft
from kb.trees.flowchart_layout import Layout, Rect, Route, compute
from kb.trees.graph import readable_gaps, with_gaps

STYLE = {  # kind -> (fill, stroke)
    "question": ("#e8f0fb", "#1f5fa8"),
    "input": ("#f3ecfa", "#6b3fa0"),
    "action": ("#ffffff", "#5b6776"),
    "check": ("#fff5e0", "#9a6300"),
    "resolution": ("#e7f5ec", "#1e7b3a"),
    "escalation": ("#fdecec", "#b3261e"),
}
HIGHLIGHT = "#0b3d91"
EDGE = "#8a96a3"
KIND_NAMES = {
    "question": "Question",
    "input": "Asks for a value",
    "action": "Action",
    "check": "Automated check",
    "resolution": "Resolved",
    "escalation": "Escalation",
}


def _shape(kind: str, box: Rect, fill: str, stroke: str, width: float) -> str:
    x, y, w, h = box.x, box.y, box.w, box.h
    common = f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"'
    points = _outline(kind, x, y, w, h)
    if points is None:
        radius = {"resolution": min(h / 2, 22), "action": 8, "check": 2}.get(kind, 4)
        dash = ' stroke-dasharray="6 3"' if kind == "check" else ""
        return (
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{radius:.1f}" '
            f"{common}{dash}/>"
        )
    text = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    return f'<polygon points="{text}" {common}/>'


def _outline(kind: str, x: float, y: float, w: float, h: float) -> list | None:
    """The corners of a polygon-shaped step, or None for a rectangle."""
    if kind == "question":
        return [(x + 14, y), (x + w - 14, y), (x + w, y + h / 2), (x + w - 14, y + h),
                (x + 14, y + h), (x, y + h / 2)]  # fmt: skip
    if kind == "input":
        return [(x + 12, y), (x + w, y), (x + w - 12, y + h), (x, y + h)]
    if kind == "escalation":
        c = 12
        return [(x + c, y), (x + w - c, y), (x + w, y + c), (x + w, y + h - c),
                (x + w - c, y + h), (x + c, y + h), (x, y + h - c), (x, y + c)]  # fmt: skip
    return None


def _marker(name: str, colour: str) -> str:
    return (
        f'<marker id="{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="10" '
        'markerHeight="10" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
    )


def _is_dark(colour: str) -> bool:
    """True for fills where dark text would be hard to read (relative luminance < 0.45)."""
    if not (colour.startswith("#") and len(colour) == 7):
        return False
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.45


@dataclass
class _Chart:
    """What one drawing shows beyond the tree: a session's path, or a heatmap's shading."""

    graph: nx.DiGraph
    path: list[str]
    labels: dict[str, str] = field(default_factory=dict)
    fills: dict[str, str] = field(default_factory=dict)
    widths: dict[tuple[str, str], float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.on_path = set(self.path)
        self.path_edges = set(pairwise(self.path))
        self.gaps = readable_gaps(self.graph)

    def lines(self, node: str) -> list[str]:
        """A step's label as drawn: wrapped as if bold, so a highlighted one fits too."""
        attrs = self.graph.nodes[node]
        label = self.labels.get(node) or with_gaps(str(attrs.get("label") or node), self.gaps)
        return ft.wrap(label, bold=True)

    def size(self, node: str) -> tuple[float, float]:
        return ft.NODE_W, ft.box_height(len(self.lines(node)), bool(self.notes.get(node)))


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
    chart = _Chart(graph, list(highlight), labels or {}, node_fills or {}, edge_widths or {},
                   notes or {})  # fmt: skip
    layout = compute(graph, {node: chart.size(node) for node in graph.nodes})
    title = title or str(graph.graph.get("title", "Decision tree"))
    out = _header(layout, title)
    out += [_edge(chart, route) for route in layout.routes]
    out += [_node(chart, node, layout.boxes[node]) for node in graph.nodes]
    out += [_label(chart, route) for route in layout.routes if route.label is not None]
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _header(layout: Layout, title: str) -> list[str]:
    w, h = round(layout.width), round(layout.height)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="flowchart" role="img" '
        f'width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        f'font-family="system-ui, sans-serif" font-size="{ft.FONT}" aria-labelledby="fc-title">',
        f'<title id="fc-title">{escape(title)}: flowchart</title>',
        "<defs>" + _marker("arrow", "#5b6776") + _marker("arrow-on", HIGHLIGHT) + "</defs>",
        f'<rect width="{w}" height="{h}" fill="#ffffff"/>',
    ]


def path_data(route: Route) -> str:
    """The route as SVG path data: its vertical runs joined by curves that leave and arrive
    vertically, so each curve stays in the gap between two layers."""
    x, y0, y1 = route.runs[0]
    d = [f"M{x:.1f},{y0:.1f}", f"L{x:.1f},{y1:.1f}"]
    for (px, _, py), (nx_, ny0, ny1) in pairwise(route.runs):
        mid = (py + ny0) / 2
        d.append(f"C{px:.1f},{mid:.1f} {nx_:.1f},{mid:.1f} {nx_:.1f},{ny0:.1f}")
        if ny1 != ny0:
            d.append(f"L{nx_:.1f},{ny1:.1f}")
    return " ".join(d)


def _lit(chart: _Chart, route: Route) -> bool:
    return (route.spec.source, route.spec.target) in chart.path_edges


def _faded(chart: _Chart, lit: bool, amount: str) -> str:
    return f' opacity="{amount}"' if chart.path and not lit else ""


def _edge(chart: _Chart, route: Route) -> str:
    spec, lit = route.spec, _lit(chart, route)
    heavy = chart.widths.get((spec.source, spec.target))
    width = heavy or (3 if lit else 1.4)
    dash = ' stroke-dasharray="5 4"' if spec.back or spec.kind == "not_fixed" else ""
    kinds = " on-path" * lit + " not-fixed" * (spec.kind == "not_fixed") + " back" * spec.back
    return (
        f'<path class="edge{kinds}" d="{path_data(route)}" fill="none" '
        f'stroke="{HIGHLIGHT if lit else EDGE}" stroke-width="{width:.1f}"{dash} '
        f'marker-end="url(#{"arrow-on" if lit else "arrow"})"{_faded(chart, lit, "0.45")}'
        f" data-from={quoteattr(spec.source)} data-to={quoteattr(spec.target)}/>"
    )


def _label(chart: _Chart, route: Route) -> str:
    box, lit = route.label, _lit(chart, route)
    assert box is not None
    lines = ft.answer_lines(route.spec.label)
    shown = " ".join(lines)
    tip = f"<title>{escape(route.spec.label)}</title>" if shown != route.spec.label else ""
    first = box.y + box.h / 2 - (len(lines) - 1) * ft.LABEL_LINE / 2 + 4
    texts = "".join(
        f'<text x="{box.cx:.1f}" y="{first + i * ft.LABEL_LINE:.1f}" text-anchor="middle" '
        f'font-size="{ft.LABEL_FONT}" fill="{HIGHLIGHT if lit else "#3b4654"}">'
        f"{escape(line)}</text>"
        for i, line in enumerate(lines)
    )
    return (
        f'<g class="edge-label"{_faded(chart, lit, "0.45")}>{tip}'
        f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" '
        f'rx="3" fill="#ffffff" stroke="#d5dbe1" stroke-width="0.8"/>{texts}</g>'
    )


def _node(chart: _Chart, node: str, box: Rect) -> str:
    attrs = chart.graph.nodes[node]
    kind = str(attrs.get("kind", "action"))
    fill, stroke = STYLE.get(kind, STYLE["action"])
    fill = chart.fills.get(node, fill)
    lit = node in chart.on_path
    tooltip = f"{KIND_NAMES.get(kind, kind)}: {with_gaps(str(attrs.get('text', '')), chart.gaps)}"
    out = [
        f'<g class="node kind-{escape(kind)}{" on-path" if lit else ""}" '
        f"id={quoteattr('node-' + node)}{_faded(chart, lit, '0.5')}>"
        f"<title>{escape(tooltip)}</title>",
        _shape(kind, box, fill, HIGHLIGHT if lit else stroke, 3.5 if lit else 1.5),
    ]
    if node == chart.graph.graph.get("start"):
        out.append(
            f'<text class="start" x="{box.x:.1f}" y="{box.y - 5:.1f}" font-size="10" '
            f'font-weight="bold" fill="#1f5fa8">START</text>'
        )
    out += _node_text(chart, node, box, "#ffffff" if _is_dark(fill) else "#1d2733", lit)
    out.append("</g>")
    return "".join(out)


def _node_text(chart: _Chart, node: str, box: Rect, ink: str, lit: bool) -> list[str]:
    """The label's lines centred in the box, and the heatmap's count under them."""
    lines, note = chart.lines(node), chart.notes.get(node)
    block = len(lines) * ft.LINE + (ft.NOTE_LINE if note else 0)
    top = box.y + (box.h - block) / 2
    bold = ' font-weight="bold"' if lit else ""
    out = [
        f'<text class="label" x="{box.cx:.1f}" y="{top + (i + 1) * ft.LINE - 4:.1f}" '
        f'text-anchor="middle" fill="{ink}"{bold}>{escape(line)}</text>'
        for i, line in enumerate(lines)
    ]
    if note:
        y = top + len(lines) * ft.LINE + ft.NOTE_LINE - 3
        out.append(
            f'<text class="note" x="{box.cx:.1f}" y="{y:.1f}" text-anchor="middle" '
            f'font-size="{ft.NOTE_FONT}" fill="{ink}">{escape(note)}</text>'
        )
    return out
