"""Article views counted in memory and written in batches.

Writing ``view_count + 1`` on every read made each page view a database write: on SQLite every
reader queued behind one write lock, and a kept page (kb/pagecache.py) would still have cost a
transaction. The counts only order "most used" lists, so each process adds them up and writes one
UPDATE per article at most every ``VIEW_COUNT_FLUSH_SECONDS``; what a crashed process had not
written yet (a few seconds of views) is lost, which those lists do not notice.
"""

from __future__ import annotations

import atexit
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from sqlalchemy import update
from sqlalchemy.orm import Session

from kb.models.articles import Article

_EXTENSION = "kb_view_counts"


class ViewCounts:
    """Views not yet written, per article id; thread-safe."""

    def __init__(self, flush_seconds: float, sessions: Callable[[], Session] | None = None):
        self.flush_seconds = flush_seconds
        self._sessions = sessions
        self._pending: Counter[int] = Counter()
        self._lock = threading.Lock()
        self._flushed_at = time.monotonic()

    def add(self, article_id: int) -> None:
        with self._lock:
            self._pending[article_id] += 1

    def due(self) -> bool:
        return bool(self._pending) and time.monotonic() - self._flushed_at >= self.flush_seconds

    def take(self) -> Counter[int]:
        with self._lock:
            pending, self._pending = self._pending, Counter()
            self._flushed_at = time.monotonic()
        return pending

    def write(self, session: Session, pending: Counter[int]) -> None:
        """One UPDATE per article, in the caller's transaction."""
        for article_id, views in sorted(pending.items()):
            session.execute(
                update(Article)
                .where(Article.id == article_id)
                .values(view_count=Article.view_count + views)
            )

    def flush_on_exit(self) -> None:
        """Best effort when the process ends: a fresh session, its own commit."""
        pending = self.take()
        if not pending or self._sessions is None:
            return
        try:
            with self._sessions() as session:
                self.write(session, pending)
                session.commit()
        except Exception:  # the database may already be gone at exit: a few views lost
            pass


def init_app(app: Flask, sessions: Callable[[], Session] | None = None) -> None:
    counts = ViewCounts(float(app.config.get("VIEW_COUNT_FLUSH_SECONDS", 5)), sessions)
    app.extensions[_EXTENSION] = counts
    # A weak reference: an app that is gone (tests build hundreds) keeps no engine alive.
    atexit.register(_flush_if_alive, weakref.ref(counts))


def _flush_if_alive(counts: weakref.ref[ViewCounts]) -> None:
    alive = counts()
    if alive is not None:
        alive.flush_on_exit()


def count_view(session: Session, article_id: int) -> bool:
    """Count one view; when a flush is due, write every pending count in ``session``'s
    transaction and say so (the caller then commits)."""
    counts: Any = current_app.extensions.get(_EXTENSION)
    if counts is None:  # an app built without init_app (a bare test app): write at once
        ViewCounts(0).write(session, Counter({article_id: 1}))
        return True
    counts.add(article_id)
    if counts.due():
        counts.write(session, counts.take())
        return True
    return False
