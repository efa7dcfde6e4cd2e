"""Run a unit of work in its own transaction, again if a concurrent writer got there first."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from kb.errors import StaleWrite

log = logging.getLogger(__name__)
T = TypeVar("T")


def with_retries(kb: Any, work: Callable[[Session], T], attempts: int = 8) -> T:
    """Call ``work(session)`` and commit; on a lost race (a unique revision number taken, or
    SQLite's write lock) start over from fresh data. Nothing is half-written: each try is one
    transaction."""
    for attempt in range(1, attempts + 1):
        with kb.session() as session:
            try:
                result = work(session)
                session.commit()
                return result
            except (IntegrityError, OperationalError, StaleWrite) as error:
                session.rollback()
                if attempt == attempts:
                    raise
                log.info("retrying after a concurrent write (%s)", type(error).__name__)
        time.sleep(random.uniform(0.01, 0.05) * attempt)
    raise AssertionError("unreachable")
