"""Writes kept in memory by each process and made in one go every few seconds.

For records nobody reads the moment they are made (article view counts, the search log):
writing each one in its own request made every read a database write. A buffer collects them,
a request that finds a batch due writes it in its own transaction, and the process writes what
is left when it ends. What a killed process held (a few seconds' worth) is lost; callers only
use this where that is acceptable.
"""

from __future__ import annotations

import atexit
import threading
import time
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

Batch = TypeVar("Batch")


class BatchedWrites(Generic[Batch]):
    """Subclasses say what a batch is (``_empty``, ``_is_empty``) and how it is written
    (``write_batch``); adding to ``self._pending`` happens under ``self._lock``."""

    def __init__(self, flush_seconds: float, sessions: Callable[[], Session] | None = None):
        self.flush_seconds = flush_seconds
        self._sessions = sessions
        self._lock = threading.Lock()
        self._pending: Batch = self._empty()
        self._flushed_at = time.monotonic()

    def _empty(self) -> Batch:
        raise NotImplementedError

    def _is_empty(self, batch: Batch) -> bool:
        raise NotImplementedError

    def write_batch(self, session: Session, batch: Batch) -> None:
        """Write ``batch`` in the caller's transaction (the caller commits)."""
        raise NotImplementedError

    def due(self) -> bool:
        return (
            not self._is_empty(self._pending)
            and time.monotonic() - self._flushed_at >= self.flush_seconds
        )

    def take(self) -> Batch:
        with self._lock:
            batch, self._pending = self._pending, self._empty()
            self._flushed_at = time.monotonic()
        return batch

    def write_due(self, session: Session) -> bool:
        """Write the batch if one is due; whether it did (the caller then commits)."""
        if not self.due():
            return False
        self.write_batch(session, self.take())
        return True

    def flush_on_exit(self) -> None:
        """Best effort when the process ends: a fresh session, its own commit."""
        batch = self.take()
        if self._is_empty(batch) or self._sessions is None:
            return
        try:
            with self._sessions() as session:
                self.write_batch(session, batch)
                session.commit()
        except Exception:  # the database may already be gone at exit: a few seconds lost
            pass


def flush_at_exit(buffer: BatchedWrites) -> None:
    """Write what ``buffer`` holds when the process ends. A weak reference: an app that is
    gone (tests build hundreds) keeps no engine alive."""
    atexit.register(_flush_if_alive, weakref.ref(buffer))


def _flush_if_alive(buffer: weakref.ref[BatchedWrites]) -> None:
    alive = buffer()
    if alive is not None:
        alive.flush_on_exit()
