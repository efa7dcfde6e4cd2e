"""Import and export of articles as Markdown files with front matter.

Import is idempotent (same content, no new revision), reports each bad file with its path and
line without stopping the others, and never half-imports a file. Export writes the canonical
text, so an unchanged article is byte-stable.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.articles.document import ArticleDoc, DocumentError, Problem, parse_document
from kb.articles.render import links_in_markdown
from kb.articles.revisions import add_revision, changed, doc_from_revision, get_article, publish
from kb.models import Article, ArticleStatus

IMPORT_AUTHOR = "import"


@dataclass
class FileOutcome:
    path: str
    slug: str | None
    outcome: str  # created | updated | unchanged | error
    messages: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    files: list[FileOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for f in self.files if f.outcome == outcome)

    @property
    def errors(self) -> list[FileOutcome]:
        return [f for f in self.files if f.outcome == "error"]

    def summary(self) -> str:
        parts = [f"{self.count(o)} {o}" for o in ("created", "updated", "unchanged", "error")]
        return "articles: " + ", ".join(parts)


def markdown_files(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.md") if p.is_file()))
        elif path.suffix == ".md":
            found.append(path)
    return found


def import_articles(
    session: Session,
    files: list[Path],
    *,
    known_trees: Callable[[], set[str]] | None = None,
    progress: Callable[[Path], None] | None = None,
) -> ImportReport:
    """Import ``files`` into the database in one transaction, one savepoint per file."""
    report = ImportReport()
    parsed: list[tuple[Path, ArticleDoc, str]] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            doc = parse_document(text, default_slug=path.stem)
        except UnicodeDecodeError:
            report.files.append(FileOutcome(str(path), None, "error", [f"{path}: not UTF-8 text"]))
            continue
        except DocumentError as error:
            report.files.append(
                FileOutcome(str(path), None, "error", [p.where(str(path)) for p in error.problems])
            )
            continue
        parsed.append((path, doc, text))

    by_slug: dict[str, list[Path]] = {}
    for path, doc, _ in parsed:
        by_slug.setdefault(doc.slug, []).append(path)
    for path, doc, text in parsed:
        if progress:
            progress(path)
        others = [p for p in by_slug[doc.slug] if p != path]
        if others:
            names = ", ".join(str(p) for p in others)
            report.files.append(
                FileOutcome(
                    str(path),
                    doc.slug,
                    "error",
                    [
                        Problem(
                            f"slug: '{doc.slug}' is also used by {names}",
                            line=line_of(text, "slug"),
                        ).where(str(path))
                    ],
                )
            )
            continue
        try:
            with session.begin_nested():
                outcome = _apply(session, doc, message=f"Imported from {path.name}")
        except Exception as error:  # one broken file must not stop the others
            report.files.append(FileOutcome(str(path), doc.slug, "error", [f"{path}: {error}"]))
            continue
        report.files.append(FileOutcome(str(path), doc.slug, outcome))

    imported = {f.slug for f in report.files if f.outcome != "error"}
    existing = set(session.scalars(select(Article.slug)))
    trees = known_trees() if known_trees else None
    for path, doc, _text in parsed:
        if doc.slug not in imported:
            continue
        report.warnings.extend(broken_links(path, doc, existing, trees))
    return report


def broken_links(
    path: Path, doc: ArticleDoc, articles: set[str], trees: set[str] | None
) -> list[str]:
    """Messages for links to articles (and, when known, trees) that do not exist."""
    article_links, tree_links = links_in_markdown(doc.body)
    offset = body_offset(path)
    messages = [
        f"{path}: line {line + offset if line else '?'}: link to unknown article '{slug}'"
        for slug, line in article_links
        if slug not in articles
    ]
    if trees is not None:
        messages += [
            f"{path}: line {line + offset if line else '?'}: link to unknown tree '{tree}'"
            for tree, line in tree_links
            if tree not in trees
        ]
    return messages


def _apply(session: Session, doc: ArticleDoc, message: str) -> str:
    article = get_article(session, doc.slug)
    if article is None:
        revision = add_revision(session, doc, author_name=IMPORT_AUTHOR, message=message)
        article = revision.article
        _set_status(session, article, doc.status)
        return "created"
    head = article.head_revision
    if head is not None and head.content_hash == doc.content_hash():
        if article.status != doc.status:
            _set_status(session, article, doc.status)
            return "updated"
        return "unchanged"
    base = head.id if head else None
    add_revision(
        session,
        doc,
        article=article,
        author_name=IMPORT_AUTHOR,
        message=message,
        base_revision_id=base,
    )
    _set_status(session, article, doc.status)
    return "updated"


def _set_status(session: Session, article: Article, status: str) -> None:
    """Import is an administrator's act: the file's status is applied as written."""
    if status == ArticleStatus.PUBLISHED.value:
        if article.head_revision is not None:
            publish(session, article, article.head_revision)
        return
    article.status = status
    changed(session, article)


def export_articles(session: Session, folder: Path) -> list[Path]:
    """Write every article as ``<slug>.md``; unchanged files are left untouched on disk."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for article in session.scalars(select(Article).order_by(Article.slug)):
        text = export_text(article)
        if text is None:
            continue
        path = folder / f"{article.slug}.md"
        if path.exists() and path.read_text(encoding="utf-8") == text:
            written.append(path)
            continue
        atomic_write(path, text)
        written.append(path)
    return written


def export_text(article: Article) -> str | None:
    """The file form of an article: its live revision if published, else its head."""
    revision = article.published_revision or article.head_revision
    if revision is None:
        return None
    status = article.status
    if article.published_revision is not None and status in ("draft", "in_review"):
        status = ArticleStatus.PUBLISHED.value
    return doc_from_revision(revision, status).to_text()


def atomic_write(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path``, then replace it in one step."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def line_of(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(f"{key}:"):
            return number
    return None


def body_offset(path: Path) -> int:
    """Lines before the body starts, so body line numbers become file line numbers."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 0
    closing = next((i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---"), 0)
    offset = closing + 1
    while offset < len(lines) and not lines[offset].strip():
        offset += 1
    return offset
