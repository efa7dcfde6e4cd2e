"""The open-outage notice a diagnostic step carries, kept per process for up to a second.

Every step of every diagnostic says whether its service is down; reading the outages table for
that on each step was a tenth of a step's cost. The notices are read again when this process
committed a change to outages (kb.pagecache's local generation, bumped at once) and otherwise
at most once per ``NOTICE_SECONDS``, so an outage declared on another node shows within that.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from kb import pagecache
from kb.models import Outage

NOTICE_SECONDS = 1.0


@dataclass(frozen=True)
class _Read:
    generation: int
    at: float
    by_service: dict[str, dict[str, Any]]


_reads: weakref.WeakKeyDictionary[Engine, _Read] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def notice_for_service(session: Session, service: str) -> dict[str, Any] | None:
    """The open outage of ``service`` as a step shows it (id, title, message, latest update,
    address), or None. Names match exactly, as outages and trees store them."""
    if not service:
        return None
    engine = session.get_bind()
    generation = pagecache.local_generation()
    read = _reads.get(engine)
    now = time.monotonic()
    if read is None or read.generation != generation or now - read.at >= NOTICE_SECONDS:
        read = _Read(generation, now, _open_notices(session))
        with _lock:
            _reads[engine] = read
    return read.by_service.get(service)


def _open_notices(session: Session) -> dict[str, dict[str, Any]]:
    outages = session.scalars(
        select(Outage)
        .options(selectinload(Outage.updates))
        .where(Outage.status == "open")
        .order_by(Outage.started_at)
    )
    notices = {}
    for outage in outages:  # the newest of a service's open outages wins, as a lookup would
        latest = outage.latest_update
        notices[outage.service] = {
            "id": outage.id,
            "title": outage.title,
            "user_message": outage.user_message,
            "latest_update": latest.text if latest else None,
            "url": f"/outages/{outage.id}",
        }
    return notices
