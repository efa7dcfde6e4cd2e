"""Article views counted in memory and written in batches.

Writing ``view_count + 1`` on every read made each page view a database write: on SQLite every
reader queued behind one write lock, and a kept page (kb/pagecache.py) would still have cost a
transaction. The counts only order "most used" lists, so each process adds them up and writes one
UPDATE per article at most every ``VIEW_COUNT_FLUSH_SECONDS``; what a crashed process had not
written yet (a few seconds of views) is lost, which those lists do not notice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from sqlalchemy import update
from sqlalchemy.orm import Session

from kb.batched import BatchedWrites, flush_at_exit
from kb.models.articles import Article

_EXTENSION = "kb_view_counts"


class ViewCounts(BatchedWrites[Counter[int]]):
    """Views not yet written, per article id; thread-safe."""

    def _empty(self) -> Counter[int]:
        return Counter()

    def _is_empty(self, batch: Counter[int]) -> bool:
        return not batch

    def add(self, article_id: int) -> None:
        with self._lock:
            self._pending[article_id] += 1

    def write_batch(self, session: Session, batch: Counter[int]) -> None:
        """One UPDATE per article, in the caller's transaction."""
        for article_id, views in sorted(batch.items()):
            session.execute(
                update(Article)
                .where(Article.id == article_id)
                .values(view_count=Article.view_count + views)
            )


def init_app(app: Flask, sessions: Callable[[], Session] | None = None) -> None:
    counts = ViewCounts(float(app.config.get("VIEW_COUNT_FLUSH_SECONDS", 5)), sessions)
    app.extensions[_EXTENSION] = counts
    flush_at_exit(counts)


def count_view(session: Session, article_id: int) -> bool:
    """Count one view; when a flush is due, write every pending count in ``session``'s
    transaction and say so (the caller then commits)."""
    counts: Any = current_app.extensions.get(_EXTENSION)
    if counts is None:  # an app built without init_app (a bare test app): write at once
        ViewCounts(0).write_batch(session, Counter({article_id: 1}))
        return True
    counts.add(article_id)
    return counts.write_due(session)
