"""The layering that docs/architecture.md describes, checked on the code's own imports.

Every module of the ``kb`` package is parsed (nothing is imported or run); an import of
another kb module is an arrow. The rules: no import cycles; each module imports only from its
own layer or the layers below it; services never import web modules; and an import inside a
function is allowed only for an optional third-party dependency, never to step around the
layering. A new import that breaks a rule fails here with the file, the line and the rule.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatch
from functools import cache
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "kb"

# From the ground up. A module belongs to the first layer with a matching pattern (patterns
# match dotted module names); it may import its own layer and every layer listed before it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "foundation",
        (
            "kb",
            "kb.config",
            "kb.errors",
            "kb.limits",
            "kb.hookspecs",
            "kb.records",
            "kb.hooks",
            "kb.csvfiles",
            "kb.redirects",
            "kb.http_client",
            "kb.models",
            "kb.models.*",
            "kb.migrations.*",
            "kb.db",
            "kb.extensions",
            "kb.changes",
            "kb.outbox",
            "kb.logs",
            "kb.batched",
            "kb.lru",
        ),
    ),
    ("policy", ("kb.auth.policy", "kb.auth.users", "kb.throttle", "kb.templating")),
    (
        "request toolkit",
        (
            "kb.api",
            "kb.api.docs",
            "kb.api.openapi",
            "kb.schemas",
            "kb.pagecache",
            "kb.csrf_tokens",
            "kb.session_cookies",
        ),
    ),
    ("documents", ("kb.documents", "kb.documents.*")),
    (
        "areas",
        (
            "kb.followups",
            "kb.articles",
            "kb.articles.*",
            "kb.trees",
            "kb.trees.*",
            "kb.escalation",
            "kb.escalation.*",
            "kb.outages",
            "kb.outages.*",
            "kb.requests",
            "kb.requests.*",
            "kb.search",
            "kb.search.*",
            "kb.auth",
            "kb.auth.*",
            "kb.content",
            "kb.content_check",
            "kb.api.*",
            "kb.reports",
            "kb.reports.*",
            "kb.demo_data",
            "kb.health",
            "kb.health.*",
        ),
    ),
    ("plugins", ("kb.plugins", "kb.plugins.*")),
    ("application", ("kb.worker", "kb.app", "kb.cli", "kb.cli.*")),
]

# Inside the areas layer, the services of an area may use the services of the areas before it
# in this order, never those after it: search reads articles and trees, escalation hands
# sessions of trees to tickets and logs resolutions into articles, closing an outage resolves
# its escalations, a request becomes an escalation routed to its type's group. Web modules
# (below) may use any area's services.
AREAS = (
    "kb.followups",
    "kb.articles",
    "kb.trees",
    "kb.escalation",
    "kb.outages",
    "kb.requests",
    "kb.search",
    "kb.content",
    "kb.content_check",
    "kb.auth",
    "kb.api",
    "kb.reports",
    "kb.demo_data",
    "kb.health",
)

# Modules that serve HTTP (blueprints, forms, request-scoped helpers). Services must not import
# them: a view calls a service, never the other way round.
WEB = (
    "*.views",
    "*.*_views",
    "kb.articles.api",
    "kb.trees.api",
    "kb.trees.web",
    "*.forms",
    "kb.trees.editor_form",
    "kb.documents.pages",
)

# The imports inside functions that are allowed, and why.
DEFERRED = {
    # `from kb import hookimpl` must not load Flask and the whole app; kb.create_app is
    # looked up on first use.
    ("kb", "kb.app"),
}


@dataclass(frozen=True)
class Arrow:
    source: str
    target: str
    line: int
    in_function: bool


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def _nodes_within(tree: ast.AST, kinds: tuple[type, ...]) -> set[int]:
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, kinds):
            inside.update(id(sub) for sub in ast.walk(node) if sub is not node)
    return inside


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """Imports under ``if TYPE_CHECKING:`` are for the type checker only: not arrows."""
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for statement in node.body:
                hidden.update(id(sub) for sub in ast.walk(statement))
    return hidden


def _imported_names(node: ast.AST, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            anchor = package.split(".")
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        return [f"{base}.{alias.name}" for alias in node.names]
    return []


@cache
def arrows() -> tuple[Arrow, ...]:
    """Every import of one kb module by another, from the source text."""
    known = modules()
    found: list[Arrow] = []
    for source, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        in_function = _nodes_within(tree, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        hidden = _type_checking_nodes(tree)
        package = source if path.name == "__init__.py" else source.rpartition(".")[0]
        for node in ast.walk(tree):
            if id(node) in hidden:
                continue
            for target in _imported_names(node, package):
                if target != "kb" and not target.startswith("kb."):
                    continue
                resolved = _resolve(target, known)
                if resolved and resolved != source:
                    found.append(Arrow(source, resolved, node.lineno, id(node) in in_function))
    return tuple(found)


def layer_of(module: str) -> int:
    for index, (_name, patterns) in enumerate(LAYERS):
        if any(fnmatch(module, pattern) for pattern in patterns):
            return index
    raise LookupError(f"{module} is in no layer")


def area_of(module: str) -> int | None:
    for index, area in enumerate(AREAS):
        if module == area or module.startswith(area + "."):
            return index
    return None


AREAS_LAYER = [name for name, _patterns in LAYERS].index("areas")


def is_web(module: str) -> bool:
    return any(fnmatch(module, pattern) for pattern in WEB)


def cycles(edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    graph = nx.DiGraph(list(edges))
    return [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]


def upward(arrow: Arrow) -> bool:
    if (arrow.source, arrow.target) in DEFERRED:
        return False
    return layer_of(arrow.target) > layer_of(arrow.source)


def against_area_order(arrow: Arrow) -> bool:
    """A service importing a service of an area later in AREAS."""
    if is_web(arrow.source) or is_web(arrow.target):
        return False
    if not (layer_of(arrow.source) == layer_of(arrow.target) == AREAS_LAYER):
        return False
    source, target = area_of(arrow.source), area_of(arrow.target)
    return source is not None and target is not None and target > source


def service_imports_web(arrow: Arrow) -> bool:
    return (
        is_web(arrow.target)
        and not is_web(arrow.source)
        and (LAYERS[layer_of(arrow.source)][0] not in ("plugins", "application"))
    )


def _listing(wrong: Iterable[Arrow]) -> str:
    return "\n".join(f"{a.source}:{a.line} imports {a.target}" for a in wrong)


def test_every_module_has_a_layer():
    missing = []
    for module in modules():
        try:
            layer_of(module)
        except LookupError:
            missing.append(module)
    assert not missing, f"add these modules to a layer in tests/test_architecture.py: {missing}"


def test_no_import_cycles():
    found = cycles((a.source, a.target) for a in arrows() if not a.in_function)
    assert not found, f"modules that import each other in a loop: {found}"


def test_imports_go_down_the_layers():
    wrong = [arrow for arrow in arrows() if upward(arrow)]
    assert not wrong, "imports up the layers:\n" + _listing(wrong)


def test_areas_use_only_the_areas_before_them():
    wrong = [arrow for arrow in arrows() if against_area_order(arrow)]
    assert not wrong, "a service imports a later area's service:\n" + _listing(wrong)


def test_services_do_not_import_web_modules():
    wrong = [arrow for arrow in arrows() if service_imports_web(arrow)]
    assert not wrong, "a service imports a web module:\n" + _listing(wrong)


def test_imports_inside_functions_only_where_allowed():
    wrong = [
        arrow
        for arrow in arrows()
        if arrow.in_function and (arrow.source, arrow.target) not in DEFERRED
    ]
    assert not wrong, "kb modules imported inside functions:\n" + _listing(wrong)


# --- the rules catch what they are for ----------------------------------------------------------


def test_a_loop_is_caught():
    edges = [(a.source, a.target) for a in arrows() if not a.in_function]
    assert cycles([*edges, ("kb.models", "kb.app")]), "kb.app -> ... -> kb.models -> kb.app"


@pytest.mark.parametrize(
    ("arrow", "rule"),
    [
        (Arrow("kb.models.articles", "kb.search.service", 1, False), upward),
        (Arrow("kb.outbox", "kb.escalation.tickets", 1, False), upward),
        (Arrow("kb.articles.workflow", "kb.search.service", 1, False), against_area_order),
        (Arrow("kb.escalation.intake", "kb.outages.service", 1, False), against_area_order),
        (Arrow("kb.trees.engine", "kb.trees.views", 1, False), service_imports_web),
    ],
)
def test_a_breaking_import_is_caught(arrow, rule):
    assert rule(arrow)


def test_allowed_imports_pass():
    assert not upward(Arrow("kb.search.service", "kb.models", 1, False))
    assert not against_area_order(Arrow("kb.search.documents", "kb.articles.snapshot", 1, False))
    assert not service_imports_web(Arrow("kb.app", "kb.trees.views", 1, False))
