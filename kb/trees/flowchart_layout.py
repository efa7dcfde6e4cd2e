"""Where a flowchart's boxes, arrows and answer labels go: a layered (Sugiyama) layout by
grandalf, so no hand-written heuristics decide it. Every edge is split by a label vertex (the
answer, or an empty joint), so labels take a place in the layout like steps do and nothing is
drawn on top of them; long edges pass through grandalf's dummy vertices, and routes run
vertically through each layer band inside their own slot, so no arrow crosses a step."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
from grandalf.graphs import Edge, Graph, Vertex
from grandalf.layouts import SugiyamaLayout

from kb.trees.flowchart_text import label_size
from kb.trees.graph import exits

X_SPACE = 28  # between neighbours in a layer
Y_SPACE = 30  # between layers
JOINT = 8  # the width of an edge's empty joint or dummy vertex
MARGIN = 24
COMPONENT_GAP = 48
PORT_STEP = 22


@dataclass(frozen=True)
class EdgeSpec:
    """An arrow to draw: ``kind`` is ``answer`` or ``not_fixed`` (a resolution's "Still not
    fixed" way on); ``back`` when it closes a loop (drawn upwards)."""

    source: str
    target: str
    label: str
    kind: str = "answer"
    back: bool = False


@dataclass
class Rect:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2


@dataclass
class Route:
    """One edge's drawing: the path's points as runs joined by curves, and its label's box."""

    spec: EdgeSpec
    runs: list[tuple[float, float, float]]  # (x, y_from, y_to): vertical pieces, in order
    label: Rect | None = None


@dataclass
class Layout:
    boxes: dict[str, Rect]
    routes: list[Route]
    width: float
    height: float


class _View:
    """What grandalf reads (w, h) and writes (xy) for each vertex."""

    def __init__(self, w: float, h: float) -> None:
        self.w, self.h = w, h
        self.xy = (0.0, 0.0)


def edge_specs(graph: nx.DiGraph) -> list[EdgeSpec]:
    """Every arrow of the tree: its answers (or check outcomes) and each resolution's
    "Still not fixed" way on, when it names a step; self-loops are not drawn."""
    specs = []
    for node in graph.nodes:
        specs += [EdgeSpec(node, c.target, c.label) for c in exits(graph, node)]
        onward = graph.nodes[node].get("not_fixed_next")
        if isinstance(onward, str) and onward in graph:
            specs.append(EdgeSpec(node, onward, "Still not fixed", "not_fixed"))
    drawn = nx.DiGraph()
    drawn.add_nodes_from(graph.nodes)
    drawn.add_edges_from((s.source, s.target) for s in specs if s.source != s.target)
    loops = back_edges(drawn, graph.graph.get("start"))
    return [
        EdgeSpec(s.source, s.target, s.label, s.kind, (s.source, s.target) in loops)
        for s in specs
        if s.source != s.target
    ]


def back_edges(graph: nx.DiGraph, start: str | None) -> set[tuple[str, str]]:
    """Edges that close a loop, found by depth-first search from the start (then from any
    node it did not reach); turning them round leaves a DAG to layer."""
    found: set[tuple[str, str]] = set()
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    for root in ([start] if start in graph else []) + list(graph.nodes):
        if root not in state:
            _dfs(graph, root, state, found)
    return found


def _dfs(graph: nx.DiGraph, root: str, state: dict[str, int], found: set) -> None:
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


@dataclass
class _Built:
    """The grandalf graph of one tree, with the vertices that stand for steps and labels."""

    steps: dict[str, Vertex]
    labels: list[Vertex]
    halves: list[tuple[Edge, Edge]]
    inverted: list[Edge]
    graph: Graph


def _build(graph: nx.DiGraph, specs: list[EdgeSpec], sizes: dict[str, tuple]) -> _Built:
    steps = {}
    for node in graph.nodes:
        v = Vertex(node)
        v.view = _View(*sizes[node])
        steps[node] = v
    labels, halves, inverted = [], [], []
    for spec in specs:
        mid = Vertex(spec)
        mid.view = _View(*(label_size(spec.label) if spec.label else (JOINT, JOINT)))
        first, second = Edge(steps[spec.source], mid), Edge(mid, steps[spec.target])
        labels.append(mid)
        halves.append((first, second))
        if spec.back:
            inverted += [first, second]
    edges = [e for pair in halves for e in pair]
    return _Built(steps, labels, halves, inverted, Graph(list(steps.values()) + labels, edges))


def _layout_component(core, start: Vertex | None, inverted: list[Edge]) -> SugiyamaLayout:
    sug = SugiyamaLayout(core)
    sug.xspace, sug.yspace = X_SPACE, Y_SPACE
    sug.dw, sug.dh = JOINT, JOINT  # dummy vertices: thin, so long edges take little room
    mine = [e for e in inverted if e in core.sE]
    sources = [v for v in core.sV if not _in_edges(v, mine)]
    roots = [start] if start is not None and start in core.sV else []
    roots += [v for v in sources if v not in roots and isinstance(v.data, str)]
    sug.init_all(roots=roots or sources[:1], inverted_edges=mine)
    sug.draw(3)
    return sug


def _in_edges(v: Vertex, inverted: list[Edge]) -> list[Edge]:
    """In-edges once the loops are turned round."""
    ins = [e for e in v.e_in() if e not in inverted]
    return ins + [e for e in v.e_out() if e in inverted]


def compute(graph: nx.DiGraph, sizes: dict[str, tuple[float, float]]) -> Layout:
    """The whole drawing's geometry, component by component, left to right; ``sizes`` is
    each step's box (width, height), measured from the text it will show."""
    start = graph.graph.get("start")
    specs = edge_specs(graph)
    built = _build(graph, specs, sizes)
    boxes: dict[str, Rect] = {}
    routes: list[Route] = []
    left, bottom = float(MARGIN), 0.0
    for core in built.graph.C:
        sug = _layout_component(core, built.steps.get(start), built.inverted)
        placed = _Placed(sug, left, MARGIN + 14)
        boxes.update(placed.step_boxes())
        routes += placed.routes(built)
        left = placed.right + COMPONENT_GAP
        bottom = max(bottom, placed.bottom)
    width = max(left - COMPONENT_GAP + MARGIN, 2 * MARGIN)
    return Layout(boxes, routes, width, max(bottom, MARGIN) + MARGIN)


class _Placed:
    """One laid-out component moved to (left, top): boxes of steps and the edges' routes."""

    def __init__(self, sug: SugiyamaLayout, left: float, top: float) -> None:
        self.sug = sug
        xs = [v.view.xy[0] - v.view.w / 2 for layer in sug.layers for v in layer]
        self.dx = left - min(xs)
        self.dy = top
        self.bands = self._bands()
        rights = [v.view.xy[0] + v.view.w / 2 for layer in sug.layers for v in layer]
        self.right = max(rights) + self.dx
        self.bottom = self.bands[len(sug.layers) - 1][1] if sug.layers else top

    def _bands(self) -> dict[int, tuple[float, float]]:
        bands = {}
        for rank, layer in enumerate(self.sug.layers):
            half = max(v.view.h / 2 for v in layer)
            cy = layer[0].view.xy[1] + self.dy
            bands[rank] = (cy - half, cy + half)
        return bands

    def rect(self, v) -> Rect:
        x, y = v.view.xy
        return Rect(x + self.dx - v.view.w / 2, y + self.dy - v.view.h / 2, v.view.w, v.view.h)

    def step_boxes(self) -> dict[str, Rect]:
        return {
            v.data: self.rect(v)
            for layer in self.sug.layers
            for v in layer
            if isinstance(getattr(v, "data", None), str)
        }

    def chain(self, edge: Edge) -> list:
        """The vertices an edge half passes, from its tail to its head, dummies included."""
        tail, head = edge.v
        ctrl = self.sug.ctrls.get(edge)
        if not ctrl:
            return [tail, head]
        r0, r1 = self.sug.grx[tail].rank, self.sug.grx[head].rank
        step = 1 if r1 > r0 else -1
        return [tail] + [ctrl[r] for r in range(r0 + step, r1, step)] + [head]

    def routes(self, built: _Built) -> list[Route]:
        mine = [(a, b) for a, b in built.halves if a in self.sug.g.sE]
        routes = [self._route(a, b) for a, b in mine]
        _spread_ports(routes, self.step_boxes())
        return routes

    def _route(self, first: Edge, second: Edge) -> Route:
        chain = self.chain(first) + self.chain(second)[1:]
        mid = first.v[1]
        spec: EdgeSpec = mid.data
        ranks = [self.sug.grx[v].rank for v in chain]
        down = ranks[-1] > ranks[0]
        runs = [self._end_run(chain[0], down, leaving=True)]
        for v, rank in zip(chain[1:-1], ranks[1:-1], strict=True):
            top, bottom = self.bands[rank]
            x = self.rect(v).cx
            runs.append((x, top, bottom) if down else (x, bottom, top))
        runs.append(self._end_run(chain[-1], down, leaving=False))
        label = self.rect(mid) if spec.label else None
        return Route(spec, runs, label)

    def _end_run(self, v, down: bool, leaving: bool) -> tuple[float, float, float]:
        """From a step's side to its layer band's edge (or back), straight down or up."""
        box = self.rect(v)
        top, bottom = self.bands[self.sug.grx[v].rank]
        if leaving == down:  # leaving downwards or arriving from below
            return (box.cx, box.y + box.h, bottom) if leaving else (box.cx, bottom, box.y + box.h)
        return (box.cx, box.y, top) if leaving else (box.cx, top, box.y)


def _spread_ports(routes: list[Route], boxes: dict[str, Rect]) -> None:
    """Arrows that share a side of a step leave (or arrive) side by side, ordered by where
    they go, instead of on top of each other at its middle."""
    sides: dict[tuple[str, float], list[tuple[Route, int]]] = {}
    for route in routes:
        for end, name, y in (
            (0, route.spec.source, route.runs[0][1]),
            (-1, route.spec.target, route.runs[-1][2]),
        ):
            sides.setdefault((name, round(y, 1)), []).append((route, end))
    for (name, _), ends in sides.items():
        _assign(ends, boxes[name])


def _assign(ends: list[tuple[Route, int]], box: Rect) -> None:
    def heading(item: tuple[Route, int]) -> float:
        route, end = item
        return route.runs[1 if end == 0 else -2][0]

    ends.sort(key=heading)
    step = min(PORT_STEP, (box.w - 48) / max(len(ends) - 1, 1))
    for i, (route, end) in enumerate(ends):
        x = box.cx + (i - (len(ends) - 1) / 2) * step
        _, y1, y2 = route.runs[end]
        route.runs[end] = (x, y1, y2)
