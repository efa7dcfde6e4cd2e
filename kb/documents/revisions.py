"""Appending revisions safely, for any reviewed document: the document row is claimed while
its head is still the one the writer read (compare-and-swap), so two concurrent saves can never
silently replace one another. The kinds build the revision; this module numbers, inserts and
points the head at it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kb.db import storable_int
from kb.errors import StaleWrite
from kb.models import utcnow
from kb.models.documents import DocumentRevision, ReviewedDocument

R = TypeVar("R", bound=DocumentRevision)
D = TypeVar("D", bound=ReviewedDocument)


def begin(
    session: Session,
    revision_model: type[DocumentRevision],
    document: D | None,
    new: Callable[[], D],
) -> tuple[D, int]:
    """The document a new revision goes to, and that revision's number: a ``new()`` document
    (revision 1) when ``document`` is None, else the claimed document and its next number."""
    if document is None:
        created = new()
        session.add(created)
        session.flush()
        return created, 1
    claim(session, document, document.head_revision_id)  # concurrent saves queue here
    return document, next_number(session, revision_model, document)


def claim(session: Session, document: ReviewedDocument, expected: int | None) -> None:
    """Take the document for a write before choosing the new revision's number: a row update
    that holds the database's write lock (SQLite) or row lock (PostgreSQL) until commit, and
    only while the head is still ``expected``. A concurrent save of the same base waits here,
    then finds the head moved (StaleWrite). It also opens a real transaction first, so the
    savepoint around the insert can never commit on its own (pysqlite)."""
    _swap(session, document, expected)


def next_number(session: Session, revision_model: type[DocumentRevision], document: Any) -> int:
    key = getattr(revision_model, f"{document.document_kind}_id")
    latest = session.scalar(select(func.max(revision_model.number)).where(key == document.id))
    return (latest or 0) + 1


def insert(session: Session, document: ReviewedDocument, build: Callable[[], R]) -> R:
    """Build and insert the revision in a savepoint: only this insert is undone when a
    concurrent save took the same revision number first (StaleWrite). It is built inside, so
    nothing flushes it before the savepoint begins."""
    try:
        with session.begin_nested():
            revision = build()
            session.add(revision)
            session.flush()
    except IntegrityError:
        raise stale(document) from None
    return revision


def move_head(
    session: Session, document: ReviewedDocument, revision: DocumentRevision, expected: int | None
) -> None:
    """Point the document at its new head only if nobody moved it since we read it."""
    _swap(session, document, expected, head_revision_id=revision.id)
    session.expire(document, ["head_revision_id", "head_revision", "updated_at"])


def _swap(
    session: Session, document: ReviewedDocument, expected: int | None, **values: object
) -> None:
    model: Any = type(document)
    current = (
        model.head_revision_id.is_(None)
        if expected is None
        else (model.head_revision_id == expected)
    )
    result = session.execute(
        update(model)
        .where(model.id == document.id, current)
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise stale(document)


def stale(document: ReviewedDocument) -> StaleWrite:
    return StaleWrite(
        f"{document.document_kind.capitalize()} '{document.label}' was changed by someone else "
        "at the same moment; reload and try again."
    )


def find(session: Session, revision_model: type[DocumentRevision], document: Any, number: int):
    """The document's revision with this number, or None."""
    if not storable_int(number):
        return None
    key = getattr(revision_model, f"{document.document_kind}_id")
    return session.scalar(
        select(revision_model).where(key == document.id, revision_model.number == number)
    )
