"""Import and export of trees as node-link JSON files.

Import is idempotent (same content hash, no new revision), validates every file (an invalid
tree is reported with its path and node and not imported), and never half-imports a file.
Export writes the canonical text, so an unchanged tree is byte-stable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.articles.interchange import atomic_write
from kb.models import Tree, TreeStatus
from kb.trees.graph import TreeFormatError, content_hash, dump_tree, graph_to_data, parse_tree
from kb.trees.store import (
    add_revision,
    changed,
    get_tree,
    publish,
    revision_graph,
    validation_context,
)
from kb.trees.validate import validate_tree
from kb.trees.workflow import record

IMPORT_AUTHOR = "import"


@dataclass
class TreeFileOutcome:
    path: str
    tree_id: str | None
    outcome: str  # created | updated | unchanged | error
    messages: list[str] = field(default_factory=list)


@dataclass
class TreeImportReport:
    files: list[TreeFileOutcome] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for f in self.files if f.outcome == outcome)

    @property
    def errors(self) -> list[TreeFileOutcome]:
        return [f for f in self.files if f.outcome == "error"]

    def summary(self) -> str:
        parts = [f"{self.count(o)} {o}" for o in ("created", "updated", "unchanged", "error")]
        return "trees: " + ", ".join(parts)


def json_files(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.json") if p.is_file()))
        elif path.suffix == ".json":
            found.append(path)
    return found


def check_files(
    session: Session, kb: Any, files: list[Path], articles: dict[str, str] | None = None
) -> tuple[list[tuple[Path, Any]], list[TreeFileOutcome]]:
    """Parse and validate each file: (good files with their graphs, error outcomes)."""
    good: list[tuple[Path, Any]] = []
    bad: list[TreeFileOutcome] = []
    base = validation_context(session, kb, articles=articles)
    for path in files:
        try:
            graph = parse_tree(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            bad.append(TreeFileOutcome(str(path), None, "error", [f"{path}: not UTF-8 text"]))
            continue
        except TreeFormatError as error:
            bad.append(
                TreeFileOutcome(str(path), None, "error", [f"{path}: {p}" for p in error.problems])
            )
            continue
        tree_id = graph.graph.get("id")
        report = validate_tree(graph, replace(base, expected_id=path.stem))
        if not report.ok:
            messages = [f"{path}: {problem}" for problem in report.problems]
            bad.append(TreeFileOutcome(str(path), tree_id, "error", messages))
            continue
        good.append((path, graph))
    # Two files with one tree id: neither is imported (which one was meant?), as for two
    # articles with one slug; each file names the others.
    by_id: dict[str, list[Path]] = {}
    for path, graph in good:
        by_id.setdefault(graph.graph["id"], []).append(path)
    unique: list[tuple[Path, Any]] = []
    for path, graph in good:
        tree_id = graph.graph["id"]
        others = [p for p in by_id[tree_id] if p != path]
        if others:
            names = ", ".join(str(p) for p in others)
            message = f"{path}: tree id '{tree_id}' is also used by {names}"
            bad.append(TreeFileOutcome(str(path), tree_id, "error", [message]))
            continue
        unique.append((path, graph))
    return unique, bad


def import_trees(
    session: Session,
    files: list[Path],
    *,
    kb: Any = None,
    progress: Callable[[Path], None] | None = None,
) -> TreeImportReport:
    """Import ``files`` in the caller's transaction, one savepoint per file."""
    report = TreeImportReport()
    good, bad = check_files(session, kb, files)
    report.files.extend(bad)
    for path, graph in good:
        if progress:
            progress(path)
        try:
            with session.begin_nested():
                outcome = _apply(session, graph, message=f"Imported from {path.name}")
        except Exception as error:  # one broken file must not stop the others
            report.files.append(
                TreeFileOutcome(str(path), graph.graph["id"], "error", [f"{path}: {error}"])
            )
            continue
        report.files.append(TreeFileOutcome(str(path), graph.graph["id"], outcome))
    return report


def _apply(session: Session, graph: Any, message: str) -> str:
    """Import is an administrator's act: the file's content becomes the live revision."""
    tree = get_tree(session, graph.graph["id"])
    digest = content_hash(graph_to_data(graph))
    if tree is None:
        revision = add_revision(session, graph, author_name=IMPORT_AUTHOR, message=message)
        tree = revision.tree
        publish(session, tree, revision)
        record(session, tree, "import", None, "", message, revision)
        return "created"
    head = tree.head_revision
    if head is not None and head.content_hash == digest:
        if tree.published_revision_id == head.id or tree.status == TreeStatus.ARCHIVED.value:
            return "unchanged"
        revision = head
    else:
        revision = add_revision(
            session,
            graph,
            tree=tree,
            author_name=IMPORT_AUTHOR,
            message=message,
            base_revision_id=head.id if head else None,
        )
    from_status = tree.status
    if tree.status == TreeStatus.ARCHIVED.value:
        tree.published_revision = revision  # stays archived until a reviewer unarchives it
        changed(session, tree)
    else:
        publish(session, tree, revision)
    record(session, tree, "import", None, from_status, message, revision)
    return "updated"


def export_trees(session: Session, folder: Path) -> list[Path]:
    """Write every tree as ``<id>.json`` (live revision, else head); unchanged files stay."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for tree in session.scalars(select(Tree).order_by(Tree.id)):
        revision = tree.published_revision or tree.head_revision
        if revision is None:
            continue
        text = dump_tree(revision_graph(revision))
        path = folder / f"{tree.id}.json"
        if not (path.exists() and path.read_text(encoding="utf-8") == text):
            atomic_write(path, text)
        written.append(path)
    return written
