"""Is this node alive, and ready for traffic? What the load balancer and the orchestrator ask.

- Liveness (``/healthz``): the process answers. Nothing else is looked at (no database), so a
  database outage never gets every node restarted at once.
- Readiness (``/readyz``): each check below answers ``ok``, ``failing`` or ``warning``; the node
  is ready when no *required* check fails:

  ``database`` (required)  the database answers and its schema is the code's
                           (kb.db.schema_is_current: else run ``kb db upgrade``);
  ``search``   (required)  this node's index opens and has applied the change sequence to within
                           SEARCH_MAX_LAG changes (an empty index while the database has content
                           is failing; the background worker beside the web server catches up);
  ``outbox``   (reported)  no dead letter older than DEAD_LETTER_AGE. Dead letters need an admin
                           (``/admin/outbox``), but taking nodes out of rotation would not deliver
                           them, and the outbox is shared, so every node would go at once.

Callers learn only each check's state; the reason is logged (with the request's id).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, text

from kb.changes import last_seq
from kb.db import schema_is_current
from kb.models import OutboxMessage, utcnow
from kb.search import service as search_service

log = logging.getLogger(__name__)

SEARCH_MAX_LAG = 500  # changes the index may be behind the database and still serve
DEAD_LETTER_AGE = timedelta(hours=1)

OK, FAILING, WARNING, SKIPPED = "ok", "failing", "warning", "skipped"


@dataclass(frozen=True)
class Check:
    name: str
    state: str
    required: bool
    reason: str = ""  # for the log, never the response

    @property
    def failed(self) -> bool:
        return self.required and self.state in (FAILING, SKIPPED)


@dataclass(frozen=True)
class Readiness:
    checks: tuple[Check, ...]

    @property
    def ready(self) -> bool:
        return not any(check.failed for check in self.checks)

    def as_json(self) -> dict[str, Any]:
        """What any caller may see: the overall state and each check's state."""
        return {
            "status": "ready" if self.ready else "not ready",
            "checks": {check.name: check.state for check in self.checks},
        }


def liveness() -> dict[str, str]:
    return {"status": "ok"}


def readiness(kb: Any) -> Readiness:
    """Run every check; one that breaks is a failing check, never an exception."""
    database = _database(kb)
    if database.state != OK:
        checks = (
            database,
            Check("search", SKIPPED, True, "the database is not available"),
            Check("outbox", SKIPPED, False, "the database is not available"),
        )
    else:
        checks = (database, _search(kb), _outbox(kb))
    for check in checks:
        if check.state != OK:
            log.warning("readiness: %s is %s: %s", check.name, check.state, check.reason)
    return Readiness(checks)


def _database(kb: Any) -> Check:
    try:
        with kb.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        if not schema_is_current(kb.engine):
            return Check("database", FAILING, True, "the schema is not current: run kb db upgrade")
    except Exception as error:
        return Check("database", FAILING, True, f"{type(error).__name__}: {error}")
    return Check("database", OK, True)


def _search(kb: Any) -> Check:
    try:
        engine = search_service.backend(kb)
        applied = engine.applied_seq()
        with kb.session() as session:
            latest = last_seq(session)
    except Exception as error:
        return Check("search", FAILING, True, f"{type(error).__name__}: {error}")
    if applied == 0 and latest > 0:
        return Check("search", FAILING, True, "the index is empty (the worker builds it)")
    if applied > latest:
        return Check("search", FAILING, True, f"the index is ahead of the database ({applied})")
    if latest - applied > SEARCH_MAX_LAG:
        return Check("search", FAILING, True, f"the index is {latest - applied} changes behind")
    return Check("search", OK, True)


def _outbox(kb: Any) -> Check:
    try:
        with kb.session() as session:
            dead = session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.status == "dead",
                    OutboxMessage.next_attempt_at < utcnow() - DEAD_LETTER_AGE,
                )
            )
    except Exception as error:
        return Check("outbox", WARNING, False, f"{type(error).__name__}: {error}")
    if dead:
        return Check("outbox", WARNING, False, f"{dead} dead letters (see /admin/outbox)")
    return Check("outbox", OK, False)
