"""What RT's scrip reports ("ticket N changed in transaction T") is written to the outbox and
answered at once; the worker then reads the ticket from RT, with the outbox's retries.

The scrip calls kb while RT is still finishing its own transaction: on SQLite RT holds the
database lock until then, and every REST2 call (even a read: RT notes when a token was last
used) waits for it. Reading the ticket inside the scrip's request made the technician's page
hang until kb gave up, so the request never talks to RT.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kb.models import OutboxMessage, utcnow
from kb.outbox import enqueue, register_handler
from kb.plugins.request_tracker import tickets as rt_tickets

KIND = "rt.ticket_changed"  # the outbox message kind
# RT may not have committed the resolution when the worker first looks: a ticket that does not
# show it is looked at again (outbox retries) for this long before the notice is closed.
SETTLE = timedelta(minutes=10)


class NotYetResolved(Exception):
    """RT does not show the resolution the scrip announced (yet): try again later."""


def install(kb: Any) -> None:
    """Let the app's outbox deliver the scrip's notices."""
    register_handler(kb, KIND, deliver)


def key_for(ticket: str, transaction: int | None) -> str:
    """One notice per ticket and RT transaction, so a scrip that fires twice (or an RT that
    sends again) is recorded once. An older scrip sends no transaction: its notices are
    ``rt-scrip:<ticket>:any:<milliseconds>``."""
    return f"rt-scrip:{ticket}:{transaction if transaction is not None else 'any'}"


def record(
    session: Session, escalation_id: int, ticket: str, transaction: int | None
) -> tuple[OutboxMessage, bool]:
    """Queue the notice (committed) unless it is already queued; returns (message, is_new).

    Without a transaction number (an older scrip) a notice for the ticket that is still
    waiting stands for this one; otherwise a new one is queued."""
    key = key_for(ticket, transaction)
    if transaction is None:
        waiting = session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.kind == KIND,
                OutboxMessage.key.like(f"{key}%"),
                OutboxMessage.status == "pending",
            )
        )
        if waiting is not None:
            return waiting, False
        key = f"{key}:{int(utcnow().timestamp() * 1000)}"
    else:
        existing = session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
        if existing is not None:
            return existing, False
    payload = {
        "escalation_id": escalation_id,
        "ticket": ticket,
        "transaction": transaction,
        "noticed_at": utcnow().isoformat(),
    }
    message = enqueue(session, KIND, key, payload)
    try:
        session.commit()
    except IntegrityError:  # the same notice, from a request a moment ahead of this one
        session.rollback()
        return session.scalar(select(OutboxMessage).where(OutboxMessage.key == key)), False
    return message, True


def deliver(kb: Any, payload: dict[str, Any], key: str) -> dict[str, Any]:
    """Read the ticket from RT and resolve the escalation from it (once: resolving twice
    changes nothing). RT unreachable or still locked raises, and the outbox retries."""
    ticket = str(payload["ticket"])
    client = rt_tickets.client_for(kb.config)
    resolved = list(kb.config.get("RT_RESOLVED_STATUSES") or ["resolved"])
    resolution = rt_tickets.read_resolution(client, ticket, resolved)
    if resolution is None:
        noticed = _when(payload.get("noticed_at"))
        if noticed is not None and utcnow() - noticed < SETTLE:
            raise NotYetResolved(f"RT does not show ticket {ticket} resolved yet")
        return {"ticket": ticket, "outcome": "not_resolved"}
    outcome = rt_tickets.apply_resolution(kb, int(payload["escalation_id"]), resolution)
    return {"ticket": ticket, "outcome": outcome}


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None
