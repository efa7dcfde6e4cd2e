"""The reviewed-document mixins change no table: the models still describe exactly what the
migrations build (same tables, columns, types, keys, constraints and indexes)."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kb import db
from kb.models import Article, ArticleEvent, ArticleRevision, Base, Tree, TreeEvent, TreeRevision
from kb.models.documents import DocumentEvent, DocumentRevision, ReviewedDocument


def test_the_models_match_the_migrations(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'kb.sqlite3'}")
    db.upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_articles_and_trees_share_the_document_mixins() -> None:
    for document, revision, event in (
        (Article, ArticleRevision, ArticleEvent),
        (Tree, TreeRevision, TreeEvent),
    ):
        assert issubclass(document, ReviewedDocument)
        assert issubclass(revision, DocumentRevision)
        assert issubclass(event, DocumentEvent)
        assert document.document_kind == revision.document_kind == event.document_kind
