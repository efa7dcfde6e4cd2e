"""The search log, written in batches.

Every search is logged for the content-gap reports, and writing its row in the search's own
transaction made each search a database write: an INSERT and a commit per question, which on
PostgreSQL cost more than answering it. Each process now keeps the rows of its searches and
writes them in one statement at most every ``SEARCH_LOG_FLUSH_SECONDS`` (0: with each search),
within a later request's transaction, and when the process ends.

A row has no id before it is written, so a search's result links name it by ``ref``, a random
reference made with the row. A click (kb/search/views.py ``go``) writes what this process
holds and then marks the row; when the row is still held by another process, the click waits
here and is written with a later batch (for up to ``CLICK_PATIENCE`` seconds, far longer than
any process holds a row). What a crashed process had not written (a few seconds of searches)
is lost, which reports of weeks do not notice; reports write this process's rows first.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from kb.batched import BatchedWrites, flush_at_exit
from kb.models import SearchLog, utcnow

_EXTENSION = "kb_search_log"
CLICK_PATIENCE = 120.0  # seconds a click waits for its search's row to be written


def new_ref() -> str:
    return secrets.token_hex(12)


@dataclass
class Click:
    ref: str
    kind: str
    key: str
    rank: int | None
    at: Any
    first_tried: float


@dataclass
class Pending:
    """Rows of searches and clicks on them, not written yet."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    clicks: list[Click] = field(default_factory=list)


class SearchLogBuffer(BatchedWrites[Pending]):
    """Rows and clicks not written yet; thread-safe."""

    def _empty(self) -> Pending:
        return Pending()

    def _is_empty(self, batch: Pending) -> bool:
        return not (batch.rows or batch.clicks)

    def add(self, row: dict[str, Any]) -> None:
        with self._lock:
            self._pending.rows.append(row)

    def add_click(self, click: Click) -> None:
        with self._lock:
            self._pending.clicks.append(click)

    def write_batch(self, session: Session, batch: Pending) -> None:
        """The rows in one INSERT, then the clicks, in the caller's transaction. A click whose
        row is not in the database yet goes back to wait for a later batch."""
        if batch.rows:
            session.execute(insert(SearchLog), batch.rows)
        for click in batch.clicks:
            patient = time.monotonic() - click.first_tried < CLICK_PATIENCE
            if not _mark_click(session, click) and patient and _unwritten(session, click):
                self.add_click(click)

    def write_all(self, session: Session) -> bool:
        """Write everything held now, due or not; whether there was anything."""
        batch = self.take()
        if self._is_empty(batch):
            return False
        self.write_batch(session, batch)
        return True


def _mark_click(session: Session, click: Click) -> bool:
    """Record the first result opened from the search; later clicks keep the first."""
    done = session.execute(
        update(SearchLog)
        .where(SearchLog.ref == click.ref, SearchLog.clicked_key.is_(None))
        .values(
            clicked_kind=click.kind,
            clicked_key=click.key[:120],
            clicked_rank=click.rank,
            clicked_at=click.at,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount)


def _unwritten(session: Session, click: Click) -> bool:
    return session.scalar(select(SearchLog.id).where(SearchLog.ref == click.ref)) is None


def init_app(app: Flask, sessions: Callable[[], Session] | None = None) -> None:
    buffer = SearchLogBuffer(float(app.config.get("SEARCH_LOG_FLUSH_SECONDS", 5)), sessions)
    app.extensions[_EXTENSION] = buffer
    flush_at_exit(buffer)


def _buffer() -> SearchLogBuffer | None:
    return current_app.extensions.get(_EXTENSION) if has_app_context() else None


def log_search(session: Session, row: dict[str, Any]) -> None:
    """Log one search (``row``: SearchLog's columns, ``ref`` included); when a batch is due,
    write it in ``session``'s transaction (the caller commits)."""
    row.setdefault("at", utcnow())
    buffer = _buffer()
    if buffer is None:  # an app built without init_app (a bare test app): write at once
        SearchLogBuffer(0).write_batch(session, Pending(rows=[row]))
        return
    buffer.add(row)
    buffer.write_due(session)


def log_click(session: Session, ref: str, kind: str, key: str, rank: int | None) -> None:
    """Note the result a logged search led to, writing this process's batch with it (the
    caller commits)."""
    click = Click(ref, kind, key, rank, utcnow(), time.monotonic())
    buffer = _buffer()
    if buffer is None:
        SearchLogBuffer(0).write_batch(session, Pending(clicks=[click]))
        return
    buffer.add_click(click)
    buffer.write_all(session)


def write_pending(session: Session) -> None:
    """Write and commit what this process holds now (reports call it before reading)."""
    buffer = _buffer()
    if buffer is not None and buffer.write_all(session):
        session.commit()
