"""The open-outage notice a diagnostic shows (its page and its JSON), kept per process for up
to a second.

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
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from kb import pagecache
from kb.models import Outage

NOTICE_SECONDS = 1.0


@dataclass(frozen=True)
class OutageNotice:
    """What a diagnostic says of its service's open outage."""

    id: int
    title: str
    user_message: str
    latest_update: str | None  # the newest update's text
    latest_update_at: datetime | None
    expected_restoration_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "user_message": self.user_message,
            "latest_update": self.latest_update,
            "url": f"/outages/{self.id}",
        }


@dataclass(frozen=True)
class _Read:
    generation: int
    at: float
    by_service: dict[str, OutageNotice]


_reads: weakref.WeakKeyDictionary[Engine, _Read] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def notice_for_service(session: Session, service: str) -> OutageNotice | None:
    """The open outage of ``service`` as a diagnostic shows it, or None. Names match exactly,
    as outages and trees store them."""
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


def _open_notices(session: Session) -> dict[str, OutageNotice]:
    outages = session.scalars(
        select(Outage)
        .options(selectinload(Outage.updates))
        .where(Outage.status == "open")
        .order_by(Outage.started_at)
    )
    notices = {}
    for outage in outages:  # the newest of a service's open outages wins, as a lookup would
        latest = outage.latest_update
        notices[outage.service] = OutageNotice(
            id=outage.id,
            title=outage.title,
            user_message=outage.user_message,
            latest_update=latest.text if latest else None,
            latest_update_at=latest.at if latest else None,
            expected_restoration_at=outage.expected_restoration_at,
        )
    return notices
