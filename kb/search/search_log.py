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

import atexit
import secrets
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

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


class SearchLogBuffer:
    """Rows and clicks not written yet; thread-safe."""

    def __init__(self, flush_seconds: float, sessions: Callable[[], Session] | None = None):
        self.flush_seconds = flush_seconds
        self._sessions = sessions
        self._rows: list[dict[str, Any]] = []
        self._clicks: list[Click] = []
        self._lock = threading.Lock()
        self._flushed_at = time.monotonic()

    def add(self, row: dict[str, Any]) -> None:
        with self._lock:
            self._rows.append(row)

    def add_click(self, click: Click) -> None:
        with self._lock:
            self._clicks.append(click)

    def due(self) -> bool:
        return time.monotonic() - self._flushed_at >= self.flush_seconds and bool(
            self._rows or self._clicks
        )

    def take(self) -> tuple[list[dict[str, Any]], list[Click]]:
        with self._lock:
            rows, self._rows = self._rows, []
            clicks, self._clicks = self._clicks, []
            self._flushed_at = time.monotonic()
        return rows, clicks

    def write(self, session: Session, rows: list[dict[str, Any]], clicks: list[Click]) -> None:
        """The rows in one INSERT, then the clicks, in the caller's transaction. A click whose
        row is not in the database yet goes back to wait for a later batch."""
        if rows:
            session.execute(insert(SearchLog), rows)
        for click in clicks:
            patient = time.monotonic() - click.first_tried < CLICK_PATIENCE
            if not _mark_click(session, click) and patient and _unwritten(session, click):
                self.add_click(click)

    def flush_on_exit(self) -> None:
        """Best effort when the process ends: a fresh session, its own commit."""
        rows, clicks = self.take()
        if not (rows or clicks) or self._sessions is None:
            return
        try:
            with self._sessions() as session:
                self.write(session, rows, clicks)
                session.commit()
        except Exception:  # the database may already be gone at exit: a few searches lost
            pass


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
    # A weak reference: an app that is gone (tests build hundreds) keeps no engine alive.
    atexit.register(_flush_if_alive, weakref.ref(buffer))


def _flush_if_alive(buffer: weakref.ref[SearchLogBuffer]) -> None:
    alive = buffer()
    if alive is not None:
        alive.flush_on_exit()


def _buffer() -> SearchLogBuffer | None:
    return current_app.extensions.get(_EXTENSION) if has_app_context() else None


def log_search(session: Session, row: dict[str, Any]) -> None:
    """Log one search (``row``: SearchLog's columns, ``ref`` included); when a batch is due,
    write it in ``session``'s transaction (the caller commits)."""
    row.setdefault("at", utcnow())
    buffer = _buffer()
    if buffer is None:  # an app built without init_app (a bare test app): write at once
        SearchLogBuffer(0).write(session, [row], [])
        return
    buffer.add(row)
    if buffer.due():
        buffer.write(session, *buffer.take())


def log_click(session: Session, ref: str, kind: str, key: str, rank: int | None) -> None:
    """Note the result a logged search led to, writing this process's batch with it (the
    caller commits)."""
    click = Click(ref, kind, key, rank, utcnow(), time.monotonic())
    buffer = _buffer()
    if buffer is None:
        SearchLogBuffer(0).write(session, [], [click])
        return
    buffer.add_click(click)
    buffer.write(session, *buffer.take())


def write_pending(session: Session) -> None:
    """Write and commit what this process holds now (reports call it before reading)."""
    buffer = _buffer()
    if buffer is not None:
        rows, clicks = buffer.take()
        if rows or clicks:
            buffer.write(session, rows, clicks)
            session.commit()
