"""`kb tree`: decision trees from the command line; `kb tree validate` checks tree files or the
stored trees, one line per problem."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.articles.document import DocumentError, parse_document
from kb.articles.interchange import markdown_files
from kb.cli.shared import db_session
from kb.models import Tree
from kb.trees.interchange import check_files, json_files
from kb.trees.store import revision_graph, validation_context
from kb.trees.validate import validate_tree


def articles_in(paths: list[Path]) -> dict[str, str]:
    """Slug -> audience of the articles among ``paths`` (unparseable files are skipped:
    `kb import` reports those)."""
    found: dict[str, str] = {}
    for path in markdown_files(paths):
        try:
            doc = parse_document(path.read_text(encoding="utf-8"), default_slug=path.stem)
        except (DocumentError, UnicodeDecodeError, OSError):
            continue
        found[doc.slug] = doc.audience
    return found


def validate_paths(session: Session, paths: list[Path]) -> tuple[list[str], int]:
    files = json_files(paths)
    _good, bad = check_files(session, None, files, articles=articles_in(paths))
    return [m for outcome in bad for m in outcome.messages], len(files)


def validate_stored(session: Session) -> tuple[list[str], int]:
    lines: list[str] = []
    trees = list(session.scalars(select(Tree).order_by(Tree.id)))
    context = validation_context(session, None)
    for tree in trees:
        if tree.head_revision is None:
            continue
        context.expected_id = tree.id
        report = validate_tree(revision_graph(tree.head_revision), context)
        lines += [f"{tree.id} (revision {tree.head_revision.number}): {p}" for p in report.problems]
    return lines, len(trees)


@click.group("tree")
def tree_group() -> None:
    """Decision trees."""


@tree_group.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@with_appcontext
def tree_validate(paths: tuple[Path, ...]) -> None:
    """Check tree files (*.json; articles given as *.md count as existing), or every stored
    tree when no PATH is given. Prints each problem with its file and node; exit 2 if any."""
    with db_session() as session:
        lines, checked = validate_paths(session, list(paths)) if paths else validate_stored(session)
    for line in lines:
        click.echo(line, err=True)
    if lines:
        click.echo(f"kb: {len(lines)} problem(s) in the trees checked", err=True)
        sys.exit(2)
    click.echo(f"{checked} tree(s) valid.")
