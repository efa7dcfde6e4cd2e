"""Import and export of all file-form content: articles (``*.md``) and trees (``*.json``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from kb.articles.interchange import ImportReport, export_articles, import_articles, markdown_files
from kb.trees.interchange import TreeImportReport, export_trees, import_trees, json_files
from kb.trees.store import known_tree_ids


@dataclass
class ContentReport:
    articles: ImportReport = field(default_factory=ImportReport)
    trees: TreeImportReport = field(default_factory=TreeImportReport)

    @property
    def error_lines(self) -> list[str]:
        return [m for f in self.articles.errors + self.trees.errors for m in f.messages]

    @property
    def warnings(self) -> list[str]:
        return list(self.articles.warnings)

    @property
    def failed(self) -> bool:
        return bool(self.articles.errors or self.trees.errors)

    def summary(self) -> str:
        return f"{self.articles.summary()}; {self.trees.summary()}"


def import_content(
    session: Session, paths: list[Path], progress: Callable[[Path], None] | None = None
) -> ContentReport:
    """Import every article (``*.md``) and tree (``*.json``) under ``paths``, committing what
    succeeded. Articles go in first (trees show them), then the trees, then the articles'
    links to trees are checked against the trees now known."""
    report = ContentReport()
    tree_files = json_files(paths)
    imported = False

    def import_trees_then_list_them() -> set[str]:
        nonlocal imported
        report.trees = import_trees(session, tree_files, progress=progress)
        imported = True
        return known_tree_ids(session)

    report.articles = import_articles(
        session, markdown_files(paths), known_trees=import_trees_then_list_them, progress=progress
    )
    if not imported:
        import_trees_then_list_them()
    session.commit()
    return report


def export_content(session: Session, folder: Path) -> list[Path]:
    """Articles as ``<slug>.md`` and trees as ``<id>.json`` into ``folder``."""
    return export_articles(session, folder) + export_trees(session, folder)
