"""Import and export of all file-form content (articles now; trees join in kb/diagnostics)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from kb.articles.interchange import ImportReport, export_articles, import_articles, markdown_files


@dataclass
class ContentReport:
    articles: ImportReport = field(default_factory=ImportReport)

    @property
    def error_lines(self) -> list[str]:
        return [m for f in self.articles.errors for m in f.messages]

    @property
    def warnings(self) -> list[str]:
        return list(self.articles.warnings)

    @property
    def failed(self) -> bool:
        return bool(self.articles.errors)

    def summary(self) -> str:
        return self.articles.summary()


def import_content(
    session: Session, paths: list[Path], progress: Callable[[Path], None] | None = None
) -> ContentReport:
    """Import every article (``*.md``) under ``paths``, committing what succeeded."""
    report = ContentReport()
    report.articles = import_articles(session, markdown_files(paths), progress=progress)
    session.commit()
    return report


def export_content(session: Session, folder: Path) -> list[Path]:
    return export_articles(session, folder)
